/**
 * A service process on a Redis that stops answering (SIGSTOP: its TCP connections stay up) and
 * then comes back (SIGCONT): every allow is answered, with 503 STORE_UNAVAILABLE problem+json and
 * Retry-After, none hangs; /readyz says not ready while Redis does not answer (the connection alone
 * looks fine) and ready again after; the outage writes a bounded number of log lines, not one per
 * request; allows succeed again by themselves. (What is asserted is what comes back, never a duration.)
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLimiterProcess, type LimiterProcess } from '../support/limiter-process.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const ADMIN_TOKEN = `e2e-outage-${process.pid}-token`;
const CALLS_DURING_OUTAGE = 200;

let redis: RedisServer;
let service: LimiterProcess;

beforeAll(async () => {
  redis = await startRedis();
  service = await startLimiterProcess({
    REDIS_URL: redis.url,
    RL_ADMIN_TOKEN: ADMIN_TOKEN,
    RL_STORE_DEADLINE_MS: '50',
    LOG_LEVEL: 'info',
  });
}, 120_000);

afterAll(async () => {
  process.kill(redis.pid, 'SIGCONT');
  await service.stop();
  await redis.stop();
}, 60_000);

async function allow(clientId: string): Promise<Response> {
  return fetch(`${service.base}/v1/allow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId }),
  });
}

async function outageLogLines(): Promise<string[]> {
  const text = await readFile(service.logFile, 'utf8');
  return text.split('\n').filter((line) => line.includes('request failed'));
}

describe('a service process while its Redis stops answering', () => {
  it('answers every allow with 503 problem+json, reports not ready, logs a few lines, and recovers by itself', async () => {
    const put = await fetch(`${service.base}/v1/limits/outage`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ limit: 1_000_000, window: 60 }),
    });
    expect(put.status).toBe(200);
    expect((await allow('outage')).status).toBe(200);
    expect((await fetch(`${service.base}/readyz`)).status).toBe(200);
    const linesBefore = (await outageLogLines()).length;

    process.kill(redis.pid, 'SIGSTOP');
    try {
      const replies = await Promise.all(Array.from({ length: CALLS_DURING_OUTAGE }, () => allow('outage')));
      for (const reply of replies) {
        expect(reply.status).toBe(503);
        expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(reply.headers.get('retry-after')).toBe('1');
        expect(await reply.json()).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
      }
      const ready = await fetch(`${service.base}/readyz`);
      expect(ready.status).toBe(503);
      // one line per 5 s per code, with the count left out: 200 failures are far fewer lines
      const lines = (await outageLogLines()).slice(linesBefore);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(3);
      expect(lines[0]).toContain('"kind":"STORE_UNAVAILABLE"');
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }

    // back: ready again and deciding, with no step by hand
    let readyAgain = false;
    for (let attempt = 0; attempt < 100 && !readyAgain; attempt++) {
      readyAgain = (await fetch(`${service.base}/readyz`)).status === 200;
      if (!readyAgain) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(readyAgain).toBe(true);
    const after = await allow('outage');
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ allowed: true });
  });
});
