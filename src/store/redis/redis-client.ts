/**
 * Builds the ioredis client of the counter store: a single node, a Redis Cluster or a
 * Sentinel-managed primary, all tuned so that a command either reaches Redis now or fails now.
 *
 * - enableOfflineQueue: false. A command issued while disconnected is rejected at once instead of
 *   being queued and run later, after its caller has given up (the store has a deadline of tens of
 *   ms; degraded mode decides meanwhile). A queued consume running late would spend budget that
 *   nobody was told about.
 * - maxRetriesPerRequest: 0 and autoResendUnfulfilledCommands: false. A command in flight when the
 *   connection drops is rejected, never re-sent: Redis may already have run it, and running a
 *   consume twice spends the budget twice. (Cluster: retryDelayOnFailover: 0 for the same
 *   reason. Redirections (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) are still followed: Redis did not run
 *   those commands.)
 * - No commandTimeout: the store's own deadline bounds every call; a command timeout would only
 *   add a second timer per call (neither can take a sent command back).
 * - Reconnection never gives up (retryStrategy backs off to 500 ms; a Cluster's
 *   clusterRetryStrategy to 1 s), so the store recovers by itself after a restart.
 * - enableAutoPipelining is off unless asked for (RedisCounterStore's dispatch 'auto-pipeline',
 *   kept to measure it against batching: bench/batching.ts).
 */
import { Cluster, Redis } from 'ioredis';
import { assertNever } from '../../core/assert-never.js';

export type RedisConnectionOptions =
  | {
      readonly mode: 'single';
      /** `redis://[user:password@]host:port[/db]` or `rediss://...` */
      readonly url: string;
    }
  | {
      readonly mode: 'cluster';
      /** seed nodes, `host:port` (`[v6]:port` for IPv6); the rest are discovered */
      readonly nodes: readonly string[];
      readonly username?: string;
      readonly password?: string;
    }
  | {
      readonly mode: 'sentinel';
      /** Sentinel addresses, `host:port` */
      readonly sentinels: readonly string[];
      /** the monitored primary's name */
      readonly name: string;
      readonly username?: string;
      readonly password?: string;
      readonly sentinelPassword?: string;
      readonly db?: number;
    };

export type CounterRedisClient = Redis | Cluster;

const CONNECT_TIMEOUT_MS = 2_000;

/** every connection, Cluster nodes included */
const CONNECTION_OPTIONS = {
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  connectTimeout: CONNECT_TIMEOUT_MS,
};

/** single node and Sentinel (a Cluster sets these for its nodes itself, see clusterOptions) */
const STANDALONE_OPTIONS = {
  ...CONNECTION_OPTIONS,
  enableOfflineQueue: false,
  retryStrategy: (attempt: number): number => Math.min(attempt * 50, 500),
};

export interface RedisClientTuning {
  /** ioredis enableAutoPipelining (default false) */
  readonly autoPipelining?: boolean;
}

/** `host:port` or `[v6]:port` -> { host, port }. */
function parseHostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`"${address}" is not host:port`);
  }
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port };
}

function credentials(options: { username?: string; password?: string }): {
  username?: string;
  password?: string;
} {
  return {
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
  };
}

/** A new client, connecting in the background; the caller owns it (quit/disconnect). */
export function createRedisClient(
  options: RedisConnectionOptions,
  tuning: RedisClientTuning = {},
): CounterRedisClient {
  const enableAutoPipelining = tuning.autoPipelining ?? false;
  switch (options.mode) {
    case 'single':
      return new Redis(options.url, { ...STANDALONE_OPTIONS, enableAutoPipelining });
    case 'cluster':
      return new Cluster(options.nodes.map(parseHostPort), {
        enableOfflineQueue: false,
        retryDelayOnFailover: 0,
        scaleReads: 'master',
        clusterRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
        enableAutoPipelining,
        redisOptions: { ...CONNECTION_OPTIONS, enableAutoPipelining, ...credentials(options) },
      });
    case 'sentinel':
      return new Redis({
        ...STANDALONE_OPTIONS,
        enableAutoPipelining,
        ...credentials(options),
        sentinels: options.sentinels.map(parseHostPort),
        name: options.name,
        ...(options.sentinelPassword === undefined ? {} : { sentinelPassword: options.sentinelPassword }),
        ...(options.db === undefined ? {} : { db: options.db }),
      });
    default:
      return assertNever(options);
  }
}
