import type { RecordableHistogram } from 'node:perf_hooks';

/** What one measured cell reports. Latencies in milliseconds, rates per second. */
export interface LatencySummary {
  /** calls that completed (allowed or denied) */
  readonly calls: number;
  /** calls whose decision was a denial */
  readonly denied: number;
  /** calls that failed (an error, a non-2xx status) */
  readonly errors: number;
  readonly seconds: number;
  readonly callsPerSec: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** message of the first failure, so a cell of errors is never mistaken for a fast one */
  readonly firstError: string | null;
}

const NS_PER_MS = 1e6;

function ms(ns: number): number {
  return Math.round((ns / NS_PER_MS) * 1000) / 1000;
}

/** Summarises a histogram of per-call latencies recorded in nanoseconds. */
export function summarize(
  histogram: RecordableHistogram,
  counts: { readonly calls: number; readonly denied: number; readonly errors: number },
  seconds: number,
  firstError: string | null = null,
): LatencySummary {
  const empty = histogram.count === 0;
  return {
    calls: counts.calls,
    denied: counts.denied,
    errors: counts.errors,
    seconds: Math.round(seconds * 1000) / 1000,
    callsPerSec: Math.round(counts.calls / seconds),
    meanMs: empty ? 0 : ms(histogram.mean),
    p50Ms: empty ? 0 : ms(histogram.percentile(50)),
    p99Ms: empty ? 0 : ms(histogram.percentile(99)),
    p999Ms: empty ? 0 : ms(histogram.percentile(99.9)),
    maxMs: empty ? 0 : ms(histogram.max),
    firstError,
  };
}
