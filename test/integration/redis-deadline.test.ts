/**
 * A call against a Redis that does not answer (the process stopped with SIGSTOP: the TCP
 * connection stays up, nothing replies) rejects with StoreUnavailableError at the store's
 * deadline, and the reply that arrives after SIGCONT, or the connection error after close(),
 * surfaces nowhere: no unhandled rejection. (What is asserted is the error type, not a duration.)
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import type { CounterRequest } from '../../src/store/counter-store.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

let server: RedisServer;
const prefix = `deadline-${process.pid}-${Date.now()}`;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

const request: CounterRequest = {
  clientId: 'paused',
  algorithm: 'sliding-window',
  cost: 1,
  limit: 10,
  windowMs: 60_000,
};

function newStore(): RedisCounterStore {
  return new RedisCounterStore({
    connection: { mode: 'single', url: server.url },
    keyPrefix: prefix,
    deadlineMs: 50,
  });
}

/** Runs `use` with the Redis process stopped, and always continues it. */
async function whilePaused<T>(use: () => Promise<T>): Promise<T> {
  process.kill(server.pid, 'SIGSTOP');
  try {
    return await use();
  } finally {
    process.kill(server.pid, 'SIGCONT');
  }
}

/** Lets late replies and their promise jobs run, so an unhandled rejection would be reported. */
async function drain(store: RedisCounterStore): Promise<void> {
  // a round trip on the same connection comes back after every earlier reply
  await store.peek(request);
  await new Promise((resolve) => setImmediate(resolve));
}

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
});

describe('RedisCounterStore deadline', () => {
  it('rejects with StoreUnavailableError when Redis does not answer; the late reply is dropped', async () => {
    const store = newStore();
    try {
      await store.ready();
      expect((await store.consume(request)).remaining).toBe(9);
      const settled = await whilePaused(() =>
        Promise.allSettled([store.consume(request), store.peek(request), store.reset('paused')]),
      );
      for (const result of settled) {
        expect(result.status).toBe('rejected');
        if (result.status === 'rejected') {
          expect(result.reason).toBeInstanceOf(StoreUnavailableError);
          expect(String(result.reason)).toMatch(/did not answer within 50 ms/);
        }
      }
      // after SIGCONT the three commands run and reply to nobody
      await drain(store);
      expect(unhandled).toEqual([]);
      // the consume ran late (it had been sent), then the reset
      expect((await store.peek(request)).remaining).toBe(10);
    } finally {
      await store.close();
    }
  });

  it('ping answers while Redis answers, and rejects with StoreUnavailableError while it is stopped', async () => {
    const store = newStore();
    try {
      await store.ready();
      await expect(store.ping(1000)).resolves.toBeUndefined();
      // the connection stays up (ready), the server answers nothing
      await whilePaused(() => expect(store.ping(100)).rejects.toThrow(/ping did not answer within 100 ms/));
      await expect(store.ping(1000)).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('a late failure after close() is not an unhandled rejection either', async () => {
    const store = newStore();
    await store.ready();
    await whilePaused(async () => {
      await expect(store.consume(request)).rejects.toBeInstanceOf(StoreUnavailableError);
      // quit cannot be answered either: close() drops the connection, failing the pending command
      await store.close();
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });
});
