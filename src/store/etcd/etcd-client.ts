import { noop } from 'cockatiel';
import {
  castGrpcError,
  Etcd3,
  isRecoverableError,
  Range,
  type Campaign,
  type IOptions,
  type IWatchResponse,
  type Lease,
  type Watcher,
} from 'etcd3';
import type { Clock } from '../../core/clock.js';
import { ControlPlaneUnavailableError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { systemClock } from '../memory/system-clock.js';
import {
  decodeRangeResponse,
  encodeRangeRequest,
  type RawKeyValue,
  type RawRangeResponse,
} from './range-codec.js';
import { RateLimitedLog } from '../../observability/rate-limited-log.js';

/**
 * The one adapter around the etcd3 package. It owns:
 *
 * - Retry tuning. etcd3's defaults (a per-host circuit breaker open for 5 s, watch reconnects backing
 *   off to 30 s) resumed a watch 3–9 s after etcd came back; here the watch backs off from 50 ms to
 *   at most 500 ms, unary calls retry inside their own deadline, and there is no circuit breaker
 *   (gRPC already fails fast on a refused connection, and each retry picks a host at random).
 * - Deadlines. Every unary call has one absolute deadline shared by all of its retries, so nothing
 *   is retried or sent after the caller was told it failed.
 * - The write policy. A write that etcd does not confirm within `writeDeadlineMs` rejects with
 *   ControlPlaneUnavailableError and the caller answers 503: the change is not in force and must be
 *   retried. Honestly: when the deadline passes while a request is in flight, etcd may still have
 *   applied it; every write here is an idempotent put or delete of a whole value, so the retry is
 *   safe and the outcome is the same either way.
 * - Failure logs, at most one per kind per `failureLogIntervalMs`.
 * - Closing: leases are revoked and campaigns resigned before the connection closes. etcd3's close()
 *   alone keeps leases (and leadership) alive on the server until their TTL runs out.
 */

export interface EtcdClientOptions {
  /** e.g. ['http://127.0.0.1:2379'] */
  readonly endpoints: readonly string[];
  readonly logger: Logger;
  /** longest a write (put, delete, lease grant) may take, all retries included; default 2000 */
  readonly writeDeadlineMs?: number;
  /** longest one read (e.g. one page of a list) may take; default 10000 */
  readonly readDeadlineMs?: number;
  /** at most one error log per kind of failure per this interval; default 10000 */
  readonly failureLogIntervalMs?: number;
  /** for the failure-log interval; default the system clock */
  readonly clock?: Clock;
}

export const DEFAULT_WRITE_DEADLINE_MS = 2_000;
export const DEFAULT_READ_DEADLINE_MS = 10_000;
export const DEFAULT_FAILURE_LOG_INTERVAL_MS = 10_000;

const RETRY_FIRST_DELAY_MS = 25;
const RETRY_MAX_DELAY_MS = 250;
const WATCH_FIRST_DELAY_MS = 50;
const WATCH_MAX_DELAY_MS = 500;
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
/** bound on each revoke/resign/cancel while closing, so a dead etcd cannot hang shutdown */
const CLOSE_STEP_TIMEOUT_MS = 1_000;

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/** Doubling delays from `delayMs`, capped at `maxMs`; every reconnect that works starts over. */
function cappedBackoff(delayMs: number, maxMs: number): WatchBackoff {
  return { duration: delayMs, next: () => cappedBackoff(Math.min(delayMs * 2, maxMs), maxMs) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with `promise`, or with undefined once `ms` have passed. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One version of a key (EtcdClient.versionAt). */
export interface KeyVersion {
  readonly value: Buffer;
  readonly createRevision: number;
  readonly modRevision: number;
}

export interface RangePage {
  /** the store revision the page was read at */
  readonly revision: number;
  /** keys and values are views into the response: copy what must outlive it */
  readonly kvs: readonly RawKeyValue[];
  /** true when keys beyond this page remain in the range */
  readonly more: boolean;
}

/** etcd3's client plus a Range call that decodes its response with range-codec.ts. */
class ListingEtcd3 extends Etcd3 {
  /** Through etcd3's connection pool, so host choice, TLS and auth tokens are the same as for every call. */
  rangeRaw(request: Buffer, options: { deadline: number }): Promise<RawRangeResponse> {
    return this.pool.withConnection(
      'KV',
      ({ client, metadata }) =>
        new Promise<RawRangeResponse>((resolve, reject) => {
          client.makeUnaryRequest(
            '/etcdserverpb.KV/Range',
            (bytes: Buffer) => bytes,
            decodeRangeResponse,
            request,
            metadata,
            options,
            (err, response) => {
              if (err !== null) reject(castGrpcError(err));
              else if (response === undefined) reject(new Error('etcd sent an empty range response'));
              else resolve(response);
            },
          );
        }),
    );
  }
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly key: Buffer;
  /** empty for a delete */
  readonly value: Buffer;
  /** the revision of this change */
  readonly modRevision: number;
}

export interface WatchListener {
  /** One batch of changes, in revision order. Never called after the watch is cancelled. */
  onEvents(events: readonly WatchEvent[]): void;
  /**
   * etcd cancelled the watch, typically because the revision to resume from was compacted. Changes
   * may have been missed: the caller must list again and start a new watch.
   */
  onCancelled(err: Error): void;
}

/** A watch over a key range. It resumes by itself after disconnections, from the next revision. */
export interface EtcdWatch {
  /** the next revision this watch will deliver */
  readonly nextRevision: number;
  cancel(): Promise<void>;
}

export interface EtcdLease {
  /** the lease id, as etcd3 spells it (a decimal string) */
  readonly id: string;
  /** Revokes the lease: every key written under it is deleted. */
  revoke(): Promise<void>;
}

export class EtcdClient {
  readonly #etcd: ListingEtcd3;
  readonly #writeDeadlineMs: number;
  readonly #readDeadlineMs: number;
  readonly #log: RateLimitedLog;
  readonly #logger: Logger;
  readonly #leases = new Set<Lease>();
  readonly #campaigns = new Set<Campaign>();
  readonly #watchers = new Set<Watcher>();
  #closed = false;

  constructor(options: EtcdClientOptions) {
    this.#logger = options.logger;
    this.#writeDeadlineMs = options.writeDeadlineMs ?? DEFAULT_WRITE_DEADLINE_MS;
    this.#readDeadlineMs = options.readDeadlineMs ?? DEFAULT_READ_DEADLINE_MS;
    this.#log = new RateLimitedLog(
      options.logger,
      options.failureLogIntervalMs ?? DEFAULT_FAILURE_LOG_INTERVAL_MS,
      options.clock ?? systemClock,
    );
    this.#etcd = new ListingEtcd3({
      hosts: [...options.endpoints],
      grpcOptions: {
        // a reused channel reconnects within ~1 s rather than gRPC's default of up to 120 s
        'grpc.initial_reconnect_backoff_ms': 100,
        'grpc.max_reconnect_backoff_ms': 1_000,
        // notice a silently dead peer (no RST: host down, network partition) within ~15 s;
        // etcd refuses pings more often than every 5 s, and any without an open stream
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        // list pages of tens of thousands of keys exceed gRPC's default 4 MiB
        'grpc.max_receive_message_length': MAX_RESPONSE_BYTES,
      },
      faultHandling: {
        host: () => noop,
        global: noop,
        watchBackoff: cappedBackoff(WATCH_FIRST_DELAY_MS, WATCH_MAX_DELAY_MS),
      },
    });
  }

  get writeDeadlineMs(): number {
    return this.#writeDeadlineMs;
  }

  /** One page of `[start, end)`, at `revision` when given (pass the first page's to later pages). */
  async rangePage(start: Buffer, end: Buffer, limit: number, revision?: number): Promise<RangePage> {
    const request = encodeRangeRequest({
      key: start,
      rangeEnd: end,
      limit,
      ...(revision === undefined ? {} : { revision }),
    });
    const response = await this.#call('read', this.#readDeadlineMs, (options) =>
      this.#etcd.rangeRaw(request, options),
    ).catch((err: unknown) => {
      throw this.#readFailed(`a read of ${start.toString()}`, err);
    });
    return response;
  }

  /** Puts `value` at `key` (under `leaseId` when given); resolves with the revision of the write. */
  async put(key: string, value: string, leaseId?: string): Promise<number> {
    const request = {
      key: Buffer.from(key),
      value: Buffer.from(value),
      ...(leaseId === undefined ? {} : { lease: leaseId }),
    };
    const response = await this.#call('write', this.#writeDeadlineMs, (options) =>
      this.#etcd.kv.put(request, options),
    ).catch((err: unknown) => {
      throw this.#writeFailed(`put ${key}`, err);
    });
    return Number(response.header.revision);
  }

  /**
   * Puts every entry in one transaction: all of them or none. etcd refuses a transaction of more than
   * its --max-txn-ops (default 128) operations. Resolves with the revision of the write.
   */
  async putAll(entries: readonly { readonly key: string; readonly value: string }[]): Promise<number> {
    const request = {
      success: entries.map((entry) => ({
        request_put: { key: Buffer.from(entry.key), value: Buffer.from(entry.value) },
      })),
    };
    const response = await this.#call('write', this.#writeDeadlineMs, (options) =>
      this.#etcd.kv.txn(request, options),
    ).catch((err: unknown) => {
      throw this.#writeFailed(`put ${entries.length} keys in one transaction`, err);
    });
    return Number(response.header.revision);
  }

  /** The value at `key` (undefined when absent) and the store revision it was read at. */
  async get(key: string): Promise<{ readonly revision: number; readonly value: Buffer | undefined }> {
    const response = await this.#call('read', this.#readDeadlineMs, (options) =>
      this.#etcd.kv.range({ key: Buffer.from(key) }, options),
    ).catch((err: unknown) => {
      throw this.#readFailed(`a read of ${key}`, err);
    });
    return { revision: Number(response.header.revision), value: response.kvs[0]?.value };
  }

  /**
   * The version of `key` in force at `revision` (the newest when absent): its value and the
   * revisions that created and last changed it; undefined when the key did not exist then, or when
   * that revision has been compacted away (history gone is no history).
   */
  async versionAt(key: string, revision?: number): Promise<KeyVersion | undefined> {
    let response;
    try {
      response = await this.#call('read', this.#readDeadlineMs, (options) =>
        this.#etcd.kv.range(
          { key: Buffer.from(key), ...(revision === undefined ? {} : { revision: String(revision) }) },
          options,
        ),
      );
    } catch (err) {
      if (isCompacted(err)) return undefined;
      throw this.#readFailed(`a read of ${key}`, err);
    }
    const kv = response.kvs[0];
    if (kv === undefined) return undefined;
    return {
      value: kv.value,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  /** How many keys `[start, end)` holds, and the store revision it was counted at. */
  async count(start: Buffer, end: Buffer): Promise<{ readonly revision: number; readonly count: number }> {
    const response = await this.#call('read', this.#readDeadlineMs, (options) =>
      this.#etcd.kv.range({ key: start, range_end: end, count_only: true }, options),
    ).catch((err: unknown) => {
      throw this.#readFailed(`a count of ${start.toString()}`, err);
    });
    return { revision: Number(response.header.revision), count: Number(response.count) };
  }

  /** Deletes `key`; resolves with the revision after the delete and the value it had, if any. */
  async delete(key: string): Promise<{ readonly revision: number; readonly previous: Buffer | undefined }> {
    const response = await this.#call('write', this.#writeDeadlineMs, (options) =>
      this.#etcd.kv.deleteRange({ key: Buffer.from(key), prev_kv: true }, options),
    ).catch((err: unknown) => {
      throw this.#writeFailed(`delete ${key}`, err);
    });
    return { revision: Number(response.header.revision), previous: response.prev_kvs[0]?.value };
  }

  /**
   * Grants a lease of `ttlSeconds`. With `keepAlive` the client renews it until revoke() or close();
   * without, it expires after its TTL, and so do the keys written under it. `onLost` is called once
   * if a kept-alive lease dies anyway (etcd unreachable for longer than twice its TTL, or etcd says
   * it expired); the keys written under it are then gone or about to go, and a new lease is needed.
   */
  async grantLease(
    ttlSeconds: number,
    keepAlive: boolean,
    onLost?: (err: Error) => void,
  ): Promise<EtcdLease> {
    this.#throwIfClosed();
    const lease = this.#etcd.lease(ttlSeconds, {
      autoKeepAlive: keepAlive,
      deadline: Date.now() + this.#writeDeadlineMs,
    });
    let granted = false;
    lease.on('lost', (err) => {
      this.#log.error('lease', err, 'etcd lease lost');
      // nothing left to keep alive; a lease etcd still holds expires by itself
      this.#leases.delete(lease);
      // a grant that failed is reported by grantLease's rejection instead
      if (granted) onLost?.(err);
    });
    this.#leases.add(lease);
    let id: string;
    try {
      id = await lease.grant();
      granted = true;
    } catch (err) {
      lease.release();
      this.#leases.delete(lease);
      throw this.#writeFailed(`grant a lease of ${ttlSeconds} s`, err);
    }
    if (!keepAlive) {
      // nothing to revoke once it has expired by itself
      setTimeout(() => this.#leases.delete(lease), ttlSeconds * 1000).unref();
    }
    return {
      id,
      revoke: async () => {
        this.#leases.delete(lease);
        await lease.revoke({ deadline: Date.now() + this.#writeDeadlineMs }).catch((err: unknown) => {
          throw this.#writeFailed(`revoke lease ${id}`, err);
        });
      },
    };
  }

  /**
   * Campaigns for leadership of the election under `namespace` + `election/<name>/` with a lease of
   * `ttlSeconds`; close() resigns, so a standby takes over at once rather than after the TTL.
   */
  campaign(namespace: string, name: string, value: string, ttlSeconds: number): Campaign {
    this.#throwIfClosed();
    const campaign = this.#etcd.namespace(namespace).election(name, ttlSeconds).campaign(value);
    campaign.on('error', (err) => this.#log.error('campaign', err, `etcd campaign ${name} failed`));
    this.#campaigns.add(campaign);
    return campaign;
  }

  /**
   * Watches `[start, end)` from `fromRevision`. Disconnections are retried with a short backoff and
   * resume from the revision after the last one delivered, so no change is skipped or repeated.
   */
  watch(start: Buffer, end: Buffer, fromRevision: number, listener: WatchListener): EtcdWatch {
    this.#throwIfClosed();
    const watcher = this.#etcd
      .watch()
      .inRange(new Range(start, end))
      .startRevision(String(fromRevision))
      .watcher();
    this.#watchers.add(watcher);
    let nextRevision = fromRevision;
    let disconnected = false;
    let cancelled = false;

    watcher.on('data', (response: IWatchResponse) => {
      if (cancelled) return;
      const events = response.events;
      const last = events[events.length - 1];
      if (last !== undefined) {
        nextRevision = Number(last.kv.mod_revision) + 1;
        listener.onEvents(
          events.map((event) => ({
            type: event.type === 'Delete' ? 'delete' : 'put',
            key: event.kv.key,
            value: event.kv.value,
            modRevision: Number(event.kv.mod_revision),
          })),
        );
      } else if (!response.created && !response.canceled) {
        // a progress notification: every change up to the header revision has been delivered
        nextRevision = Math.max(nextRevision, Number(response.header.revision) + 1);
      }
    });
    watcher.on('disconnected', (err: Error) => {
      disconnected = true;
      // etcd3 would resume from the revision after the last *header* it saw, which can be past
      // changes it never delivered; resume after the last change delivered instead
      watcher.request.start_revision = String(nextRevision);
      this.#log.error('watch', err, `etcd watch disconnected; resuming from revision ${nextRevision}`);
    });
    watcher.on('connected', () => {
      if (!disconnected) return;
      disconnected = false;
      this.#log.recovered('watch', `etcd watch resumed from revision ${nextRevision}`);
    });
    watcher.on('error', (err: Error) => {
      if (cancelled) return;
      cancelled = true;
      this.#watchers.delete(watcher);
      this.#logger.warn({ err, nextRevision }, 'etcd cancelled the watch');
      listener.onCancelled(err);
    });

    return {
      get nextRevision() {
        return nextRevision;
      },
      cancel: async () => {
        cancelled = true;
        this.#watchers.delete(watcher);
        await settleWithin(watcher.cancel(), CLOSE_STEP_TIMEOUT_MS);
      },
    };
  }

  /** Logs a failure of `kind`, at most once per interval. */
  logFailure(kind: string, err: unknown, message: string): void {
    this.#log.error(kind, err, message);
  }

  /** Logs a recovery of `kind` (and lets its next failure log at once). */
  logRecovery(kind: string, message: string): void {
    this.#log.recovered(kind, message);
  }

  /** Resigns campaigns, revokes leases, cancels watches, then closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const campaigns = [...this.#campaigns].map((campaign) =>
      settleWithin(
        campaign
          .resign()
          .catch((err: unknown) => this.#logger.warn({ err }, 'could not resign an etcd campaign')),
        CLOSE_STEP_TIMEOUT_MS,
      ),
    );
    const leases = [...this.#leases].map((lease) =>
      settleWithin(
        lease
          .revoke({ deadline: Date.now() + CLOSE_STEP_TIMEOUT_MS })
          .catch((err: unknown) =>
            this.#logger.warn({ err }, 'could not revoke an etcd lease; it expires with its TTL'),
          ),
        CLOSE_STEP_TIMEOUT_MS,
      ),
    );
    const watchers = [...this.#watchers].map((watcher) =>
      settleWithin(watcher.cancel(), CLOSE_STEP_TIMEOUT_MS),
    );
    await Promise.all([...campaigns, ...leases, ...watchers]);
    this.#campaigns.clear();
    this.#leases.clear();
    this.#watchers.clear();
    this.#etcd.close();
  }

  /** Runs `call` until it succeeds, fails for good, or the deadline passes (shared by every attempt). */
  async #call<T>(
    kind: string,
    deadlineMs: number,
    call: (options: { deadline: number }) => Promise<T>,
  ): Promise<T> {
    this.#throwIfClosed();
    const deadline = Date.now() + deadlineMs;
    let delay = RETRY_FIRST_DELAY_MS;
    for (;;) {
      try {
        return await call({ deadline });
      } catch (err) {
        const retryable = err instanceof Error && isRecoverableError(err) && !this.#closed;
        if (!retryable || Date.now() + delay >= deadline) {
          // a read at a compacted revision is an answer (that history is gone), not a failure
          if (!isCompacted(err)) this.#log.error(kind, err, `etcd ${kind} failed`);
          throw err;
        }
      }
      await sleep(delay);
      delay = Math.min(delay * 2, RETRY_MAX_DELAY_MS);
    }
  }

  #readFailed(what: string, err: unknown): ControlPlaneUnavailableError {
    return new ControlPlaneUnavailableError(
      `etcd did not answer ${what} within ${this.#readDeadlineMs} ms: ${describe(err)}`,
      { cause: err },
    );
  }

  #writeFailed(what: string, err: unknown): ControlPlaneUnavailableError {
    return new ControlPlaneUnavailableError(
      `etcd did not confirm "${what}" within ${this.#writeDeadlineMs} ms (${describe(err)}): ` +
        'treat it as not written and retry; writes are idempotent, and one that was in flight may still apply',
      { cause: err },
    );
  }

  #throwIfClosed(): void {
    if (this.#closed)
      throw new ControlPlaneUnavailableError('the etcd client is closed; nothing was written');
  }
}

/** etcd's answer to a read at a revision it has compacted away (mvcc: required revision has been compacted). */
function isCompacted(err: unknown): boolean {
  return /compacted/i.test(describe(err));
}
