import type { RedisServer } from '../../test/support/redis-server.js';
import { connect } from './bench-redis.js';
import type { Subject } from './subject.js';

/**
 * The simplest fixed-window limiter worth the name, as a reference: one counter per client and
 * window, TTL set on the first write, a denied call consumes nothing.
 * KEYS[1] counter key; ARGV[1] cost; ARGV[2] window in ms; ARGV[3] limit.
 * Reply: {allowed (1/0), used}.
 */
const PLAIN_FIXED_WINDOW_LUA = `
local cost = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used + cost > tonumber(ARGV[3]) then return {0, used} end
used = redis.call('INCRBY', KEYS[1], cost)
if used == cost then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {1, used}
`;

export const PLAIN_KEY_PREFIX = 'bench:plain:';

/** Loads the plain script into the bench Redis and returns its SHA1 (for redis-benchmark too). */
export async function loadPlainScript(server: RedisServer): Promise<string> {
  const client = connect(server);
  try {
    return String(await client.script('LOAD', PLAIN_FIXED_WINDOW_LUA));
  } finally {
    client.disconnect();
  }
}

/** A plain EVALSHA through ioredis per decision: the floor any Lua limiter on ioredis pays. */
export function openPlainLuaSubject(
  server: RedisServer,
  sha: string,
  limit: number,
  windowMs: number,
): Subject {
  const client = connect(server);
  const cost = '1';
  const windowArg = String(windowMs);
  const limitArg = String(limit);
  return {
    name: 'plain fixed-window Lua, EVALSHA via ioredis',
    family: 'plain-lua',
    async call(clientId) {
      const reply = (await client.evalsha(
        sha,
        1,
        PLAIN_KEY_PREFIX + clientId,
        cost,
        windowArg,
        limitArg,
      )) as [number, number];
      return reply[0] === 1;
    },
    async close() {
      await client.quit();
    },
  };
}
