import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Decision, DecisionReason } from '../core/types.js';
import { ERROR_CODES, type ErrorCode } from '../errors.js';

/** Allow latency buckets in seconds: 50 µs .. 100 ms (the in-memory path is sub-ms, Redis a few ms). */
export const ALLOW_DURATION_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
];

const DECISION_LABELS: readonly { result: 'allowed' | 'denied'; reason: DecisionReason }[] = [
  { result: 'allowed', reason: 'ok' },
  { result: 'denied', reason: 'limit_exceeded' },
  { result: 'denied', reason: 'cost_exceeds_limit' },
  { result: 'denied', reason: 'no_limit' },
];

/** Every metric of a service instance. Labels come from bounded sets only, never client ids. */
export interface Metrics {
  readonly registry: Registry;
  /** the RateLimiter's `onDecision` hook */
  readonly recordDecision: (decision: Decision, elapsedMs: number) => void;
  /** one error answered to a caller (a whole request or one batch item) */
  readonly recordError: (code: ErrorCode) => void;
  /** one invalid control-plane entry (bad JSON, out of range, badly encoded key) ignored */
  readonly recordInvalidConfigEntry: (kind: string) => void;
  /** one allow denied by the local over-limit cache (the OverLimitCache's `onHit` hook) */
  readonly recordOverLimitCacheHit: () => void;
  /** where the over-limit cache size gauge reads from, on each scrape (0 until set) */
  readonly observeOverLimitCacheSize: (size: () => number) => void;
}

export interface MetricsOptions {
  /** process metrics (CPU, memory, event loop, GC); default true */
  readonly defaultMetrics?: boolean;
}

/** Creates every metric on `registry` (one call per registry). */
export function createMetrics(registry: Registry, options: MetricsOptions = {}): Metrics {
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  const decisions = new Counter({
    name: 'ratelimiter_decisions_total',
    help: 'Allow decisions, by result and reason',
    labelNames: ['result', 'reason'] as const,
    registers: [registry],
  });
  const allowDuration = new Histogram({
    name: 'ratelimiter_allow_duration_seconds',
    help: 'Time to decide one Allow, from validation to decision',
    buckets: [...ALLOW_DURATION_BUCKETS],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'ratelimiter_errors_total',
    help: 'Errors answered to callers, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });

  const invalidConfigEntries = new Counter({
    name: 'ratelimiter_config_invalid_entries_total',
    help: 'Control-plane entries ignored as invalid (the last good value stays in force), by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });

  const overLimitCacheHits = new Counter({
    name: 'ratelimiter_over_limit_cache_hits_total',
    help: 'Allows denied by the local over-limit cache, without a counter-store call (also in ratelimiter_decisions_total)',
    registers: [registry],
  });
  let overLimitCacheSize = (): number => 0;
  new Gauge({
    name: 'ratelimiter_over_limit_cache_entries',
    help: 'Entries held by the local over-limit cache',
    registers: [registry],
    collect() {
      this.set(overLimitCacheSize());
    },
  });

  // every series exists from the start, so rates and alerts see zeros rather than gaps
  for (const labels of DECISION_LABELS) decisions.inc(labels, 0);
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) errors.inc({ code }, 0);

  return {
    registry,
    recordDecision: (decision, elapsedMs) => {
      decisions.inc({ result: decision.allowed ? 'allowed' : 'denied', reason: decision.reason });
      allowDuration.observe(elapsedMs / 1000);
    },
    recordError: (code) => {
      errors.inc({ code });
    },
    recordInvalidConfigEntry: (kind) => {
      invalidConfigEntries.inc({ kind });
    },
    recordOverLimitCacheHit: () => {
      overLimitCacheHits.inc();
    },
    observeOverLimitCacheSize: (size) => {
      overLimitCacheSize = size;
    },
  };
}
