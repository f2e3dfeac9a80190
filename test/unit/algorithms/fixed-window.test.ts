import { describe, expect, it } from 'vitest';
import { fixedWindow } from '../../../src/core/algorithms/fixed-window.js';
import { MAX_SAFE } from '../../../src/core/int-math.js';

const W = 1000;
const YEAR_MS = 31_536_000_000;

describe('fixed-window', () => {
  describe('limit 3, window 1000 ms; the aligned window is [10_000, 11_000)', () => {
    it('counts inside the window and starts afresh exactly at its end', () => {
      // first call at the window's first ms: used 1, 2 left, the window ends in 1000 ms
      const a = fixedWindow.step(null, 10_000, 1, 3, W);
      expect(a.outcome).toEqual({
        allowed: true,
        remaining: 2,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(a.state).toEqual([10_000, 1]);
      expect(a.expiresAt).toBe(11_000);

      // last ms of the window: 2 more fit exactly, reset in 1 ms
      const b = fixedWindow.step(a.state, 10_999, 2, 3, W);
      expect(b.outcome).toEqual({ allowed: true, remaining: 0, resetMs: 1, retryAfterMs: 0, reason: 'ok' });
      expect(b.state).toEqual([10_000, 3]);

      // full: denied, the next window opens in 1 ms
      const c = fixedWindow.step(b.state, 10_999, 1, 3, W);
      expect(c.outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1,
        retryAfterMs: 1,
        reason: 'limit_exceeded',
      });
      expect(c.state).toBe(b.state);

      // at 11_000 the window [11_000, 12_000) starts empty: all 3 fit
      const d = fixedWindow.step(b.state, 11_000, 3, 3, W);
      expect(d.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(d.state).toEqual([11_000, 3]);
      // 3 at 10_999 and 3 at 11_000: 6 = 2 x limit within 2 ms, the stated worst case
    });

    it('denies in the middle of a full window until its end', () => {
      const full = fixedWindow.step(null, 10_000, 3, 3, W).state;
      // at 10_400: 600 ms until 11_000
      expect(fixedWindow.step(full, 10_400, 1, 3, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 600,
        retryAfterMs: 600,
        reason: 'limit_exceeded',
      });
      expect(fixedWindow.step(full, 10_400 + 599, 1, 3, W).outcome.allowed).toBe(false);
      expect(fixedWindow.step(full, 10_400 + 600, 1, 3, W).outcome.allowed).toBe(true);
    });

    it('aligns a first call in the middle of a window to the window start', () => {
      // 10_500 is in [10_000, 11_000): 500 ms left
      const r = fixedWindow.step(null, 10_500, 1, 3, W);
      expect(r.state).toEqual([10_000, 1]);
      expect(r.outcome.resetMs).toBe(500);
    });

    it('reports cost > limit as cost_exceeds_limit without retry time or change', () => {
      // nothing used: remaining 3, reset 0
      expect(fixedWindow.step(null, 10_000, 4, 3, W)).toMatchObject({
        state: null,
        outcome: { allowed: false, remaining: 3, resetMs: 0, retryAfterMs: 0, reason: 'cost_exceeds_limit' },
      });
      // 1 used at 10_000; at 10_200: remaining 2, reset 800
      const s = fixedWindow.step(null, 10_000, 1, 3, W).state;
      const r = fixedWindow.step(s, 10_200, 4, 3, W);
      expect(r.outcome).toEqual({
        allowed: false,
        remaining: 2,
        resetMs: 800,
        retryAfterMs: 0,
        reason: 'cost_exceeds_limit',
      });
      expect(r.state).toBe(s);
    });

    it('peek reports without consuming', () => {
      const s = fixedWindow.step(null, 10_000, 1, 3, W).state;
      // 2 left, nothing consumed: still 2 left afterwards, reset in 900 ms at 10_100
      expect(fixedWindow.peek(s, 10_100, 2, 3, W)).toEqual({
        allowed: true,
        remaining: 2,
        resetMs: 900,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(fixedWindow.peek(s, 10_100, 3, 3, W)).toEqual({
        allowed: false,
        remaining: 2,
        resetMs: 900,
        retryAfterMs: 900,
        reason: 'limit_exceeded',
      });
      expect(fixedWindow.peek(null, 10_100, 3, 3, W)).toEqual({
        allowed: true,
        remaining: 3,
        resetMs: 0,
        retryAfterMs: 0,
        reason: 'ok',
      });
    });

    it('keeps usage across a limit change: lowered denies to the window end, raised admits at once', () => {
      const s = fixedWindow.step(null, 10_000, 3, 3, W).state;
      // limit 1 < used 3: denied until 11_000
      expect(fixedWindow.step(s, 10_100, 1, 1, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 900,
        retryAfterMs: 900,
        reason: 'limit_exceeded',
      });
      // limit 5: 2 more fit now
      const r = fixedWindow.step(s, 10_100, 2, 5, W);
      expect(r.outcome).toEqual({ allowed: true, remaining: 0, resetMs: 900, retryAfterMs: 0, reason: 'ok' });
      expect(r.state).toEqual([10_000, 5]);
    });

    it('stays in the stored window when time goes backwards (never a fresh budget)', () => {
      const s = fixedWindow.step(null, 11_000, 3, 3, W).state;
      // 10_500 < 11_000: still the window [11_000, 12_000); 1500 ms until its end
      expect(fixedWindow.step(s, 10_500, 1, 3, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1500,
        retryAfterMs: 1500,
        reason: 'limit_exceeded',
      });
    });
  });

  it('limit 1: one call per aligned window', () => {
    const a = fixedWindow.step(null, 0, 1, 1, W);
    expect(a.outcome).toEqual({ allowed: true, remaining: 0, resetMs: 1000, retryAfterMs: 0, reason: 'ok' });
    expect(fixedWindow.step(a.state, 1, 1, 1, W).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 999,
      retryAfterMs: 999,
      reason: 'limit_exceeded',
    });
    expect(fixedWindow.step(a.state, 999, 1, 1, W).outcome.allowed).toBe(false);
    expect(fixedWindow.step(a.state, 1000, 1, 1, W).outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(fixedWindow.step(a.state, 0, 2, 1, W).outcome.reason).toBe('cost_exceeds_limit');
  });

  it('limit 2^53-1 with costs 2^53-1, 2^53-2 and 1', () => {
    const full = fixedWindow.step(null, 0, MAX_SAFE, MAX_SAFE, W);
    expect(full.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 1000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(full.state).toEqual([0, MAX_SAFE]);
    expect(fixedWindow.step(full.state, 500, 1, MAX_SAFE, W).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 500,
      retryAfterMs: 500,
      reason: 'limit_exceeded',
    });

    // 2^53-2 leaves exactly 1
    const almost = fixedWindow.step(null, 0, MAX_SAFE - 1, MAX_SAFE, W);
    expect(almost.outcome.remaining).toBe(1);
    // 2 does not fit in 1 (remaining stays 1, retry at the window end)
    expect(fixedWindow.step(almost.state, 10, 2, MAX_SAFE, W).outcome).toEqual({
      allowed: false,
      remaining: 1,
      resetMs: 990,
      retryAfterMs: 990,
      reason: 'limit_exceeded',
    });
    const last = fixedWindow.step(almost.state, 10, 1, MAX_SAFE, W);
    expect(last.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 990,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(last.state).toEqual([0, MAX_SAFE]);
    // a cost of 2^53-1 against limit 2^53-2 can never fit
    expect(fixedWindow.step(null, 0, MAX_SAFE, MAX_SAFE - 1, W).outcome).toEqual({
      allowed: false,
      remaining: MAX_SAFE - 1,
      resetMs: 0,
      retryAfterMs: 0,
      reason: 'cost_exceeds_limit',
    });
  });

  it('one-year window (31_536_000 s), aligned to multiples of the window since the epoch', () => {
    // 1_700_000_000_000 = 53 x 31_536_000_000 + 28_592_000_000: the window is
    // [1_671_408_000_000, 1_702_944_000_000), which ends 2_944_000_000 ms later
    const now = 1_700_000_000_000;
    const a = fixedWindow.step(null, now, 2, 2, YEAR_MS);
    expect(a.state).toEqual([1_671_408_000_000, 2]);
    expect(a.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 2_944_000_000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    expect(a.expiresAt).toBe(1_702_944_000_000);
    expect(fixedWindow.step(a.state, now, 1, 2, YEAR_MS).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 2_944_000_000,
      retryAfterMs: 2_944_000_000,
      reason: 'limit_exceeded',
    });
    expect(fixedWindow.step(a.state, 1_702_944_000_000 - 1, 1, 2, YEAR_MS).outcome.allowed).toBe(false);
    const next = fixedWindow.step(a.state, 1_702_944_000_000, 1, 2, YEAR_MS);
    expect(next.outcome).toEqual({
      allowed: true,
      remaining: 1,
      resetMs: YEAR_MS,
      retryAfterMs: 0,
      reason: 'ok',
    });
  });
});
