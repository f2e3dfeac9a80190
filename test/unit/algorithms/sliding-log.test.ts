import { describe, expect, it } from 'vitest';
import { slidingLog } from '../../../src/core/algorithms/sliding-log.js';
import { MAX_SAFE } from '../../../src/core/int-math.js';

const W = 1000;
const YEAR_MS = 31_536_000_000;

// an entry (t, cost) counts while t > now - W, i.e. until (and excluding) t + W
describe('sliding-log', () => {
  describe('limit 3, window 1000 ms', () => {
    const a = slidingLog.step(null, 10_000, 1, 3, W);
    const b = slidingLog.step(a.state, 10_400, 1, 3, W);
    const c = slidingLog.step(b.state, 10_400, 1, 3, W);

    it('logs every allowed call, merging calls of the same millisecond', () => {
      expect(a.outcome).toEqual({
        allowed: true,
        remaining: 2,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(a.state).toEqual([10_000, 1]);
      // the newest entry leaves at 11_400
      expect(b.outcome).toEqual({
        allowed: true,
        remaining: 1,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(b.state).toEqual([10_000, 1, 10_400, 1]);
      expect(c.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(c.state).toEqual([10_000, 1, 10_400, 2]);
      expect(c.expiresAt).toBe(11_400);
    });

    it('just before the oldest entry leaves: denied until exactly then', () => {
      // at 10_999 all 3 count; 1 more needs the entry of 10_000 gone: at 11_000
      expect(slidingLog.step(c.state, 10_999, 1, 3, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 401,
        retryAfterMs: 1,
        reason: 'limit_exceeded',
      });
      // 2 more need the entry of 10_400 gone as well: at 11_400
      expect(slidingLog.step(c.state, 10_999, 2, 3, W).outcome.retryAfterMs).toBe(401);
    });

    it('at the moment the oldest entry leaves: it fits, and the log drops the old entry', () => {
      const r = slidingLog.step(c.state, 11_000, 1, 3, W);
      expect(r.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(r.state).toEqual([10_400, 2, 11_000, 1]);
      // 11_399: the 2 of 10_400 still count; 11_400: they leave
      expect(slidingLog.peek(r.state, 11_399, 1, 3, W)).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 601,
        retryAfterMs: 1,
        reason: 'limit_exceeded',
      });
      expect(slidingLog.peek(r.state, 11_400, 2, 3, W)).toEqual({
        allowed: true,
        remaining: 2,
        resetMs: 600,
        retryAfterMs: 0,
        reason: 'ok',
      });
    });

    it('gives the whole limit back one window after the last allowed call', () => {
      expect(slidingLog.peek(c.state, 11_399, 3, 3, W).allowed).toBe(false);
      expect(slidingLog.peek(c.state, 11_400, 3, 3, W)).toEqual({
        allowed: true,
        remaining: 3,
        resetMs: 0,
        retryAfterMs: 0,
        reason: 'ok',
      });
    });

    it('reports cost > limit as cost_exceeds_limit without retry time or change', () => {
      const r = slidingLog.step(b.state, 10_500, 4, 3, W);
      expect(r.outcome).toEqual({
        allowed: false,
        remaining: 1,
        resetMs: 900,
        retryAfterMs: 0,
        reason: 'cost_exceeds_limit',
      });
      expect(r.state).toBe(b.state);
    });

    it('keeps usage across a limit change', () => {
      // limit 1 with 3 logged: 1 fits once every entry has left, at 11_400
      expect(slidingLog.step(c.state, 10_500, 1, 1, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 900,
        retryAfterMs: 900,
        reason: 'limit_exceeded',
      });
      // limit 2 with 3 logged: the entry of 10_000 leaving (11_000) leaves 2 > 1, so also 11_400
      expect(slidingLog.step(c.state, 10_500, 1, 2, W).outcome.retryAfterMs).toBe(900);
      // limit 5: 2 more at once
      expect(slidingLog.step(c.state, 10_500, 2, 5, W).outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
    });
  });

  it('limit 1: one call per rolling window', () => {
    const a = slidingLog.step(null, 0, 1, 1, W);
    expect(slidingLog.step(a.state, 999, 1, 1, W).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 1,
      retryAfterMs: 1,
      reason: 'limit_exceeded',
    });
    const b = slidingLog.step(a.state, 1000, 1, 1, W);
    expect(b.outcome).toEqual({ allowed: true, remaining: 0, resetMs: 1000, retryAfterMs: 0, reason: 'ok' });
    expect(b.state).toEqual([1000, 1]);
  });

  it('limit 2^53-1 with costs 2^53-1, 2^53-2 and 1', () => {
    const full = slidingLog.step(null, 0, MAX_SAFE, MAX_SAFE, W);
    expect(full.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(slidingLog.step(full.state, 999, 1, MAX_SAFE, W).outcome.retryAfterMs).toBe(1);

    const almost = slidingLog.step(null, 0, MAX_SAFE - 1, MAX_SAFE, W);
    expect(almost.outcome.remaining).toBe(1);
    const last = slidingLog.step(almost.state, 1, 1, MAX_SAFE, W);
    expect(last.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(last.state).toEqual([0, MAX_SAFE - 1, 1, 1]);
    // 1 more at 2: the entry of 0 (2^53-2) leaving at 1000 is enough
    expect(slidingLog.step(last.state, 2, 1, MAX_SAFE, W).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 999,
      retryAfterMs: 998,
      reason: 'limit_exceeded',
    });
    // 2^53-1 at 1000: 1 still counts (until 1001)
    expect(slidingLog.step(last.state, 1000, MAX_SAFE, MAX_SAFE, W).outcome).toEqual({
      allowed: false,
      remaining: MAX_SAFE - 1,
      resetMs: 1,
      retryAfterMs: 1,
      reason: 'limit_exceeded',
    });
    expect(slidingLog.step(last.state, 1001, MAX_SAFE, MAX_SAFE, W).outcome.allowed).toBe(true);
  });

  it('one-year window (31_536_000 s)', () => {
    const t0 = 1_700_000_000_000;
    const a = slidingLog.step(null, t0, 1, 2, YEAR_MS);
    const b = slidingLog.step(a.state, t0 + 1, 1, 2, YEAR_MS);
    expect(b.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: YEAR_MS,
      retryAfterMs: 0,
      reason: 'ok',
    });
    // the entry of t0 leaves at t0 + YEAR_MS: 31_535_999_998 ms after t0 + 2
    expect(slidingLog.step(b.state, t0 + 2, 1, 2, YEAR_MS).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: YEAR_MS - 1,
      retryAfterMs: 31_535_999_998,
      reason: 'limit_exceeded',
    });
    const c = slidingLog.step(b.state, t0 + YEAR_MS, 1, 2, YEAR_MS);
    expect(c.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: YEAR_MS,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(c.state).toEqual([t0 + 1, 1, t0 + YEAR_MS, 1]);
  });
});
