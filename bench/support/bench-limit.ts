import type { LimitSpec } from '../../src/core/types.js';

/**
 * The limit every bench client gets (a default limit: 10,000 clients, none configured one by one).
 * Large enough that nothing is denied during a run: the benches measure the cost of a decision, and
 * denials write nothing in our store while they still write in others.
 */
export const BENCH_LIMIT: LimitSpec = Object.freeze({
  limit: 1_000_000_000,
  window: 60,
  algorithm: 'sliding-window',
});
