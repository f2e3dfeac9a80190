import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../../test/support/redis-server.js';

export interface BenchRedis {
  readonly server: RedisServer;
  /** redis_version from INFO server */
  readonly version: string;
}

/** A connection for one bench subject: no offline queue, no auto-pipelining (the issue measured it slower). */
export function connect(server: RedisServer): Redis {
  return new Redis({ host: server.host, port: server.port, enableAutoPipelining: false, lazyConnect: false });
}

/** CPU seconds (user + system, all threads) the Redis server has used so far, from INFO cpu. */
export async function redisCpuSeconds(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  const total = field('used_cpu_user') + field('used_cpu_sys');
  if (!Number.isFinite(total)) throw new Error(`INFO cpu has no used_cpu_user/used_cpu_sys:\n${info}`);
  return total;
}

async function readVersion(server: RedisServer): Promise<string> {
  const client = connect(server);
  try {
    const info = await client.info('server');
    return /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

/** Starts a private redis-server for this run on a free loopback port (the test harness's). */
export async function startBenchRedis(): Promise<BenchRedis> {
  const server = await startRedis();
  try {
    return { server, version: await readVersion(server) };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
