import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RedisServer } from '../../test/support/redis-server.js';
import { connect } from './bench-redis.js';
import type { Subject } from './subject.js';

/**
 * rate-limiter-flexible's RateLimiterRedis on its own ioredis connection to the same Redis. It
 * defines its Lua script with ioredis defineCommand (EVALSHA); `consume` rejects with a
 * RateLimiterRes when the points are used up, and with an Error on a failure.
 */
export function openRlflexSubject(server: RedisServer, points: number, durationSeconds: number): Subject {
  const client = connect(server);
  const limiter = new RateLimiterRedis({
    storeClient: client,
    useRedisPackage: false,
    keyPrefix: 'bench:rlflex',
    points,
    duration: durationSeconds,
  });
  return {
    name: 'rate-limiter-flexible RateLimiterRedis.consume',
    family: 'rate-limiter-flexible',
    async call(clientId) {
      try {
        await limiter.consume(clientId, 1);
        return true;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return false;
        throw rejection;
      }
    },
    async close() {
      await client.quit();
    },
  };
}
