import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { killOnExit } from './cleanup-on-exit.js';

const POLL_INTERVAL_MS = 25;
const LOG_TAIL_CHARS = 4_000;

export interface ServiceSpec {
  /** Binary on PATH, e.g. "redis-server". */
  readonly command: string;
  readonly args: readonly string[];
  /** The process's whole environment (default: this process's). */
  readonly env?: Readonly<Record<string, string>>;
  /** stdout and stderr are appended here (restarts keep the earlier runs' output). */
  readonly logFile: string;
  /** Resolves true once the service answers; must not throw. */
  readonly isReady: () => Promise<boolean>;
  readonly startTimeoutMs: number;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs: number;
}

export interface RunningService {
  readonly pid: number;
  /** SIGTERM, then SIGKILL after the stop timeout; resolves once the process is reaped. Idempotent. */
  stop(): Promise<void>;
}

/** The service did not come up. `log` is the tail of its output; `exited` says it died on its own. */
export class ServiceStartError extends Error {
  readonly log: string;
  readonly exited: boolean;
  constructor(message: string, log: string, exited: boolean, options?: ErrorOptions) {
    super(`${message}\n--- service log (tail) ---\n${log}`, options);
    this.name = 'ServiceStartError';
    this.log = log;
    this.exited = exited;
  }
}

function readLogTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').slice(-LOG_TAIL_CHARS);
  } catch (err) {
    return `(log unreadable: ${String(err)})`;
  }
}

/**
 * Spawns `spec.command` (no shell, not detached), polls `isReady` until it answers or the deadline
 * passes, and returns a handle that stops it by pid. On failure the process is killed and a
 * ServiceStartError carries the log.
 */
export async function spawnService(spec: ServiceSpec): Promise<RunningService> {
  const logFd = openSync(spec.logFile, 'a');
  const child = (() => {
    try {
      return spawn(spec.command, spec.args, {
        stdio: ['ignore', logFd, logFd],
        ...(spec.env === undefined ? {} : { env: { ...spec.env } }),
      });
    } finally {
      closeSync(logFd);
    }
  })();
  let spawnError: Error | undefined;
  let exitDescription: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitDescription = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
      resolve();
    });
    child.once('error', (err) => {
      spawnError = err;
      exitDescription = err.message;
      resolve();
    });
  });
  killOnExit(child);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (exitDescription !== undefined) {
        return;
      }
      child.kill('SIGTERM');
      const timedOut = await Promise.race([
        exited.then(() => false),
        sleep(spec.stopTimeoutMs).then(() => true),
      ]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exited;
      }
    })();
    return stopped;
  };

  const deadline = Date.now() + spec.startTimeoutMs;
  for (;;) {
    if (spawnError !== undefined) {
      throw new ServiceStartError(
        `could not spawn ${spec.command} (run: bash scripts/ensure-deps.sh)`,
        readLogTail(spec.logFile),
        true,
        { cause: spawnError },
      );
    }
    if (exitDescription !== undefined) {
      throw new ServiceStartError(
        `${spec.command} exited during startup (${exitDescription})`,
        readLogTail(spec.logFile),
        true,
      );
    }
    if (await spec.isReady()) {
      break;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new ServiceStartError(
        `${spec.command} did not become ready within ${spec.startTimeoutMs} ms`,
        readLogTail(spec.logFile),
        false,
      );
    }
    await sleep(POLL_INTERVAL_MS);
  }

  const pid = child.pid;
  if (pid === undefined) {
    await stop();
    throw new ServiceStartError(`${spec.command} has no pid`, readLogTail(spec.logFile), false);
  }
  return { pid, stop };
}

/** True when startup failed because another process took the port between probe and bind. */
export function isPortClash(err: unknown): boolean {
  return err instanceof ServiceStartError && err.exited && /address already in use/i.test(err.log);
}
