import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ALGORITHMS, type AlgorithmName, type Outcome } from '../../src/core/types.js';
import { OverLimitCache } from '../../src/limiter/over-limit-cache.js';
import { RateLimiter } from '../../src/limiter/rate-limiter.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { CounterRequest, CounterStore } from '../../src/store/counter-store.js';
import { ManualClock } from '../../src/store/memory/manual-clock.js';
import { MemoryConfigStore } from '../../src/store/memory/memory-config-store.js';
import { MemoryCounterStore } from '../../src/store/memory/memory-counter-store.js';

// aligned to 10 s, so fixed and sliding windows of 10 s start at T0
const T0 = 1_700_000_000_000;

/** The memory store, counting consume calls; with `hold`, answers wait for release() (in any order). */
class CountingStore implements CounterStore {
  readonly inner: MemoryCounterStore;
  consumed = 0;
  hold = false;
  readonly #waiting: (() => void)[] = [];

  constructor(clock: ManualClock) {
    this.inner = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
  }

  async consume(request: CounterRequest): Promise<Outcome> {
    this.consumed++;
    // decided now, in call order; answered when released
    const outcome = await this.inner.consume(request);
    if (this.hold) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return outcome;
  }

  peek(request: CounterRequest): Promise<Outcome> {
    return this.inner.peek(request);
  }

  reset(clientId: string): Promise<void> {
    return this.inner.reset(clientId);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** answers the held call number `index` (in call order) */
  release(index: number): void {
    this.#waiting[index]?.();
  }
}

function setup(maxEntries = 100) {
  const clock = new ManualClock(T0);
  const counters = new CountingStore(clock);
  const config = new MemoryConfigStore(clock);
  let hits = 0;
  const cache = new OverLimitCache({ maxEntries, onHit: () => hits++ });
  const limiter = new RateLimiter({ counters, config, clock, overLimitCache: cache });
  return { clock, counters, config, cache, limiter, hits: () => hits };
}

/** Limit 3 per 10 s, all used at T0: when does a call of 1 fit again? */
const RETRY_AFTER_FULL: Record<AlgorithmName, number> = {
  'fixed-window': 10_000,
  'sliding-log': 10_000,
  // next window, when ceil(3 x (10_000 - e) / 10_000) <= 2: e = 3334, i.e. T0 + 20_000 - 6666
  'sliding-window': 13_334,
  // one unit drains in 10_000 / 3 ms, rounded up
  'token-bucket': 3_334,
  'leaky-bucket': 3_334,
};

describe('over-limit cache in the RateLimiter', () => {
  describe.each(ALGORITHMS)('%s', (algorithm) => {
    it('denies further calls of the denied cost before T without the store, exactly as the store would', async () => {
      const { clock, counters, limiter, hits } = setup();
      await limiter.setRateLimit('c', 3, 10, algorithm);
      for (let i = 0; i < 3; i++) expect((await limiter.allow('c')).allowed).toBe(true);
      const retry = RETRY_AFTER_FULL[algorithm];
      expect(await limiter.allow('c')).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: retry });
      expect(counters.consumed).toBe(4);

      for (const at of [0, 1, 1000, retry - 1]) {
        clock.set(T0 + at);
        const local = await limiter.allow('c');
        // peek always reaches the store: the cached answer is its answer, field by field
        expect(local).toEqual(await limiter.peek('c'));
        expect(local).toMatchObject({ allowed: false, reason: 'limit_exceeded', retryAfterMs: retry - at });
      }
      expect(counters.consumed).toBe(4);
      expect(hits()).toBe(4);

      clock.set(T0 + retry);
      expect((await limiter.allow('c')).allowed).toBe(true);
      expect(counters.consumed).toBe(5);
    });

    it('answers a cost above the limit locally while the entry holds, with exact remaining and reset', async () => {
      const { clock, counters, limiter } = setup();
      await limiter.setRateLimit('c', 3, 10, algorithm);
      await limiter.allow('c', 3);
      await limiter.allow('c');
      clock.advance(700);
      const local = await limiter.allow('c', 4);
      expect(local).toEqual(await limiter.peek('c', 4));
      expect(local).toMatchObject({ allowed: false, reason: 'cost_exceeds_limit', retryAfterMs: 0 });
      expect(counters.consumed).toBe(2);
    });
  });

  it.each(['sliding-window', 'sliding-log', 'token-bucket', 'leaky-bucket'] as const)(
    '%s: keeps no entry when remaining could still grow before T (cost 2 denied with 0 left)',
    async (algorithm) => {
      const { counters, cache, limiter } = setup();
      await limiter.setRateLimit('c', 3, 10, algorithm);
      await limiter.allow('c', 3);
      expect(await limiter.allow('c', 2)).toMatchObject({ allowed: false, remaining: 0 });
      expect(cache.size).toBe(0);
      await limiter.allow('c', 2);
      expect(counters.consumed).toBe(3);
    },
  );

  it('sliding-log: an entry for cost 1 does not answer cost 2 (its retry time is unknown)', async () => {
    const { clock, counters, limiter } = setup();
    await limiter.setRateLimit('c', 3, 10, 'sliding-log');
    await limiter.allow('c', 1);
    clock.advance(4000);
    await limiter.allow('c', 2);
    // cost 1 fits once the entry of T0 has left; cost 2 once both have
    expect(await limiter.allow('c', 1)).toMatchObject({ allowed: false, retryAfterMs: 6000 });
    expect(await limiter.allow('c', 2)).toMatchObject({ allowed: false, retryAfterMs: 10_000 });
    expect(counters.consumed).toBe(4);
  });

  it('fixed-window: an entry answers every cost that cannot fit the constant remaining; smaller ones reach the store', async () => {
    const { clock, counters, cache, limiter } = setup();
    await limiter.setRateLimit('c', 5, 10, 'fixed-window');
    await limiter.allow('c', 3);
    expect(await limiter.allow('c', 4)).toMatchObject({ allowed: false, remaining: 2, retryAfterMs: 10_000 });
    clock.advance(2500);
    expect(await limiter.allow('c', 3)).toMatchObject({
      allowed: false,
      remaining: 2,
      resetMs: 7500,
      retryAfterMs: 7500,
    });
    expect(await limiter.allow('c', 5)).toMatchObject({ allowed: false, remaining: 2, retryAfterMs: 7500 });
    expect(counters.consumed).toBe(2);
    // 2 still fit: the store decides, and an allowed call drops the entry
    expect(await limiter.allow('c', 2)).toMatchObject({ allowed: true, remaining: 0 });
    expect(counters.consumed).toBe(3);
    expect(cache.size).toBe(0);
  });

  it('a limit change drops that client entry at once; the next call reaches the store and is allowed', async () => {
    const { counters, cache, limiter } = setup();
    for (const id of ['a', 'b']) {
      await limiter.setRateLimit(id, 2, 10, 'sliding-window');
      await limiter.allow(id, 2);
      await limiter.allow(id);
    }
    expect(cache.size).toBe(2);
    await limiter.setRateLimit('a', 3, 10, 'sliding-window');
    expect(cache.size).toBe(1);
    expect(await limiter.allow('a')).toMatchObject({ allowed: true, remaining: 0, limit: 3 });
    expect(counters.consumed).toBe(5);
    // b's entry still answers
    expect((await limiter.allow('b')).allowed).toBe(false);
    expect(counters.consumed).toBe(5);
  });

  it('a per-client override or a limit deletion drops that client entry; throttle, defaults and resync drop all', async () => {
    const { config, cache, limiter } = setup();
    const denyBoth = async (): Promise<void> => {
      for (const id of ['a', 'b']) {
        await limiter.setRateLimit(id, 1, 10, 'token-bucket');
        await limiter.allow(id);
        await limiter.allow(id);
      }
      expect(cache.size).toBe(2);
    };
    await denyBoth();
    await config.setClientOverride('a', { multiplier: 0.5 });
    expect(cache.size).toBe(1);
    await limiter.deleteRateLimit('b');
    expect(cache.size).toBe(0);

    await denyBoth();
    await limiter.setThrottle(0.5, 'incident');
    expect(cache.size).toBe(0);
    await denyBoth();
    await config.setDefaults({ limit: 5, window: 1, algorithm: 'fixed-window' });
    expect(cache.size).toBe(0);
    await denyBoth();
    config.setControllerThrottle({ multiplier: 0.9, reason: 'cpu', at: new Date(T0).toISOString() });
    expect(cache.size).toBe(0);
    await denyBoth();
    cache.onConfigChange({ kind: 'resync' });
    expect(cache.size).toBe(0);
  });

  it('a timed manual override that ends (no change event) makes the entry stale: the store answers', async () => {
    const { clock, counters, limiter } = setup();
    await limiter.setRateLimit('c', 10, 10, 'fixed-window');
    await limiter.setThrottle(0.5, 'incident', 5);
    await limiter.allow('c', 5);
    expect(await limiter.allow('c')).toMatchObject({ allowed: false, limit: 5, multiplierSource: 'manual' });
    clock.advance(4999);
    expect(await limiter.allow('c')).toMatchObject({ allowed: false, limit: 5 });
    expect(counters.consumed).toBe(2);
    clock.advance(1);
    expect(await limiter.allow('c')).toMatchObject({ allowed: true, limit: 10, multiplierSource: 'none' });
    expect(counters.consumed).toBe(3);
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const { counters, cache, limiter } = setup(2);
    for (const id of ['a', 'b', 'c']) {
      await limiter.setRateLimit(id, 1, 10, 'fixed-window');
      await limiter.allow(id);
      await limiter.allow(id);
    }
    expect(cache.size).toBe(2);
    expect(counters.consumed).toBe(6);
    await limiter.allow('b');
    await limiter.allow('c');
    expect(counters.consumed).toBe(6);
    await limiter.allow('a');
    expect(counters.consumed).toBe(7);
  });

  it('drops expired entries at the old end when inserting; an expired entry never answers', async () => {
    const { clock, counters, cache, limiter } = setup();
    await limiter.setRateLimit('a', 1, 10, 'fixed-window');
    await limiter.setRateLimit('b', 1, 10, 'fixed-window');
    await limiter.allow('a');
    await limiter.allow('a');
    expect(cache.size).toBe(1);
    clock.set(T0 + 10_000);
    await limiter.allow('b');
    await limiter.allow('b');
    expect(cache.size).toBe(1);
    expect(await limiter.allow('a')).toMatchObject({ allowed: true });
    expect(counters.consumed).toBe(5);
  });

  it('keeps no denial answered after an allowed call of the same client that was in flight with it', async () => {
    const { counters, cache, limiter } = setup();
    await limiter.setRateLimit('c', 3, 10, 'sliding-log');
    await limiter.allow('c');
    counters.hold = true;
    // decided in this order: 3 is denied with 2 left (kept alone: remaining = cost - 1), then 2 fits
    const denied = limiter.allow('c', 3);
    const allowed = limiter.allow('c', 2);
    await Promise.resolve();
    counters.release(1);
    expect(await allowed).toMatchObject({ allowed: true, remaining: 0 });
    counters.release(0);
    expect(await denied).toMatchObject({ allowed: false, remaining: 2 });
    counters.hold = false;
    expect(cache.size).toBe(0);
    expect(await limiter.allow('c', 3)).toMatchObject({ allowed: false, remaining: 0 });
    expect(counters.consumed).toBe(4);
  });

  it('keeps a denial whose answer arrives after another denial of the same client', async () => {
    const { counters, cache, limiter } = setup();
    await limiter.setRateLimit('c', 1, 10, 'leaky-bucket');
    await limiter.allow('c');
    counters.hold = true;
    const first = limiter.allow('c');
    const second = limiter.allow('c');
    await Promise.resolve();
    counters.release(1);
    counters.release(0);
    await Promise.all([first, second]);
    counters.hold = false;
    expect(cache.size).toBe(1);
  });

  it('makes no entry while the clock is behind the latest time it saw', async () => {
    const { clock, cache, limiter } = setup();
    await limiter.setRateLimit('c', 1, 10, 'fixed-window');
    await limiter.setRateLimit('other', 1, 10, 'fixed-window');
    clock.set(T0 + 5000);
    await limiter.allow('other');
    clock.set(T0 + 1000);
    await limiter.allow('c');
    await limiter.allow('c');
    expect(cache.size).toBe(0);
  });

  it('a failed store call makes no entry, and later denials are kept', async () => {
    const clock = new ManualClock(T0);
    const config = new MemoryConfigStore(clock);
    const cache = new OverLimitCache();
    const inner = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
    let fail = false;
    const counters: CounterStore = {
      consume: (request) => (fail ? Promise.reject(new Error('down')) : inner.consume(request)),
      peek: (request) => inner.peek(request),
      reset: (id) => inner.reset(id),
      close: () => inner.close(),
    };
    const limiter = new RateLimiter({ counters, config, clock, overLimitCache: cache });
    await limiter.setRateLimit('c', 1, 10, 'fixed-window');
    await limiter.allow('c');
    fail = true;
    await expect(limiter.allow('c')).rejects.toThrow('down');
    fail = false;
    expect(cache.size).toBe(0);
    // the failed call is not counted as in flight: this denial is kept
    await limiter.allow('c');
    expect(cache.size).toBe(1);
  });

  it('rejects a bound below 1', () => {
    expect(() => new OverLimitCache({ maxEntries: 0 })).toThrow('maxEntries');
    expect(() => new OverLimitCache({ maxEntries: 1.5 })).toThrow('maxEntries');
  });

  it('metrics: a cached denial counts as a denied decision, and as a cache hit; the gauge reads the size', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    const clock = new ManualClock(T0);
    const config = new MemoryConfigStore(clock);
    const cache = new OverLimitCache({ onHit: metrics.recordOverLimitCacheHit });
    metrics.observeOverLimitCacheSize(() => cache.size);
    const limiter = new RateLimiter({
      counters: new MemoryCounterStore({ clock, sweepIntervalMs: 0 }),
      config,
      clock,
      overLimitCache: cache,
      onDecision: metrics.recordDecision,
    });
    await limiter.setRateLimit('c', 1, 10, 'sliding-window');
    for (let i = 0; i < 4; i++) await limiter.allow('c');
    const text = (await registry.metrics()).split('\n');
    expect(text).toContain('ratelimiter_decisions_total{result="allowed",reason="ok"} 1');
    expect(text).toContain('ratelimiter_decisions_total{result="denied",reason="limit_exceeded"} 3');
    expect(text).toContain('ratelimiter_over_limit_cache_hits_total 2');
    expect(text).toContain('ratelimiter_over_limit_cache_entries 1');
  });
});
