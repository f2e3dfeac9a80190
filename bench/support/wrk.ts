import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../../test/support/run-command.js';
import type { LatencySummary } from './latency-summary.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'wrk-allow.lua');

export interface WrkOptions {
  readonly port: number;
  readonly connections: number;
  readonly seconds: number;
  readonly clients: number;
  readonly clientPrefix: string;
}

interface WrkResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly connectErrors: number;
  readonly readErrors: number;
  readonly writeErrors: number;
  readonly statusErrors: number;
  readonly timeouts: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
}

function ms(us: number): number {
  return Math.round(us) / 1000;
}

/** True when the wrk binary is on PATH. */
export async function hasWrk(): Promise<boolean> {
  try {
    await runCommand('wrk', ['--version'], { timeoutMs: 5_000 });
    return true;
  } catch (err) {
    // wrk --version prints its banner and exits 1; only a missing binary is a real "no"
    return !(
      err instanceof Error &&
      err.cause instanceof Error &&
      'code' in err.cause &&
      err.cause.code === 'ENOENT'
    );
  }
}

/**
 * Closed-loop HTTP load with wrk (one thread: the machine has two cores and the server needs one),
 * `connections` requests in flight. wrk counts a non-2xx answer as a status error; it does not read
 * bodies, so denials are not counted here.
 */
export async function runWrk(options: WrkOptions): Promise<LatencySummary> {
  const seconds = Math.max(1, Math.round(options.seconds));
  const stdout = await runCommand(
    'wrk',
    [
      '-t1',
      `-c${options.connections}`,
      `-d${seconds}s`,
      '--timeout',
      '10s',
      '-s',
      SCRIPT,
      `http://127.0.0.1:${options.port}`,
      '--',
      String(options.clients),
      options.clientPrefix,
    ],
    { timeoutMs: (seconds + 30) * 1000 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('WRK_RESULT '));
  if (line === undefined) throw new Error(`wrk printed no result line:\n${stdout}`);
  const r = JSON.parse(line.slice('WRK_RESULT '.length)) as WrkResult;
  const errors = r.connectErrors + r.readErrors + r.writeErrors + r.statusErrors + r.timeouts;
  const elapsed = r.durationUs / 1e6;
  return {
    calls: r.requests - r.statusErrors,
    denied: 0,
    errors,
    seconds: Math.round(elapsed * 1000) / 1000,
    callsPerSec: Math.round((r.requests - r.statusErrors) / elapsed),
    meanMs: ms(r.meanUs),
    p50Ms: ms(r.p50Us),
    p99Ms: ms(r.p99Us),
    p999Ms: ms(r.p999Us),
    maxMs: ms(r.maxUs),
    firstError: errors > 0 ? `wrk: ${JSON.stringify(r)}` : null,
  };
}
