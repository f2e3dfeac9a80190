/**
 * The library entry point: what an application embedding the limiter imports. The HTTP service
 * (src/main.ts) is built from the same pieces.
 */
export {
  RateLimiter,
  type RateLimiterOptions,
  type RateLimitInfo,
  type ThrottleInfo,
} from './limiter/rate-limiter.js';
export { OverLimitCache } from './limiter/over-limit-cache.js';
export {
  ALGORITHMS,
  DEFAULT_ALGORITHM,
  type AlgorithmName,
  type Decision,
  type DecisionReason,
  type LimitSpec,
  type MultiplierSource,
} from './core/types.js';
export type { Clock } from './core/clock.js';
export {
  ERROR_CODES,
  RateLimiterError,
  ValidationError,
  StoreUnavailableError,
  ControlPlaneUnavailableError,
  NotFoundError,
  type ErrorCode,
  type FieldProblem,
} from './errors.js';
export type { CounterStore, CounterRequest } from './store/counter-store.js';
export type {
  ConfigStore,
  ConfigChange,
  ClientOverride,
  ManualThrottle,
  ControllerThrottle,
} from './store/config-store.js';
export { MemoryCounterStore, type MemoryCounterStoreOptions } from './store/memory/memory-counter-store.js';
export { MemoryConfigStore } from './store/memory/memory-config-store.js';
export { ManualClock } from './store/memory/manual-clock.js';
export { systemClock } from './store/memory/system-clock.js';
export { RedisCounterStore, type RedisCounterStoreOptions } from './store/redis/redis-counter-store.js';
export type { RedisConnectionOptions } from './store/redis/redis-client.js';
export { EtcdConfigStore, type EtcdConfigStoreOptions } from './store/etcd/etcd-config-store.js';
