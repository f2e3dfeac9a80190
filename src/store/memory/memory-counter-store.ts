import { getAlgorithm } from '../../core/algorithms/index.js';
import type { Clock } from '../../core/clock.js';
import { ALGORITHMS, type AlgorithmName, type AlgorithmState, type Outcome } from '../../core/types.js';
import type { CounterRequest, CounterStore } from '../counter-store.js';

interface Entry {
  state: AlgorithmState;
  expiresAt: number;
}

export interface MemoryCounterStoreOptions {
  readonly clock: Clock;
  /** how often the background sweep runs; 0 disables it (call sweep() yourself) */
  readonly sweepIntervalMs?: number;
  /** most entries one sweep tick looks at, so a tick never blocks the event loop for long */
  readonly sweepBatch?: number;
}

/**
 * Counters in this process (embedded mode, degraded mode, tests). Each call runs the algorithm's
 * pure step synchronously, so it is atomic. State that has become equivalent to "no state" is
 * dropped by an incremental background sweep, so idle clients free their memory.
 *
 * Expiry is judged with the limit and window of the latest call: a state kept past its expiry is
 * still handed to the algorithm (which reads stale state exactly), and a denied call extends the
 * expiry when the current limit makes the state matter for longer (a lowered token-bucket limit
 * drains more slowly; a longer window keeps the running window open longer).
 */
export class MemoryCounterStore implements CounterStore {
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  readonly #sweepBatch: number;
  #cursor: Iterator<[string, Entry]> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryCounterStoreOptions) {
    this.#clock = options.clock;
    this.#sweepBatch = options.sweepBatch ?? 50_000;
    const interval = options.sweepIntervalMs ?? 1000;
    if (interval > 0) {
      this.#timer = setInterval(() => this.sweep(this.#sweepBatch), interval);
      this.#timer.unref();
    }
  }

  /** number of clients with live state */
  get size(): number {
    return this.#entries.size;
  }

  consume(request: CounterRequest): Promise<Outcome> {
    return Promise.resolve(this.#run(request, true));
  }

  peek(request: CounterRequest): Promise<Outcome> {
    return Promise.resolve(this.#run(request, false));
  }

  reset(clientId: string): Promise<void> {
    for (const algorithm of ALGORITHMS) this.#entries.delete(entryKey(algorithm, clientId));
    return Promise.resolve();
  }

  /**
   * Drops expired entries, looking at no more than `budget` entries (continuing where the last
   * call stopped and wrapping around, so an unbounded sweep looks at every entry once).
   * Returns how many were dropped.
   */
  sweep(budget = Number.POSITIVE_INFINITY): number {
    const now = this.#clock.now();
    const toSee = Math.min(budget, this.#entries.size);
    let dropped = 0;
    for (let seen = 0; seen < toSee; seen++) {
      this.#cursor ??= this.#entries.entries();
      let next = this.#cursor.next();
      if (next.done === true) {
        this.#cursor = this.#entries.entries();
        next = this.#cursor.next();
        if (next.done === true) break;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#entries.clear();
    return Promise.resolve();
  }

  #run(request: CounterRequest, consume: boolean): Outcome {
    const now = request.now ?? this.#clock.now();
    const algorithm = getAlgorithm(request.algorithm);
    const key = entryKey(request.algorithm, request.clientId);
    const entry = this.#entries.get(key);
    const state = entry === undefined ? null : entry.state;
    if (!consume) return algorithm.peek(state, now, request.cost, request.limit, request.windowMs);
    const result = algorithm.step(state, now, request.cost, request.limit, request.windowMs);
    if (result.outcome.allowed && result.state !== null) {
      if (entry === undefined) this.#entries.set(key, { state: result.state, expiresAt: result.expiresAt });
      else {
        entry.state = result.state;
        entry.expiresAt = result.expiresAt;
      }
    } else if (entry !== undefined && result.expiresAt > entry.expiresAt) {
      entry.expiresAt = result.expiresAt;
    }
    return result.outcome;
  }
}

/** The id has no control characters, so the NUL separator cannot collide. */
function entryKey(algorithm: AlgorithmName, clientId: string): string {
  return `${algorithm}\u0000${clientId}`;
}
