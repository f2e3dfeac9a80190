/**
 * Instance clock skew cannot hand out extra budget: with Redis, decisions use the server's clock.
 * Two RateLimiter instances whose local clocks differ by 10 s, each with its own store (own
 * connection) on one redis-server, together admit exactly the limit. A control run shows the same
 * setup would admit more if the store took the instances' local times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlgorithmName } from '../../src/core/types.js';
import { RateLimiter } from '../../src/limiter/rate-limiter.js';
import { ManualClock } from '../../src/store/memory/manual-clock.js';
import { MemoryConfigStore } from '../../src/store/memory/memory-config-store.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const SKEW_MS = 10_000;
const LIMIT = 100;
const CALLS = 300;

/**
 * sliding-log is exact over any 10 s, so a 10 s window shows the skew (the test takes far less
 * than 10 s); the others use a one-year window, so a real window boundary or refill cannot land
 * inside the test.
 */
const WINDOWS: Readonly<Record<AlgorithmName, number>> = {
  'sliding-log': 10,
  'fixed-window': 31_536_000,
  'sliding-window': 31_536_000,
  'token-bucket': 31_536_000,
  'leaky-bucket': 31_536_000,
};

let server: RedisServer;
let stores: RedisCounterStore[];
const prefix = `clock-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  server = await startRedis();
  stores = [0, 1].map(
    () => new RedisCounterStore({ connection: { mode: 'single', url: server.url }, keyPrefix: prefix, deadlineMs: 5000 }),
  );
  await Promise.all(stores.map((s) => s.ready()));
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server.stop();
});

describe('clock skew between instances (Redis server time)', () => {
  for (const [algorithm, window] of Object.entries(WINDOWS) as [AlgorithmName, number][]) {
    it(`${algorithm}: two instances 10 s apart admit exactly the limit together`, async () => {
      const base = Date.now();
      const config = new MemoryConfigStore(new ManualClock(base));
      const clientId = `skew-${algorithm}`;
      await config.setLimit(clientId, { limit: LIMIT, window, algorithm });
      const limiters = stores.map(
        (counters, i) => new RateLimiter({ counters, config, clock: new ManualClock(base + i * SKEW_MS) }),
      );
      let admitted = 0;
      for (let call = 0; call < CALLS; call++) {
        // alternate instances: each sees the other's spending
        const decision = await limiters[call % 2]?.allow(clientId);
        if (decision?.allowed === true) admitted++;
      }
      expect(admitted).toBe(LIMIT);
    });
  }

  it('control: the same calls with each instance passing its own local time admit twice the limit', async () => {
    const base = Date.now();
    const clocks = [new ManualClock(base), new ManualClock(base + SKEW_MS)];
    let admitted = 0;
    for (let call = 0; call < CALLS; call++) {
      // the instance behind goes first: to the one 10 s ahead, its entries have left the window
      const i = call < CALLS / 2 ? 0 : 1;
      const outcome = await stores[i]?.consume({
        clientId: 'skew-control',
        algorithm: 'sliding-log',
        cost: 1,
        limit: LIMIT,
        windowMs: WINDOWS['sliding-log'] * 1000,
        now: clocks[i]?.now() ?? 0,
      });
      if (outcome?.allowed === true) admitted++;
    }
    expect(admitted).toBe(2 * LIMIT);
  });
});
