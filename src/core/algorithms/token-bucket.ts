/**
 * token-bucket: a bucket of `limit` tokens refilled continuously at `limit` per `windowMs`.
 * Kept as the amount *used* (limit - tokens), so a limit change keeps what was used.
 *
 * State: [used, drained, last]: the exact level is used - drained / windowMs units at time
 * `last` (0 <= drained < windowMs), so refills are exact rationals, never rounded.
 * Guarantee: bursts up to `limit`; over any interval of length d at most limit + limit x d / windowMs
 * (so at most 2 x limit over one window).
 * Retry: the exact time until enough has drained, rounded up to the millisecond, so
 * now + retryAfterMs is always allowed.
 * A limit change keeps the level and drains it at the new rate from the last write on. Drain
 * times are exact up to 2^53 ms; beyond that (a level more than 2^53 / windowMs times the limit,
 * possible only after lowering a huge limit) they are approximate, and reported as 2^53-1.
 * A window change keeps `used` (the level rounded up) and reads the stored progress in the new
 * window's units. Progress of a whole unit or more there (written under a longer window) is read
 * as windowMs - 1: the level stays above used - 1, so a window change never credits a whole unit
 * the state did not record (and every time derived from the state stays >= 0).
 */
import { divMod, mulDivMod } from '../int-math.js';
import type { Algorithm, AlgorithmState, Outcome, StepResult } from '../types.js';
import { allowed, costExceedsLimit, limitExceeded } from './outcomes.js';

interface Level {
  /** ceil of the level in units */
  readonly used: number;
  /** progress towards draining the next unit, in 1/windowMs units */
  readonly drained: number;
}

/** Milliseconds until `units` more units (with `drained` progress already made) have drained. */
export function drainTime(units: number, drained: number, limit: number, windowMs: number): number {
  // ceil((units x windowMs - drained) / limit), without forming units x windowMs
  const [q, r] = mulDivMod(units, windowMs, limit);
  if (drained <= r) return r > drained ? q + 1 : q;
  const [dq] = divMod(drained - r, limit);
  return q - dq;
}

function level(state: AlgorithmState | null, now: number, limit: number, windowMs: number): Level {
  if (state === null) return { used: 0, drained: 0 };
  const used = state[0] ?? 0;
  // progress recorded under a longer window may be a whole unit of this one: kept below it
  const drained = Math.min(state[1] ?? 0, windowMs - 1);
  const elapsed = now - (state[2] ?? 0);
  if (used === 0 || elapsed <= 0) return { used, drained };
  if (elapsed >= drainTime(used, drained, limit, windowMs)) return { used: 0, drained: 0 };
  // elapsed x limit / windowMs < used here, so the quotient is exact
  const [dq, dr] = mulDivMod(elapsed, limit, windowMs);
  if (dr >= windowMs - drained) return { used: used - dq - 1, drained: dr - (windowMs - drained) };
  return { used: used - dq, drained: drained + dr };
}

function decide(l: Level, cost: number, limit: number, windowMs: number): Outcome {
  const available = limit - l.used;
  const reset = drainTime(l.used, l.drained, limit, windowMs);
  if (cost > limit) return costExceedsLimit(available, reset);
  if (cost > available) {
    return limitExceeded(available, reset, drainTime(l.used - (limit - cost), l.drained, limit, windowMs));
  }
  return allowed(available - cost, drainTime(l.used + cost, l.drained, limit, windowMs));
}

export const tokenBucket: Algorithm = {
  name: 'token-bucket',
  step(state, now, cost, limit, windowMs): StepResult {
    const l = level(state, now, limit, windowMs);
    const outcome = decide(l, cost, limit, windowMs);
    if (!outcome.allowed) return { state, outcome, expiresAt: now + outcome.resetMs };
    return { state: [l.used + cost, l.drained, now], outcome, expiresAt: now + outcome.resetMs };
  },
  peek(state, now, cost, limit, windowMs): Outcome {
    const l = level(state, now, limit, windowMs);
    const outcome = decide(l, cost, limit, windowMs);
    if (!outcome.allowed) return outcome;
    return allowed(limit - l.used, drainTime(l.used, l.drained, limit, windowMs));
  },
};
