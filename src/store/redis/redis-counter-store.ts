import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import { assertNever } from '../../core/assert-never.js';
import { ALGORITHMS, type Outcome } from '../../core/types.js';
import { RateLimiterError, StoreUnavailableError } from '../../errors.js';
import type { CounterRequest, CounterStore } from '../counter-store.js';
import { CallBatcher } from './call-batcher.js';
import { counterKey, DEFAULT_KEY_PREFIX, keyPrefixProblem } from './counter-key.js';
import { createRedisClient, type CounterRedisClient, type RedisConnectionOptions } from './redis-client.js';
import {
  checkCallTime,
  checkScriptItem,
  registerCounterScripts,
  type CounterScripts,
  type ScriptEntry,
  type ScriptItem,
} from './script-registry.js';

export const DEFAULT_DEADLINE_MS = 50;
const DEFAULT_READY_TIMEOUT_MS = 10_000;

/**
 * How decisions reach Redis (bench/batching.ts measures the three; results in
 * bench/results/batching.md):
 * - 'batch' (default): the decisions asked in one turn of the event loop share one script call per
 *   Cluster slot (single node: one call), up to maxBatchItems items, decided in the order asked;
 * - 'per-call': one script call per decision;
 * - 'auto-pipeline': one script call per decision, the calls of one turn written together by
 *   ioredis's enableAutoPipelining. Single node and Sentinel only: ioredis routes an auto-pipelined
 *   custom command by its first argument (here the key count), not its key (redis/ioredis#536).
 */
export type RedisDispatch = 'batch' | 'per-call' | 'auto-pipeline';

export const DEFAULT_DISPATCH: RedisDispatch = 'batch';
export const DEFAULT_MAX_BATCH_ITEMS = 128;
/** a batched call of this many items or more goes out as two halves (CallBatcher splitFrom) */
export const DEFAULT_BATCH_SPLIT_FROM = 16;

export interface RedisCounterStoreOptions {
  readonly connection: RedisConnectionOptions;
  /** first part of every key (default "rl"); must not contain "{" or "}" */
  readonly keyPrefix?: string;
  /** longest any call waits for Redis before rejecting with StoreUnavailableError (default 50) */
  readonly deadlineMs?: number;
  /** connection-level errors (the client reconnects by itself); for logging, must not throw */
  readonly onError?: (err: Error) => void;
  /** how decisions reach Redis (default 'batch') */
  readonly dispatch?: RedisDispatch;
  /** most decisions in one batched script call (default 128; dispatch 'batch' only) */
  readonly maxBatchItems?: number;
  /**
   * a batched call of at least this many decisions goes out as two calls of half each, so Redis
   * and this process overlap (default 16; Infinity: never split; dispatch 'batch' only)
   */
  readonly batchSplitFrom?: number;
}

/**
 * Counters in Redis (single node, Sentinel or Cluster): Lua script calls, atomic per client, on the
 * Redis server's clock unless the request carries an explicit time; concurrent decisions batched
 * into one call per Cluster slot (see RedisDispatch). Every call settles within its own deadline:
 * late replies are dropped, never surface as unhandled rejections.
 */
export class RedisCounterStore implements CounterStore {
  readonly #client: CounterRedisClient;
  readonly #scripts: CounterScripts;
  readonly #prefix: string;
  readonly #deadlineMs: number;
  /** set when dispatch is 'batch' */
  readonly #batcher: CallBatcher | undefined;

  constructor(options: RedisCounterStoreOptions) {
    this.#prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const problem = keyPrefixProblem(this.#prefix);
    if (problem !== undefined) throw new Error(`Redis key prefix "${this.#prefix}" ${problem}`);
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    if (!Number.isInteger(this.#deadlineMs) || this.#deadlineMs < 1) {
      throw new Error(`deadlineMs must be a positive integer, got ${this.#deadlineMs}`);
    }
    const dispatch = options.dispatch ?? DEFAULT_DISPATCH;
    if (dispatch === 'auto-pipeline' && options.connection.mode === 'cluster') {
      throw new Error(
        "dispatch 'auto-pipeline' is not available on a Redis Cluster (redis/ioredis#536): use 'batch'",
      );
    }
    this.#client = createRedisClient(options.connection, { autoPipelining: dispatch === 'auto-pipeline' });
    const onError = options.onError ?? (() => undefined);
    // without a listener ioredis prints every connection error to the console
    this.#client.on('error', onError);
    this.#client.on('node error', onError);
    this.#scripts = registerCounterScripts(this.#client);
    this.#batcher = this.#buildBatcher(dispatch, options);
  }

  #buildBatcher(dispatch: RedisDispatch, options: RedisCounterStoreOptions): CallBatcher | undefined {
    switch (dispatch) {
      case 'per-call':
      case 'auto-pipeline':
        return undefined;
      case 'batch': {
        const maxItems = options.maxBatchItems ?? DEFAULT_MAX_BATCH_ITEMS;
        // a single node or a Sentinel primary holds every slot: any keys share a call
        const slotOf = options.connection.mode === 'cluster' ? calculateSlot : () => 0;
        return new CallBatcher({
          send: (entry, call) => this.#scripts[entry](call),
          slotOf,
          maxItems,
          splitFrom: options.batchSplitFrom ?? DEFAULT_BATCH_SPLIT_FROM,
        });
      }
      default:
        return assertNever(dispatch);
    }
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

  /**
   * Resolves when Redis (on a Cluster, every primary) answers PING within timeoutMs (default: the
   * store's deadline); rejects with StoreUnavailableError otherwise. A connection can look ready
   * while the server behind it answers nothing (a stopped or overloaded process): readiness asks.
   */
  async ping(timeoutMs = this.#deadlineMs): Promise<void> {
    const client = this.#client;
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    await this.#withDeadline('ping', Promise.all(nodes.map((node) => node.ping())), timeoutMs);
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
    // decisions asked before the reset go out before it
    this.#batcher?.flush();
    await this.#withDeadline('reset', this.#client.del(...keys));
  }

  async close(): Promise<void> {
    // what was asked before close goes out before QUIT
    this.#batcher?.flush();
    try {
      await this.#withDeadline('quit', this.#client.quit());
    } catch {
      // not connected, or no answer in time: drop the connection without waiting
      this.#client.disconnect();
    }
  }

  async #decide(entry: ScriptEntry, request: CounterRequest): Promise<Outcome> {
    const item: ScriptItem = {
      key: counterKey(this.#prefix, request.clientId, request.algorithm),
      algorithm: request.algorithm,
      cost: request.cost,
      limit: request.limit,
      windowMs: request.windowMs,
    };
    // bad input fails its own call only, never a batch it would have joined
    checkCallTime(request.now);
    checkScriptItem(item);
    if (this.#batcher !== undefined)
      return this.#withDeadline(entry, this.#batcher.submit(entry, request.now, item));
    const [result] = await this.#withDeadline(
      entry,
      this.#scripts[entry]({ now: request.now, items: [item] }),
    );
    if (result === undefined) throw new StoreUnavailableError(`Redis ${entry} returned no outcome`);
    if (result instanceof Error) throw new StoreUnavailableError(`Redis ${entry} failed: ${result.message}`);
    return result;
  }

  /**
   * `work`, or a StoreUnavailableError once the deadline passes (work keeps its handlers, so a
   * late rejection is handled, not unhandled). Our own typed errors (bad input) pass through.
   */
  async #withDeadline<T>(operation: string, work: Promise<T>, deadlineMs = this.#deadlineMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new StoreUnavailableError(`Redis ${operation} did not answer within ${deadlineMs} ms`));
      }, deadlineMs);
    });
    try {
      return await Promise.race([work, deadline]);
    } catch (err) {
      if (err instanceof RateLimiterError) throw err;
      throw new StoreUnavailableError(
        `Redis ${operation} failed: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
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
