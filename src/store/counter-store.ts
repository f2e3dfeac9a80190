import type { AlgorithmName, Outcome } from '../core/types.js';

/** One decision for a store to make atomically. */
export interface CounterRequest {
  readonly clientId: string;
  readonly algorithm: AlgorithmName;
  readonly cost: number;
  /** effective limit (already multiplied) */
  readonly limit: number;
  readonly windowMs: number;
  /** explicit time in ms; when absent the store uses its own clock (Redis: server TIME) */
  readonly now?: number;
}

/**
 * Where counters live: in memory (embedded/degraded mode) or Redis.
 * Every call is atomic per client and never partially applies.
 */
export interface CounterStore {
  /** decide and, if allowed, consume */
  consume(request: CounterRequest): Promise<Outcome>;
  /** decide without consuming */
  peek(request: CounterRequest): Promise<Outcome>;
  /** forget every counter of a client (all algorithms) */
  reset(clientId: string): Promise<void>;
  close(): Promise<void>;
}
