/**
 * Instance clock skew cannot hand out extra budget: with Redis, decisions use the server's clock.
 * Two RateLimiter instances whose local clocks differ by 10 s, each with its own store (own
 * connection) on one redis-server, together admit exactly the limit, for every algorithm. A control
 * run per algorithm shows the same instances would admit more if the store took their local times.
 *
 * The windows are chosen so that 10 s of skew is worth at least one unit while the real time the
 * test takes is worth none: limit 100 per 500 s refills one unit every 5 s (token-bucket, GCRA);
 * the skewed clocks straddle a window boundary of their own (fixed-window, sliding-window; the
 * real clock is kept clear of one); sliding-log is exact over its window, so its window is the skew.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALGORITHMS, type AlgorithmName } from '../../src/core/types.js';
import { RateLimiter } from '../../src/limiter/rate-limiter.js';
import { ManualClock } from '../../src/store/memory/manual-clock.js';
import { MemoryConfigStore } from '../../src/store/memory/memory-config-store.js';
import { MemoryCounterStore } from '../../src/store/memory/memory-counter-store.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const SKEW_MS = 10_000;
const LIMIT = 100;
const CALLS = 300;
const WINDOW_SECONDS: Readonly<Record<AlgorithmName, number>> = {
  'fixed-window': 500,
  'sliding-window': 500,
  'sliding-log': 10,
  'token-bucket': 500,
  'leaky-bucket': 500,
};
/** the local clock of instance 0: 5 s before a 500 s boundary, so instance 1 is 5 s past it */
const LOCAL_BASE = 4_000_000 * 500_000 - 5_000;
/** how close to a real window boundary the test may start (it takes well under a second) */
const BOUNDARY_MARGIN_MS = 3_000;

let server: RedisServer;
let stores: RedisCounterStore[];
let direct: Redis;
const prefix = `clock-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  server = await startRedis();
  stores = [0, 1].map(
    () =>
      new RedisCounterStore({
        connection: { mode: 'single', url: server.url },
        keyPrefix: prefix,
        deadlineMs: 5000,
      }),
  );
  await Promise.all(stores.map((s) => s.ready()));
  direct = new Redis(server.url);
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  direct.disconnect();
  await server.stop();
});

/** Waits until the real (server) time is not within the margin before a boundary of `windowMs`. */
async function clearOfRealBoundary(windowMs: number): Promise<void> {
  const [seconds, micros] = await direct.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const left = windowMs - (now % windowMs);
  if (left < BOUNDARY_MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

describe('clock skew between instances (Redis server time)', () => {
  for (const algorithm of ALGORITHMS) {
    const windowMs = WINDOW_SECONDS[algorithm] * 1000;

    it(`${algorithm}: two instances 10 s apart admit exactly the limit together`, async () => {
      await clearOfRealBoundary(windowMs);
      const config = new MemoryConfigStore(new ManualClock(LOCAL_BASE));
      const clientId = `skew-${algorithm}`;
      await config.setLimit(clientId, { limit: LIMIT, window: WINDOW_SECONDS[algorithm], algorithm });
      const limiters = stores.map(
        (counters, i) =>
          new RateLimiter({ counters, config, clock: new ManualClock(LOCAL_BASE + i * SKEW_MS) }),
      );
      let admitted = 0;
      for (let call = 0; call < CALLS; call++) {
        // the instance behind spends first, then they alternate: each sees the other's spending
        const i = call < LIMIT ? 0 : call % 2;
        const decision = await limiters[i]!.allow(clientId);
        if (decision.allowed) admitted++;
      }
      expect(admitted).toBe(LIMIT);
    });

    it(`control, ${algorithm}: with each instance's local time passed to Redis, the skew admits more`, async () => {
      const clientId = `skew-control-${algorithm}`;
      const model = new MemoryCounterStore({ clock: new ManualClock(0), sweepIntervalMs: 0 });
      let admitted = 0;
      let modelAdmitted = 0;
      for (let call = 0; call < CALLS; call++) {
        // the instance behind goes first: it spends the limit, then the one 10 s ahead asks
        const i = call < CALLS / 2 ? 0 : 1;
        const request = {
          clientId,
          algorithm,
          cost: 1,
          limit: LIMIT,
          windowMs,
          now: LOCAL_BASE + i * SKEW_MS,
        };
        if ((await stores[i]!.consume(request)).allowed) admitted++;
        if ((await model.consume(request)).allowed) modelAdmitted++;
      }
      await model.close();
      expect(admitted).toBeGreaterThan(LIMIT);
      expect(admitted).toBe(modelAdmitted);
    });
  }
});
