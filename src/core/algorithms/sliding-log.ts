/**
 * sliding-log: an exact log of (time, cost) for every allowed call still inside the window.
 *
 * State: [t1, c1, t2, c2, ...] in time order; an entry counts while t > now - windowMs.
 * Calls in the same millisecond share one entry.
 * Guarantee: exact; at most `limit` in every interval of `windowMs`.
 * Retry: the moment enough of the oldest entries have left the window, so now + retryAfterMs is
 * always allowed. Memory grows with the number of allowed calls per window: for low limits.
 */
import type { Algorithm, AlgorithmState, Outcome, StepResult } from '../types.js';
import { allowed, costExceedsLimit, limitExceeded } from './outcomes.js';

/** Index of the first entry still inside the window, and the units those entries hold. */
function live(log: AlgorithmState, now: number, windowMs: number): { first: number; used: number } {
  let first = 0;
  while (first < log.length && (log[first] ?? 0) + windowMs <= now) first += 2;
  let used = 0;
  for (let i = first; i < log.length; i += 2) used += log[i + 1] ?? 0;
  return { first, used };
}

function resetAt(log: AlgorithmState, first: number, windowMs: number): number | undefined {
  return first < log.length ? (log[log.length - 2] ?? 0) + windowMs : undefined;
}

function decide(log: AlgorithmState, now: number, cost: number, limit: number, windowMs: number): Outcome {
  const { first, used } = live(log, now, windowMs);
  const available = limit - used;
  const end = resetAt(log, first, windowMs);
  const reset = end === undefined ? 0 : end - now;
  if (cost > limit) return costExceedsLimit(available, reset);
  if (cost > available) {
    // oldest first: when have enough units left the window?
    let left = used;
    let at = now;
    for (let i = first; i < log.length && left > limit - cost; i += 2) {
      left -= log[i + 1] ?? 0;
      at = (log[i] ?? 0) + windowMs;
    }
    return limitExceeded(available, reset, at - now);
  }
  return allowed(available - cost, reset);
}

function append(log: AlgorithmState, first: number, now: number, cost: number): number[] {
  const next = log.slice(first);
  const lastAt = next.length > 0 ? (next[next.length - 2] ?? 0) : undefined;
  // same millisecond (or a clock that went back): merge into the newest entry, which expires last
  if (lastAt !== undefined && lastAt >= now) next[next.length - 1] = (next[next.length - 1] ?? 0) + cost;
  else next.push(now, cost);
  return next;
}

export const slidingLog: Algorithm = {
  name: 'sliding-log',
  step(state, now, cost, limit, windowMs): StepResult {
    const log = state ?? [];
    const outcome = decide(log, now, cost, limit, windowMs);
    if (!outcome.allowed) return { state, outcome, expiresAt: resetAt(log, 0, windowMs) ?? now };
    const next = append(log, live(log, now, windowMs).first, now, cost);
    const expiresAt = (next[next.length - 2] ?? now) + windowMs;
    return { state: next, outcome: { ...outcome, resetMs: expiresAt - now }, expiresAt };
  },
  peek(state, now, cost, limit, windowMs): Outcome {
    const log = state ?? [];
    const outcome = decide(log, now, cost, limit, windowMs);
    return outcome.allowed ? allowed(outcome.remaining + cost, outcome.resetMs) : outcome;
  },
};
