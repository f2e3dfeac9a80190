import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killOnExit } from '../../test/support/cleanup-on-exit.js';

export const HTTP_TARGETS = ['bare', 'ours-memory', 'ours-redis'] as const;
export type HttpTarget = (typeof HTTP_TARGETS)[number];

/** What bench/http-server.ts tells its parent. */
export interface ServerMessage {
  readonly type: 'listening';
  readonly port: number;
}

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', 'http-server.ts');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RunningTarget {
  readonly target: HttpTarget;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts one HTTP target in its own node process and resolves once it listens. */
export function startTarget(target: HttpTarget, redisUrl?: string): Promise<RunningTarget> {
  const args = redisUrl === undefined ? [target] : [target, redisUrl];
  const child = fork(ENTRY, args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  killOnExit(child);
  const pid = child.pid;
  if (pid === undefined) return Promise.reject(new Error(`could not spawn the ${target} server`));

  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${target} server did not listen within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${target} server exited before listening (code ${code}, signal ${signal})`));
    });
    child.once('message', (message: ServerMessage) => {
      clearTimeout(timer);
      resolve({ target, port: message.port, pid, stop });
    });
  });
}
