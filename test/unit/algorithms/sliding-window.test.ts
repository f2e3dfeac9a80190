import { describe, expect, it } from 'vitest';
import { slidingWindow } from '../../../src/core/algorithms/sliding-window.js';
import { MAX_SAFE } from '../../../src/core/int-math.js';

const W = 1000;
const YEAR_MS = 31_536_000_000;

// used(now) = current + ceil(previous x (W - elapsed) / W), elapsed = now - windowStart
describe('sliding-window', () => {
  describe('limit 10, window 1000 ms', () => {
    // 10 used at the end of the window [10_000, 11_000)
    const full = slidingWindow.step(null, 10_999, 10, 10, W);

    it('fills a window and reports the reset at the end of the following window', () => {
      const a = slidingWindow.step(null, 10_000, 4, 10, W);
      // 4 used, 6 left; the usage is gone at 10_000 + 2 x 1000
      expect(a.outcome).toEqual({
        allowed: true,
        remaining: 6,
        resetMs: 2000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(a.state).toEqual([10_000, 4, 0]);
      expect(a.expiresAt).toBe(12_000);
      expect(full.state).toEqual([10_000, 10, 0]);
      expect(full.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1001,
        retryAfterMs: 0,
        reason: 'ok',
      });
    });

    it('just before the boundary: waits for the next window, where the weight of 10 decays', () => {
      // current 10 = limit, so wait for the next window: there 10 x (1000 - e) / 1000 <= 9
      // first at e = 100, i.e. at 11_100: 101 ms from 10_999
      expect(slidingWindow.step(full.state, 10_999, 1, 10, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1001,
        retryAfterMs: 101,
        reason: 'limit_exceeded',
      });
    });

    it('at the boundary: the previous window still weighs fully', () => {
      // at 11_000: current 0, previous 10 weighted ceil(10 x 1000 / 1000) = 10; retry at 11_100
      expect(slidingWindow.step(full.state, 11_000, 1, 10, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1000,
        retryAfterMs: 100,
        reason: 'limit_exceeded',
      });
      // at 11_099: ceil(10 x 901 / 1000) = ceil(9.01) = 10: still denied, 1 ms to go
      expect(slidingWindow.step(full.state, 11_099, 1, 10, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 901,
        retryAfterMs: 1,
        reason: 'limit_exceeded',
      });
    });

    it('just after: the weight decays linearly through the new window', () => {
      // at 11_100: ceil(10 x 900 / 1000) = 9, so 1 fits; the new state rolls the window
      const a = slidingWindow.step(full.state, 11_100, 1, 10, W);
      expect(a.outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1900,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(a.state).toEqual([11_000, 1, 10]);
      // at 11_500: 1 + ceil(10 x 500 / 1000) = 6 used, 4 left
      expect(slidingWindow.peek(a.state, 11_500, 4, 10, W)).toEqual({
        allowed: true,
        remaining: 4,
        resetMs: 1500,
        retryAfterMs: 0,
        reason: 'ok',
      });
      // 5 do not fit: need 1 + ceil(10 x (1000 - e) / 1000) <= 5, i.e. e >= 600: at 11_600
      expect(slidingWindow.peek(a.state, 11_500, 5, 10, W)).toEqual({
        allowed: false,
        remaining: 4,
        resetMs: 1500,
        retryAfterMs: 100,
        reason: 'limit_exceeded',
      });
      // at 12_000 the window [12_000, 13_000) has previous 1: 9 left
      expect(slidingWindow.peek(a.state, 12_000, 9, 10, W)).toEqual({
        allowed: true,
        remaining: 9,
        resetMs: 1000,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(slidingWindow.peek(a.state, 12_000, 10, 10, W).allowed).toBe(false);
    });

    it('gives the whole limit back two windows after the last allowed call, not one', () => {
      // last call at 10_999; one window idle (11_999): ceil(10 x 1 / 1000) = 1 still used
      expect(slidingWindow.peek(full.state, 11_999, 10, 10, W)).toEqual({
        allowed: false,
        remaining: 9,
        resetMs: 1,
        retryAfterMs: 1,
        reason: 'limit_exceeded',
      });
      // the window after the last call's window has ended at 12_000: everything is back
      expect(slidingWindow.peek(full.state, 12_000, 10, 10, W)).toEqual({
        allowed: true,
        remaining: 10,
        resetMs: 0,
        retryAfterMs: 0,
        reason: 'ok',
      });
      expect(slidingWindow.peek(full.state, 10_999 + 2 * W, 10, 10, W).remaining).toBe(10);
    });

    it('reports cost > limit as cost_exceeds_limit without retry time or change', () => {
      const r = slidingWindow.step(full.state, 11_500, 11, 10, W);
      // at 11_500: ceil(10 x 500 / 1000) = 5 used, 5 left; usage gone at 12_000
      expect(r.outcome).toEqual({
        allowed: false,
        remaining: 5,
        resetMs: 500,
        retryAfterMs: 0,
        reason: 'cost_exceeds_limit',
      });
      expect(r.state).toBe(full.state);
    });

    it('keeps usage across a limit change', () => {
      // limit 4 with 10 used in this window: wait for the next one, where ceil(10 x (1000 - e) / 1000) <= 3
      // first at e = 700: 11_700, i.e. 701 ms from 10_999
      expect(slidingWindow.step(full.state, 10_999, 1, 4, W).outcome).toEqual({
        allowed: false,
        remaining: 0,
        resetMs: 1001,
        retryAfterMs: 701,
        reason: 'limit_exceeded',
      });
      // limit 12: 2 more at once
      expect(slidingWindow.step(full.state, 10_999, 2, 12, W).outcome).toEqual({
        allowed: true,
        remaining: 0,
        resetMs: 1001,
        retryAfterMs: 0,
        reason: 'ok',
      });
    });
  });

  it('limit 1: a full window locks the next one out until its end', () => {
    const a = slidingWindow.step(null, 0, 1, 1, W);
    expect(a.outcome).toEqual({ allowed: true, remaining: 0, resetMs: 2000, retryAfterMs: 0, reason: 'ok' });
    // current 1 = limit: next window, where ceil(1 x (1000 - e) / 1000) <= 0 only at e = 1000
    expect(slidingWindow.step(a.state, 1, 1, 1, W).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 1999,
      retryAfterMs: 1999,
      reason: 'limit_exceeded',
    });
    expect(slidingWindow.step(a.state, 1000, 1, 1, W).outcome.retryAfterMs).toBe(1000);
    expect(slidingWindow.step(a.state, 1999, 1, 1, W).outcome.allowed).toBe(false);
    expect(slidingWindow.step(a.state, 2000, 1, 1, W).outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 2000,
      retryAfterMs: 0,
      reason: 'ok',
    });
  });

  it('limit 2^53-1 with costs 2^53-1, 2^53-2 and 1', () => {
    const full = slidingWindow.step(null, 0, MAX_SAFE, MAX_SAFE, W);
    expect(full.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 2000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    // at 1500: previous 2^53-1 weighted ceil((2^53-1) x 500 / 1000) = 4_503_599_627_370_496,
    // leaving 4_503_599_627_370_495
    expect(slidingWindow.peek(full.state, 1500, 1, MAX_SAFE, W)).toEqual({
      allowed: true,
      remaining: 4_503_599_627_370_495,
      resetMs: 500,
      retryAfterMs: 0,
      reason: 'ok',
    });
    // one more than that: slack 4_503_599_627_370_495, floor(slack x 1000 / (2^53-1)) = 499,
    // so it fits from 2000 - 499 = 1501, where ceil((2^53-1) x 499 / 1000) = 4_494_592_428_115_755
    // leaves 4_512_606_826_625_236
    expect(slidingWindow.peek(full.state, 1500, 4_503_599_627_370_496, MAX_SAFE, W)).toEqual({
      allowed: false,
      remaining: 4_503_599_627_370_495,
      resetMs: 500,
      retryAfterMs: 1,
      reason: 'limit_exceeded',
    });
    expect(slidingWindow.peek(full.state, 1501, 4_503_599_627_370_496, MAX_SAFE, W)).toEqual({
      allowed: true,
      remaining: 4_512_606_826_625_236,
      resetMs: 499,
      retryAfterMs: 0,
      reason: 'ok',
    });

    const almost = slidingWindow.step(null, 0, MAX_SAFE - 1, MAX_SAFE, W);
    expect(almost.outcome.remaining).toBe(1);
    expect(slidingWindow.step(almost.state, 0, 2, MAX_SAFE, W).outcome.reason).toBe('limit_exceeded');
    const last = slidingWindow.step(almost.state, 0, 1, MAX_SAFE, W);
    expect(last.outcome.remaining).toBe(0);
    expect(last.state).toEqual([0, MAX_SAFE, 0]);
    expect(slidingWindow.step(null, 0, MAX_SAFE, MAX_SAFE - 1, W).outcome.reason).toBe('cost_exceeds_limit');
  });

  it('one-year window (31_536_000 s)', () => {
    // 1_700_000_000_000 lies in the window starting 1_671_408_000_000 (53 whole years since the epoch)
    const now = 1_700_000_000_000;
    const start = 1_671_408_000_000;
    const a = slidingWindow.step(null, now, 1000, 1000, YEAR_MS);
    expect(a.state).toEqual([start, 1000, 0]);
    // usage gone at start + 2 years = 1_734_480_000_000
    expect(a.outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 34_480_000_000,
      retryAfterMs: 0,
      reason: 'ok',
    });
    // one more: next window, where ceil(1000 x (W - e) / W) <= 999 first at e = W / 1000 = 31_536_000,
    // i.e. at 1_702_944_000_000 + 31_536_000 = 1_702_975_536_000
    expect(slidingWindow.step(a.state, now, 1, 1000, YEAR_MS).outcome).toEqual({
      allowed: false,
      remaining: 0,
      resetMs: 34_480_000_000,
      retryAfterMs: 2_975_536_000,
      reason: 'limit_exceeded',
    });
    expect(slidingWindow.step(a.state, 1_702_975_536_000 - 1, 1, 1000, YEAR_MS).outcome.allowed).toBe(false);
    expect(slidingWindow.step(a.state, 1_702_975_536_000, 1, 1000, YEAR_MS).outcome).toEqual({
      allowed: true,
      remaining: 0,
      resetMs: 2 * YEAR_MS - 31_536_000,
      retryAfterMs: 0,
      reason: 'ok',
    });
  });
});
