import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ALGORITHMS, type AlgorithmName, type Decision } from '../../src/core/types.js';
import { OverLimitCache } from '../../src/limiter/over-limit-cache.js';
import { RateLimiter } from '../../src/limiter/rate-limiter.js';
import type { ClientOverride } from '../../src/store/config-store.js';
import { ManualClock } from '../../src/store/memory/manual-clock.js';
import { MemoryConfigStore } from '../../src/store/memory/memory-config-store.js';
import { MemoryCounterStore } from '../../src/store/memory/memory-counter-store.js';

/**
 * Differential: the same random sequence of calls and config changes, on one virtual clock,
 * through a limiter with the over-limit cache and one without (each on its own memory stores),
 * gives identical decisions, field by field. The sequences mix costs around the limit, clock
 * steps (some backwards), limit, window and algorithm changes, controller, manual (some timed, so
 * they end with no change event) and per-client multipliers and limits, defaults, sweeps of the
 * counter store, and a cache bound small enough to evict.
 */

const CLIENTS = ['a', 'b', 'c'] as const;
/** has no limit of its own: only defaults apply to it */
const DEFAULTS_CLIENT = 'c';

type Op =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'allow'; readonly client: number; readonly cost: number }
  | { readonly kind: 'peek'; readonly client: number; readonly cost: number }
  | {
      readonly kind: 'limit';
      readonly client: number;
      readonly limit: number;
      readonly window: number;
      readonly otherAlgorithm: boolean;
    }
  | { readonly kind: 'defaults'; readonly limit: number; readonly window: number }
  | { readonly kind: 'no-defaults' }
  | { readonly kind: 'controller'; readonly multiplier: number | undefined }
  | { readonly kind: 'manual'; readonly multiplier: number; readonly ttlSeconds: number | undefined }
  | { readonly kind: 'clear-manual' }
  | { readonly kind: 'override'; readonly client: number; readonly override: ClientOverride | undefined }
  | { readonly kind: 'sweep' };

const clientArb = fc.integer({ min: 0, max: CLIENTS.length - 1 });
const limitArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) },
  fc.integer({ min: 7, max: 40 }),
);
const windowArb = fc.integer({ min: 1, max: 4 });
const multiplierArb = fc.constantFrom(0.1, 0.25, 0.5, 0.75, 1);
const costArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(1) },
  { weight: 3, arbitrary: fc.integer({ min: 2, max: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 9, max: 60 }) },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 40,
    arbitrary: fc.record({ kind: fc.constant('allow' as const), client: clientArb, cost: costArb }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('peek' as const), client: clientArb, cost: costArb }),
  },
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 60 }) },
        { weight: 3, arbitrary: fc.integer({ min: 61, max: 2500 }) },
        { weight: 1, arbitrary: fc.integer({ min: -500, max: -1 }) },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('limit' as const),
      client: fc.integer({ min: 0, max: 1 }),
      limit: limitArb,
      window: windowArb,
      otherAlgorithm: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('defaults' as const), limit: limitArb, window: windowArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('no-defaults' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('controller' as const),
      multiplier: fc.option(multiplierArb, { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('manual' as const),
      multiplier: multiplierArb,
      ttlSeconds: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear-manual' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('override' as const),
      client: clientArb,
      override: fc.option(
        fc.oneof(fc.record({ multiplier: multiplierArb }), fc.record({ limit: limitArb, window: windowArb })),
        { nil: undefined },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
);

interface Side {
  readonly limiter: RateLimiter;
  readonly config: MemoryConfigStore;
  readonly counters: MemoryCounterStore;
}

function side(clock: ManualClock, cache?: OverLimitCache): Side {
  const counters = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
  const config = new MemoryConfigStore(clock);
  const limiter = new RateLimiter({
    counters,
    config,
    clock,
    ...(cache === undefined ? {} : { overLimitCache: cache }),
  });
  return { limiter, config, counters };
}

function other(algorithm: AlgorithmName): AlgorithmName {
  return ALGORITHMS[(ALGORITHMS.indexOf(algorithm) + 1) % ALGORITHMS.length] ?? algorithm;
}

async function apply(s: Side, op: Op, algorithm: AlgorithmName): Promise<Decision | undefined> {
  switch (op.kind) {
    case 'allow':
      return s.limiter.allow(CLIENTS[op.client] ?? 'a', op.cost);
    case 'peek':
      return s.limiter.peek(CLIENTS[op.client] ?? 'a', op.cost);
    case 'limit':
      await s.limiter.setRateLimit(
        CLIENTS[op.client] ?? 'a',
        op.limit,
        op.window,
        op.otherAlgorithm ? other(algorithm) : algorithm,
      );
      return undefined;
    case 'defaults':
      await s.config.setDefaults({ limit: op.limit, window: op.window, algorithm });
      return undefined;
    case 'no-defaults':
      await s.config.setDefaults(undefined);
      return undefined;
    case 'controller':
      s.config.setControllerThrottle(
        op.multiplier === undefined ? undefined : { multiplier: op.multiplier, reason: 'test', at: 'now' },
      );
      return undefined;
    case 'manual':
      await s.limiter.setThrottle(op.multiplier, 'test', op.ttlSeconds);
      return undefined;
    case 'clear-manual':
      await s.limiter.clearThrottle();
      return undefined;
    case 'override':
      await s.config.setClientOverride(CLIENTS[op.client] ?? 'a', op.override);
      return undefined;
    case 'sweep':
      s.counters.sweep();
      return undefined;
    case 'advance':
      return undefined;
  }
}

const hits = new Map<AlgorithmName, number>();
const denials = new Map<AlgorithmName, number>();

describe('over-limit cache: identical decisions with and without it (memory stores, virtual clock)', () => {
  afterAll(() => {
    // the property is not vacuous: the cache answered a real share of the denials
    for (const algorithm of ALGORITHMS) {
      const h = hits.get(algorithm) ?? 0;
      const d = denials.get(algorithm) ?? 0;
      expect(h, `${algorithm}: ${h} cache answers of ${d} limit denials`).toBeGreaterThan(d / 10);
    }
  });

  it.each(ALGORITHMS)('%s', async (algorithm) => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        limitArb,
        windowArb,
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(opArb, { minLength: 30, maxLength: 150, size: 'max' }),
        async (maxEntries, limit, window, startOffset, ops) => {
          const clock = new ManualClock(1_700_000_000_000 + startOffset);
          const cache = new OverLimitCache({
            maxEntries,
            onHit: () => hits.set(algorithm, (hits.get(algorithm) ?? 0) + 1),
          });
          const plain = side(clock);
          const cached = side(clock, cache);
          for (const s of [plain, cached]) {
            for (const id of CLIENTS)
              if (id !== DEFAULTS_CLIENT) await s.limiter.setRateLimit(id, limit, window, algorithm);
          }
          for (const [i, op] of ops.entries()) {
            if (op.kind === 'advance') clock.advance(op.ms);
            const expected = await apply(plain, op, algorithm);
            const actual = await apply(cached, op, algorithm);
            expect(actual, `op ${i} ${JSON.stringify(op)}`).toEqual(expected);
            if (op.kind === 'allow' && expected?.reason === 'limit_exceeded') {
              denials.set(algorithm, (denials.get(algorithm) ?? 0) + 1);
            }
            expect(cache.size).toBeLessThanOrEqual(maxEntries);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
