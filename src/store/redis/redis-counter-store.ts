import { Cluster, type Redis } from 'ioredis';
import { ALGORITHMS, type Outcome } from '../../core/types.js';
import { RateLimiterError, StoreUnavailableError } from '../../errors.js';
import type { CounterRequest, CounterStore } from '../counter-store.js';
import { counterKey, DEFAULT_KEY_PREFIX, keyPrefixProblem } from './counter-key.js';
import { createRedisClient, type CounterRedisClient, type RedisConnectionOptions } from './redis-client.js';
import { registerCounterScripts, type CounterScripts, type ScriptCall } from './script-registry.js';

export const DEFAULT_DEADLINE_MS = 50;
const DEFAULT_READY_TIMEOUT_MS = 10_000;

export interface RedisCounterStoreOptions {
  readonly connection: RedisConnectionOptions;
  /** first part of every key (default "rl"); must not contain "{" or "}" */
  readonly keyPrefix?: string;
  /** longest any call waits for Redis before rejecting with StoreUnavailableError (default 50) */
  readonly deadlineMs?: number;
  /** connection-level errors (the client reconnects by itself); for logging, must not throw */
  readonly onError?: (err: Error) => void;
}

/**
 * Counters in Redis (single node, Sentinel or Cluster): one Lua script call per decision, atomic
 * per client, on the Redis server's clock unless the request carries an explicit time. Every call
 * settles within the deadline: late replies are dropped, never surface as unhandled rejections.
 */
export class RedisCounterStore implements CounterStore {
  readonly #client: CounterRedisClient;
  readonly #scripts: CounterScripts;
  readonly #prefix: string;
  readonly #deadlineMs: number;

  constructor(options: RedisCounterStoreOptions) {
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const problem = keyPrefixProblem(this.#prefix);
    if (problem !== undefined) throw new Error(`Redis key prefix "${this.#prefix}" ${problem}`);
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    if (!Number.isInteger(this.#deadlineMs) || this.#deadlineMs < 1) {
      throw new Error(`deadlineMs must be a positive integer, got ${this.#deadlineMs}`);
    }
    this.#client = createRedisClient(options.connection);
    const onError = options.onError ?? (() => undefined);
    // without a listener ioredis prints every connection error to the console
    this.#client.on('error', onError);
    this.#client.on('node error', onError);
    this.#scripts = registerCounterScripts(this.#client);
  }

  /**
   * Resolves once the client is connected, on a Cluster to every primary (commands fail fast until
   * then), or rejects with StoreUnavailableError after timeoutMs.
   */
  async ready(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    await whenReady(this.#client, timeoutMs);
    const client = this.#client;
    if (client instanceof Cluster) {
      // primaries are connected lazily, and a command for one still connecting fails at once
      await Promise.all(client.nodes('master').map((node) => whenReady(node, timeoutMs)));
    }
  }

  async consume(request: CounterRequest): Promise<Outcome> {
    return this.#decide('allow', request);
  }

  async peek(request: CounterRequest): Promise<Outcome> {
    return this.#decide('peek', request);
  }

  async reset(clientId: string): Promise<void> {
    // all keys of a client share its hash tag, so one DEL serves a Cluster too
    const keys = ALGORITHMS.map((algorithm) => counterKey(this.#prefix, clientId, algorithm));
    await this.#withDeadline('reset', this.#client.del(...keys));
  }

  async close(): Promise<void> {
    try {
      await this.#withDeadline('quit', this.#client.quit());
    } catch {
      // not connected, or no answer in time: drop the connection without waiting
      this.#client.disconnect();
    }
  }

  async #decide(entry: 'allow' | 'peek', request: CounterRequest): Promise<Outcome> {
    const call: ScriptCall = {
      now: request.now,
      items: [
        {
          key: counterKey(this.#prefix, request.clientId, request.algorithm),
          algorithm: request.algorithm,
          cost: request.cost,
          limit: request.limit,
          windowMs: request.windowMs,
        },
      ],
    };
    const [outcome] = await this.#withDeadline(entry, this.#scripts[entry](call));
    if (outcome === undefined) throw new StoreUnavailableError(`Redis ${entry} returned no outcome`);
    return outcome;
  }

  /**
   * `work`, or a StoreUnavailableError once the deadline passes (work keeps its handlers, so a
   * late rejection is handled, not unhandled). Our own typed errors (bad input) pass through.
   */
  async #withDeadline<T>(operation: string, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new StoreUnavailableError(`Redis ${operation} did not answer within ${this.#deadlineMs} ms`));
      }, this.#deadlineMs);
    });
    try {
      return await Promise.race([work, deadline]);
    } catch (err) {
      if (err instanceof RateLimiterError) throw err;
      throw new StoreUnavailableError(`Redis ${operation} failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Resolves when `client` is ready (connecting it if it waits for a first command). */
function whenReady(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new StoreUnavailableError(`Redis not ready within ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    client.on('ready', onReady);
    // a lazy connection (Cluster nodes) starts on connect(); its failures reach the 'error' listeners
    if (client.status === 'wait') client.connect().catch(() => undefined);
  });
}
