/**
 * leaky-bucket as GCRA (generic cell rate algorithm): one unit every windowMs / limit, a burst of
 * up to `limit`. Keeps only the theoretical arrival time (TAT): the moment the bucket is empty.
 *
 * State: [tat, fraction, limitAtWrite]: TAT = tat + fraction / limitAtWrite ms, exact.
 * A call of `cost` is allowed when TAT' = max(TAT, now) + cost x windowMs / limit <= now + windowMs.
 * When the limit changes, the outstanding level (in units) is kept and re-expressed at the new
 * rate, exactly, so a limit change keeps what was used.
 * Guarantee: identical admissions to token-bucket (the two are the same policy in two encodings;
 * GCRA needs one timestamp where token-bucket keeps a level and a clock).
 * Retry: TAT' - windowMs - now, rounded up, so now + retryAfterMs is always allowed.
 */
import { divMod, mulDivMod } from '../int-math.js';
import type { Algorithm, AlgorithmState, Outcome, StepResult } from '../types.js';
import { allowed, costExceedsLimit, limitExceeded } from './outcomes.js';

/** A time as whole ms plus a fraction in 1/limit ms. */
interface Tat {
  readonly ms: number;
  readonly fraction: number;
}

/** a + b for fractions over the same denominator (both < denominator): carry without overflow. */
function addFractions(a: number, b: number, denominator: number): [carry: number, fraction: number] {
  return b >= denominator - a ? [1, b - (denominator - a)] : [0, a + b];
}

/** max(TAT, now), expressed over the current limit. */
function currentTat(state: AlgorithmState | null, now: number, limit: number): Tat {
  if (state === null) return { ms: now, fraction: 0 };
  const ms = state[0] ?? 0;
  const fraction = state[1] ?? 0;
  const oldLimit = state[2] ?? limit;
  if (ms < now || (ms === now && fraction === 0)) return { ms: now, fraction: 0 };
  if (oldLimit === limit) return { ms, fraction };
  // debt (TAT - now) ms at the old rate is debt x oldLimit / windowMs units; at the new rate
  // those units take debt x oldLimit / limit ms: rescale exactly
  const [q, r] = mulDivMod(ms - now, oldLimit, limit);
  const [fq, fr] = divMod(fraction, limit);
  const [carry, f] = addFractions(r, fr, limit);
  return { ms: now + q + fq + carry, fraction: f };
}

function add(t: Tat, cost: number, limit: number, windowMs: number): Tat {
  const [q, r] = mulDivMod(cost, windowMs, limit);
  const [carry, f] = addFractions(t.fraction, r, limit);
  return { ms: t.ms + q + carry, fraction: f };
}

/** Whole ms from now until TAT, rounded up. */
function until(t: Tat, now: number): number {
  return t.ms - now + (t.fraction > 0 ? 1 : 0);
}

/** floor((now + windowMs - TAT) x limit / windowMs): units that still fit. */
function room(t: Tat, now: number, limit: number, windowMs: number): number {
  const slackMs = now + windowMs - t.ms;
  if (slackMs <= 0) return slackMs === 0 && t.fraction === 0 ? 0 : -1;
  const [q, r] = mulDivMod(slackMs, limit, windowMs);
  if (r >= t.fraction) return q;
  const [dq, dr] = divMod(t.fraction - r, windowMs);
  return q - dq - (dr > 0 ? 1 : 0);
}

function decide(t: Tat, now: number, cost: number, limit: number, windowMs: number): Outcome {
  const available = room(t, now, limit, windowMs);
  if (cost > limit) return costExceedsLimit(available, until(t, now));
  const next = add(t, cost, limit, windowMs);
  const slack = next.ms - (now + windowMs);
  if (slack > 0 || (slack === 0 && next.fraction > 0)) {
    return limitExceeded(available, until(t, now), slack + (next.fraction > 0 ? 1 : 0));
  }
  return allowed(room(next, now, limit, windowMs), until(next, now));
}

export const leakyBucket: Algorithm = {
  name: 'leaky-bucket',
  step(state, now, cost, limit, windowMs): StepResult {
    const t = currentTat(state, now, limit);
    const outcome = decide(t, now, cost, limit, windowMs);
    if (!outcome.allowed) return { state, outcome, expiresAt: now + until(t, now) };
    const next = add(t, cost, limit, windowMs);
    return { state: [next.ms, next.fraction, limit], outcome, expiresAt: now + until(next, now) };
  },
  peek(state, now, cost, limit, windowMs): Outcome {
    const t = currentTat(state, now, limit);
    const outcome = decide(t, now, cost, limit, windowMs);
    return outcome.allowed ? allowed(room(t, now, limit, windowMs), until(t, now)) : outcome;
  },
};
