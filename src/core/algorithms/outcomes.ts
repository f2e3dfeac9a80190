import { MAX_SAFE } from '../int-math.js';
import type { Outcome } from '../types.js';

/** A denial because the cost can never fit the limit: no retry time, nothing changes. */
export function costExceedsLimit(remaining: number, resetMs: number): Outcome {
  return {
    allowed: false,
    remaining: clampRemaining(remaining),
    resetMs: clampTime(resetMs),
    retryAfterMs: 0,
    reason: 'cost_exceeds_limit',
  };
}

export function limitExceeded(remaining: number, resetMs: number, retryAfterMs: number): Outcome {
  return {
    allowed: false,
    remaining: clampRemaining(remaining),
    resetMs: clampTime(resetMs),
    retryAfterMs: clampTime(retryAfterMs),
    reason: 'limit_exceeded',
  };
}

export function allowed(remaining: number, resetMs: number): Outcome {
  return {
    allowed: true,
    remaining: clampRemaining(remaining),
    resetMs: clampTime(resetMs),
    retryAfterMs: 0,
    reason: 'ok',
  };
}

/** Remaining can be computed below zero after a limit was lowered; it is reported as 0. */
function clampRemaining(remaining: number): number {
  return remaining > 0 ? remaining : 0;
}

/**
 * Times past 2^53-1 ms (285,000 years) are reported as 2^53-1. Only token-bucket gets there: its
 * drain times after a limit was cut far below what was used reach 2^53 x one year in ms, beyond
 * what a safe integer (and a Redis reply, see lib/call.lua) can carry.
 */
function clampTime(ms: number): number {
  return ms < MAX_SAFE ? ms : MAX_SAFE;
}
