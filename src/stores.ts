import type { Clock } from './core/clock.js';
import { SettingsError, type FieldProblem } from './errors.js';
import type { Logger } from './observability/logger.js';
import type { Settings } from './settings.js';
import type { ConfigStore } from './store/config-store.js';
import type { CounterStore } from './store/counter-store.js';
import { MemoryConfigStore } from './store/memory/memory-config-store.js';
import { MemoryCounterStore } from './store/memory/memory-counter-store.js';

/** The stores a service instance runs on, chosen from the settings. */
export interface Stores {
  readonly counters: CounterStore;
  readonly config: ConfigStore;
  /** one entry per store: "ok", or why it is not ready */
  readonly checks: () => Promise<Record<string, string>>;
  readonly close: () => Promise<void>;
}

export interface StoreDeps {
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The single seam where the deployment picks its stores: Redis counters when REDIS_URL or
 * REDIS_CLUSTER_NODES is set, etcd config when ETCD_ENDPOINTS is set, in memory otherwise
 * (embedded mode). Only the in-memory stores exist so far; asking for the others stops start-up.
 */
export function buildStores(settings: Settings, deps: StoreDeps): Promise<Stores> {
  const unsupported: FieldProblem[] = [];
  const notYet = 'is set, but this build has only the in-memory stores; unset it to run embedded';
  if (settings.redisUrl !== undefined) unsupported.push({ field: 'REDIS_URL', message: notYet });
  if (settings.redisClusterNodes !== undefined)
    unsupported.push({ field: 'REDIS_CLUSTER_NODES', message: notYet });
  if (settings.etcdEndpoints !== undefined) unsupported.push({ field: 'ETCD_ENDPOINTS', message: notYet });
  if (unsupported.length > 0) return Promise.reject(new SettingsError(unsupported));
  return buildMemoryStores(settings, deps);
}

async function buildMemoryStores(settings: Settings, deps: StoreDeps): Promise<Stores> {
  const counters = new MemoryCounterStore({ clock: deps.clock });
  const config = new MemoryConfigStore(deps.clock);
  if (settings.defaultLimit !== undefined) await config.setDefaults(settings.defaultLimit);
  deps.logger.info(
    { component: 'stores', counters: 'memory', config: 'memory' },
    'stores ready (embedded mode)',
  );
  return {
    counters,
    config,
    checks: () => Promise.resolve({ counters: 'ok', config: 'ok' }),
    close: async () => {
      await counters.close();
      await config.close();
    },
  };
}
