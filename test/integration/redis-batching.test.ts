/**
 * Batching (RedisCounterStore dispatch 'batch', the default) on a real redis-server and a real
 * 3-primary Redis Cluster: concurrent decisions go out as one script call per slot (counted with
 * INFO commandstats), are decided in the order they were asked, give exactly what one call per
 * decision gives, and a key holding foreign data fails only its own callers.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import calculateSlot from 'cluster-key-slot';
import type { Outcome } from '../../src/core/types.js';
import { StoreUnavailableError } from '../../src/errors.js';
import type { CounterRequest } from '../../src/store/counter-store.js';
import { counterKey } from '../../src/store/redis/counter-key.js';
import type { RedisConnectionOptions } from '../../src/store/redis/redis-client.js';
import { RedisCounterStore, type RedisDispatch } from '../../src/store/redis/redis-counter-store.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const YEAR_MS = 31_536_000_000;
const NOW = 1_700_000_000_000;

let server: RedisServer;
let cluster: RedisCluster;
const prefix = `batching-${process.pid}-${Date.now()}`;
const stores: RedisCounterStore[] = [];

async function openStore(
  connection: RedisConnectionOptions,
  dispatch: RedisDispatch,
  keyPrefix: string,
  maxBatchItems?: number,
  batchSplitFrom?: number,
): Promise<RedisCounterStore> {
  const store = new RedisCounterStore({
    connection,
    keyPrefix,
    dispatch,
    deadlineMs: 10_000,
    ...(maxBatchItems === undefined ? {} : { maxBatchItems }),
    ...(batchSplitFrom === undefined ? {} : { batchSplitFrom }),
  });
  stores.push(store);
  await store.ready();
  return store;
}

function single(): RedisConnectionOptions {
  return { mode: 'single', url: server.url };
}

function clustered(): RedisConnectionOptions {
  return { mode: 'cluster', nodes: cluster.nodes.map((n) => `${n.host}:${n.port}`) };
}

/** Script calls (EVAL + EVALSHA) the server at host:port has run since its stats were last reset. */
async function scriptCalls(host: string, port: number): Promise<number> {
  const client = new Redis({ host, port, lazyConnect: true });
  try {
    await client.connect();
    const stats = await client.info('commandstats');
    const calls = (name: string): number =>
      Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
    return calls('eval') + calls('evalsha');
  } finally {
    client.disconnect();
  }
}

async function resetStats(host: string, port: number): Promise<void> {
  const client = new Redis({ host, port, lazyConnect: true });
  try {
    await client.connect();
    await client.config('RESETSTAT');
  } finally {
    client.disconnect();
  }
}

function request(clientId: string, limit: number, now: number | undefined = NOW): CounterRequest {
  const base = { clientId, algorithm: 'fixed-window' as const, cost: 1, limit, windowMs: YEAR_MS };
  return now === undefined ? base : { ...base, now };
}

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await Promise.all([server.stop(), cluster.stop()]);
});

describe('batched dispatch on a single redis-server', () => {
  // [batchSplitFrom, script calls for 300 decisions of one turn]: groups of at most 128 (128, 128,
  // 44); full ones go whole, the last one whole or, by default (from 16 items), as two halves
  const splits: readonly [number | undefined, number][] = [
    [Number.POSITIVE_INFINITY, 3],
    [undefined, 4],
  ];
  for (const [batchSplitFrom, expectedCalls] of splits) {
    it(`300 concurrent consumes of one client, batchSplitFrom ${batchSplitFrom ?? 'default'}: ${expectedCalls} script calls, exactly the limit allowed, in the order asked`, async () => {
      const store = await openStore(
        single(),
        'batch',
        `${prefix}-order-${expectedCalls}`,
        undefined,
        batchSplitFrom,
      );
      // the script is loaded on the connection before counting
      await store.peek(request('warm', 1));
      await resetStats(server.host, server.port);
      const outcomes = await Promise.all(
        Array.from({ length: 300 }, () => store.consume(request('one', 100))),
      );
      expect(await scriptCalls(server.host, server.port)).toBe(expectedCalls);
      // the first 100 asked are the ones allowed, remaining counting down in the order asked
      expect(outcomes.slice(0, 100).map((o) => o.remaining)).toEqual(
        Array.from({ length: 100 }, (_, i) => 99 - i),
      );
      expect(outcomes.slice(0, 100).every((o) => o.allowed)).toBe(true);
      expect(outcomes.slice(100).every((o) => !o.allowed && o.reason === 'limit_exceeded')).toBe(true);
    });
  }

  it('on the server clock too (no explicit time): one call for the turn, or two halves from 16 decisions', async () => {
    const store = await openStore(single(), 'batch', `${prefix}-server-time`);
    await store.peek(request('warm', 1, undefined));
    await resetStats(server.host, server.port);
    const few = await Promise.all(
      Array.from({ length: 15 }, (_, i) => store.consume(request(`few${i % 5}`, 2, undefined))),
    );
    expect(await scriptCalls(server.host, server.port)).toBe(1);
    expect(few.filter((o) => o.allowed)).toHaveLength(5 * 2);
    await resetStats(server.host, server.port);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.consume(request(`c${i % 5}`, 4, undefined))),
    );
    expect(await scriptCalls(server.host, server.port)).toBe(2);
    expect(outcomes.filter((o) => o.allowed)).toHaveLength(5 * 4);
  });

  it('gives exactly what one call per decision and auto-pipelining give, over many clients and both entries', async () => {
    const run = async (dispatch: RedisDispatch): Promise<Outcome[]> => {
      const store = await openStore(single(), dispatch, `${prefix}-same-${dispatch}`);
      // 400 calls over 40 clients with limit 7, peeks among each client's consumes, in one turn
      return Promise.all(
        Array.from({ length: 400 }, (_, i) => {
          const r = { ...request(`c${i % 40}`, 7), cost: 1 + (i % 3) };
          return i % 7 === 3 ? store.peek(r) : store.consume(r);
        }),
      );
    };
    const perCall = await run('per-call');
    expect(perCall.filter((o) => o.allowed).length).toBeGreaterThan(40);
    expect(await run('batch')).toEqual(perCall);
    expect(await run('auto-pipeline')).toEqual(perCall);
  });

  it('a key holding foreign data fails its own callers only; the others are decided', async () => {
    const keyPrefix = `${prefix}-foreign`;
    const store = await openStore(single(), 'batch', keyPrefix);
    const admin = new Redis(server.url);
    try {
      const key = counterKey(keyPrefix, 'poisoned', 'fixed-window');
      await admin.set(key, 'not counter state');
      const ids = ['a', 'poisoned', 'b', 'poisoned', 'c'];
      const results = await Promise.allSettled(ids.map((id) => store.consume(request(id, 10))));
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      for (const r of results) {
        if (r.status === 'rejected') {
          expect(r.reason).toBeInstanceOf(StoreUnavailableError);
          expect(String(r.reason)).toMatch(/RL_STATE/);
        } else {
          expect(r.value).toEqual({
            allowed: true,
            remaining: 9,
            resetMs: expect.any(Number) as number,
            retryAfterMs: 0,
            reason: 'ok',
          });
        }
      }
      expect(await admin.get(key)).toBe('not counter state');
    } finally {
      admin.disconnect();
    }
  });

  it('a key of another type (a hash) or foreign data in a turn split in halves: the others keep their order', async () => {
    const keyPrefix = `${prefix}-foreign-split`;
    const store = await openStore(single(), 'batch', keyPrefix);
    const admin = new Redis(server.url);
    try {
      await admin.hset(counterKey(keyPrefix, 'hash', 'fixed-window'), 'field', 'value');
      await admin.set(counterKey(keyPrefix, 'junk', 'fixed-window'), '\xc1');
      // MessagePack that decodes, but not to an array of numbers: a map {"a":1}, an array ["x"]
      await admin.set(counterKey(keyPrefix, 'map', 'fixed-window'), Buffer.from([0x81, 0xa1, 0x61, 0x01]));
      await admin.set(counterKey(keyPrefix, 'strings', 'fixed-window'), Buffer.from([0x91, 0xa1, 0x78]));
      // 60 decisions in one turn (two calls of 30): client "a" asked 20 times, among keys that fail
      const foreign = ['junk', 'hash', 'map', 'strings'];
      const ids = Array.from({ length: 20 }, (_, i) => [
        foreign[i % 4] ?? 'junk',
        'a',
        foreign[(i + 1) % 4] ?? 'hash',
      ]).flat();
      await resetStats(server.host, server.port);
      const results = await Promise.allSettled(ids.map((id) => store.consume(request(id, 10))));
      expect(await scriptCalls(server.host, server.port)).toBe(2);
      const mine = results.filter((_, i) => ids[i] === 'a');
      // the first 10 asked are allowed, counting down in the order asked, then denied
      expect(mine.map((r) => (r.status === 'fulfilled' ? r.value.remaining : String(r.reason)))).toEqual([
        ...Array.from({ length: 10 }, (_, i) => 9 - i),
        ...Array.from({ length: 10 }, () => 0),
      ]);
      expect(mine.map((r) => r.status === 'fulfilled' && r.value.allowed)).toEqual([
        ...Array.from({ length: 10 }, () => true),
        ...Array.from({ length: 10 }, () => false),
      ]);
      const failed = results.filter((_, i) => ids[i] !== 'a');
      expect(failed.every((r) => r.status === 'rejected' && r.reason instanceof StoreUnavailableError)).toBe(
        true,
      );
      expect(await admin.hget(counterKey(keyPrefix, 'hash', 'fixed-window'), 'field')).toBe('value');
      expect(await admin.getBuffer(counterKey(keyPrefix, 'map', 'fixed-window'))).toEqual(
        Buffer.from([0x81, 0xa1, 0x61, 0x01]),
      );
      expect(await admin.getBuffer(counterKey(keyPrefix, 'strings', 'fixed-window'))).toEqual(
        Buffer.from([0x91, 0xa1, 0x78]),
      );
      expect(await admin.pttl(counterKey(keyPrefix, 'hash', 'fixed-window'))).toBe(-1);
    } finally {
      admin.disconnect();
    }
  });

  it('refuses auto-pipelining on a Cluster', () => {
    expect(() => new RedisCounterStore({ connection: clustered(), dispatch: 'auto-pipeline' })).toThrow(
      /ioredis#536/,
    );
  });
});

describe('batched dispatch on a Redis Cluster', () => {
  it('one script call per slot in a turn, each client decided alone, ids with braces and spaces included', async () => {
    const keyPrefix = `${prefix}-cluster`;
    const store = await openStore(clustered(), 'batch', keyPrefix);
    const ids = Array.from({ length: 60 }, (_, i) =>
      i % 3 === 0 ? `{u${i}}` : i % 3 === 1 ? `u ${i}:x` : `}u${i}{`,
    );
    // warm every node's script cache
    await Promise.all(ids.map((id) => store.peek(request(id, 1))));
    await Promise.all(cluster.nodes.map((n) => resetStats(n.host, n.port)));
    // 5 calls per client, limit 3, all in one turn
    const asked = ids.flatMap((id) => Array.from({ length: 5 }, () => id));
    const outcomes = await Promise.all(asked.map((id) => store.consume(request(id, 3))));
    const slots = new Set(ids.map((id) => calculateSlot(counterKey(keyPrefix, id, 'fixed-window'))));
    const calls = await Promise.all(cluster.nodes.map((n) => scriptCalls(n.host, n.port)));
    expect(calls.reduce((a, b) => a + b, 0)).toBe(slots.size);
    // every node took part: the clients are spread over the cluster
    expect(calls.every((c) => c > 0)).toBe(true);
    for (const id of ids) {
      const mine = outcomes.filter((_, i) => asked[i] === id);
      expect(mine.map((o) => o.remaining)).toEqual([2, 1, 0, 0, 0]);
      expect(mine.map((o) => o.allowed)).toEqual([true, true, true, false, false]);
    }
  });

  it('gives exactly what one call per decision gives', async () => {
    const run = async (dispatch: RedisDispatch): Promise<Outcome[]> => {
      const store = await openStore(clustered(), dispatch, `${prefix}-cluster-same-${dispatch}`, 16);
      return Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          store.consume({ ...request(`k{${i % 30}}`, 5), cost: 1 + (i % 2) }),
        ),
      );
    };
    const perCall = await run('per-call');
    expect(await run('batch')).toEqual(perCall);
  });
});
