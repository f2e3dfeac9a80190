import { afterEach, describe, expect, it, vi } from 'vitest';
import { ALGORITHMS } from '../../src/core/types.js';
import type { CounterRequest } from '../../src/store/counter-store.js';
import { ManualClock } from '../../src/store/memory/manual-clock.js';
import { MemoryCounterStore } from '../../src/store/memory/memory-counter-store.js';
import { describeCounterStoreContract } from '../support/counter-store-contract.js';

describeCounterStoreContract('memory', () =>
  Promise.resolve({
    store: new MemoryCounterStore({ clock: new ManualClock(1_700_000_000_000), sweepIntervalMs: 0 }),
  }),
);

const T = 1_700_000_000_000;

function setup() {
  const clock = new ManualClock(T);
  const store = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
  return { clock, store };
}

function req(
  clientId: string,
  algorithm: CounterRequest['algorithm'],
  cost: number,
  limit: number,
  windowMs: number,
): CounterRequest {
  return { clientId, algorithm, cost, limit, windowMs };
}

describe('MemoryCounterStore', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses its clock when a request has no explicit time', async () => {
    const { clock, store } = setup();
    await store.consume(req('c', 'fixed-window', 3, 3, 1000));
    expect(await store.peek(req('c', 'fixed-window', 1, 3, 1000))).toMatchObject({
      allowed: false,
      retryAfterMs: 1000,
    });
    clock.advance(1000);
    expect(await store.peek(req('c', 'fixed-window', 3, 3, 1000))).toMatchObject({
      allowed: true,
      remaining: 3,
    });
  });

  it('sweeps an entry exactly at its expiry, not a millisecond before', async () => {
    const { clock, store } = setup();
    // each state is empty again at: fixed-window T+1000, sliding-window T+2000, sliding-log T+1000,
    // token-bucket T+1000, leaky-bucket T+1000
    for (const algorithm of ALGORITHMS) await store.consume(req('c', algorithm, 3, 3, 1000));
    // denied calls and peeks store nothing new
    await store.consume(req('d', 'fixed-window', 4, 3, 1000));
    await store.peek(req('e', 'fixed-window', 1, 3, 1000));
    expect(store.size).toBe(5);
    clock.set(T + 999);
    expect(store.sweep()).toBe(0);
    clock.set(T + 1000);
    expect(store.sweep()).toBe(4);
    expect(store.size).toBe(1);
    clock.set(T + 1999);
    expect(store.sweep()).toBe(0);
    clock.set(T + 2000);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(0);
  });

  it('sweeps incrementally within a budget and wraps around, so sweep() sees every entry', async () => {
    const { clock, store } = setup();
    // 20 states empty at T+1000, 5 at T+6000
    for (let i = 0; i < 20; i++) await store.consume(req(`c${i}`, 'fixed-window', 1, 1, 1000));
    for (let i = 20; i < 25; i++)
      await store.consume({ ...req(`c${i}`, 'fixed-window', 1, 1, 1000), now: T + 5000 });
    // a bounded sweep before anything expired moves the cursor past the first 3 entries
    clock.set(T + 999);
    expect(store.sweep(3)).toBe(0);
    clock.set(T + 1000);
    // 3 entries per call, continuing where the last call stopped
    expect(store.sweep(3)).toBe(3);
    expect(store.size).toBe(22);
    // unbounded: from the cursor to the end, then from the start (the 3 passed over before)
    expect(store.sweep()).toBe(17);
    expect(store.size).toBe(5);
    clock.set(T + 6000);
    expect(store.sweep(2)).toBe(2);
    expect(store.sweep()).toBe(3);
    expect(store.size).toBe(0);
    expect(store.sweep()).toBe(0);
  });

  it('a denial under a lowered limit extends the expiry: the sweep keeps the usage', async () => {
    const { clock, store } = setup();
    // token-bucket 10 per 1000 ms, 10 used: empty at T+1000 at that limit
    await store.consume(req('c', 'token-bucket', 10, 10, 1000));
    // lowered to 5: empty at T+2000; a denied call sees that
    expect(await store.consume(req('c', 'token-bucket', 1, 5, 1000))).toMatchObject({
      allowed: false,
      resetMs: 2000,
    });
    clock.set(T + 1000);
    expect(store.sweep()).toBe(0);
    clock.set(T + 1500);
    // level 10 - 7.5 = 2.5: 2 fit
    expect(await store.consume(req('c', 'token-bucket', 3, 5, 1000))).toMatchObject({
      allowed: false,
      remaining: 2,
    });
    clock.set(T + 2000);
    expect(store.sweep()).toBe(1);
    expect(store.size).toBe(0);
  });

  it('sweeps in the background on its interval, and close() stops it', async () => {
    vi.useFakeTimers();
    const clock = new ManualClock(T);
    const store = new MemoryCounterStore({ clock, sweepIntervalMs: 1000 });
    await store.consume(req('c', 'fixed-window', 1, 1, 1000));
    clock.set(T + 1000);
    vi.advanceTimersByTime(999);
    expect(store.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(store.size).toBe(0);
    await store.consume({ ...req('c', 'fixed-window', 1, 1, 1000), now: T + 1000 });
    await store.close();
    expect(store.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stays bounded: 100k distinct clients are all dropped once their windows have passed', async () => {
    const { clock, store } = setup();
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const algorithm = ALGORITHMS[i % ALGORITHMS.length] ?? 'fixed-window';
      const outcome = await store.consume(req(`client-${i}`, algorithm, 1 + (i % 3), 5, 1000));
      if (!outcome.allowed) throw new Error(`client-${i} denied`);
    }
    expect(store.size).toBe(n);
    // the longest lived state (sliding-window) is empty two windows after the window it was used in
    clock.set(T + 2000);
    expect(store.sweep()).toBe(n);
    expect(store.size).toBe(0);
  });
});
