/**
 * Shared value types of the decision core. Pure data, no behaviour.
 */

export const ALGORITHMS = [
  'fixed-window',
  'sliding-window',
  'sliding-log',
  'token-bucket',
  'leaky-bucket',
] as const;

export type AlgorithmName = (typeof ALGORITHMS)[number];

export const DEFAULT_ALGORITHM: AlgorithmName = 'sliding-window';

/** A client's base limit: `limit` units per `window` seconds, decided by `algorithm`. */
export interface LimitSpec {
  readonly limit: number;
  /** whole seconds, 1..31_536_000 */
  readonly window: number;
  readonly algorithm: AlgorithmName;
}

/** Why a decision came out the way it did. */
export type DecisionReason =
  | 'ok'
  /** not enough budget left right now; retryAfterMs says when */
  | 'limit_exceeded'
  /** cost is larger than the whole effective limit: no wait will help */
  | 'cost_exceeds_limit'
  /** the client has no limit of its own and there is no default */
  | 'no_limit';

/** Where the multiplier in force came from, most specific first. */
export type MultiplierSource = 'client-override' | 'manual' | 'controller' | 'none';

/**
 * The answer to allow/peek. A denial is a value, never an exception.
 * All times are whole milliseconds, rounded up.
 */
export interface Decision {
  readonly allowed: boolean;
  /** the effective limit: floor(base x multiplier), at least 1 (0 when reason is no_limit) */
  readonly limit: number;
  /** units still spendable now, after this call, in [0, limit] */
  readonly remaining: number;
  /** time until the full limit is available again (0 when nothing is used) */
  readonly resetMs: number;
  /** when denied for lack of budget: time until the same call would be allowed; 0 otherwise */
  readonly retryAfterMs: number;
  readonly reason: DecisionReason;
  readonly multiplier: number;
  readonly multiplierSource: MultiplierSource;
  /** true when the decision was made without the shared counter store (degraded mode) */
  readonly degraded: boolean;
  readonly algorithm: AlgorithmName | null;
  /** the window in seconds of the limit applied (0 when reason is no_limit) */
  readonly window: number;
}

/** What a counter store decides for one call (before the limiter adds policy context). */
export interface Outcome {
  readonly allowed: boolean;
  readonly remaining: number;
  readonly resetMs: number;
  readonly retryAfterMs: number;
  readonly reason: 'ok' | 'limit_exceeded' | 'cost_exceeds_limit';
}

/** Algorithm state: a flat tuple of safe integers (the Lua scripts keep the same layout). */
export type AlgorithmState = readonly number[];

export interface StepResult {
  /** the new state; the very same value as the input when the call was denied */
  readonly state: AlgorithmState | null;
  readonly outcome: Outcome;
  /**
   * Absolute time (ms) from which the new state (or, for a denial, the unchanged one) is equivalent
   * to no state at all under this call's limit and window, so a store may drop it (in-memory
   * eviction, Redis TTLs). Stores write no state for a denied call, but extend the expiry they keep
   * when this one is later (a lowered limit or a longer window can make a state matter longer).
   */
  readonly expiresAt: number;
}

/** A pure rate-limiting algorithm. `now` and `windowMs` are integer milliseconds. */
export interface Algorithm {
  readonly name: AlgorithmName;
  /** Decide a call of `cost` units and, only if allowed, consume them. */
  step(state: AlgorithmState | null, now: number, cost: number, limit: number, windowMs: number): StepResult;
  /** What a call of `cost` would get now, consuming nothing. */
  peek(state: AlgorithmState | null, now: number, cost: number, limit: number, windowMs: number): Outcome;
}
