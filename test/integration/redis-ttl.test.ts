/**
 * Every counter key has a TTL, denials write nothing, and once every window has passed with no
 * traffic no counter key is left (real redis-server, server time, 1 s windows).
 */
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALGORITHMS } from '../../src/core/types.js';
import type { CounterRequest } from '../../src/store/counter-store.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const WINDOW_MS = 1000;
/** the scripts' TTL slack (lib/call.lua) */
const TTL_SLACK_MS = 1000;
/** the longest any state matters: sliding-window, two windows after its window start */
const LONGEST_STATE_MS = 2 * WINDOW_MS;

let server: RedisServer;
let store: RedisCounterStore;
let raw: Redis;
const prefix = `ttl-${process.pid}-${Date.now()}`;

async function scanKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await raw.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function serverTimeMs(): Promise<number> {
  const [seconds, micros] = await raw.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

beforeAll(async () => {
  server = await startRedis();
  store = new RedisCounterStore({
    connection: { mode: 'single', url: server.url },
    keyPrefix: prefix,
    deadlineMs: 5000,
  });
  await store.ready();
  raw = new Redis(server.url);
});

afterAll(async () => {
  await store.close();
  raw.disconnect();
  await server.stop();
});

describe('Redis counter keys expire', () => {
  it('a denied call writes nothing', async () => {
    for (const algorithm of ALGORITHMS) {
      const outcome = await store.consume({
        clientId: 'denied',
        algorithm,
        cost: 6,
        limit: 5,
        windowMs: WINDOW_MS,
      });
      expect(outcome.reason).toBe('cost_exceeds_limit');
    }
    expect(await scanKeys()).toEqual([]);
  });

  it('a denial lengthens the TTL when the state matters for longer, and never shortens it', async () => {
    const key = (clientId: string, suffix: string): string => `${prefix}:v1:{${clientId}}:${suffix}`;
    // client 'cut', token-bucket, `cost` of `limit` per second
    const cutRequest = (cost: number, limit: number): CounterRequest => ({
      clientId: 'cut',
      algorithm: 'token-bucket',
      cost,
      limit,
      windowMs: WINDOW_MS,
    });
    // token-bucket, 10 per second, all used: empty again within a second
    await store.consume(cutRequest(10, 10));
    expect(await raw.pttl(key('cut', 'tb'))).toBeLessThanOrEqual(WINDOW_MS + TTL_SLACK_MS);
    // the limit cut to 1 per second: the same 10 units now take 10 s to drain
    const cut = await store.consume(cutRequest(1, 1));
    expect(cut).toMatchObject({ allowed: false, reason: 'limit_exceeded' });
    expect(cut.resetMs).toBeGreaterThan(9 * WINDOW_MS);
    const extended = await raw.pttl(key('cut', 'tb'));
    expect(extended).toBeGreaterThan(WINDOW_MS + TTL_SLACK_MS);
    expect(extended).toBeLessThanOrEqual(cut.resetMs + TTL_SLACK_MS);
    // a denial under the old limit does not shorten it again
    await store.consume(cutRequest(10, 10));
    expect(await raw.pttl(key('cut', 'tb'))).toBeGreaterThan(WINDOW_MS + TTL_SLACK_MS);

    // fixed-window, window lengthened from 1 s to 1 h: the running window stays open for the hour
    await store.consume({
      clientId: 'longer',
      algorithm: 'fixed-window',
      cost: 3,
      limit: 3,
      windowMs: WINDOW_MS,
    });
    const longer = await store.consume({
      clientId: 'longer',
      algorithm: 'fixed-window',
      cost: 1,
      limit: 3,
      windowMs: 3_600_000,
    });
    expect(longer).toMatchObject({ allowed: false, reason: 'limit_exceeded' });
    expect(await raw.pttl(key('longer', 'fw'))).toBeGreaterThan(3_600_000 - WINDOW_MS);
    await store.reset('cut');
    await store.reset('longer');
  });

  it('every key written has a TTL, and none is left once every window has passed', async () => {
    for (let client = 0; client < 20; client++) {
      for (const algorithm of ALGORITHMS) {
        // up to and past the limit: allowed calls write, the denied ones must not disturb the TTL
        for (let call = 0; call < 4; call++) {
          await store.consume({
            clientId: `client ${client}`,
            algorithm,
            cost: 1,
            limit: 3,
            windowMs: WINDOW_MS,
          });
        }
      }
    }
    const lastWrite = await serverTimeMs();
    const keys = await scanKeys();
    expect(keys).toHaveLength(20 * ALGORITHMS.length);
    for (const key of keys) {
      const ttl = await raw.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(LONGEST_STATE_MS + TTL_SLACK_MS);
    }

    // wait on the server's clock until every TTL has run out, then look again
    while ((await serverTimeMs()) <= lastWrite + LONGEST_STATE_MS + TTL_SLACK_MS) await sleep(100);
    expect(await scanKeys()).toEqual([]);
  });
});
