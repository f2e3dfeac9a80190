import { resolvePolicy, type Policy } from '../core/policy.js';
import type { AlgorithmName, Decision, LimitSpec, MultiplierSource, Outcome } from '../core/types.js';
import { DEFAULT_ALGORITHM } from '../core/types.js';
import { validateAllow, validateClientId, validateLimitSpec, validateMultiplier } from '../core/validate.js';
import { ValidationError } from '../errors.js';
import type { ConfigStore, ManualThrottle } from '../store/config-store.js';
import type { CounterStore } from '../store/counter-store.js';
import type { Clock } from '../core/clock.js';
import type { OverLimitCache } from './over-limit-cache.js';

export interface RateLimiterOptions {
  readonly counters: CounterStore;
  readonly config: ConfigStore;
  readonly clock: Clock;
  /** algorithm for limits that name none */
  readonly defaultAlgorithm?: AlgorithmName;
  /** called after every decision (metrics); must not throw */
  readonly onDecision?: (decision: Decision, elapsedMs: number) => void;
  /**
   * denies calls of clients already over their limit without a counter-store call; kept
   * consistent with `config` by its change events. Absent: every allow reaches the store.
   */
  readonly overLimitCache?: OverLimitCache;
}

/** What getRateLimit reports. `{limit: 0, window: 0}` (and nulls) for a client with no limit. */
export interface RateLimitInfo {
  readonly limit: number;
  readonly window: number;
  readonly algorithm: AlgorithmName | null;
  readonly effectiveLimit: number;
  readonly multiplier: number;
  readonly multiplierSource: MultiplierSource;
  /** where the base limit came from; null when none applies */
  readonly source: Policy['baseSource'] | null;
}

export interface ThrottleInfo {
  /** the global multiplier in force and its source (client overrides not included) */
  readonly multiplier: number;
  readonly source: 'manual' | 'controller' | 'none';
  readonly manual: ManualThrottle | null;
  readonly controller: { multiplier: number; reason: string; at: string } | null;
}

const NO_LIMIT_INFO: RateLimitInfo = Object.freeze({
  limit: 0,
  window: 0,
  algorithm: null,
  effectiveLimit: 0,
  multiplier: 1,
  multiplierSource: 'none',
  source: null,
});

/**
 * The rate limiter: validate -> resolve the policy from the local config mirror -> one counter
 * store call -> Decision. Never calls the config store's I/O on the allow path.
 */
export class RateLimiter {
  readonly #counters: CounterStore;
  readonly #config: ConfigStore;
  readonly #clock: Clock;
  readonly #defaultAlgorithm: AlgorithmName;
  readonly #onDecision: ((decision: Decision, elapsedMs: number) => void) | undefined;
  readonly #cache: OverLimitCache | undefined;

  constructor(options: RateLimiterOptions) {
    this.#counters = options.counters;
    this.#config = options.config;
    this.#clock = options.clock;
    this.#defaultAlgorithm = options.defaultAlgorithm ?? DEFAULT_ALGORITHM;
    this.#onDecision = options.onDecision;
    const cache = options.overLimitCache;
    this.#cache = cache;
    // ends with the config store (close() drops its listeners)
    if (cache !== undefined) options.config.onChange((change) => cache.onConfigChange(change));
  }

  get defaultAlgorithm(): AlgorithmName {
    return this.#defaultAlgorithm;
  }

  /** Atomically check and, if allowed, consume `cost` units of the client's budget. */
  async allow(clientId: string, cost = 1): Promise<Decision> {
    const started = performance.now();
    validateAllow(clientId, cost);
    const decision = await this.#decide(clientId, cost, true);
    this.#onDecision?.(decision, performance.now() - started);
    return decision;
  }

  /** What a call of `cost` would get now; consumes nothing. */
  async peek(clientId: string, cost = 1): Promise<Decision> {
    validateAllow(clientId, cost);
    return this.#decide(clientId, cost, false);
  }

  async setRateLimit(
    clientId: string,
    limit: number,
    windowSeconds: number,
    algorithm?: AlgorithmName,
  ): Promise<LimitSpec> {
    const spec = validateLimitSpec(
      algorithm === undefined
        ? { limit, window: windowSeconds }
        : { limit, window: windowSeconds, algorithm },
      this.#defaultAlgorithm,
      clientId,
    );
    await this.#config.setLimit(clientId, spec);
    return spec;
  }

  getRateLimit(clientId: string): RateLimitInfo {
    validateClientId(clientId);
    const policy = this.#policy(clientId);
    if (policy === undefined) return NO_LIMIT_INFO;
    return {
      limit: policy.base.limit,
      window: policy.base.window,
      algorithm: policy.base.algorithm,
      effectiveLimit: policy.effectiveLimit,
      multiplier: policy.multiplier,
      multiplierSource: policy.multiplierSource,
      source: policy.baseSource,
    };
  }

  /** Removes the client's own limit; true when there was one. Usage counters are kept. */
  async deleteRateLimit(clientId: string): Promise<boolean> {
    validateClientId(clientId);
    return this.#config.deleteLimit(clientId);
  }

  getThrottle(): ThrottleInfo {
    const manual = this.#config.getManualThrottle() ?? null;
    const controller = this.#config.getControllerThrottle() ?? null;
    if (manual !== null) return { multiplier: manual.multiplier, source: 'manual', manual, controller };
    if (controller !== null)
      return { multiplier: controller.multiplier, source: 'controller', manual, controller };
    return { multiplier: 1, source: 'none', manual, controller };
  }

  /** Manual global override; beats the controller. `ttlSeconds` makes it end by itself. */
  async setThrottle(multiplier: number, reason: string, ttlSeconds?: number): Promise<ManualThrottle> {
    validateMultiplier(multiplier);
    if (
      ttlSeconds !== undefined &&
      (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 31_536_000)
    ) {
      throw new ValidationError([
        { field: '/ttlSeconds', message: 'must be an integer between 1 and 31536000' },
      ]);
    }
    const throttle: ManualThrottle =
      ttlSeconds === undefined
        ? { multiplier, reason }
        : { multiplier, reason, until: new Date(this.#clock.now() + ttlSeconds * 1000).toISOString() };
    await this.#config.setManualThrottle(throttle);
    return throttle;
  }

  async clearThrottle(): Promise<boolean> {
    return this.#config.clearManualThrottle();
  }

  #policy(clientId: string): Policy | undefined {
    return resolvePolicy({
      base: this.#config.getLimit(clientId),
      defaults: this.#config.getDefaults(),
      clientOverride: this.#config.getClientOverride(clientId),
      manual: this.#config.getManualThrottle(),
      controller: this.#config.getControllerThrottle(),
      defaultAlgorithm: this.#defaultAlgorithm,
    });
  }

  async #decide(clientId: string, cost: number, consume: boolean): Promise<Decision> {
    const policy = this.#policy(clientId);
    if (policy === undefined) return noLimitDecision();
    const request = {
      clientId,
      algorithm: policy.base.algorithm,
      cost,
      limit: policy.effectiveLimit,
      windowMs: policy.base.window * 1000,
    };
    if (!consume) return toDecision(await this.#counters.peek(request), policy);
    const cache = this.#cache;
    if (cache === undefined) return toDecision(await this.#counters.consume(request), policy);
    const now = this.#clock.now();
    const cached = cache.lookup(request, now);
    if (cached !== undefined) return toDecision(cached, policy);
    const call = cache.begin(request, now);
    let outcome: Outcome | undefined;
    try {
      outcome = await this.#counters.consume(request);
      return toDecision(outcome, policy);
    } finally {
      cache.settle(call, outcome);
    }
  }
}

function noLimitDecision(): Decision {
  return {
    allowed: false,
    limit: 0,
    remaining: 0,
    resetMs: 0,
    retryAfterMs: 0,
    reason: 'no_limit',
    multiplier: 1,
    multiplierSource: 'none',
    degraded: false,
    algorithm: null,
    window: 0,
  };
}

function toDecision(outcome: Outcome, policy: Policy): Decision {
  return {
    allowed: outcome.allowed,
    limit: policy.effectiveLimit,
    remaining: outcome.remaining,
    resetMs: outcome.resetMs,
    retryAfterMs: outcome.retryAfterMs,
    reason: outcome.reason,
    multiplier: policy.multiplier,
    multiplierSource: policy.multiplierSource,
    degraded: false,
    algorithm: policy.base.algorithm,
    window: policy.base.window,
  };
}
