/**
 * Issue 3, acceptance: three service processes (separate OS processes, src/main.ts as `npm start`
 * runs it) share one budget in Redis. 300 concurrent allows for one client with a limit of 100,
 * spread over the three instances and all in flight at once, admit exactly 100, for fixed-window,
 * sliding-log and leaky-bucket (GCRA), inside one one-year window; on one redis-server and on a
 * 3-primary Redis Cluster.
 *
 * Without etcd each instance holds its limits in memory, so the limit is PUT on every instance.
 * The store deadline is raised to 10 s: this test is about atomicity across processes, not
 * latency, and a deadline hit on a loaded 2-core machine would be a 503 (counted as a failure
 * here, never retried).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlgorithmName } from '../../src/core/types.js';
import { startLimiterProcess, type LimiterProcess } from '../support/limiter-process.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const INSTANCES = 3;
const LIMIT = 100;
const CALLS_PER_INSTANCE = 100;
const ONE_YEAR_SECONDS = 31_536_000;
const ADMIN_TOKEN = `e2e-admin-${process.pid}-token`;
const ALGORITHMS_UNDER_TEST: readonly AlgorithmName[] = ['fixed-window', 'sliding-log', 'leaky-bucket'];

interface AllowReply {
  readonly instance: number;
  readonly status: number;
  readonly body: {
    readonly allowed: boolean;
    readonly remaining: number;
    readonly reason: string;
    readonly retryAfterMs: number;
    readonly degraded: boolean;
    readonly limit: number;
  };
}

/** `ratelimiter_decisions_total{result=..,reason=..}` of one instance, by "result/reason". */
async function decisionCounts(instance: LimiterProcess): Promise<Map<string, number>> {
  const text = await (await fetch(`${instance.base}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const match of text.matchAll(
    /^ratelimiter_decisions_total\{result="([a-z_]+)",reason="([a-z_]+)"\} ([0-9]+)$/gm,
  )) {
    counts.set(`${match[1]}/${match[2]}`, Number(match[3]));
  }
  return counts;
}

function delta(before: Map<string, number>, after: Map<string, number>, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}

async function putLimit(instance: LimiterProcess, clientId: string, algorithm: AlgorithmName): Promise<void> {
  const response = await fetch(`${instance.base}/v1/limits/${encodeURIComponent(clientId)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ limit: LIMIT, window: ONE_YEAR_SECONDS, algorithm }),
  });
  expect(response.status, await response.text()).toBe(200);
}

async function allow(
  instances: readonly LimiterProcess[],
  index: number,
  clientId: string,
): Promise<AllowReply> {
  const instance = instances[index];
  if (instance === undefined) throw new Error(`no instance ${index}`);
  const response = await fetch(`${instance.base}/v1/allow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId }),
  });
  const text = await response.text();
  return { instance: index, status: response.status, body: JSON.parse(text) as AllowReply['body'] };
}

/**
 * The scenario for one algorithm: limit 100 on every instance, 300 allows issued at once (call i
 * to instance i mod 3), then every count checked from three sides: the replies, each instance's
 * /metrics, and each instance's view of the remaining budget.
 */
async function threeHundredAtOnce(
  instances: readonly LimiterProcess[],
  clientId: string,
  algorithm: AlgorithmName,
): Promise<void> {
  await Promise.all(instances.map((instance) => putLimit(instance, clientId, algorithm)));
  const before = await Promise.all(instances.map(decisionCounts));

  const replies = await Promise.all(
    Array.from({ length: INSTANCES * CALLS_PER_INSTANCE }, (_, i) =>
      allow(instances, i % INSTANCES, clientId),
    ),
  );

  // no errors: every reply is a decision (a denial is a 200 with allowed:false), none degraded
  expect(replies.filter((r) => r.status !== 200)).toEqual([]);
  expect(replies.filter((r) => r.body.degraded)).toEqual([]);
  const allowed = replies.filter((r) => r.body.allowed);
  const denied = replies.filter((r) => !r.body.allowed);
  expect(allowed).toHaveLength(LIMIT);
  expect(denied).toHaveLength(INSTANCES * CALLS_PER_INSTANCE - LIMIT);
  // each allowed call saw the writes of all before it: the remaining counts are 99 down to 0, once each
  expect(allowed.map((r) => r.body.remaining).sort((a, b) => a - b)).toEqual(
    Array.from({ length: LIMIT }, (_, i) => i),
  );
  for (const r of denied) {
    expect(r.body).toMatchObject({ reason: 'limit_exceeded', remaining: 0, limit: LIMIT });
    expect(r.body.retryAfterMs).toBeGreaterThan(0);
  }

  // per instance: the replies it gave add up, and its own metrics counted exactly those
  const after = await Promise.all(instances.map(decisionCounts));
  let allowedByMetrics = 0;
  for (let i = 0; i < INSTANCES; i++) {
    const mine = replies.filter((r) => r.instance === i);
    const mineAllowed = mine.filter((r) => r.body.allowed).length;
    expect(mine).toHaveLength(CALLS_PER_INSTANCE);
    const beforeI = before[i] ?? new Map<string, number>();
    const afterI = after[i] ?? new Map<string, number>();
    expect(delta(beforeI, afterI, 'allowed/ok'), `instance ${i} allowed`).toBe(mineAllowed);
    expect(delta(beforeI, afterI, 'denied/limit_exceeded'), `instance ${i} denied`).toBe(
      CALLS_PER_INSTANCE - mineAllowed,
    );
    allowedByMetrics += delta(beforeI, afterI, 'allowed/ok');
  }
  expect(allowedByMetrics).toBe(LIMIT);

  // and every instance now sees the budget spent (peek: consumes nothing)
  for (const instance of instances) {
    const usage = await fetch(`${instance.base}/v1/clients/${encodeURIComponent(clientId)}/usage`);
    expect(usage.status).toBe(200);
    expect(await usage.json()).toMatchObject({ allowed: false, remaining: 0, reason: 'limit_exceeded' });
  }
}

async function stopAll(instances: readonly LimiterProcess[]): Promise<void> {
  await Promise.all(instances.map((instance) => instance.stop()));
}

/** Three instances started side by side; if one fails, the others are stopped before rethrowing. */
async function startInstances(redisEnv: Readonly<Record<string, string>>): Promise<LimiterProcess[]> {
  const env = {
    ...redisEnv,
    RL_ADMIN_TOKEN: ADMIN_TOKEN,
    RL_STORE_DEADLINE_MS: '10000',
    LOG_LEVEL: 'warn',
  };
  const started = await Promise.allSettled(Array.from({ length: INSTANCES }, () => startLimiterProcess(env)));
  const instances = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed !== undefined) {
    await stopAll(instances);
    throw failed.reason;
  }
  return instances;
}

const runId = `${process.pid}-${Date.now()}`;

describe('three service processes on one redis-server', () => {
  let redis: RedisServer | undefined;
  let instances: LimiterProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    instances = await startInstances({ REDIS_URL: redis.url });
  }, 120_000);

  afterAll(async () => {
    await stopAll(instances);
    await redis?.stop();
  }, 60_000);

  for (const algorithm of ALGORITHMS_UNDER_TEST) {
    it(`${algorithm}: 300 concurrent allows, limit 100 -> exactly 100 allowed`, async () => {
      await threeHundredAtOnce(instances, `multi {single}: ${algorithm} ${runId}`, algorithm);
    });
  }
});

describe('three service processes on a 3-primary Redis Cluster', () => {
  let cluster: RedisCluster | undefined;
  let instances: LimiterProcess[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    instances = await startInstances({
      REDIS_CLUSTER_NODES: cluster.nodes.map((node) => `${node.host}:${node.port}`).join(','),
    });
  }, 120_000);

  afterAll(async () => {
    await stopAll(instances);
    await cluster?.stop();
  }, 60_000);

  for (const algorithm of ALGORITHMS_UNDER_TEST) {
    it(`${algorithm}: 300 concurrent allows, limit 100 -> exactly 100 allowed`, async () => {
      await threeHundredAtOnce(instances, `multi {cluster}: ${algorithm} ${runId}`, algorithm);
    });
  }
});
