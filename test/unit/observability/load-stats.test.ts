import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/core/types.js';
import { LatencyHistogram } from '../../../src/observability/latency-histogram.js';
import { LoadStats } from '../../../src/observability/load-stats.js';

function decision(degraded = false): Decision {
  return {
    allowed: true,
    limit: 10,
    remaining: 9,
    resetMs: 1000,
    retryAfterMs: 0,
    reason: 'ok',
    multiplier: 1,
    multiplierSource: 'none',
    degraded,
    algorithm: 'fixed-window',
    window: 1,
  };
}

describe('LatencyHistogram', () => {
  it('is empty at first and after reset', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.quantile(0.99)).toBeUndefined();
    histogram.record(3);
    expect(histogram.count).toBe(1);
    histogram.reset();
    expect(histogram.count).toBe(0);
    expect(histogram.quantile(0.5)).toBeUndefined();
  });

  it('one sample: every quantile is that sample exactly (capped at the maximum)', () => {
    const histogram = new LatencyHistogram();
    histogram.record(0.8);
    expect(histogram.quantile(0.01)).toBe(0.8);
    expect(histogram.quantile(0.99)).toBe(0.8);
  });

  it('p99 of 1..1000 ms is 990 ms to within 2 %, never below it', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) histogram.record(ms);
    const p99 = histogram.quantile(0.99) ?? Number.NaN;
    expect(p99).toBeGreaterThanOrEqual(990);
    expect(p99).toBeLessThanOrEqual(990 * 1.02);
    const p50 = histogram.quantile(0.5) ?? Number.NaN;
    expect(p50).toBeGreaterThanOrEqual(500);
    expect(p50).toBeLessThanOrEqual(500 * 1.02);
  });

  it('a 1 % tail decides p99, a 0.5 % one does not', () => {
    const tail = new LatencyHistogram();
    for (let i = 0; i < 990; i++) tail.record(0.1);
    for (let i = 0; i < 10; i++) tail.record(50);
    expect(tail.quantile(0.99)).toBeLessThanOrEqual(0.1 * 1.02);
    tail.record(50);
    expect(tail.quantile(0.99)).toBe(50);
  });

  it('values outside 1 µs..60 s land in the end buckets', () => {
    const histogram = new LatencyHistogram();
    histogram.record(0);
    histogram.record(-1);
    expect(histogram.quantile(1)).toBe(0);
    histogram.record(120_000);
    expect(histogram.quantile(1)).toBeGreaterThanOrEqual(60_000);
    expect(histogram.quantile(1)).toBeLessThanOrEqual(120_000);
  });
});

describe('LoadStats', () => {
  it('reports the interval since the previous snapshot and starts a new one', () => {
    let now = 1_000;
    const stats = new LoadStats(() => now);
    // the 198th of 200 (rank ceil(0.99 x 200)) is the first of the three slow ones
    for (let i = 0; i < 200; i++) stats.recordDecision(decision(), i < 197 ? 0.5 : 9);
    now += 2_000;
    expect(stats.takeSnapshot()).toEqual({ allowP99Ms: 9, rps: 100, storeErrorRate: 0 });
    now += 1_000;
    expect(stats.takeSnapshot()).toEqual({ allowP99Ms: null, rps: 0, storeErrorRate: 0 });
  });

  it('store errors: degraded decisions and failed calls, over all calls', () => {
    let now = 0;
    const stats = new LoadStats(() => now);
    for (let i = 0; i < 6; i++) stats.recordDecision(decision(), 1);
    stats.recordDecision(decision(true), 1);
    stats.recordStoreError();
    now = 500;
    // 7 decisions in 0.5 s; 2 failures of 8 calls
    expect(stats.takeSnapshot()).toEqual({ allowP99Ms: 1, rps: 14, storeErrorRate: 0.25 });
  });

  it('an interval of zero length reports rate 0 rather than dividing by zero', () => {
    const stats = new LoadStats(() => 42);
    stats.recordDecision(decision(), 1);
    expect(stats.takeSnapshot().rps).toBe(0);
  });
});
