import { createHistogram } from 'node:perf_hooks';
import { RawHttpPool } from './raw-http-pool.js';
import { summarize, type LatencySummary } from './latency-summary.js';

export interface FixedRateOptions {
  readonly port: number;
  readonly path: string;
  /** requests per second, spread evenly */
  readonly rate: number;
  readonly durationMs: number;
  /** keep-alive connections, one request in flight on each; later requests wait for a free one */
  readonly connections: number;
  /** JSON body of request number `seq` */
  readonly body: (seq: number) => string;
  /** whether a 2xx answer was a denial (counted, still a success) */
  readonly isDenied?: (responseBody: string) => boolean;
}

export interface FixedRateSummary extends LatencySummary {
  /** requests/s actually sent; below the target means the generator itself fell behind */
  readonly sentPerSec: number;
  /** how late the generator issued requests against their schedule (timer granularity, CPU) */
  readonly lagMeanMs: number;
  readonly lagP99Ms: number;
}

const TICK_MS = 1;

/**
 * Open-loop load in the style of wrk2: request n is due at start + n/rate and is issued then,
 * whatever happened to earlier ones (never waiting for answers, so a slow server cannot slow the
 * sender down: no coordinated omission). Its latency runs from the moment it was issued, including
 * any wait for a free connection, to the end of the answer. How late the generator issued each
 * request against the schedule (1 ms timer ticks, CPU shared with the server) is reported apart,
 * as lag, rather than folded into the server's latency. Nanosecond histograms.
 */
export async function runFixedRate(options: FixedRateOptions): Promise<FixedRateSummary> {
  const pool = await RawHttpPool.open(options.port, options.path, options.connections);
  const histogram = createHistogram({ lowest: 1, highest: 60_000_000_000, figures: 3 });
  const lag = createHistogram({ lowest: 1, highest: 60_000_000_000, figures: 3 });
  const counts = { calls: 0, denied: 0, errors: 0 };
  let firstError: string | null = null;
  const intervalNs = 1e9 / options.rate;
  const total = Math.floor((options.rate * options.durationMs) / 1000);
  const start = process.hrtime.bigint();
  const pending: Promise<void>[] = [];
  let sent = 0;

  const send = async (seq: number): Promise<void> => {
    const issued = process.hrtime.bigint();
    const late = issued - (start + BigInt(Math.round(seq * intervalNs)));
    lag.record(late > 0n ? late : 1n);
    try {
      const answer = await pool.post(options.body(seq));
      const elapsed = process.hrtime.bigint() - issued;
      histogram.record(elapsed > 0n ? elapsed : 1n);
      counts.calls++;
      if (options.isDenied?.(answer) === true) counts.denied++;
    } catch (err) {
      counts.errors++;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - start) / intervalNs) + 1);
      while (sent < due) pending.push(send(sent++));
      if (sent >= total) resolve();
      else setTimeout(tick, TICK_MS);
    };
    tick();
  });
  const sendingSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  await Promise.all(pending);
  pool.close();
  const summary = summarize(histogram, counts, Number(process.hrtime.bigint() - start) / 1e9, firstError);
  return {
    ...summary,
    sentPerSec: Math.round(sent / sendingSeconds),
    lagMeanMs: Math.round(lag.mean / 1000) / 1000,
    lagP99Ms: Math.round(lag.percentile(99) / 1000) / 1000,
  };
}
