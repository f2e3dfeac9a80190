import type { CounterStore } from '../../src/store/counter-store.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';

/** Key prefix of everything our store writes in the bench Redis. */
const BENCH_KEY_PREFIX = 'bench-ours';

/**
 * Our Redis counter store on `url` (single node), connected: it has no offline queue, so a command
 * before `ready` would fail. Default deadline (RL_STORE_DEADLINE_MS default, 50 ms), as the service
 * runs it: a call slower than that counts as an error in the bench.
 */
export async function openRedisCounterStore(url: string): Promise<CounterStore> {
  const store = new RedisCounterStore({ connection: { mode: 'single', url }, keyPrefix: BENCH_KEY_PREFIX });
  try {
    await store.ready();
    return store;
  } catch (err) {
    await store.close();
    throw err;
  }
}
