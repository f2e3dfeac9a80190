import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/core/types.js';
import { createMetrics } from '../../../src/observability/metrics.js';

const allowed: Decision = {
  allowed: true,
  limit: 5,
  remaining: 4,
  resetMs: 1_000,
  retryAfterMs: 0,
  reason: 'ok',
  multiplier: 1,
  multiplierSource: 'none',
  degraded: false,
  algorithm: 'fixed-window',
  window: 1,
};

async function lines(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n');
}

describe('createMetrics', () => {
  it('starts every decision and error series at 0', async () => {
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    const text = await lines(registry);
    expect(text).toContain('ratelimiter_decisions_total{result="allowed",reason="ok"} 0');
    expect(text).toContain('ratelimiter_decisions_total{result="denied",reason="no_limit"} 0');
    expect(text).toContain('ratelimiter_errors_total{code="STORE_UNAVAILABLE"} 0');
    expect(text).toContain('ratelimiter_allow_duration_seconds_count 0');
  });

  it('counts decisions by result and reason, and observes durations in seconds', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    metrics.recordDecision(allowed, 0.2);
    metrics.recordDecision(allowed, 3);
    metrics.recordDecision({ ...allowed, allowed: false, reason: 'limit_exceeded' }, 40);
    metrics.recordError('VALIDATION_FAILED');
    const text = await lines(registry);
    expect(text).toContain('ratelimiter_decisions_total{result="allowed",reason="ok"} 2');
    expect(text).toContain('ratelimiter_decisions_total{result="denied",reason="limit_exceeded"} 1');
    expect(text).toContain('ratelimiter_allow_duration_seconds_bucket{le="0.00025"} 1');
    expect(text).toContain('ratelimiter_allow_duration_seconds_bucket{le="0.0025"} 1');
    expect(text).toContain('ratelimiter_allow_duration_seconds_bucket{le="0.005"} 2');
    expect(text).toContain('ratelimiter_allow_duration_seconds_bucket{le="0.05"} 3');
    expect(text).toContain('ratelimiter_allow_duration_seconds_count 3');
    expect(text).toContain('ratelimiter_errors_total{code="VALIDATION_FAILED"} 1');
  });

  it('registers the default process metrics unless told not to', async () => {
    const withDefaults = new Registry();
    createMetrics(withDefaults);
    expect(await withDefaults.metrics()).toContain('process_cpu_seconds_total');
    const without = new Registry();
    createMetrics(without, { defaultMetrics: false });
    expect(await without.metrics()).not.toContain('process_cpu_seconds_total');
  });
});
