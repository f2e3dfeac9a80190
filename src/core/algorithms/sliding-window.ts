/**
 * sliding-window: the current aligned window's count plus the previous window's count weighted
 * by how much of the previous window still overlaps the sliding window ending now.
 *
 * State: [windowStart, current, previous].
 * used(now) = current + ceil(previous x (windowMs - elapsed) / windowMs), elapsed = now - windowStart.
 * Guarantee: approximates a true sliding window. Worst case over any interval of `windowMs`:
 * 2 x limit (all of the previous window's traffic at its very end); on real traces the error
 * against sliding-log is measured by the replay (README).
 * Retry: computed exactly from the linear decay of the previous window's weight, so
 * now + retryAfterMs is always allowed.
 * Full budget again: once the window after the last allowed call's window has ended (<= 2 windows).
 */
import { mulDivMod } from '../int-math.js';
import type { Algorithm, AlgorithmState, Outcome, StepResult } from '../types.js';
import { allowed, costExceedsLimit, limitExceeded } from './outcomes.js';

interface View {
  readonly start: number;
  readonly current: number;
  readonly previous: number;
}

function view(state: AlgorithmState | null, now: number, windowMs: number): View {
  if (state !== null) {
    const start = state[0] ?? 0;
    if (now < start + windowMs) return { start, current: state[1] ?? 0, previous: state[2] ?? 0 };
    if (now < start + 2 * windowMs) return { start: start + windowMs, current: 0, previous: state[1] ?? 0 };
  }
  return { start: now - (now % windowMs), current: 0, previous: 0 };
}

/** ceil(previous x (windowMs - elapsed) / windowMs): the previous window's weighted share. */
function weightedPrevious(v: View, now: number, windowMs: number): number {
  const elapsed = now > v.start ? now - v.start : 0;
  const [q, r] = mulDivMod(v.previous, windowMs - elapsed, windowMs);
  return r > 0 ? q + 1 : q;
}

/** Earliest time at which `cost` fits, for a call denied for lack of budget (cost <= limit). */
function retryAt(v: View, cost: number, limit: number, windowMs: number): number {
  if (cost <= limit - v.current) {
    // wait in this window until the previous window's weight has decayed enough
    const slack = limit - v.current - cost;
    const [fits] = mulDivMod(slack, windowMs, v.previous);
    return v.start + windowMs - fits;
  }
  // wait for the next window, where today's current becomes the decaying previous
  const slack = limit - cost;
  const [fits] = mulDivMod(slack, windowMs, v.current);
  return v.start + 2 * windowMs - fits;
}

function resetMs(v: View, now: number, windowMs: number): number {
  if (v.current > 0) return v.start + 2 * windowMs - now;
  if (v.previous > 0) return v.start + windowMs - now;
  return 0;
}

function decide(v: View, now: number, cost: number, limit: number, windowMs: number): Outcome {
  // limit - current is exact; subtracting the weighted share keeps the sign right even when negative
  const available = limit - v.current - weightedPrevious(v, now, windowMs);
  if (cost > limit) return costExceedsLimit(available, resetMs(v, now, windowMs));
  if (cost > available) {
    return limitExceeded(available, resetMs(v, now, windowMs), retryAt(v, cost, limit, windowMs) - now);
  }
  return allowed(available - cost, v.start + 2 * windowMs - now);
}

export const slidingWindow: Algorithm = {
  name: 'sliding-window',
  step(state, now, cost, limit, windowMs): StepResult {
    const v = view(state, now, windowMs);
    const outcome = decide(v, now, cost, limit, windowMs);
    // a denial keeps the stored state, which is empty once its usage has decayed (resetMs)
    if (!outcome.allowed) return { state, outcome, expiresAt: now + outcome.resetMs };
    return { state: [v.start, v.current + cost, v.previous], outcome, expiresAt: v.start + 2 * windowMs };
  },
  peek(state, now, cost, limit, windowMs): Outcome {
    const v = view(state, now, windowMs);
    const outcome = decide(v, now, cost, limit, windowMs);
    if (!outcome.allowed) return outcome;
    return allowed(outcome.remaining + cost, resetMs(v, now, windowMs));
  },
};
