import { describe, expect, it } from 'vitest';
import { ALGORITHMS, type AlgorithmName } from '../../src/core/types.js';
import { ValidationError } from '../../src/errors.js';
import { RateLimiter } from '../../src/limiter/rate-limiter.js';
import { ManualClock } from '../../src/store/memory/manual-clock.js';
import { MemoryConfigStore } from '../../src/store/memory/memory-config-store.js';
import { MemoryCounterStore } from '../../src/store/memory/memory-counter-store.js';

// aligned to every window used below, so fixed/sliding windows start at T0
const T0 = 1_700_000_000_000;

function setup() {
  const clock = new ManualClock(T0);
  const counters = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
  const config = new MemoryConfigStore(clock);
  const limiter = new RateLimiter({ counters, config, clock });
  return { clock, counters, config, limiter };
}

/**
 * Limit 10 per 10 s, 10 used at T0, then the limit is lowered to 4: when does a call of 1 fit?
 * fixed-window: at the window end (+10_000). sliding-log: when the entry of T0 leaves (+10_000).
 * sliding-window: in the next window, when ceil(10 x (10_000 - e) / 10_000) <= 3, e = 7000: +17_000.
 * token-bucket: level 10 must drain to 3 at the new rate, 4 per 10 s: 7 x 2500 = +17_500.
 * leaky-bucket: the stored TAT (T0 + 10_000, written at 10 per 10 s) drains at its own rate until
 * the next allowed call: level 3 at TAT - 3 x 1000 = +7_000.
 */
const FIRST_FIT_AFTER_LOWERING: Record<AlgorithmName, number> = {
  'fixed-window': 10_000,
  'sliding-log': 10_000,
  'sliding-window': 17_000,
  'token-bucket': 17_500,
  'leaky-bucket': 7_000,
};

describe('RateLimiter over the memory stores', () => {
  describe.each(ALGORITHMS)('%s', (algorithm) => {
    it('lowering a limit below usage denies until enough is freed, at the exact time', async () => {
      const { clock, limiter } = setup();
      await limiter.setRateLimit('c', 10, 10, algorithm);
      expect(await limiter.allow('c', 10)).toMatchObject({ allowed: true, remaining: 0, limit: 10 });
      await limiter.setRateLimit('c', 4, 10, algorithm);
      const wait = FIRST_FIT_AFTER_LOWERING[algorithm];
      expect(await limiter.allow('c', 1)).toMatchObject({
        allowed: false,
        limit: 4,
        remaining: 0,
        retryAfterMs: wait,
        reason: 'limit_exceeded',
      });
      clock.set(T0 + wait - 1);
      expect(await limiter.allow('c', 1)).toMatchObject({ allowed: false, retryAfterMs: 1 });
      clock.set(T0 + wait);
      // the windowed algorithms start afresh (3 left); the others have exactly 1 free
      const remaining = algorithm === 'fixed-window' || algorithm === 'sliding-log' ? 3 : 0;
      expect(await limiter.allow('c', 1)).toMatchObject({ allowed: true, remaining, limit: 4 });
    });

    it('a controller multiplier lowers the effective limit the same way', async () => {
      const { clock, config, limiter } = setup();
      await limiter.setRateLimit('c', 10, 10, algorithm);
      await limiter.allow('c', 10);
      // floor(10 x 0.4) = 4
      config.setControllerThrottle({ multiplier: 0.4, reason: 'cpu', at: new Date(T0).toISOString() });
      const wait = FIRST_FIT_AFTER_LOWERING[algorithm];
      expect(await limiter.allow('c', 1)).toMatchObject({
        allowed: false,
        limit: 4,
        retryAfterMs: wait,
        multiplierSource: 'controller',
      });
      clock.set(T0 + wait);
      expect(await limiter.allow('c', 1)).toMatchObject({ allowed: true, limit: 4 });
    });

    it('raising a limit admits at once, and no change ever resets usage', async () => {
      const { config, limiter } = setup();
      await limiter.setRateLimit('c', 10, 10, algorithm);
      expect(await limiter.allow('c', 6)).toMatchObject({ allowed: true, remaining: 4 });
      // every change below happens at T0: usage stays 6 throughout
      await limiter.setRateLimit('c', 3, 10, algorithm);
      expect(await limiter.peek('c', 1)).toMatchObject({ allowed: false, remaining: 0, limit: 3 });
      await limiter.setRateLimit('c', 20, 10, algorithm);
      expect(await limiter.peek('c', 14)).toMatchObject({ allowed: true, remaining: 14, limit: 20 });
      config.setControllerThrottle({ multiplier: 0.5, reason: 'cpu', at: new Date(T0).toISOString() });
      expect(await limiter.peek('c', 1)).toMatchObject({ allowed: true, remaining: 4, limit: 10 });
      await limiter.setThrottle(0.25, 'incident');
      expect(await limiter.peek('c', 1)).toMatchObject({ allowed: false, remaining: 0, limit: 5 });
      await limiter.clearThrottle();
      config.setControllerThrottle(undefined);
      await config.setClientOverride('c', { limit: 7, window: 10 });
      expect(await limiter.peek('c', 1)).toMatchObject({ allowed: true, remaining: 1, limit: 7 });
      await config.setClientOverride('c', undefined);
      await limiter.deleteRateLimit('c');
      expect(await limiter.peek('c', 1)).toMatchObject({ allowed: false, reason: 'no_limit' });
      await limiter.setRateLimit('c', 10, 10, algorithm);
      // raised from 3 to 20 admitted at once; back at 10 the 6 used are still there
      expect(await limiter.allow('c', 4)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await limiter.allow('c', 1)).toMatchObject({ allowed: false, reason: 'limit_exceeded' });
    });

    it('a longer window keeps the running usage, also past the expiry it had under the old window', async () => {
      const { clock, limiter } = setup();
      await limiter.setRateLimit('c', 10, 10, algorithm);
      await limiter.allow('c', 10);
      await limiter.setRateLimit('c', 10, 20, algorithm);
      // 12 s later: the state written under the 10 s window would have been empty at +10 s
      clock.set(T0 + 12_000);
      const expected: Record<AlgorithmName, { remaining: number; retryAfterMs: number }> = {
        // the running window is now [T0, T0 + 20_000): 8 s to go
        'fixed-window': { remaining: 0, retryAfterMs: 8000 },
        // the entry of T0 counts until T0 + 20_000
        'sliding-log': { remaining: 0, retryAfterMs: 8000 },
        // current 10 in [T0, T0 + 20_000); in the next window ceil(10 x (20_000 - e) / 20_000) <= 9
        // from e = 2000: T0 + 22_000
        'sliding-window': { remaining: 0, retryAfterMs: 10_000 },
        // the level of 10 units drains at 10 per 20 s: 6 units in 12 s, 4 left
        'token-bucket': { remaining: 6, retryAfterMs: 0 },
        // the state keeps a TAT in ms (T0 + 10_000), not units: it has passed, the bucket is empty.
        // (The layout has no window: a window change re-reads the TAT, see the next test.)
        'leaky-bucket': { remaining: 10, retryAfterMs: 0 },
      };
      expect(await limiter.peek('c', 1)).toMatchObject(expected[algorithm]);
    });
  });

  it('leaky-bucket: a window change re-reads the stored TAT at the new window (usage scales by old/new)', async () => {
    const { limiter } = setup();
    await limiter.setRateLimit('c', 10, 10, 'leaky-bucket');
    await limiter.allow('c', 10);
    // TAT = T0 + 10_000; at a 20 s window that debt is 10_000 x 10 / 20_000 = 5 units
    await limiter.setRateLimit('c', 10, 20, 'leaky-bucket');
    expect(await limiter.peek('c', 1)).toMatchObject({ allowed: true, remaining: 5 });
    // token-bucket keeps the level in units: all 10 still used
    await limiter.setRateLimit('t', 10, 10, 'token-bucket');
    await limiter.allow('t', 10);
    await limiter.setRateLimit('t', 10, 20, 'token-bucket');
    expect(await limiter.peek('t', 1)).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 2000 });
  });

  it('an unknown client gets no_limit and getRateLimit reports {limit: 0, window: 0}', async () => {
    const { limiter, counters } = setup();
    expect(await limiter.allow('nobody', 1)).toEqual({
      allowed: false,
      limit: 0,
      remaining: 0,
      resetMs: 0,
      retryAfterMs: 0,
      reason: 'no_limit',
      multiplier: 1,
      multiplierSource: 'none',
      degraded: false,
      algorithm: null,
      window: 0,
    });
    expect(limiter.getRateLimit('nobody')).toEqual({
      limit: 0,
      window: 0,
      algorithm: null,
      effectiveLimit: 0,
      multiplier: 1,
      multiplierSource: 'none',
      source: null,
    });
    expect(counters.size).toBe(0);
  });

  it('defaults apply to clients with no limit of their own, each with its own budget', async () => {
    const { config, limiter } = setup();
    await config.setDefaults({ limit: 2, window: 1, algorithm: 'fixed-window' });
    await limiter.setRateLimit('own', 5, 60, 'sliding-log');
    expect(limiter.getRateLimit('anyone')).toEqual({
      limit: 2,
      window: 1,
      algorithm: 'fixed-window',
      effectiveLimit: 2,
      multiplier: 1,
      multiplierSource: 'none',
      source: 'default',
    });
    expect(await limiter.allow('a', 2)).toMatchObject({
      allowed: true,
      remaining: 0,
      limit: 2,
      window: 1,
      algorithm: 'fixed-window',
    });
    expect(await limiter.allow('a', 1)).toMatchObject({
      allowed: false,
      reason: 'limit_exceeded',
      retryAfterMs: 1000,
    });
    expect(await limiter.allow('b', 2)).toMatchObject({ allowed: true, remaining: 0 });
    expect(await limiter.allow('own', 5)).toMatchObject({
      allowed: true,
      remaining: 0,
      limit: 5,
      window: 60,
      algorithm: 'sliding-log',
    });
    await config.setDefaults(undefined);
    expect(await limiter.allow('c', 1)).toMatchObject({ allowed: false, reason: 'no_limit' });
  });

  describe('multiplier precedence: client override > manual > controller > 1.0', () => {
    it('applies floor(base x m) from the most specific source', async () => {
      const { config, limiter } = setup();
      await limiter.setRateLimit('c', 10, 1, 'fixed-window');
      expect(limiter.getRateLimit('c')).toMatchObject({
        limit: 10,
        effectiveLimit: 10,
        multiplier: 1,
        multiplierSource: 'none',
      });
      // controller 0.75: floor(7.5) = 7
      config.setControllerThrottle({
        multiplier: 0.75,
        reason: 'cpu 0.9>0.75',
        at: new Date(T0).toISOString(),
      });
      expect(limiter.getRateLimit('c')).toMatchObject({
        limit: 10,
        effectiveLimit: 7,
        multiplier: 0.75,
        multiplierSource: 'controller',
      });
      // manual 0.5 beats the controller: 5
      await config.setManualThrottle({ multiplier: 0.5, reason: 'incident' });
      expect(limiter.getRateLimit('c')).toMatchObject({
        effectiveLimit: 5,
        multiplier: 0.5,
        multiplierSource: 'manual',
      });
      expect(limiter.getThrottle()).toMatchObject({ multiplier: 0.5, source: 'manual' });
      // a per-client multiplier beats both: floor(2.5) = 2
      await config.setClientOverride('c', { multiplier: 0.25 });
      expect(limiter.getRateLimit('c')).toMatchObject({
        effectiveLimit: 2,
        multiplier: 0.25,
        multiplierSource: 'client-override',
      });
      expect(await limiter.allow('c', 2)).toMatchObject({
        allowed: true,
        limit: 2,
        remaining: 0,
        multiplier: 0.25,
        multiplierSource: 'client-override',
      });
      expect(await limiter.allow('c', 3)).toMatchObject({
        allowed: false,
        limit: 2,
        reason: 'cost_exceeds_limit',
        retryAfterMs: 0,
      });
      // other clients still get the manual multiplier
      await limiter.setRateLimit('d', 10, 1, 'fixed-window');
      expect(limiter.getRateLimit('d')).toMatchObject({ effectiveLimit: 5, multiplierSource: 'manual' });
      // an absolute per-client override replaces the base limit and is not multiplied
      await config.setClientOverride('c', { limit: 3, window: 2 });
      expect(limiter.getRateLimit('c')).toMatchObject({
        limit: 3,
        window: 2,
        effectiveLimit: 3,
        multiplier: 1,
        multiplierSource: 'client-override',
      });
      // removing the overrides falls back step by step
      await config.setClientOverride('c', undefined);
      await limiter.clearThrottle();
      expect(limiter.getRateLimit('c')).toMatchObject({ effectiveLimit: 7, multiplierSource: 'controller' });
      config.setControllerThrottle(undefined);
      expect(limiter.getRateLimit('c')).toMatchObject({
        effectiveLimit: 10,
        multiplier: 1,
        multiplierSource: 'none',
      });
    });

    it('never goes below 1', async () => {
      const { config, limiter } = setup();
      await limiter.setRateLimit('c', 3, 1, 'fixed-window');
      // floor(3 x 0.1) = 0, raised to 1
      config.setControllerThrottle({ multiplier: 0.1, reason: 'cpu', at: new Date(T0).toISOString() });
      expect(limiter.getRateLimit('c').effectiveLimit).toBe(1);
      expect(await limiter.allow('c', 1)).toMatchObject({ allowed: true, limit: 1, remaining: 0 });
      expect(await limiter.allow('c', 1)).toMatchObject({
        allowed: false,
        limit: 1,
        reason: 'limit_exceeded',
      });
    });

    it('a timed manual throttle ends by itself with the clock', async () => {
      const { clock, config, limiter } = setup();
      await limiter.setRateLimit('c', 10, 1, 'fixed-window');
      config.setControllerThrottle({ multiplier: 0.75, reason: 'cpu', at: new Date(T0).toISOString() });
      const throttle = await limiter.setThrottle(0.5, 'deploy', 60);
      expect(throttle).toEqual({
        multiplier: 0.5,
        reason: 'deploy',
        until: new Date(T0 + 60_000).toISOString(),
      });
      clock.set(T0 + 59_999);
      expect(limiter.getRateLimit('c')).toMatchObject({ effectiveLimit: 5, multiplierSource: 'manual' });
      clock.set(T0 + 60_000);
      expect(limiter.getRateLimit('c')).toMatchObject({ effectiveLimit: 7, multiplierSource: 'controller' });
      expect(limiter.getThrottle()).toMatchObject({ multiplier: 0.75, source: 'controller', manual: null });
      expect(await limiter.allow('c', 7)).toMatchObject({ allowed: true, limit: 7 });
    });
  });

  it('ids that differ only by : { } / % spaces or unicode normalization never share a budget or a limit', async () => {
    const { limiter } = setup();
    const ids = [
      'a:b',
      'a{b',
      'a}b',
      'a/b',
      'a%2Fb',
      'a b',
      'ab',
      'ab ',
      ' ab',
      '{ab}',
      'a:b:',
      'caf\u00e9', // NFC
      'cafe\u0301', // NFD
      '\u212b', // ANGSTROM SIGN, NFC-normalizes to U+00C5
      '\u00c5',
      'A\u030a',
    ];
    expect(new Set(ids).size).toBe(ids.length);
    for (const [i, id] of ids.entries()) await limiter.setRateLimit(id, i + 1, 60, 'fixed-window');
    for (const [i, id] of ids.entries()) {
      expect(limiter.getRateLimit(id).limit).toBe(i + 1);
      expect(await limiter.allow(id, i + 1)).toMatchObject({ allowed: true, remaining: 0, limit: i + 1 });
    }
    for (const id of ids)
      expect(await limiter.allow(id, 1)).toMatchObject({ allowed: false, reason: 'limit_exceeded' });
  });

  describe('bad input throws ValidationError and changes nothing', () => {
    const badIds: [string, unknown][] = [
      ['empty', ''],
      ['513 bytes', 'a'.repeat(513)],
      ['513 bytes of 2-byte characters and one 1-byte', '\u00e9'.repeat(256) + 'a'],
      ['a control character', 'a\u0007b'],
      ['a newline', 'a\nb'],
      ['DEL', 'a\u007fb'],
      ['a C1 control', 'a\u0085b'],
      ['an unpaired surrogate', 'a\ud800b'],
      ['a number', 7],
    ];
    const badCosts: [string, unknown][] = [
      ['0', 0],
      ['-1', -1],
      ['1.5', 1.5],
      ['2^53', 2 ** 53],
      ['"7"', '7'],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
    ];
    const badLimits: [string, unknown, unknown][] = [
      ['limit 0', 0, 60],
      ['limit -1', -1, 60],
      ['limit 1.5', 1.5, 60],
      ['limit 2^53', 2 ** 53, 60],
      ['limit "7"', '7', 60],
      ['window 0', 10, 0],
      ['window 31_536_001', 10, 31_536_001],
      ['window 1.5', 10, 1.5],
      ['window "60"', 10, '60'],
    ];

    async function prepared() {
      const s = setup();
      await s.limiter.setRateLimit('c', 5, 60, 'sliding-window');
      await s.limiter.allow('c', 2);
      return s;
    }

    async function expectUnchanged(s: ReturnType<typeof setup>): Promise<void> {
      expect(s.limiter.getRateLimit('c')).toMatchObject({
        limit: 5,
        window: 60,
        algorithm: 'sliding-window',
      });
      expect(s.config.size()).toBe(1);
      expect(s.counters.size).toBe(1);
      expect(await s.limiter.peek('c', 3)).toMatchObject({ allowed: true, remaining: 3 });
      expect(await s.limiter.peek('c', 4)).toMatchObject({ allowed: false });
    }

    it('accepts the boundaries: 512 bytes, cost 2^53-1, limit 2^53-1, window 31_536_000', async () => {
      const s = await prepared();
      await s.limiter.setRateLimit('\u00e9'.repeat(256), Number.MAX_SAFE_INTEGER, 31_536_000, 'token-bucket');
      expect(await s.limiter.allow('\u00e9'.repeat(256), Number.MAX_SAFE_INTEGER)).toMatchObject({
        allowed: true,
        remaining: 0,
      });
      await s.limiter.setRateLimit('a'.repeat(512), 1, 1);
      expect(s.limiter.getRateLimit('a'.repeat(512))).toMatchObject({
        limit: 1,
        window: 1,
        algorithm: 'sliding-window',
      });
    });

    it.each(badIds)('client id: %s', async (_name, id) => {
      const s = await prepared();
      await expect(s.limiter.allow(id as string, 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(s.limiter.peek(id as string, 1)).rejects.toBeInstanceOf(ValidationError);
      await expect(s.limiter.setRateLimit(id as string, 5, 60)).rejects.toBeInstanceOf(ValidationError);
      expect(() => s.limiter.getRateLimit(id as string)).toThrow(ValidationError);
      await expect(s.limiter.deleteRateLimit(id as string)).rejects.toBeInstanceOf(ValidationError);
      await expectUnchanged(s);
    });

    it.each(badCosts)('cost %s', async (_name, cost) => {
      const s = await prepared();
      await expect(s.limiter.allow('c', cost as number)).rejects.toBeInstanceOf(ValidationError);
      await expect(s.limiter.peek('c', cost as number)).rejects.toBeInstanceOf(ValidationError);
      await expectUnchanged(s);
    });

    it.each(badLimits)('%s', async (_name, limit, window) => {
      const s = await prepared();
      await expect(s.limiter.setRateLimit('c', limit as number, window as number)).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(s.limiter.setRateLimit('new', limit as number, window as number)).rejects.toBeInstanceOf(
        ValidationError,
      );
      expect(s.limiter.getRateLimit('new')).toMatchObject({ limit: 0, window: 0 });
      await expectUnchanged(s);
    });

    it('reports every problem at once', async () => {
      const s = await prepared();
      const error = await s.limiter.setRateLimit('', 0, 0).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).problems.map((p) => p.field)).toEqual([
        '/clientId',
        '/limit',
        '/window',
      ]);
      await expectUnchanged(s);
    });
  });
});
