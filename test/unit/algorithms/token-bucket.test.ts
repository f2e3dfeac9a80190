import { describe, expect, it } from 'vitest';
import { drainTime, tokenBucket } from '../../../src/core/algorithms/token-bucket.js';
import { MAX_SAFE } from '../../../src/core/int-math.js';

const W = 1000;
const YEAR_MS = 31_536_000_000;

// limit 10 per 1000 ms: one unit drains every 100 ms. State [used, drained, last]: the level at
// `last` is used - drained / W units.
describe('token-bucket', () => {
  describe('limit 10, window 1000 ms', () => {
    const full = tokenBucket.step(null, 0, 10, 10, W);

    it('bursts up to the limit; the bucket is empty again a window later', () => {
      expect(full.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(full.state).toEqual([10, 0, 0]);
      expect(full.expiresAt).toBe(1000);
    });

    it('just before a unit has drained: denied for the last millisecond', () => {
      // level 10 at 0: one unit has drained at 100
      expect(tokenBucket.step(full.state, 0, 1, 10, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 100,
        reason: 'limit_exceeded',
      });
      // at 99: level 10 - 0.99 = 9.01, ceil 10; 0.01 unit = 1 ms to go
      expect(tokenBucket.step(full.state, 99, 1, 10, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 901,
        retryAfterMs: 1,
        reason: 'limit_exceeded',
      });
    });

    it('at and after the unit boundary: exact fractional levels', () => {
      // at 100: level 9, 1 fits; new level 10 at 100
      const a = tokenBucket.step(full.state, 100, 1, 10, W);
      expect(a.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(a.state).toEqual([10, 0, 100]);
      // at 150: level 9.5 (used 10, drained 500/1000): nothing fits; 0.5 unit = 50 ms to go;
      // the rest (9.5 units) drains in 950 ms
      expect(tokenBucket.step(a.state, 150, 1, 10, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 950,
        retryAfterMs: 50,
        reason: 'limit_exceeded',
      });
      // at 350: level 10 - 2.5 = 7.5, so 2 fit; level 9.5 kept as used 10, drained 500
      const b = tokenBucket.step(a.state, 350, 2, 10, W);
      expect(b.outcome).toEqual({ allowed: true, remaining: 0, resetMs: 950, retryAfterMs: 0, reason: 'ok' });
      expect(b.state).toEqual([10, 500, 350]);
      expect(b.expiresAt).toBe(1300);
      // idle a full window after the last call: everything back
      expect(tokenBucket.peek(b.state, 1300, 10, 10, W)).toEqual({
        allowed: true,
        remaining: 10,
        resetMs: 0,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(tokenBucket.peek(b.state, 1299, 10, 10, W).allowed).toBe(false);
    });

    it('reports cost > limit as cost_exceeds_limit without retry time or change', () => {
      const r = tokenBucket.step(full.state, 250, 11, 10, W);
      // level 7.5 at 250: remaining 2, empty in 750 ms
      expect(r.outcome).toEqual({
        allowed: false,
        remaining: 2,
        resetMs: 750,
        retryAfterMs: 0,
        reason: 'cost_exceeds_limit',
      });
      expect(r.state).toBe(full.state);
    });

    it('keeps the level across a limit change and drains at the new rate', () => {
      // limit 4 with level 10: 1 fits at level <= 3, i.e. after 7 units at 4 per 1000 ms = 1750 ms;
      // empty after 10 units = 2500 ms
      expect(tokenBucket.step(full.state, 0, 1, 4, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 2500,
        retryAfterMs: 1750,
        reason: 'limit_exceeded',
      });
      expect(tokenBucket.step(full.state, 1749, 1, 4, W).outcome.allowed).toBe(false);
      expect(tokenBucket.step(full.state, 1750, 1, 4, W).outcome.allowed).toBe(true);
      // limit 12: 2 fit at once
      expect(tokenBucket.step(full.state, 0, 2, 12, W).outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
    });
  });

  it('drainTime is ceil((units x windowMs - drained) / limit)', () => {
    expect(drainTime(1, 0, 3, W)).toBe(334); // 333.33
    expect(drainTime(3, 0, 3, W)).toBe(1000);
    expect(drainTime(1, 999, 3, W)).toBe(1); // 1/3 ms
    expect(drainTime(2, 500, 3, W)).toBe(500); // 1500 / 3
    expect(drainTime(0, 0, 3, W)).toBe(0);
  });

  it('limit 1: one unit per window', () => {
    const a = tokenBucket.step(null, 0, 1, 1, W);
    expect(a.outcome).toEqual({ allowed: true, remaining: 0, resetMs: 1000, retryAfterMs: 0, reason: 'ok' });
    expect(tokenBucket.step(a.state, 1, 1, 1, W).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 999,
      retryAfterMs: 999,
      reason: 'limit_exceeded',
    });
    expect(tokenBucket.step(a.state, 999, 1, 1, W).outcome.allowed).toBe(false);
    expect(tokenBucket.step(a.state, 1000, 1, 1, W).outcome.allowed).toBe(true);
  });

  it('limit 2^53-1 with costs 2^53-1, 2^53-2 and 1', () => {
    const full = tokenBucket.step(null, 0, MAX_SAFE, MAX_SAFE, W);
    expect(full.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(full.state).toEqual([MAX_SAFE, 0, 0]);
    // one unit drains in 1000 / (2^53-1) ms: retry 1
    expect(tokenBucket.step(full.state, 0, 1, MAX_SAFE, W).outcome.retryAfterMs).toBe(1);
    // at 1: (2^53-1) / 1000 = 9_007_199_254_740.991 units drained, so floor of it is free
    // (level 8_998_192_055_486_250.009, kept as used 8_998_192_055_486_251, drained 991)
    const one = tokenBucket.step(full.state, 1, 1, MAX_SAFE, W);
    expect(one.outcome).toEqual({
      allowed: true,
      remaining: 9_007_199_254_739,
      resetMs: 1000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(one.state).toEqual([8_998_192_055_486_252, 991, 1]);

    const almost = tokenBucket.step(null, 0, MAX_SAFE - 1, MAX_SAFE, W);
    expect(almost.outcome.remaining).toBe(1);
    expect(tokenBucket.step(almost.state, 0, 2, MAX_SAFE, W).outcome).toEqual({
      allowed: false,
      remaining: 1,
      resetMs: 1000,
      retryAfterMs: 1,
      reason: 'limit_exceeded',
    });
    expect(tokenBucket.step(almost.state, 0, 1, MAX_SAFE, W).state).toEqual([MAX_SAFE, 0, 0]);
    expect(tokenBucket.step(null, 0, MAX_SAFE, MAX_SAFE - 1, W).outcome.reason).toBe('cost_exceeds_limit');
  });

  it('one-year window (31_536_000 s)', () => {
    const t0 = 1_700_000_000_000;
    // limit 7: one unit every 31_536_000_000 / 7 = 4_505_142_857.14 ms
    const a = tokenBucket.step(null, t0, 7, 7, YEAR_MS);
    expect(a.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: YEAR_MS,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(tokenBucket.step(a.state, t0, 1, 7, YEAR_MS).outcome.retryAfterMs).toBe(4_505_142_858);
    expect(tokenBucket.step(a.state, t0 + 4_505_142_857, 1, 7, YEAR_MS).outcome.allowed).toBe(false);
    const b = tokenBucket.step(a.state, t0 + 4_505_142_858, 1, 7, YEAR_MS);
    // at +4_505_142_858 ms: 4_505_142_858 x 7 = 31_536_000_006 = 1 unit + 6 / W drained
    expect(b.state).toEqual([7, 6, t0 + 4_505_142_858]);
    expect(b.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: YEAR_MS,
      retryAfterMs: 0,
      reason: 'ok',
    });
  });

  describe('a window that shrinks below the stored progress', () => {
    // [used 6, drained 54_947, last 0]: written under a window of at least 54_948 ms, read with a
    // 773 ms window, where 54_947 / 773 would be 71 units: drained is read as 772 (just under one
    // unit), so the level is 6 - 772/773 and `used` (6) is kept.
    const state = [6, 54_947, 0];

    it('reads the progress as windowMs - 1: level 6 - 772/773 at limit 10', () => {
      // reset: ceil((6 x 773 - 772) / 10) = ceil(386.6)
      expect(tokenBucket.peek(state, 0, 4, 10, 773)).toEqual({
        allowed: true,
        remaining: 4,
        resetMs: 387,
        retryAfterMs: 0,
        reason: 'ok',
      });
      // 5 needs the level at 5: 772/773 + 1/773 more, 1 / 10 ms: rounded up, 1
      expect(tokenBucket.step(state, 0, 5, 10, 773).outcome).toEqual({
        allowed: false,
        remaining: 4,
        resetMs: 387,
        retryAfterMs: 1,
        reason: 'limit_exceeded',
      });
      const a = tokenBucket.step(state, 0, 1, 10, 773);
      // new level 7 - 772/773: ceil((7 x 773 - 772) / 10) = ceil(463.9)
      expect(a.outcome).toEqual({ allowed: true, remaining: 3, resetMs: 464, retryAfterMs: 0, reason: 'ok' });
      expect(a.state).toEqual([7, 772, 0]);
      expect(a.expiresAt).toBe(464);
    });

    it('drains on from there: 100 ms later the level is 6 - 1772/773', () => {
      // 100 ms x 10 / 773 = 1 unit + 227/773; with the 772/773 already there: 2 units + 226/773
      // (kept as used 4, drained 226): 6 fit, level 10 - 226/773, empty in ceil(7504 / 10) ms
      const later = tokenBucket.step(state, 100, 6, 10, 773);
      expect(later.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 751,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(later.state).toEqual([10, 226, 100]);
      // empty 387 ms after 0, whatever happens in between
      expect(tokenBucket.peek(state, 386, 10, 10, 773).allowed).toBe(false);
      expect(tokenBucket.peek(state, 387, 10, 10, 773)).toEqual({
        allowed: true,
        remaining: 10,
        resetMs: 0,
        retryAfterMs: 0,
        reason: 'ok',
      });
    });

    it('never gives a negative time, whatever the stored progress', () => {
      for (const drained of [773, 774, 54_947, YEAR_MS - 1]) {
        for (const windowMs of [1, 2, 773]) {
          const s = [6, drained, 0];
          for (const cost of [1, 5, 10, 11]) {
            const { outcome } = tokenBucket.step(s, 0, cost, 10, windowMs);
            expect(outcome.resetMs).toBeGreaterThan(0);
            expect(outcome.retryAfterMs).toBeGreaterThanOrEqual(outcome.reason === 'limit_exceeded' ? 1 : 0);
          }
        }
      }
    });
  });

  it('reports drain times past 2^53-1 ms as 2^53-1', () => {
    // a full bucket of 2^53-1 over a year, read at limit 1: (2^53-1) years to drain
    const full = tokenBucket.step(null, 0, MAX_SAFE, MAX_SAFE, YEAR_MS);
    expect(tokenBucket.step(full.state, 0, 1, 1, YEAR_MS).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: MAX_SAFE,
      retryAfterMs: MAX_SAFE,
      reason: 'limit_exceeded',
    });
    expect(tokenBucket.step(full.state, 0, 2, 1, YEAR_MS).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: MAX_SAFE,
      retryAfterMs: 0,
      reason: 'cost_exceeds_limit',
    });
  });
});
