import type { Outcome } from '../types.js';

/** A denial because the cost can never fit the limit: no retry time, nothing changes. */
export function costExceedsLimit(remaining: number, resetMs: number): Outcome {
  return { allowed: false, remaining: clampRemaining(remaining), resetMs, retryAfterMs: 0, reason: 'cost_exceeds_limit' };
}

export function limitExceeded(remaining: number, resetMs: number, retryAfterMs: number): Outcome {
  return { allowed: false, remaining: clampRemaining(remaining), resetMs, retryAfterMs, reason: 'limit_exceeded' };
}

export function allowed(remaining: number, resetMs: number): Outcome {
  return { allowed: true, remaining: clampRemaining(remaining), resetMs, retryAfterMs: 0, reason: 'ok' };
}

/** Remaining can be computed below zero after a limit was lowered; it is reported as 0. */
function clampRemaining(remaining: number): number {
  return remaining > 0 ? remaining : 0;
}
