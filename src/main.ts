import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Server } from 'node:net';
import { Registry } from 'prom-client';
import { buildApp } from './app.js';
import { SettingsError } from './errors.js';
import { isLoopbackHost } from './http/admin-auth.js';
import type { Readiness } from './http/health-routes.js';
import { OverLimitCache } from './limiter/over-limit-cache.js';
import { RateLimiter } from './limiter/rate-limiter.js';
import { createLogger } from './observability/logger.js';
import { createCpuSampler } from './observability/cpu-usage.js';
import { createHeartbeatSampler } from './observability/heartbeat-sampler.js';
import { LoadStats } from './observability/load-stats.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { serviceVersion } from './observability/service-version.js';
import { describeSettings, loadSettings, type Settings } from './settings.js';
import { buildStores } from './stores.js';
import { systemClock } from './store/memory/system-clock.js';

/** Longest a graceful shutdown may take before the process gives up and exits 1. */
const SHUTDOWN_TIMEOUT_MS = 10_000;
/**
 * Before closing, how long open connections get to notice `Connection: close` on their next
 * response and close by themselves (closing an idle keep-alive socket races with a request its
 * client is sending: the client gets a reset and cannot tell whether it was served).
 */
const KEEP_ALIVE_DRAIN_MS = 1000;
const KEEP_ALIVE_POLL_MS = 50;

/** Invalid configuration: print the one message listing every problem, exit 1. */
function exitOnSettingsError(err: unknown): never {
  if (err instanceof SettingsError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  throw err;
}

function settingsOrExit(): Settings {
  try {
    return loadSettings(process.env);
  } catch (err) {
    return exitOnSettingsError(err);
  }
}

/**
 * The service process: the only place that reads the environment. Settings -> stores ->
 * RateLimiter -> HTTP app -> listen; SIGTERM/SIGINT stop accepting, drain in-flight requests,
 * close the stores and exit 0.
 */
async function main(): Promise<void> {
  const settings = settingsOrExit();

  const logger = createLogger({ level: settings.logLevel });
  const metrics = createMetrics(new Registry());
  // this instance's load, published in its heartbeat: fed by decisions and counter-store failures
  const loadStats = new LoadStats();
  const stores = await buildStores(settings, {
    clock: systemClock,
    logger,
    onInvalidConfigEntry: metrics.recordInvalidConfigEntry,
    instanceId: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    sampleHeartbeat: createHeartbeatSampler({
      loadStats,
      cpu: await createCpuSampler(),
      clock: systemClock,
      startedAt: new Date(systemClock.now()).toISOString(),
      version: serviceVersion(),
    }),
  }).catch(exitOnSettingsError);
  // saves a Redis round trip per denial of a client already over its limit; in-memory counters
  // answer without one, where the cache's bookkeeping would only add to each call
  const overLimitCache =
    settings.overLimitCacheSize === 0 || stores.kinds.counters === 'memory'
      ? undefined
      : new OverLimitCache({
          maxEntries: settings.overLimitCacheSize,
          onHit: metrics.recordOverLimitCacheHit,
        });
  if (overLimitCache !== undefined) metrics.observeOverLimitCacheSize(() => overLimitCache.size);
  const limiter = new RateLimiter({
    counters: stores.counters,
    config: stores.config,
    clock: systemClock,
    defaultAlgorithm: settings.defaultAlgorithm,
    onDecision: (decision, elapsedMs) => {
      metrics.recordDecision(decision, elapsedMs);
      loadStats.recordDecision(decision, elapsedMs);
    },
    ...(overLimitCache === undefined ? {} : { overLimitCache }),
  });

  let shuttingDown = false;
  const readiness = async (): Promise<Readiness> => {
    const checks = await stores.checks();
    if (shuttingDown) checks.process = 'shutting down';
    const ready = !shuttingDown && Object.values(checks).every((c) => c === 'ok');
    return { status: ready ? 'ready' : 'not-ready', checks };
  };

  const appMetrics: Metrics = {
    ...metrics,
    recordError: (code) => {
      metrics.recordError(code);
      if (code === 'STORE_UNAVAILABLE') loadStats.recordStoreError();
    },
  };
  const app = buildApp({
    limiter,
    metrics: appMetrics,
    logger,
    admin: { token: settings.adminToken, listenIsLoopback: isLoopbackHost(settings.host) },
    readiness,
    status: { registry: stores.registry, counters: stores.kinds.counters, etcdStats: stores.etcdStats },
    draining: () => shuttingDown,
  });

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: no new connections, draining requests');
    setTimeout(() => {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    await untilConnectionsClose(app.server, KEEP_ALIVE_DRAIN_MS);
    await app.close();
    await stores.close();
    logger.info('stopped');
    logger.flush(() => process.exit(0));
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, (s: NodeJS.Signals) => {
      shutdown(s).catch((err: unknown) => {
        logger.fatal({ err }, 'shutdown failed');
        process.exit(1);
      });
    });
  }

  if (!isLoopbackHost(settings.host) && settings.adminToken === undefined) {
    logger.warn(
      { host: settings.host },
      'RL_ADMIN_TOKEN is not set and the host is not loopback: admin routes are disabled',
    );
  }
  await app.listen({ port: settings.port, host: settings.host });
  logger.info({ settings: describeSettings(settings) }, 'rate limiter ready');
}

main().catch((err: unknown) => {
  process.stderr.write(
    `start-up failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

/** Resolves once `server` has no open connection, or after `maxMs`. */
async function untilConnectionsClose(server: Server, maxMs: number): Promise<void> {
  const openConnections = (): Promise<number> =>
    new Promise((resolve) => {
      server.getConnections((err, count) => resolve(err === null ? count : 0));
    });
  const until = Date.now() + maxMs;
  while ((await openConnections()) > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, KEEP_ALIVE_POLL_MS));
  }
}
