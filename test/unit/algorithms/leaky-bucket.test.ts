import { describe, expect, it } from 'vitest';
import { leakyBucket } from '../../../src/core/algorithms/leaky-bucket.js';
import { tokenBucket } from '../../../src/core/algorithms/token-bucket.js';
import { MAX_SAFE } from '../../../src/core/int-math.js';

const W = 1000;
const YEAR_MS = 31_536_000_000;

// GCRA, limit 10 per 1000 ms: each unit adds 100 ms to the theoretical arrival time (TAT);
// a call fits while the new TAT <= now + W. State [tat, fraction, limitAtWrite].
describe('leaky-bucket', () => {
  describe('limit 10, window 1000 ms (same numbers as token-bucket)', () => {
    const full = leakyBucket.step(null, 0, 10, 10, W);

    it('bursts up to the limit: TAT = now + 10 x 100 ms', () => {
      expect(full.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(full.state).toEqual([1000, 0, 10]);
      expect(full.expiresAt).toBe(1000);
    });

    it('just before the boundary: one more fits once TAT + 100 <= now + 1000, at 100', () => {
      expect(leakyBucket.step(full.state, 0, 1, 10, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 100,
        reason: 'limit_exceeded',
      });
      expect(leakyBucket.step(full.state, 99, 1, 10, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 901,
        retryAfterMs: 1,
        reason: 'limit_exceeded',
      });
    });

    it('at and after the boundary', () => {
      const a = leakyBucket.step(full.state, 100, 1, 10, W);
      expect(a.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(a.state).toEqual([1100, 0, 10]);
      // at 150: TAT 1100 + 100 = 1200 > 1150: 50 ms to go; empty at 1100
      expect(leakyBucket.step(a.state, 150, 1, 10, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 950,
        retryAfterMs: 50,
        reason: 'limit_exceeded',
      });
      // at 350: room floor((350 + 1000 - 1100) x 10 / 1000) = 2
      const b = leakyBucket.step(a.state, 350, 2, 10, W);
      expect(b.outcome).toEqual({ allowed: true, remaining: 0, resetMs: 950, retryAfterMs: 0, reason: 'ok' });
      expect(b.state).toEqual([1300, 0, 10]);
      expect(leakyBucket.peek(b.state, 1300, 10, 10, W)).toEqual({
        allowed: true,
        remaining: 10,
        resetMs: 0,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(leakyBucket.peek(b.state, 1299, 10, 10, W).allowed).toBe(false);
    });

    it('reports cost > limit as cost_exceeds_limit without retry time or change', () => {
      const r = leakyBucket.step(full.state, 250, 11, 10, W);
      expect(r.outcome).toEqual({
        allowed: false,
        remaining: 2,
        resetMs: 750,
        retryAfterMs: 0,
        reason: 'cost_exceeds_limit',
      });
      expect(r.state).toBe(full.state);
    });
  });

  it('keeps fractions of a millisecond exactly (limit 3: 333 1/3 ms per unit)', () => {
    const a = leakyBucket.step(null, 0, 1, 3, W);
    // 1000 = 3 x 333 + 1: TAT = 333 + 1/3
    expect(a.state).toEqual([333, 1, 3]);
    expect(a.outcome).toEqual({ allowed: true, remaining: 2, resetMs: 334, retryAfterMs: 0, reason: 'ok' });
    const b = leakyBucket.step(a.state, 0, 2, 3, W);
    // 333 1/3 + 666 2/3 = 1000 exactly
    expect(b.state).toEqual([1000, 0, 3]);
    // one more: TAT 1000 + 333 1/3 <= now + 1000 from now = 333 1/3, i.e. 334
    expect(leakyBucket.step(b.state, 0, 1, 3, W).outcome.retryAfterMs).toBe(334);
    expect(leakyBucket.step(b.state, 333, 1, 3, W).outcome.allowed).toBe(false);
    expect(leakyBucket.step(b.state, 334, 1, 3, W).outcome.allowed).toBe(true);
  });

  describe('across a limit change (the level in units is kept)', () => {
    it('lowered: the stored level drains at the rate it was written at until the next allowed call', () => {
      const full = leakyBucket.step(null, 0, 10, 10, W);
      // limit 4, level 10 (written at 10 per 1000 ms): 1 fits once the level is <= 3, i.e. when
      // TAT - now <= 3 x 100 ms: at 700. Empty at TAT = 1000.
      expect(leakyBucket.step(full.state, 0, 1, 4, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 700,
        reason: 'limit_exceeded',
      });
      expect(leakyBucket.step(full.state, 699, 1, 4, W).outcome.allowed).toBe(false);
      // at 700: level 3 re-expressed at 4 per 1000 ms (750 ms) + 1 unit (250 ms): TAT 1700
      const a = leakyBucket.step(full.state, 700, 1, 4, W);
      expect(a.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(a.state).toEqual([1700, 0, 4]);
      // token-bucket drains the same level at the new rate from its last write: 1750 ms
      expect(
        tokenBucket.step(tokenBucket.step(null, 0, 10, 10, W).state, 0, 1, 4, W).outcome.retryAfterMs,
      ).toBe(1750);
    });

    it('raised: the retry time still matches the stored level (the same call fits exactly then)', () => {
      // limit 1: TAT = 1000. Raised to 2, a call of 2 needs the level of 1 unit (at 1 per 1000 ms)
      // gone: at 1000, not at 500
      const one = leakyBucket.step(null, 0, 1, 1, W);
      expect(leakyBucket.step(one.state, 0, 2, 2, W).outcome).toEqual({
        allowed: false,
        remaining: 1,
        resetMs: 1000,
        retryAfterMs: 1000,
        reason: 'limit_exceeded',
      });
      expect(leakyBucket.step(one.state, 999, 2, 2, W).outcome.allowed).toBe(false);
      expect(leakyBucket.step(one.state, 1000, 2, 2, W).outcome.allowed).toBe(true);
      // raised to 3: 2 fit at once; level 1 re-expressed at 3 per 1000 ms + 2 units = 1000 ms
      const r = leakyBucket.step(one.state, 0, 2, 3, W);
      expect(r.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(r.state).toEqual([1000, 0, 3]);
    });

    it('re-expresses a fractional TAT exactly', () => {
      // limit 3, 1 unit: TAT 333 1/3. At limit 7 that unit takes 1000 / 7 = 142 6/7 ms
      const a = leakyBucket.step(null, 0, 1, 3, W);
      const b = leakyBucket.step(a.state, 0, 1, 7, W);
      // 2 units at 7 per 1000 ms: 285 5/7
      expect(b.state).toEqual([285, 5, 7]);
      expect(b.outcome).toEqual({ allowed: true, remaining: 5, resetMs: 286, retryAfterMs: 0, reason: 'ok' });
    });
  });

  it('limit 1: one unit per window', () => {
    const a = leakyBucket.step(null, 0, 1, 1, W);
    expect(a.state).toEqual([1000, 0, 1]);
    expect(leakyBucket.step(a.state, 1, 1, 1, W).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 999,
      retryAfterMs: 999,
      reason: 'limit_exceeded',
    });
    expect(leakyBucket.step(a.state, 999, 1, 1, W).outcome.allowed).toBe(false);
    expect(leakyBucket.step(a.state, 1000, 1, 1, W).outcome.allowed).toBe(true);
  });

  it('limit 2^53-1 with costs 2^53-1, 2^53-2 and 1', () => {
    const full = leakyBucket.step(null, 0, MAX_SAFE, MAX_SAFE, W);
    // (2^53-1) x 1000 / (2^53-1) = 1000 exactly
    expect(full.state).toEqual([1000, 0, MAX_SAFE]);
    expect(full.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    // the level must drop to 2^53-2: (2^53-2) x 1000 = 999 x (2^53-1) + (2^53-1001), so TAT - that
    // is 1 - (2^53-1001)/(2^53-1) ms away: rounded up, 1
    expect(leakyBucket.step(full.state, 0, 1, MAX_SAFE, W).outcome.retryAfterMs).toBe(1);
    expect(leakyBucket.step(full.state, 1, 1, MAX_SAFE, W).outcome).toEqual(
      tokenBucket.step(tokenBucket.step(null, 0, MAX_SAFE, MAX_SAFE, W).state, 1, 1, MAX_SAFE, W).outcome,
    );

    const almost = leakyBucket.step(null, 0, MAX_SAFE - 1, MAX_SAFE, W);
    expect(almost.outcome.remaining).toBe(1);
    expect(leakyBucket.step(almost.state, 0, 2, MAX_SAFE, W).outcome).toEqual({
      allowed: false,
      remaining: 1,
      resetMs: 1000,
      retryAfterMs: 1,
      reason: 'limit_exceeded',
    });
    expect(leakyBucket.step(almost.state, 0, 1, MAX_SAFE, W).state).toEqual([1000, 0, MAX_SAFE]);
    expect(leakyBucket.step(null, 0, MAX_SAFE, MAX_SAFE - 1, W).outcome.reason).toBe('cost_exceeds_limit');
  });

  it('one-year window (31_536_000 s)', () => {
    const t0 = 1_700_000_000_000;
    // limit 7: 31_536_000_000 = 7 x 4_505_142_857 + 1, so one unit is 4_505_142_857 1/7 ms
    const a = leakyBucket.step(null, t0, 1, 7, YEAR_MS);
    expect(a.state).toEqual([t0 + 4_505_142_857, 1, 7]);
    expect(a.outcome).toEqual({
      allowed: true,
      remaining: 6,
      resetMs: 4_505_142_858,
      retryAfterMs: 0,
      reason: 'ok',
    });
    const full = leakyBucket.step(a.state, t0, 6, 7, YEAR_MS);
    expect(full.state).toEqual([t0 + YEAR_MS, 0, 7]);
    expect(leakyBucket.step(full.state, t0, 1, 7, YEAR_MS).outcome.retryAfterMs).toBe(4_505_142_858);
    expect(leakyBucket.step(full.state, t0 + 4_505_142_857, 1, 7, YEAR_MS).outcome.allowed).toBe(false);
    expect(leakyBucket.step(full.state, t0 + 4_505_142_858, 1, 7, YEAR_MS).outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: YEAR_MS,
      retryAfterMs: 0,
      reason: 'ok',
    });
  });
});
