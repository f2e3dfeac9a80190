import type { LimitSpec } from '../core/types.js';
import type { ConfigStore } from './config-store.js';

/**
 * A view of `store` whose default limit falls back to `fallback` (this instance's
 * RL_DEFAULT_LIMIT) while the shared store holds none. Nothing is written: an operator's
 * `<prefix>/defaults` in etcd always wins, and a restart never overwrites it.
 */
export function withFallbackDefaults(store: ConfigStore, fallback: LimitSpec): ConfigStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'getDefaults') return () => target.getDefaults() ?? fallback;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
