/**
 * The local over-limit cache: once the counter store has denied a client for lack of budget until
 * time T, later calls for that client on this instance before T that could not fit either are
 * denied here, without a store call, with exactly the Outcome the store would give.
 *
 * Why a cached answer is exact. While nothing is consumed, every algorithm's state stays as the
 * store left it, and then, for t >= t0 (the time of the denial):
 * - the budget available at t never shrinks as t grows (windows slide, buckets drain);
 * - the store's retry time for a cost c is the earliest t at which c fits, an absolute time that
 *   depends on the state and c only: for the denied cost c0 it is T = t0 + retryAfterMs;
 * - the reset time is absolute too: resetMs(t) = (t0 + resetMs(t0)) - t.
 * So for t0 <= t < T the store answers the cost c0 with limit_exceeded, retryAfterMs T - t and
 * resetMs counted down alike. The `remaining` it reports lies in [r0, c0 - 1] (r0 at t0, and c0
 * still does not fit), so it is known exactly when r0 = c0 - 1: that is when an entry is kept,
 * which covers the client spending 1 unit at a time until its budget is gone (r0 = 0, c0 = 1).
 * fixed-window is simpler: within the window the available budget is constant and every retry is
 * the window's end, so an entry answers every cost above r0, whatever c0 was.
 * With `remaining` exact, a cost above the effective limit gets cost_exceeds_limit here as well.
 * Anything else (another cost, where it could fit or its retry time is unknown) goes to the store.
 *
 * What keeps the premise "nothing consumed since t0" true on this instance:
 * - an allowed answer for the client drops its entry;
 * - a denial is not kept when an allowed answer for the same client arrived while it was in
 *   flight (that call may have been decided after it at the store);
 * - an entry answers only under the policy (algorithm, effective limit, window) it was made
 *   under, and any config change for the client (or a global one) drops it;
 * - an entry is made only while this instance's clock has not gone back.
 * Other instances may consume too: then the store would deny all the more (the denial holds), but
 * with a lower `remaining` and later retry/reset than a cached answer says. With Redis, t0 is read
 * before the call, so the local T is at most the store's: the cache stops answering a little
 * early rather than late.
 *
 * Peek does not use it: a usage read should show what the store holds, and it is rare.
 */
import { assertNever } from '../core/assert-never.js';
import { costExceedsLimit, limitExceeded } from '../core/algorithms/outcomes.js';
import { MAX_SAFE } from '../core/int-math.js';
import type { AlgorithmName, Outcome } from '../core/types.js';
import type { ConfigChange } from '../store/config-store.js';

export const DEFAULT_OVER_LIMIT_CACHE_SIZE = 100_000;

/** The policy a decision is made under, and its cost. */
export interface CachedRequest {
  readonly clientId: string;
  readonly algorithm: AlgorithmName;
  readonly cost: number;
  /** effective limit */
  readonly limit: number;
  readonly windowMs: number;
}

export interface OverLimitCacheOptions {
  /** most entries kept (>= 1); the oldest one goes first */
  readonly maxEntries?: number;
  /** called once per call answered from the cache (metrics); must not throw */
  readonly onHit?: () => void;
}

interface Entry {
  readonly algorithm: AlgorithmName;
  readonly limit: number;
  readonly windowMs: number;
  /** the denied cost (c0) */
  readonly cost: number;
  /** t0: the time the denied call was sent */
  readonly since: number;
  /** T: the earliest time the denied cost fits */
  readonly retryAt: number;
  /** the time the full limit is available again */
  readonly resetAt: number;
  /** remaining, exact for every t in [since, retryAt) */
  readonly remaining: number;
}

/** Calls of one client on their way to the store. */
interface InFlight {
  count: number;
  /** allowed answers received for the client while any of its calls was out */
  allowed: number;
}

/** A call on its way to the store, from `begin` to `settle`. */
export interface PendingCall {
  readonly request: CachedRequest;
  readonly sentAt: number;
  readonly allowedBefore: number;
  /** the clock had gone back when the call was sent */
  readonly clockWentBack: boolean;
}

/** How many expired entries at the oldest end are dropped per insertion. */
const SWEEP_PER_INSERT = 2;

export class OverLimitCache {
  readonly #maxEntries: number;
  readonly #onHit: (() => void) | undefined;
  /** insertion order is age order: the first entry is the oldest */
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, InFlight>();
  /** the latest time seen */
  #latest = -Infinity;

  constructor(options: OverLimitCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_OVER_LIMIT_CACHE_SIZE;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new Error(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.#maxEntries = maxEntries;
    this.#onHit = options.onHit;
  }

  /** Entries held (some may have expired and not yet been swept). */
  get size(): number {
    return this.#entries.size;
  }

  /** The store's answer to `request` at `now`, when the cache knows it exactly; else undefined. */
  lookup(request: CachedRequest, now: number): Outcome | undefined {
    const entry = this.#entries.get(request.clientId);
    if (entry === undefined) return undefined;
    if (
      now >= entry.retryAt ||
      entry.algorithm !== request.algorithm ||
      entry.limit !== request.limit ||
      entry.windowMs !== request.windowMs
    ) {
      this.#entries.delete(request.clientId);
      return undefined;
    }
    if (now < entry.since) return undefined;
    const outcome = answer(entry, request.cost, now);
    if (outcome !== undefined) this.#onHit?.();
    return outcome;
  }

  /** Marks a call for the store as sent at `now`; hand the result to `settle`. */
  begin(request: CachedRequest, now: number): PendingCall {
    const clockWentBack = now < this.#latest;
    if (!clockWentBack) this.#latest = now;
    let flight = this.#inFlight.get(request.clientId);
    if (flight === undefined) {
      flight = { count: 0, allowed: 0 };
      this.#inFlight.set(request.clientId, flight);
    }
    flight.count++;
    return { request, sentAt: now, allowedBefore: flight.allowed, clockWentBack };
  }

  /** The store's answer to a call from `begin`, or undefined when the call failed. */
  settle(call: PendingCall, outcome: Outcome | undefined): void {
    const clientId = call.request.clientId;
    const flight = this.#inFlight.get(clientId);
    if (flight === undefined) throw new Error('settle without begin');
    if (outcome?.allowed === true) {
      flight.allowed++;
      this.#entries.delete(clientId);
    } else if (
      outcome?.reason === 'limit_exceeded' &&
      flight.allowed === call.allowedBefore &&
      !call.clockWentBack
    ) {
      const entry = entryFor(call, outcome);
      if (entry !== undefined) this.#insert(clientId, entry);
    }
    flight.count--;
    if (flight.count === 0) this.#inFlight.delete(clientId);
  }

  /** Drops what a config change may have made stale. */
  onConfigChange(change: ConfigChange): void {
    switch (change.kind) {
      case 'limit':
      case 'client-override':
        this.#entries.delete(change.clientId);
        return;
      case 'defaults':
      case 'throttle':
      case 'resync':
        this.#entries.clear();
        return;
      default:
        assertNever(change);
    }
  }

  #insert(clientId: string, entry: Entry): void {
    this.#entries.delete(clientId);
    this.#entries.set(clientId, entry);
    // the oldest entries go while over the bound; a few expired ones at that end go as well
    let swept = 0;
    for (const [id, oldest] of this.#entries) {
      const overBound = this.#entries.size > this.#maxEntries;
      if (!overBound && (swept === SWEEP_PER_INSERT || oldest.retryAt > entry.since)) break;
      this.#entries.delete(id);
      if (!overBound) swept++;
    }
  }
}

/** The entry a limit_exceeded answer gives, or undefined when it could not answer exactly. */
function entryFor(call: PendingCall, outcome: Outcome): Entry | undefined {
  const { request, sentAt } = call;
  // fixed-window knows `remaining` for any cost; the others only when the denied cost is next
  if (request.algorithm !== 'fixed-window' && outcome.remaining !== request.cost - 1) return undefined;
  if (outcome.retryAfterMs < 1) return undefined;
  // a time clamped to 2^53-1 is not the real one: it cannot be counted down
  if (outcome.resetMs >= MAX_SAFE - sentAt || outcome.retryAfterMs >= MAX_SAFE - sentAt) return undefined;
  return {
    algorithm: request.algorithm,
    limit: request.limit,
    windowMs: request.windowMs,
    cost: request.cost,
    since: sentAt,
    retryAt: sentAt + outcome.retryAfterMs,
    resetAt: sentAt + outcome.resetMs,
    remaining: outcome.remaining,
  };
}

/** The exact Outcome for `cost` at `now` (since <= now < retryAt), when the entry determines it. */
function answer(entry: Entry, cost: number, now: number): Outcome | undefined {
  if (cost > entry.limit) return costExceedsLimit(entry.remaining, entry.resetAt - now);
  // fixed-window: a cost up to `remaining` fits; elsewhere only c0's retry time is known
  const unknown = entry.algorithm === 'fixed-window' ? cost <= entry.remaining : cost !== entry.cost;
  if (unknown) return undefined;
  return limitExceeded(entry.remaining, entry.resetAt - now, entry.retryAt - now);
}
