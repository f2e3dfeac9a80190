/**
 * Child process of the HTTP bench: builds one target, listens on a free loopback port, reports the
 * port over IPC and serves until SIGTERM. A separate process so the load generator never shares
 * this event loop.
 *
 *   node --import tsx bench/http-server.ts <bare | ours-memory | ours-redis> [redis url]
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApp } from '../src/app.js';
import { RateLimiter } from '../src/limiter/rate-limiter.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import type { CounterStore } from '../src/store/counter-store.js';
import { MemoryConfigStore } from '../src/store/memory/memory-config-store.js';
import { MemoryCounterStore } from '../src/store/memory/memory-counter-store.js';
import { systemClock } from '../src/store/memory/system-clock.js';
import { BENCH_LIMIT } from './support/bench-limit.js';
import { HTTP_TARGETS, type HttpTarget, type ServerMessage } from './support/http-target.js';
import { openRedisCounterStore } from './support/our-redis-store.js';

/** What the bare route answers: a Decision-shaped constant of the same size as ours. */
const CONSTANT_DECISION = Object.freeze({
  allowed: true,
  limit: BENCH_LIMIT.limit,
  remaining: BENCH_LIMIT.limit - 1,
  resetMs: BENCH_LIMIT.window * 1000,
  retryAfterMs: 0,
  reason: 'ok',
  multiplier: 1,
  multiplierSource: 'none',
  degraded: false,
  algorithm: BENCH_LIMIT.algorithm,
  window: BENCH_LIMIT.window,
});

function buildBare(): FastifyInstance {
  const app = Fastify({ logger: false });
  app.post('/v1/allow', () => Promise.resolve(CONSTANT_DECISION));
  return app;
}

async function buildOurs(counters: CounterStore): Promise<FastifyInstance> {
  const config = new MemoryConfigStore(systemClock);
  await config.setDefaults(BENCH_LIMIT);
  const metrics = createMetrics(new Registry());
  const limiter = new RateLimiter({
    counters,
    config,
    clock: systemClock,
    onDecision: metrics.recordDecision,
  });
  const app = buildApp({
    limiter,
    metrics,
    logger: createLogger({ level: 'fatal' }),
    admin: { token: undefined, listenIsLoopback: true },
    readiness: () => Promise.resolve({ status: 'ready', checks: {} }),
  });
  app.addHook('onClose', async () => {
    await counters.close();
  });
  return app;
}

function build(target: HttpTarget, redisUrl: string | undefined): Promise<FastifyInstance> {
  switch (target) {
    case 'bare':
      return Promise.resolve(buildBare());
    case 'ours-memory':
      return buildOurs(new MemoryCounterStore({ clock: systemClock }));
    case 'ours-redis':
      if (redisUrl === undefined) throw new Error('ours-redis needs a Redis URL argument');
      return openRedisCounterStore(redisUrl).then(buildOurs);
  }
}

function isTarget(value: string | undefined): value is HttpTarget {
  return (HTTP_TARGETS as readonly (string | undefined)[]).includes(value);
}

async function main(): Promise<void> {
  const [target, redisUrl] = process.argv.slice(2);
  if (!isTarget(target)) throw new Error(`unknown target "${target}" (known: ${HTTP_TARGETS.join(', ')})`);
  const app = await build(target, redisUrl);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  process.once('SIGTERM', () => {
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
  const message: ServerMessage = { type: 'listening', port: address.port };
  process.send?.(message);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
