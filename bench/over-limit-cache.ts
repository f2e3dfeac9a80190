/**
 * Over-limit cache bench (issue 3, Build 3): RateLimiter.allow throughput on one private
 * redis-server, 64 calls in flight over 1,000 clients, with and without the cache, for clients
 * all over their limit (every call denied: what the cache is for) and for clients far below it
 * (every call allowed: what its bookkeeping costs). Then the same allowed calls on in-memory
 * counters, one at a time, where the cache's cost is most visible (main.ts leaves it off there).
 *
 *   npx tsx bench/over-limit-cache.ts
 *
 * Prints one line per case (a run is kept in bench/results/over-limit-cache.txt by hand).
 */
import type { AlgorithmName } from '../src/core/types.js';
import { OverLimitCache } from '../src/limiter/over-limit-cache.js';
import { RateLimiter } from '../src/limiter/rate-limiter.js';
import type { CounterStore } from '../src/store/counter-store.js';
import { MemoryConfigStore } from '../src/store/memory/memory-config-store.js';
import { MemoryCounterStore } from '../src/store/memory/memory-counter-store.js';
import { systemClock } from '../src/store/memory/system-clock.js';
import { RedisCounterStore } from '../src/store/redis/redis-counter-store.js';
import { startBenchRedis } from './support/bench-redis.js';

const CLIENTS = 1000;
const YEAR_S = 31_536_000;
const ALGORITHM: AlgorithmName = 'sliding-window';

interface Case {
  readonly counters: CounterStore;
  readonly cache: boolean;
  readonly overLimit: boolean;
  readonly inFlight: number;
  readonly calls: number;
}

async function allowsPerSecond(name: string, c: Case): Promise<number> {
  const config = new MemoryConfigStore(systemClock);
  const limiter = new RateLimiter({
    counters: c.counters,
    config,
    clock: systemClock,
    ...(c.cache ? { overLimitCache: new OverLimitCache() } : {}),
  });
  const ids = Array.from({ length: CLIENTS }, (_, i) => `${name}-${i}`);
  for (const id of ids) {
    await config.setLimit(id, { limit: c.overLimit ? 1 : 1e15, window: YEAR_S, algorithm: ALGORITHM });
    // over the limit: the first call spends it, the second is denied (and, with the cache, kept)
    if (c.overLimit) for (let i = 0; i < 2; i++) await limiter.allow(id);
  }
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: c.inFlight }, async () => {
      while (next < c.calls) await limiter.allow(ids[next++ % CLIENTS] ?? '');
    }),
  );
  return Math.round(c.calls / ((performance.now() - started) / 1000));
}

const redisServer = await startBenchRedis();
const redis = new RedisCounterStore({
  connection: { mode: 'single', url: redisServer.server.url },
  keyPrefix: `bench-olc-${Date.now()}`,
  deadlineMs: 5000,
});
const memory = new MemoryCounterStore({ clock: systemClock, sweepIntervalMs: 0 });
try {
  await redis.ready();
  const cases: [string, Omit<Case, 'cache'>][] = [
    [
      'redis, over the limit, 64 in flight',
      { counters: redis, overLimit: true, inFlight: 64, calls: 200_000 },
    ],
    [
      'redis, under the limit, 64 in flight',
      { counters: redis, overLimit: false, inFlight: 64, calls: 200_000 },
    ],
    [
      'memory, under the limit, 1 in flight',
      { counters: memory, overLimit: false, inFlight: 1, calls: 1_000_000 },
    ],
  ];
  process.stdout.write(`redis ${redisServer.version}, ${ALGORITHM}, ${CLIENTS} clients\n`);
  for (const [label, c] of cases) {
    for (const cache of [false, true]) {
      const rate = await allowsPerSecond(`${label}-${cache}`, { ...c, cache });
      process.stdout.write(`${label}, cache ${cache ? 'on ' : 'off'}: ${rate} allows/s\n`);
    }
  }
} finally {
  await redis.close();
  await memory.close();
  await redisServer.server.stop();
}
