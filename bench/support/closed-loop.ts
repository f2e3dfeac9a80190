import { createHistogram } from 'node:perf_hooks';
import { summarize, type LatencySummary } from './latency-summary.js';

export interface ClosedLoopOptions {
  /** calls kept in flight at every moment */
  readonly inFlight: number;
  /** stop starting calls after this long (ms) */
  readonly durationMs?: number;
  /** stop after this many calls */
  readonly count?: number;
  /**
   * One call; `seq` counts from 0 across all workers. Resolves true when allowed, false when denied;
   * a rejection counts as an error.
   */
  readonly call: (seq: number) => Promise<boolean>;
}

/**
 * Closed-loop load: `inFlight` workers, each starting its next call as soon as its last one ends,
 * until the duration or the count is reached. Every completed call's latency goes into a
 * nanosecond histogram; errors are counted and left out of it. The deadline is checked on every
 * call (not by a timer): a store that answers with already-resolved promises never yields to the
 * timer queue.
 */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<LatencySummary> {
  const { inFlight, call } = options;
  if (options.durationMs === undefined && options.count === undefined) {
    throw new Error('runClosedLoop needs a durationMs or a count');
  }
  const histogram = createHistogram({ lowest: 1, highest: 60_000_000_000, figures: 3 });
  const counts = { calls: 0, denied: 0, errors: 0 };
  const started = performance.now();
  const deadline = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  const limit = options.count ?? Number.POSITIVE_INFINITY;
  let next = 0;
  let firstError: string | null = null;

  async function worker(): Promise<void> {
    while (next < limit && performance.now() < deadline) {
      const seq = next++;
      const t0 = process.hrtime.bigint();
      try {
        const allowed = await call(seq);
        const elapsed = process.hrtime.bigint() - t0;
        histogram.record(elapsed > 0n ? elapsed : 1n);
        counts.calls++;
        if (!allowed) counts.denied++;
      } catch (err) {
        counts.errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  }

  await Promise.all(Array.from({ length: inFlight }, () => worker()));
  return summarize(histogram, counts, (performance.now() - started) / 1000, firstError);
}
