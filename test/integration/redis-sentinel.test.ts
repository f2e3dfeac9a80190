/**
 * The store reaches a Sentinel-managed primary (real redis-server in sentinel mode, one sentinel,
 * one primary): ioredis asks the sentinel for the primary and decides there. The service reaches it
 * from its configuration alone (REDIS_SENTINELS, REDIS_SENTINEL_NAME).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterKey, DEFAULT_KEY_PREFIX } from '../../src/store/redis/counter-key.js';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import { getFreePort } from '../support/free-port.js';
import { startLimiterProcess } from '../support/limiter-process.js';
import { answersPing } from '../support/redis-probe.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { spawnService, type RunningService } from '../support/spawn-service.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

const MASTER_NAME = 'rl-primary';

let primary: RedisServer;
let sentinel: RunningService;
let sentinelPort: number;
let dir: string;
const prefix = `sentinel-${process.pid}-${Date.now()}`;

beforeAll(async () => {
  primary = await startRedis();
  dir = await makeTempDir('rl-sentinel-');
  sentinelPort = await getFreePort();
  const config = join(dir, 'sentinel.conf');
  // sentinel rewrites its config file, so it must be a writable file of its own
  writeFileSync(
    config,
    [
      `port ${sentinelPort}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${MASTER_NAME} ${primary.host} ${primary.port} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 5000`,
      '',
    ].join('\n'),
  );
  sentinel = await spawnService({
    command: 'redis-server',
    args: [config, '--sentinel'],
    logFile: join(dir, 'sentinel.log'),
    isReady: () => answersPing('127.0.0.1', sentinelPort),
    startTimeoutMs: 10_000,
    stopTimeoutMs: 5_000,
  });
});

afterAll(async () => {
  await sentinel.stop();
  await removeTempDir(dir);
  await primary.stop();
});

describe('RedisCounterStore through Sentinel', () => {
  it('finds the primary through the sentinel and keeps its counters there', async () => {
    const store = new RedisCounterStore({
      connection: { mode: 'sentinel', sentinels: [`127.0.0.1:${sentinelPort}`], name: MASTER_NAME },
      keyPrefix: prefix,
      deadlineMs: 5000,
    });
    const direct = new Redis(primary.url);
    try {
      await store.ready();
      const request = {
        clientId: 'via sentinel',
        algorithm: 'fixed-window' as const,
        cost: 2,
        limit: 5,
        windowMs: 60_000,
      };
      expect(await store.consume(request)).toMatchObject({ allowed: true, remaining: 3 });
      expect(await store.consume(request)).toMatchObject({ allowed: true, remaining: 1 });
      expect(await store.consume(request)).toMatchObject({ allowed: false, reason: 'limit_exceeded' });
      expect(await direct.exists(counterKey(prefix, 'via sentinel', 'fixed-window'))).toBe(1);
    } finally {
      direct.disconnect();
      await store.close();
    }
  });

  it('the service started with REDIS_SENTINELS and REDIS_SENTINEL_NAME keeps its counters on the primary', async () => {
    const service = await startLimiterProcess({
      REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`,
      REDIS_SENTINEL_NAME: MASTER_NAME,
      RL_DEFAULT_LIMIT: '2',
      RL_DEFAULT_WINDOW: '60',
      RL_STORE_DEADLINE_MS: '5000',
      LOG_LEVEL: 'warn',
    });
    const direct = new Redis(primary.url);
    try {
      const allow = async (): Promise<unknown> => {
        const response = await fetch(`${service.base}/v1/allow`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ clientId: 'sentinel client' }),
        });
        expect(response.status).toBe(200);
        const { allowed, remaining } = (await response.json()) as { allowed: boolean; remaining: number };
        return { allowed, remaining };
      };
      expect(await allow()).toEqual({ allowed: true, remaining: 1 });
      expect(await allow()).toEqual({ allowed: true, remaining: 0 });
      expect(await allow()).toEqual({ allowed: false, remaining: 0 });
      expect(await direct.exists(counterKey(DEFAULT_KEY_PREFIX, 'sentinel client', 'sliding-window'))).toBe(
        1,
      );
    } finally {
      direct.disconnect();
      await service.stop();
    }
  });
});
