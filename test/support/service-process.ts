import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { killOnExit } from './cleanup-on-exit.js';
import { getFreePort } from './free-port.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 12_000;
const POLL_INTERVAL_MS = 100;
const PORT_ATTEMPTS = 3;

/** One service instance: `src/main.ts` in its own node process (what `npm start` runs). */
export interface ServiceProcess {
  /** e.g. http://127.0.0.1:40123 */
  readonly base: string;
  readonly port: number;
  readonly pid: number;
  /** everything it wrote to stdout (pino's JSON lines) and stderr so far */
  output(): string;
  /** its stdout parsed as JSON lines (lines that are not JSON are skipped) */
  logLines(): Record<string, unknown>[];
  /** true while the process runs */
  running(): boolean;
  /** SIGTERM, SIGKILL if it has not exited after 12 s; resolves with the exit code. Idempotent. */
  stop(): Promise<number | null>;
}

function isListening(base: string): Promise<boolean> {
  return fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1_000) }).then(
    (response) => response.ok,
    () => false,
  );
}

async function spawnOnce(env: Readonly<Record<string, string>>, port: number): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  let stopping: Promise<number | null> | undefined;
  const base = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    base,
    port,
    pid: child.pid ?? -1,
    output: () => stdout + stderr,
    logLines: () =>
      stdout.split('\n').flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    running: () => exitCode === undefined,
    stop: () => {
      stopping ??= (async () => {
        if (exitCode !== undefined) return exitCode;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await isListening(base))) {
    if (exitCode !== undefined) {
      throw new Error(
        `service on port ${port} exited during start-up (code ${exitCode}):\n${service.output()}`,
      );
    }
    if (Date.now() > deadline) {
      await service.stop();
      throw new Error(
        `service on port ${port} did not answer /healthz within ${START_TIMEOUT_MS} ms:\n${service.output()}`,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }
  return service;
}

/**
 * Starts `src/main.ts` (node with the tsx loader, as `npm start` does) on a free loopback port with
 * only PATH, HOST=127.0.0.1 and `env` in its environment, and resolves once /healthz answers.
 * Stop it with stop() in afterAll; the test process SIGKILLs it at exit otherwise.
 */
export async function startServiceProcess(env: Readonly<Record<string, string>>): Promise<ServiceProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnOnce(env, await getFreePort());
    } catch (err) {
      const clash = err instanceof Error && /EADDRINUSE/.test(err.message);
      if (!clash || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}
