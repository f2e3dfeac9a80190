import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFreePort } from './free-port.js';
import { isPortClash, spawnService, type RunningService } from './spawn-service.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const HOST = '127.0.0.1';
/** tsx compiles src/ on start: seconds on a busy 2-core machine */
const START_TIMEOUT_MS = 40_000;
const STOP_TIMEOUT_MS = 10_000;
const PORT_ATTEMPTS = 3;

export interface LimiterProcess {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly pid: number;
  /** stdout and stderr of the process */
  readonly logFile: string;
  /** SIGTERM by pid (SIGKILL after a timeout), then removes the log dir. Idempotent. */
  stop(): Promise<void>;
}

async function answersReady(base: string): Promise<boolean> {
  try {
    return (await fetch(`${base}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

/**
 * The service as `npm start` runs it (node --import tsx src/main.ts), in its own OS process on a
 * free loopback port, with only PATH, PORT, HOST and `env` in its environment. Resolves once
 * /readyz answers 200 (every store reachable).
 */
export async function startLimiterProcess(env: Readonly<Record<string, string>>): Promise<LimiterProcess> {
  for (let attempt = 1; ; attempt++) {
    const dir = await makeTempDir('rl-service-');
    const logFile = join(dir, 'service.log');
    const port = await getFreePort();
    const base = `http://${HOST}:${port}`;
    let service: RunningService;
    try {
      service = await spawnService({
        command: process.execPath,
        args: ['--import', 'tsx', MAIN],
        env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST },
        logFile,
        isReady: () => answersReady(base),
        startTimeoutMs: START_TIMEOUT_MS,
        stopTimeoutMs: STOP_TIMEOUT_MS,
      });
    } catch (err) {
      await removeTempDir(dir);
      if (attempt >= PORT_ATTEMPTS || !isPortClash(err)) throw err;
      continue;
    }
    return {
      base,
      pid: service.pid,
      logFile,
      stop: async () => {
        await service.stop();
        await removeTempDir(dir);
      },
    };
  }
}
