/**
 * The store survives the script cache being flushed and Redis being restarted (real
 * redis-server).
 *
 * SCRIPT FLUSH: no call fails, and counting goes on exactly where it was (ioredis answers NOSCRIPT
 * by sending the script again).
 * Restart: while the server is down, calls reject with StoreUnavailableError at once (they never
 * hang, and are never queued to run later); once the client has reconnected (store.ready()), every
 * call succeeds, on an empty server (the harness keeps no data across a restart).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import type { CounterRequest } from '../../src/store/counter-store.js';
import { counterKey } from '../../src/store/redis/counter-key.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const YEAR_MS = 31_536_000_000;

let server: RedisServer;
let store: RedisCounterStore;
const prefix = `recovery-${process.pid}-${Date.now()}`;

function request(clientId: string): CounterRequest {
  return { clientId, algorithm: 'fixed-window', cost: 1, limit: 1000, windowMs: YEAR_MS };
}

beforeAll(async () => {
  server = await startRedis();
  store = new RedisCounterStore({
    connection: { mode: 'single', url: server.url },
    keyPrefix: prefix,
    deadlineMs: 5000,
  });
  await store.ready();
});

afterAll(async () => {
  await store.close();
  await server.stop();
});

async function withAdmin<T>(use: (client: Redis) => Promise<T>): Promise<T> {
  const admin = new Redis(server.url);
  try {
    return await use(admin);
  } finally {
    admin.disconnect();
  }
}

describe('RedisCounterStore recovery', () => {
  it('goes on counting, without an error, after SCRIPT FLUSH', async () => {
    for (let i = 1; i <= 10; i++) expect((await store.consume(request('flush'))).remaining).toBe(1000 - i);
    for (let round = 0; round < 3; round++) {
      expect(await withAdmin((admin) => admin.script('FLUSH'))).toBe('OK');
      // in flight together: every one of them meets NOSCRIPT and is sent again
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.consume(request('flush'))));
      expect(outcomes.every((o) => o.allowed)).toBe(true);
      const remaining = outcomes.map((o) => o.remaining).sort((a, b) => b - a);
      const used = 10 + 20 * round;
      expect(remaining).toEqual(Array.from({ length: 20 }, (_, i) => 1000 - used - i - 1));
      expect((await store.peek(request('flush'))).remaining).toBe(1000 - used - 20);
    }
  });

  it('refuses a key that holds something other than counter state, and writes nothing', async () => {
    const key = counterKey(prefix, 'foreign', 'fixed-window');
    await withAdmin(async (admin) => {
      await admin.set(key, 'not msgpack state');
      await expect(store.consume(request('foreign'))).rejects.toThrow(/RL_STATE/);
      await expect(store.consume(request('foreign'))).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await admin.get(key)).toBe('not msgpack state');
      expect(await admin.pttl(key)).toBe(-1);
    });
  });

  it('rejects with StoreUnavailableError at once, not at the deadline, while Redis is down', async () => {
    const down = await startRedis();
    const patient = new RedisCounterStore({
      connection: { mode: 'single', url: down.url },
      keyPrefix: prefix,
      // far longer than the test timeout: only a fail-fast rejection can settle these calls
      deadlineMs: 600_000,
    });
    try {
      await patient.ready();
      expect((await patient.consume(request('down'))).allowed).toBe(true);
      await down.stop();
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => patient.consume(request('down'))),
      );
      for (const result of results) {
        expect(result.status).toBe('rejected');
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(StoreUnavailableError);
          expect(String(result.reason)).not.toMatch(/did not answer within/);
        }
      }
    } finally {
      await patient.close();
      await down.stop();
    }
  });

  it('after a restart, every call succeeds once the client has reconnected', async () => {
    expect((await store.consume(request('restart'))).remaining).toBe(999);
    const restarted = server.restart();
    // the old process is gone (or going) and the new one not yet up: no call may hang
    const during = await Promise.allSettled(
      Array.from({ length: 5 }, () => store.consume(request('restart'))),
    );
    for (const result of during) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(StoreUnavailableError);
    }
    await restarted;
    await store.ready();
    const after: number[] = [];
    for (let i = 0; i < 200; i++) after.push((await store.consume(request('after-restart'))).remaining);
    expect(after).toEqual(Array.from({ length: 200 }, (_, i) => 999 - i));
    // the server lost its data: the client counts from zero again
    expect((await store.consume(request('restart'))).remaining).toBe(999);
  });
});
