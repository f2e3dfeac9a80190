import { describe, expect, it } from 'vitest';
import type { Decision } from '../../../src/core/types.js';
import { rateLimitHeaders } from '../../../src/http/rate-limit-headers.js';

function decision(fields: Partial<Decision>): Decision {
  return {
    allowed: true,
    limit: 10,
    remaining: 9,
    resetMs: 1_000,
    retryAfterMs: 0,
    reason: 'ok',
    multiplier: 1,
    multiplierSource: 'none',
    degraded: false,
    algorithm: 'token-bucket',
    window: 60,
    ...fields,
  };
}

describe('rateLimitHeaders', () => {
  it('uses the structured-field form of draft-ietf-httpapi-ratelimit-headers', () => {
    expect(rateLimitHeaders(decision({}), { retryAfter: true })).toEqual({
      'ratelimit-policy': '"default";q=10;w=60',
      ratelimit: '"default";r=9;t=1',
    });
  });

  it.each([
    [0, 0],
    [1, 1],
    [999, 1],
    [1_000, 1],
    [1_001, 2],
    [59_999, 60],
  ])('t is the reset time rounded up to whole seconds: %i ms -> %i', (resetMs, t) => {
    expect(rateLimitHeaders(decision({ resetMs }), { retryAfter: true }).ratelimit).toBe(
      `"default";r=9;t=${t}`,
    );
  });

  it.each([
    [1, '1'],
    [1_000, '1'],
    [1_001, '2'],
    [0, '1'],
  ])('Retry-After when denied for lack of budget: %i ms -> %s s (never 0)', (retryAfterMs, header) => {
    const d = decision({ allowed: false, remaining: 0, reason: 'limit_exceeded', retryAfterMs });
    expect(rateLimitHeaders(d, { retryAfter: true })['retry-after']).toBe(header);
    expect(rateLimitHeaders(d, { retryAfter: false })['retry-after']).toBeUndefined();
  });

  it('no Retry-After when the cost can never fit', () => {
    const d = decision({ allowed: false, reason: 'cost_exceeds_limit', remaining: 10, resetMs: 0 });
    expect(rateLimitHeaders(d, { retryAfter: true })).toEqual({
      'ratelimit-policy': '"default";q=10;w=60',
      ratelimit: '"default";r=10;t=0',
    });
  });

  it('no headers at all without a limit', () => {
    const d = decision({
      allowed: false,
      limit: 0,
      remaining: 0,
      window: 0,
      resetMs: 0,
      reason: 'no_limit',
      algorithm: null,
    });
    expect(rateLimitHeaders(d, { retryAfter: true })).toEqual({});
  });

  it('clamps quota and remaining to the largest Structured Field Integer', () => {
    const d = decision({ limit: Number.MAX_SAFE_INTEGER, remaining: 999_999_999_999_999 + 1 });
    expect(rateLimitHeaders(d, { retryAfter: true })).toEqual({
      'ratelimit-policy': '"default";q=999999999999999;w=60',
      ratelimit: '"default";r=999999999999999;t=1',
    });
  });
});
