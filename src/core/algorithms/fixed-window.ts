/**
 * fixed-window: one counter per window aligned to multiples of `windowMs` since the epoch.
 *
 * State: [windowStart, used].
 * Guarantee: at most `limit` inside one aligned window; at most 2 x limit over any interval of
 * `windowMs` that straddles a boundary.
 * Retry: a denied call fits at the start of the next window (cost <= limit), so
 * now + retryAfterMs is always allowed.
 * A limit change keeps `used`; a window change keeps the running window until it ends.
 */
import type { Algorithm, AlgorithmState, Outcome, StepResult } from '../types.js';
import { allowed, costExceedsLimit, limitExceeded } from './outcomes.js';

interface View {
  readonly start: number;
  readonly used: number;
}

function view(state: AlgorithmState | null, now: number, windowMs: number): View {
  if (state !== null) {
    const start = state[0] ?? 0;
    // time going backwards stays in the stored window: never hands out a fresh budget
    if (now < start + windowMs) return { start, used: state[1] ?? 0 };
  }
  return { start: now - (now % windowMs), used: 0 };
}

function decide(v: View, now: number, cost: number, limit: number, windowMs: number): Outcome {
  const end = v.start + windowMs;
  const available = limit - v.used;
  const reset = v.used > 0 ? end - now : 0;
  if (cost > limit) return costExceedsLimit(available, reset);
  if (cost > available) return limitExceeded(available, reset, end - now);
  return allowed(available - cost, end - now);
}

export const fixedWindow: Algorithm = {
  name: 'fixed-window',
  step(state, now, cost, limit, windowMs): StepResult {
    const v = view(state, now, windowMs);
    const outcome = decide(v, now, cost, limit, windowMs);
    if (!outcome.allowed) return { state, outcome, expiresAt: v.start + windowMs };
    return { state: [v.start, v.used + cost], outcome, expiresAt: v.start + windowMs };
  },
  peek(state, now, cost, limit, windowMs): Outcome {
    const v = view(state, now, windowMs);
    const outcome = decide(v, now, cost, limit, windowMs);
    return outcome.allowed ? allowed(limit - v.used, v.used > 0 ? v.start + windowMs - now : 0) : outcome;
  },
};
