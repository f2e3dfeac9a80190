import type { Decision } from '../core/types.js';
import { LatencyHistogram } from './latency-histogram.js';

/** An instance's load over one interval (the heartbeat's stats). */
export interface LoadSnapshot {
  /** 99th percentile of Allow latency, ms (within 2 %); null when there was no decision */
  readonly allowP99Ms: number | null;
  /** decisions per second */
  readonly rps: number;
  /** failed counter-store calls / counter-store calls, 0..1; 0 when there were none */
  readonly storeErrorRate: number;
}

/**
 * A rolling collector of the load signals an instance reports in its heartbeat. Fed by the
 * RateLimiter's `onDecision` hook and by counter-store failures; `takeSnapshot()` returns the stats
 * of the interval since the previous call and starts the next one. Constant memory and O(1) per call.
 *
 * A counter-store failure is either an error answered to the caller (`recordStoreError`), or a
 * decision made without the store (`degraded: true`): both count as failed store calls.
 */
export class LoadStats {
  readonly #now: () => number;
  readonly #latency = new LatencyHistogram();
  #decisions = 0;
  /** decisions made without the store */
  #degraded = 0;
  /** calls that ended in a store error instead of a decision */
  #failedCalls = 0;
  #intervalStart: number;

  /** `now`: a monotonic clock in ms (default performance.now) */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#intervalStart = now();
  }

  /** The RateLimiter's `onDecision` hook. */
  readonly recordDecision = (decision: Decision, elapsedMs: number): void => {
    this.#decisions++;
    this.#latency.record(elapsedMs);
    if (decision.degraded) this.#degraded++;
  };

  /** A call that failed because the counter store did not answer (no decision was made). */
  readonly recordStoreError = (): void => {
    this.#failedCalls++;
  };

  takeSnapshot(): LoadSnapshot {
    const now = this.#now();
    const seconds = (now - this.#intervalStart) / 1000;
    const calls = this.#decisions + this.#failedCalls;
    const snapshot: LoadSnapshot = {
      allowP99Ms: this.#latency.quantile(0.99) ?? null,
      rps: seconds > 0 ? this.#decisions / seconds : 0,
      storeErrorRate: calls > 0 ? (this.#degraded + this.#failedCalls) / calls : 0,
    };
    this.#latency.reset();
    this.#decisions = 0;
    this.#degraded = 0;
    this.#failedCalls = 0;
    this.#intervalStart = now;
    return snapshot;
  }
}
