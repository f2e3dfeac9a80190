/**
 * The over-limit cache on a real redis-server (and, for changes made elsewhere, a real etcd):
 * after a denial, further calls before the retry time are denied without reaching Redis (counted
 * with INFO commandstats on this test's own server), and a limit or throttle change drops the
 * entry at once, so the next call reaches Redis and is allowed when the new limit allows.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/core/types.js';
import { OverLimitCache } from '../../src/limiter/over-limit-cache.js';
import { RateLimiter } from '../../src/limiter/rate-limiter.js';
import type { ConfigStore } from '../../src/store/config-store.js';
import { EtcdClient } from '../../src/store/etcd/etcd-client.js';
import { EtcdConfigStore } from '../../src/store/etcd/etcd-config-store.js';
import { MemoryConfigStore } from '../../src/store/memory/memory-config-store.js';
import { systemClock } from '../../src/store/memory/system-clock.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import { startEtcd, type EtcdServer } from '../support/etcd.js';
import { eventually } from '../support/eventually.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

/** one year: no window ends or bucket refills a whole unit while the test runs */
const YEAR_S = 31_536_000;

let server: RedisServer;
let counters: RedisCounterStore;
let admin: Redis;
const prefix = `olc-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  server = await startRedis();
  counters = new RedisCounterStore({
    connection: { mode: 'single', url: server.url },
    keyPrefix: prefix,
    deadlineMs: 5000,
  });
  await counters.ready();
  admin = new Redis(server.url);
});

afterAll(async () => {
  admin.disconnect();
  await counters.close();
  await server.stop();
});

/** Script calls the server has run (every decision is one; the commands inside count apart). */
async function scriptCalls(): Promise<number> {
  const info = await admin.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_(eval|evalsha|eval_ro|evalsha_ro):calls=(\d+)/gm)) {
    total += Number(match[2]);
  }
  return total;
}

function cachedLimiter(config: ConfigStore) {
  let hits = 0;
  const cache = new OverLimitCache({ onHit: () => hits++ });
  const limiter = new RateLimiter({ counters, config, clock: systemClock, overLimitCache: cache });
  return { limiter, cache, hits: () => hits };
}

describe('over-limit cache on Redis', () => {
  it.each(ALGORITHMS)(
    '%s: denials before T do not reach Redis; a limit change reaches it at once',
    async (algorithm) => {
      const { limiter, cache, hits } = cachedLimiter(new MemoryConfigStore(systemClock));
      const id = `limit {${algorithm}}: ${randomUUID()}`;
      await limiter.setRateLimit(id, 3, YEAR_S, algorithm);
      for (let i = 0; i < 3; i++) expect((await limiter.allow(id)).allowed).toBe(true);
      const first = await limiter.allow(id);
      expect(first).toMatchObject({ allowed: false, remaining: 0, reason: 'limit_exceeded', limit: 3 });
      expect(first.retryAfterMs).toBeGreaterThan(1000);

      const before = await scriptCalls();
      for (let i = 0; i < 50; i++) {
        const decision = await limiter.allow(id);
        expect(decision).toMatchObject({ allowed: false, remaining: 0, reason: 'limit_exceeded', limit: 3 });
        expect(decision.retryAfterMs).toBeGreaterThan(0);
        expect(decision.retryAfterMs).toBeLessThanOrEqual(first.retryAfterMs);
        expect(decision.resetMs).toBe(first.resetMs - (first.retryAfterMs - decision.retryAfterMs));
      }
      expect(await scriptCalls()).toBe(before);
      expect(hits()).toBe(50);

      await limiter.setRateLimit(id, 5, YEAR_S, algorithm);
      expect(cache.size).toBe(0);
      expect(await limiter.allow(id)).toMatchObject({ allowed: true, limit: 5 });
      expect(await scriptCalls()).toBe(before + 1);
    },
  );

  it('a throttle change drops every entry: the next call reaches Redis and is allowed under the new multiplier', async () => {
    const { limiter, cache } = cachedLimiter(new MemoryConfigStore(systemClock));
    const ids = [`throttle a ${randomUUID()}`, `throttle b ${randomUUID()}`];
    await limiter.setThrottle(0.5, 'incident');
    for (const id of ids) {
      await limiter.setRateLimit(id, 4, YEAR_S, 'sliding-log');
      expect(await limiter.allow(id, 2)).toMatchObject({ allowed: true, limit: 2 });
      expect(await limiter.allow(id)).toMatchObject({ allowed: false, limit: 2, multiplierSource: 'manual' });
    }
    expect(cache.size).toBe(2);
    const before = await scriptCalls();
    for (const id of ids) expect((await limiter.allow(id)).allowed).toBe(false);
    expect(await scriptCalls()).toBe(before);

    await limiter.clearThrottle();
    expect(cache.size).toBe(0);
    for (const id of ids) {
      expect(await limiter.allow(id)).toMatchObject({ allowed: true, limit: 4, remaining: 1 });
    }
    expect(await scriptCalls()).toBe(before + 2);
  });

  describe('with etcd: a change written by another instance', () => {
    let etcd: EtcdServer;
    const clients: EtcdClient[] = [];
    const stores: EtcdConfigStore[] = [];
    const silent = pino({ level: 'silent' });

    beforeAll(async () => {
      etcd = await startEtcd();
    });

    afterAll(async () => {
      await Promise.all(stores.map((store) => store.close()));
      await Promise.all(clients.map((client) => client.close()));
      await etcd.stop();
    });

    async function instance(etcdPrefix: string): Promise<EtcdConfigStore> {
      const client = new EtcdClient({ endpoints: etcd.endpoints, logger: silent, writeDeadlineMs: 2_000 });
      clients.push(client);
      const store = await EtcdConfigStore.start({
        client,
        logger: silent,
        clock: systemClock,
        defaultAlgorithm: 'sliding-window',
        prefix: etcdPrefix,
      });
      stores.push(store);
      return store;
    }

    it('drops the entry when the watch delivers it; the next call is allowed', async () => {
      const etcdPrefix = `/olc-${randomUUID()}`;
      const mine = cachedLimiter(await instance(etcdPrefix));
      const other = new RateLimiter({ counters, config: await instance(etcdPrefix), clock: systemClock });
      const id = `etcd ${randomUUID()}`;
      await mine.limiter.setRateLimit(id, 1, YEAR_S, 'fixed-window');
      expect((await mine.limiter.allow(id)).allowed).toBe(true);
      expect((await mine.limiter.allow(id)).allowed).toBe(false);
      expect(mine.cache.size).toBe(1);

      await other.setRateLimit(id, 2, YEAR_S, 'fixed-window');
      await eventually(() => expect(mine.cache.size).toBe(0));
      const before = await scriptCalls();
      expect(await mine.limiter.allow(id)).toMatchObject({ allowed: true, limit: 2, remaining: 0 });
      expect(await scriptCalls()).toBe(before + 1);
    });
  });
});
