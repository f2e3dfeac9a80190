import type { AlgorithmName } from '../../src/core/types.js';
import { RateLimiter } from '../../src/limiter/rate-limiter.js';
import type { CounterStore } from '../../src/store/counter-store.js';
import { MemoryConfigStore } from '../../src/store/memory/memory-config-store.js';
import { systemClock } from '../../src/store/memory/system-clock.js';
import type { RedisServer } from '../../test/support/redis-server.js';
import { BENCH_LIMIT } from './bench-limit.js';
import { openRedisCounterStore } from './our-redis-store.js';
import type { Subject } from './subject.js';

function consumeSubject(store: CounterStore, algorithm: AlgorithmName): Subject {
  const windowMs = BENCH_LIMIT.window * 1000;
  return {
    name: `ours: RedisCounterStore.consume ${algorithm}`,
    family: 'ours',
    async call(clientId) {
      const outcome = await store.consume({
        clientId,
        algorithm,
        cost: 1,
        limit: BENCH_LIMIT.limit,
        windowMs,
      });
      return outcome.allowed;
    },
    close: () => Promise.resolve(),
  };
}

async function allowSubject(store: CounterStore, algorithm: AlgorithmName): Promise<Subject> {
  const config = new MemoryConfigStore(systemClock);
  await config.setDefaults({ ...BENCH_LIMIT, algorithm });
  const limiter = new RateLimiter({ counters: store, config, clock: systemClock });
  return {
    name: `ours: RateLimiter.allow ${algorithm}`,
    family: 'ours',
    async call(clientId) {
      return (await limiter.allow(clientId)).allowed;
    },
    close: () => config.close(),
  };
}

/**
 * Our subjects on the bench Redis: per algorithm, the store's consume and the whole
 * RateLimiter.allow (validation, policy from a MemoryConfigStore default limit, one store call).
 * Each subject has its own store (its own connection).
 */
export async function openOurSubjects(
  server: RedisServer,
  algorithms: readonly AlgorithmName[],
): Promise<Subject[]> {
  const subjects: Subject[] = [];
  for (const algorithm of algorithms) {
    for (const make of [consumeSubject, allowSubject]) {
      const store = await openRedisCounterStore(server.url);
      const subject = await make(store, algorithm);
      subjects.push({
        ...subject,
        close: async () => {
          await subject.close();
          await store.close();
        },
      });
    }
  }
  return subjects;
}
