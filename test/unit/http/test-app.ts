import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Registry } from 'prom-client';
import { buildApp } from '../../../src/app.js';
import type { ReadinessCheck } from '../../../src/http/health-routes.js';
import type { StatusSource } from '../../../src/http/status-routes.js';
import { RateLimiter } from '../../../src/limiter/rate-limiter.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.js';
import type { CounterStore } from '../../../src/store/counter-store.js';
import { ManualClock } from '../../../src/store/memory/manual-clock.js';
import { MemoryConfigStore } from '../../../src/store/memory/memory-config-store.js';
import { MemoryCounterStore } from '../../../src/store/memory/memory-counter-store.js';

/** A start time on a 60 s boundary, so fixed windows of 1..60 s start exactly now. */
export const T0 = 1_700_000_040_000;

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestAppOptions {
  readonly adminToken?: string;
  readonly listenIsLoopback?: boolean;
  readonly readiness?: ReadinessCheck;
  /** replaces the in-memory counter store (failure tests) */
  readonly counters?: CounterStore;
  /** what /v1/status reports; without it the app has no /v1/status */
  readonly status?: StatusSource;
  /** log lines are collected in `logs` at this level; silent by default */
  readonly logLevel?: 'trace' | 'debug' | 'silent';
  /** whether the service is shutting down (AppDeps.draining) */
  readonly draining?: () => boolean;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly clock: ManualClock;
  readonly config: MemoryConfigStore;
  readonly counters: MemoryCounterStore;
  readonly limiter: RateLimiter;
  readonly metrics: Metrics;
  readonly logs: string[];
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** the JSON body of a response */
  json(response: LightMyRequestResponse): unknown;
}

/** The real app on in-memory stores and a manual clock; never listens. */
export function createTestApp(options: TestAppOptions = {}): TestApp {
  const clock = new ManualClock(T0);
  const config = new MemoryConfigStore(clock);
  const counters = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
  const metrics = createMetrics(new Registry(), { defaultMetrics: false });
  const limiter = new RateLimiter({
    counters: options.counters ?? counters,
    config,
    clock,
    onDecision: metrics.recordDecision,
  });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const app = buildApp({
    limiter,
    metrics,
    logger: createLogger({ level: options.logLevel ?? 'silent', destination }),
    admin: { token: options.adminToken, listenIsLoopback: options.listenIsLoopback ?? true },
    readiness: options.readiness ?? (() => Promise.resolve({ status: 'ready', checks: { counters: 'ok' } })),
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.draining === undefined ? {} : { draining: options.draining }),
  });
  return {
    app,
    clock,
    config,
    counters,
    limiter,
    metrics,
    logs,
    inject: (o) => app.inject(o),
    json: (r) => JSON.parse(r.body) as unknown,
  };
}

/** Percent-encodes an id for a path segment, the way clients must. */
export function idPath(id: string): string {
  return encodeURIComponent(id);
}
