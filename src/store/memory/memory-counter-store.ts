import { getAlgorithm } from '../../core/algorithms/index.js';
import type { Clock } from '../../core/clock.js';
import type { AlgorithmState, Outcome } from '../../core/types.js';
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
 * dropped by an incremental background sweep (and on access), so idle clients free their memory.
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
    for (const key of [...this.#entries.keys()]) {
      if (key.endsWith(`\u0000${clientId}`)) this.#entries.delete(key);
    }
    return Promise.resolve();
  }

  /**
   * Drops expired entries, looking at no more than `budget` entries (continuing where the last
   * call stopped). Returns how many were dropped.
   */
  sweep(budget = Number.POSITIVE_INFINITY): number {
    const now = this.#clock.now();
    let dropped = 0;
    for (let seen = 0; seen < budget; seen++) {
      this.#cursor ??= this.#entries.entries();
      const next = this.#cursor.next();
      if (next.done === true) {
        this.#cursor = undefined;
        break;
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
    // the id has no control characters, so NUL cannot collide
    const key = `${request.algorithm}\u0000${request.clientId}`;
    const entry = this.#entries.get(key);
    const state = entry !== undefined && entry.expiresAt > now ? entry.state : null;
    if (!consume) return algorithm.peek(state, now, request.cost, request.limit, request.windowMs);
    const result = algorithm.step(state, now, request.cost, request.limit, request.windowMs);
    if (result.outcome.allowed && result.state !== null) {
      if (entry === undefined) this.#entries.set(key, { state: result.state, expiresAt: result.expiresAt });
      else {
        entry.state = result.state;
        entry.expiresAt = result.expiresAt;
      }
    }
    return result.outcome;
  }
}
