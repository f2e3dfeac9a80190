/**
 * Latencies in log-spaced buckets, each `GROWTH` times wider than the one before: constant memory
 * however many samples, quantiles within 2 % of the true value. From 1 µs to 60 s; anything
 * outside is counted in the first or last bucket.
 */

const MIN_MS = 0.001;
const MAX_MS = 60_000;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GROWTH) + 1;

function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

/** The largest value bucket `index` holds. */
function upperBound(index: number): number {
  return MIN_MS * GROWTH ** index;
}

export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  #total = 0;
  #max = 0;

  get count(): number {
    return this.#total;
  }

  record(ms: number): void {
    const index = bucketOf(ms);
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#total++;
    if (ms > this.#max) this.#max = ms;
  }

  /**
   * The smallest recorded value with at least `q` of the samples at or below it (0 < q <= 1), to
   * within one bucket (+2 %) and never above the largest sample; undefined when empty.
   */
  quantile(q: number): number | undefined {
    if (this.#total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.#counts[index] ?? 0;
      if (seen >= rank) return Math.min(upperBound(index), this.#max);
    }
    return this.#max;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#total = 0;
    this.#max = 0;
  }
}
