import type { Clock } from './core/clock.js';
import type { Logger } from './observability/logger.js';
import type { Settings } from './settings.js';
import type { ConfigStore } from './store/config-store.js';
import { EtcdClient } from './store/etcd/etcd-client.js';
import { EtcdConfigStore, type EtcdMirrorStats } from './store/etcd/etcd-config-store.js';
import { EtcdInstanceRegistry } from './store/etcd/etcd-instance-registry.js';
import type { InstanceHeartbeat, InstanceRegistry } from './store/instance-registry.js';
import { MemoryInstanceRegistry } from './store/memory/memory-instance-registry.js';
import { withFallbackDefaults } from './store/fallback-defaults.js';
import type { CounterStore } from './store/counter-store.js';
import { MemoryConfigStore } from './store/memory/memory-config-store.js';
import { MemoryCounterStore } from './store/memory/memory-counter-store.js';
import type { RedisConnectionOptions } from './store/redis/redis-client.js';
import { RedisCounterStore } from './store/redis/redis-counter-store.js';

/** The stores a service instance runs on, chosen from the settings. */
export interface Stores {
  readonly counters: CounterStore;
  readonly config: ConfigStore;
  /** the live instances (etcd: leased heartbeats; embedded: this one) */
  readonly registry: InstanceRegistry;
  /** where counters and config live */
  readonly kinds: { readonly counters: 'memory' | 'redis'; readonly config: 'memory' | 'etcd' };
  /** the etcd mirror's state; undefined in embedded mode */
  readonly etcdStats: (() => EtcdMirrorStats) | undefined;
  /** one entry per store: "ok", or why it is not ready */
  readonly checks: () => Promise<Record<string, string>>;
  readonly close: () => Promise<void>;
}

export interface StoreDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** an invalid control-plane entry was ignored (metrics) */
  readonly onInvalidConfigEntry?: (kind: string) => void;
  /** this instance's id in the registry */
  readonly instanceId: string;
  /** this instance's heartbeat stats, sampled once a second */
  readonly sampleHeartbeat: () => Promise<InstanceHeartbeat>;
}

/** How to reach Redis, from the settings; undefined: in-memory counters (embedded mode). */
export function redisConnection(settings: Settings): RedisConnectionOptions | undefined {
  if (settings.redisClusterNodes !== undefined) return { mode: 'cluster', nodes: settings.redisClusterNodes };
  if (settings.redisSentinel !== undefined) return { mode: 'sentinel', ...settings.redisSentinel };
  if (settings.redisUrl !== undefined) return { mode: 'single', url: settings.redisUrl };
  return undefined;
}

/**
 * The single seam where the deployment picks its stores: Redis counters when REDIS_URL,
 * REDIS_CLUSTER_NODES or REDIS_SENTINELS is set, etcd config (list-then-watch mirror) when ETCD_ENDPOINTS is set,
 * in memory otherwise (embedded mode).
 */
export async function buildStores(settings: Settings, deps: StoreDeps): Promise<Stores> {
  const counters = buildCounters(settings, deps);
  let config: Config;
  try {
    config = await buildConfig(settings, deps);
  } catch (err) {
    await counters.store.close();
    throw err;
  }
  deps.logger.info(
    { component: 'stores', counters: counters.kind, config: config.kind },
    counters.kind === 'memory' && config.kind === 'memory' ? 'stores ready (embedded mode)' : 'stores ready',
  );
  return {
    counters: counters.store,
    config: config.store,
    registry: config.registry,
    kinds: { counters: counters.kind, config: config.kind },
    etcdStats: config.stats,
    checks: async () => ({ counters: await counters.check(), config: 'ok' }),
    close: async () => {
      await counters.store.close();
      await config.close();
    },
  };
}

interface Config {
  readonly kind: 'memory' | 'etcd';
  readonly store: ConfigStore;
  readonly registry: InstanceRegistry;
  readonly stats: (() => EtcdMirrorStats) | undefined;
  readonly close: () => Promise<void>;
}

async function buildConfig(settings: Settings, deps: StoreDeps): Promise<Config> {
  if (settings.etcdEndpoints === undefined) {
    const store = new MemoryConfigStore(deps.clock);
    if (settings.defaultLimit !== undefined) await store.setDefaults(settings.defaultLimit);
    const registry = await MemoryInstanceRegistry.start({
      instanceId: deps.instanceId,
      sample: deps.sampleHeartbeat,
      onError: (err) => deps.logger.error({ err, component: 'registry' }, 'heartbeat sample failed'),
    });
    return {
      kind: 'memory',
      store,
      registry,
      stats: undefined,
      close: async () => {
        await registry.close();
        await store.close();
      },
    };
  }
  const log = deps.logger.child({ component: 'etcd' });
  const client = new EtcdClient({ endpoints: settings.etcdEndpoints, logger: log, clock: deps.clock });
  try {
    const etcd = await EtcdConfigStore.start({
      client,
      logger: log,
      clock: deps.clock,
      defaultAlgorithm: settings.defaultAlgorithm,
      prefix: settings.etcdPrefix,
      ...(deps.onInvalidConfigEntry === undefined ? {} : { onInvalidEntry: deps.onInvalidConfigEntry }),
    });
    // RL_DEFAULT_LIMIT is this instance's fallback: <prefix>/defaults in etcd, when set, wins
    const store =
      settings.defaultLimit === undefined ? etcd : withFallbackDefaults(etcd, settings.defaultLimit);
    const registry = await EtcdInstanceRegistry.start({
      client,
      store: etcd,
      logger: log,
      instanceId: deps.instanceId,
      sample: deps.sampleHeartbeat,
      prefix: settings.etcdPrefix,
    });
    return {
      kind: 'etcd',
      store,
      registry,
      stats: () => etcd.stats(),
      close: async () => {
        // first, so the other instances see this one gone at once
        await registry.close();
        await etcd.close();
        await client.close();
      },
    };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** How long /readyz waits for Redis: the allow deadline, but at least 250 ms, so load alone does not flap it. */
function readinessTimeoutMs(storeDeadlineMs: number): number {
  return Math.max(storeDeadlineMs, 250);
}

interface Counters {
  readonly kind: 'memory' | 'redis';
  readonly store: CounterStore;
  readonly check: () => Promise<string>;
}

function buildCounters(settings: Settings, deps: StoreDeps): Counters {
  const connection = redisConnection(settings);
  if (connection === undefined) {
    return {
      kind: 'memory',
      store: new MemoryCounterStore({ clock: deps.clock }),
      check: () => Promise.resolve('ok'),
    };
  }
  const log = deps.logger.child({ component: 'redis' });
  const store = new RedisCounterStore({
    connection,
    deadlineMs: settings.storeDeadlineMs,
    onError: (err) => log.warn({ err }, 'redis connection error'),
  });
  // allows fail fast (503) until Redis answers; the service starts either way and recovers by itself
  store.ready().catch((err: unknown) => log.error({ err }, 'redis not reachable at start-up; retrying'));
  const readinessMs = readinessTimeoutMs(settings.storeDeadlineMs);
  return {
    kind: 'redis',
    store,
    // connected, and the server answers: a stopped Redis keeps its TCP connections up
    check: () =>
      store
        .ready(readinessMs)
        .then(() => store.ping(readinessMs))
        .then(
          () => 'ok',
          (err: unknown) => (err instanceof Error ? err.message : String(err)),
        ),
  };
}
