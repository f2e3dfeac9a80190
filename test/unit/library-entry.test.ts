import { describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';

describe('library entry point (src/index.ts)', () => {
  it('runs the README library example with what it exports', async () => {
    const { RateLimiter, MemoryCounterStore, MemoryConfigStore, ManualClock } = library;
    const clock = new ManualClock(1_000_000);
    const counters = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
    const limiter = new RateLimiter({ counters, config: new MemoryConfigStore(clock), clock });
    await limiter.setRateLimit('alice', 100, 60, 'token-bucket');
    expect(await limiter.allow('alice', 1)).toMatchObject({ allowed: true, remaining: 99, limit: 100 });
    expect(limiter.getRateLimit('bob')).toMatchObject({ limit: 0, window: 0 });
    await expect(limiter.allow('', 1)).rejects.toBeInstanceOf(library.ValidationError);
    await counters.close();
  });

  it('exports the stores and errors the service is built from', () => {
    expect(Object.keys(library).sort()).toEqual(
      [
        'ALGORITHMS',
        'ControlPlaneUnavailableError',
        'DEFAULT_ALGORITHM',
        'ERROR_CODES',
        'EtcdConfigStore',
        'ManualClock',
        'MemoryConfigStore',
        'MemoryCounterStore',
        'NotFoundError',
        'OverLimitCache',
        'RateLimiter',
        'RateLimiterError',
        'RedisCounterStore',
        'StoreUnavailableError',
        'ValidationError',
        'systemClock',
      ].sort(),
    );
  });
});
