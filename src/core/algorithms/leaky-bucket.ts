/**
 * leaky-bucket as GCRA (generic cell rate algorithm): one unit every windowMs / limit, a burst of
 * up to `limit`. Keeps only the theoretical arrival time (TAT): the moment the bucket is empty.
 *
 * State: [tat, fraction, limitAtWrite]: TAT = tat + fraction / limitAtWrite ms, exact.
 * A call of `cost` is allowed when TAT' = max(TAT, now) + cost x windowMs / limit <= now + windowMs.
 * When the limit changes, the outstanding level (in units) is kept and re-expressed at the new
 * rate, exactly, so a limit change keeps what was used. The stored TAT does not depend on the
 * limit read with it: until the next allowed call rewrites it, the level keeps draining at the
 * rate of `limitAtWrite` (the bucket is empty at TAT whatever the limit is now).
 * Guarantee: at a fixed limit, identical decisions to token-bucket (the two are the same policy
 * in two encodings; GCRA needs one timestamp where token-bucket keeps a level and a clock).
 * Across a limit change they differ between the last write and the next allowed call:
 * token-bucket drains that span at the new rate, leaky-bucket at the old one.
 * Retry: the exact earliest millisecond at which the stored level has drained to limit - cost,
 * so now + retryAfterMs is always allowed and now + retryAfterMs - 1 is not.
 */
import { divMod, mulDivMod } from '../int-math.js';
import type { Algorithm, AlgorithmState, Outcome, StepResult } from '../types.js';
import { allowed, costExceedsLimit, limitExceeded } from './outcomes.js';

/** A time as whole ms plus a fraction in 1/denominator ms. */
interface Tat {
  readonly ms: number;
  readonly fraction: number;
  /** the limit the TAT was written at: the fraction's denominator and the drain rate */
  readonly denominator: number;
}

/** a + b for fractions over the same denominator (both < denominator): carry without overflow. */
function addFractions(a: number, b: number, denominator: number): [carry: number, fraction: number] {
  return b >= denominator - a ? [1, b - (denominator - a)] : [0, a + b];
}

/** max(TAT, now) as stored (over the limit it was written at). */
function storedTat(state: AlgorithmState | null, now: number, limit: number): Tat {
  if (state === null) return { ms: now, fraction: 0, denominator: limit };
  const ms = state[0] ?? 0;
  const fraction = state[1] ?? 0;
  const denominator = state[2] ?? limit;
  if (ms < now || (ms === now && fraction === 0)) return { ms: now, fraction: 0, denominator: limit };
  return { ms, fraction, denominator };
}

/** The same level (in units) re-expressed as a TAT over `limit`. */
function rescale(t: Tat, now: number, limit: number): Tat {
  if (t.denominator === limit) return t;
  // debt (TAT - now) ms at the old rate is debt x oldLimit / windowMs units; at the new rate
  // those units take debt x oldLimit / limit ms: rescale exactly
  const [q, r] = mulDivMod(t.ms - now, t.denominator, limit);
  const [fq, fr] = divMod(t.fraction, limit);
  const [carry, f] = addFractions(r, fr, limit);
  return { ms: now + q + fq + carry, fraction: f, denominator: limit };
}

function add(t: Tat, cost: number, windowMs: number): Tat {
  const [q, r] = mulDivMod(cost, windowMs, t.denominator);
  const [carry, f] = addFractions(t.fraction, r, t.denominator);
  return { ms: t.ms + q + carry, fraction: f, denominator: t.denominator };
}

/** Whole ms from now until TAT, rounded up. */
function until(t: Tat, now: number): number {
  return t.ms - now + (t.fraction > 0 ? 1 : 0);
}

/** floor((now + windowMs - TAT) x limit / windowMs) for a TAT over `limit`: units that still fit. */
function room(t: Tat, now: number, windowMs: number): number {
  const slackMs = now + windowMs - t.ms;
  if (slackMs <= 0) return slackMs === 0 && t.fraction === 0 ? 0 : -1;
  const [q, r] = mulDivMod(slackMs, t.denominator, windowMs);
  if (r >= t.fraction) return q;
  const [dq, dr] = divMod(t.fraction - r, windowMs);
  return q - dq - (dr > 0 ? 1 : 0);
}

/**
 * Whole ms from now until the stored level has drained to `units`, rounded up: the first
 * moment t with (TAT - t) x rate / windowMs <= units, i.e. t >= TAT - units x windowMs / rate.
 */
function untilLevel(t: Tat, now: number, units: number, windowMs: number): number {
  const [q, r] = mulDivMod(units, windowMs, t.denominator);
  // TAT - q - r / rate = (ms - q) + (fraction - r) / rate
  return t.ms - q - now + (t.fraction > r ? 1 : 0);
}

function decide(stored: Tat, now: number, cost: number, limit: number, windowMs: number): Outcome {
  const t = rescale(stored, now, limit);
  const available = room(t, now, windowMs);
  if (cost > limit) return costExceedsLimit(available, until(stored, now));
  if (cost > available) {
    return limitExceeded(available, until(stored, now), untilLevel(stored, now, limit - cost, windowMs));
  }
  const next = add(t, cost, windowMs);
  return allowed(room(next, now, windowMs), until(next, now));
}

export const leakyBucket: Algorithm = {
  name: 'leaky-bucket',
  step(state, now, cost, limit, windowMs): StepResult {
    const stored = storedTat(state, now, limit);
    const outcome = decide(stored, now, cost, limit, windowMs);
    if (!outcome.allowed) return { state, outcome, expiresAt: now + until(stored, now) };
    const next = add(rescale(stored, now, limit), cost, windowMs);
    return { state: [next.ms, next.fraction, limit], outcome, expiresAt: now + until(next, now) };
  },
  peek(state, now, cost, limit, windowMs): Outcome {
    const stored = storedTat(state, now, limit);
    const outcome = decide(stored, now, cost, limit, windowMs);
    return outcome.allowed
      ? allowed(room(rescale(stored, now, limit), now, windowMs), until(stored, now))
      : outcome;
  },
};
