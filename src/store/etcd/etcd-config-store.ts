import { setTimeout as sleep } from 'node:timers/promises';
import {
  CONFIG_VALUE_KINDS,
  encodeConfigValue,
  parseConfigValue,
  type ConfigValueKind,
  type ConfigValueTypes,
  type SchemaResult,
} from '../../core/config-schema.js';
import { assertNever } from '../../core/assert-never.js';
import type { Clock } from '../../core/clock.js';
import type { AlgorithmName, LimitSpec } from '../../core/types.js';
import { validateClientId, validateLimitSpec } from '../../core/validate.js';
import { ControlPlaneUnavailableError, ValidationError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type {
  ClientOverride,
  ConfigChange,
  ConfigStore,
  ControllerThrottle,
  ManualThrottle,
} from '../config-store.js';
import type { InstanceHeartbeat } from '../instance-registry.js';
import type { EtcdClient, EtcdWatch, RangePage, WatchEvent } from './etcd-client.js';
import { EtcdKeys, decodeKeyId, prefixEnd, type ParsedKey } from './keys.js';
import type { RawKeyValue } from './range-codec.js';
import { LimitSpecCache } from './limit-spec-cache.js';

/** What an invalid entry in etcd was: a value of one of the kinds, or a key whose id is not encoded right. */
export type InvalidEntryKind = ConfigValueKind | 'key';

export interface EtcdMirrorStats {
  /** the etcd revision the mirror reflects (own writes may be applied ahead of it) */
  readonly revision: number;
  readonly limits: number;
  readonly clientOverrides: number;
  /** instances with a heartbeat key (their leases alive) */
  readonly instances: number;
  /** times the mirror was rebuilt by a fresh list after its watch was cancelled (compaction) */
  readonly relists: number;
  /** invalid entries seen (and ignored) since start, by kind */
  readonly invalidEntries: Readonly<Record<InvalidEntryKind, number>>;
}

export interface EtcdConfigStoreOptions {
  readonly client: EtcdClient;
  readonly logger: Logger;
  /** expires timed manual overrides */
  readonly clock: Clock;
  /** the algorithm of a stored limit that names none */
  readonly defaultAlgorithm: AlgorithmName;
  /** root of every key; default /ratelimiter */
  readonly prefix?: string;
  /** keys per list page; default 100,000 (see DEFAULT_PAGE_SIZE) */
  readonly pageSize?: number;
  /** how long start() keeps trying to list before it gives up; default 30000 */
  readonly startTimeoutMs?: number;
  /** called once per invalid entry seen (metrics) */
  readonly onInvalidEntry?: (kind: InvalidEntryKind) => void;
}

/**
 * etcd 3.4 walks its index from a page's first key to the end of the range for every page, however
 * small the page: listing N keys in pages of P costs about N²/2P index steps. At 1,000,000 keys,
 * pages of 5,000 took ~38 s of etcd time alone, pages of 100,000 a few seconds (~9 MB per page).
 */
export const DEFAULT_PAGE_SIZE = 100_000;
export const DEFAULT_START_TIMEOUT_MS = 30_000;
const ZERO_BYTE = Buffer.from([0]);
const RELIST_FIRST_DELAY_MS = 100;
const RELIST_MAX_DELAY_MS = 2_000;
/** invalid entries logged one by one per list; the rest are summed up in one line */
const INVALID_LOGS_PER_LIST = 20;
/** invalid entries per list whose last valid version is looked up in etcd's history */
const HISTORY_LOOKUPS_PER_LIST = 100;
/** lookups in flight at once */
const HISTORY_LOOKUPS_IN_FLIGHT = 8;
/** failed lookups after which the rest are not tried (etcd is not answering: each waits its deadline) */
const HISTORY_FAILURES_TO_STOP = 3;
/** versions one lookup goes back at most */
const HISTORY_VERSIONS_BACK = 10;
/** setTimeout's ceiling (~24.8 days); a later expiry re-arms */
const MAX_TIMER_MS = 2_147_483_647;

/** One consistent picture of the control plane. Replaced as a whole after a re-list. */
interface Mirror {
  readonly limits: Map<string, LimitSpec>;
  readonly overrides: Map<string, ClientOverride>;
  /** live instances by id; undefined while an instance's heartbeat is unreadable (invalid) */
  readonly instances: Map<string, InstanceHeartbeat | undefined>;
  defaults: LimitSpec | undefined;
  manual: ManualThrottle | undefined;
  /** Date.parse(manual.until), parsed once rather than on every allow */
  manualUntilMs: number | undefined;
  controller: ControllerThrottle | undefined;
}

/** A write of this instance, applied before the watch delivers it. */
interface OwnWrite {
  readonly revision: number;
  /** undefined for a delete */
  readonly value: string | undefined;
}

function emptyMirror(): Mirror {
  return {
    limits: new Map(),
    overrides: new Map(),
    instances: new Map(),
    defaults: undefined,
    manual: undefined,
    manualUntilMs: undefined,
    controller: undefined,
  };
}

function throwIfInvalid<T>(result: SchemaResult<T>): T {
  if (!result.ok) throw new ValidationError(result.problems);
  return result.value;
}

/**
 * The control plane in etcd, mirrored in memory: reads never leave the process.
 *
 * start() lists the whole prefix in pages, all read at the revision of the first page, and then
 * watches from the revision after it, applying changes in revision order. While etcd is away the
 * mirror keeps serving what it last knew and the watch resumes when etcd returns; when the watch is
 * cancelled (its revision was compacted, so changes were missed) the prefix is listed again and the
 * rebuilt mirror replaces the old one at once. Invalid entries are logged, counted and ignored: the
 * last good value stays in force.
 *
 * Writes go to etcd first (ControlPlaneUnavailableError when it does not confirm them in time) and
 * are applied to this instance's mirror as soon as etcd confirms them; the revision of each such
 * write guards it against being rolled back by an older change the watch delivers later.
 *
 * The client is not closed by close(): whoever built it closes it, after the store.
 */
export class EtcdConfigStore implements ConfigStore {
  readonly #client: EtcdClient;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #keys: EtcdKeys;
  readonly #pageSize: number;
  readonly #onInvalidEntry: ((kind: InvalidEntryKind) => void) | undefined;
  readonly #specs: LimitSpecCache;
  readonly #defaultAlgorithm: AlgorithmName;
  readonly #listeners = new Set<(change: ConfigChange) => void>();
  readonly #ownWrites = new Map<string, OwnWrite>();
  readonly #invalid: Record<InvalidEntryKind, number>;
  readonly #closing = new AbortController();
  #mirror: Mirror = emptyMirror();
  #revision = 0;
  #relists = 0;
  #watch: EtcdWatch | undefined;
  #relisting = false;
  #manualTimer: NodeJS.Timeout | undefined;

  private constructor(options: EtcdConfigStoreOptions) {
    this.#client = options.client;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#keys = new EtcdKeys(options.prefix);
    this.#pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.#onInvalidEntry = options.onInvalidEntry;
    this.#defaultAlgorithm = options.defaultAlgorithm;
    this.#specs = new LimitSpecCache(options.defaultAlgorithm);
    this.#invalid = Object.fromEntries([...CONFIG_VALUE_KINDS, 'key'].map((kind) => [kind, 0])) as Record<
      InvalidEntryKind,
      number
    >;
  }

  /**
   * Lists the prefix and starts watching. Resolves once the mirror is complete; rejects with
   * ControlPlaneUnavailableError when etcd cannot be listed within `startTimeoutMs`.
   */
  static async start(options: EtcdConfigStoreOptions): Promise<EtcdConfigStore> {
    const store = new EtcdConfigStore(options);
    const deadline = Date.now() + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    let delay = RELIST_FIRST_DELAY_MS;
    for (;;) {
      try {
        const { mirror, revision } = await store.#list();
        store.#install(mirror, revision);
        return store;
      } catch (err) {
        if (Date.now() + delay >= deadline) {
          throw new ControlPlaneUnavailableError(`could not list ${store.#keys.all} from etcd`, {
            cause: err,
          });
        }
        await sleep(delay);
        delay = Math.min(delay * 2, RELIST_MAX_DELAY_MS);
      }
    }
  }

  getLimit(clientId: string): LimitSpec | undefined {
    return this.#mirror.limits.get(clientId);
  }

  getDefaults(): LimitSpec | undefined {
    return this.#mirror.defaults;
  }

  getControllerThrottle(): ControllerThrottle | undefined {
    return this.#mirror.controller;
  }

  getManualThrottle(): ManualThrottle | undefined {
    const { manual, manualUntilMs } = this.#mirror;
    if (manualUntilMs !== undefined && manualUntilMs <= this.#clock.now()) return undefined;
    return manual;
  }

  getClientOverride(clientId: string): ClientOverride | undefined {
    return this.#mirror.overrides.get(clientId);
  }

  async setLimit(clientId: string, spec: LimitSpec): Promise<void> {
    validateClientId(clientId);
    const checked = validateLimitSpec(spec, this.#defaultAlgorithm);
    await this.#put(this.#keys.limit(clientId), encodeConfigValue('limit', checked));
  }

  async deleteLimit(clientId: string): Promise<boolean> {
    validateClientId(clientId);
    const { previous } = await this.#delete(this.#keys.limit(clientId));
    return previous !== undefined;
  }

  async setDefaults(spec: LimitSpec | undefined): Promise<void> {
    if (spec === undefined) {
      await this.#delete(this.#keys.defaults);
      return;
    }
    const checked = validateLimitSpec(spec, this.#defaultAlgorithm);
    await this.#put(this.#keys.defaults, encodeConfigValue('defaults', checked));
  }

  async setManualThrottle(throttle: ManualThrottle): Promise<void> {
    const checked = throwIfInvalid(
      parseConfigValue('manual-throttle', JSON.stringify(throttle), this.#defaultAlgorithm),
    );
    await this.#put(this.#keys.manualThrottle, encodeConfigValue('manual-throttle', checked));
  }

  async clearManualThrottle(): Promise<boolean> {
    const { previous } = await this.#delete(this.#keys.manualThrottle);
    if (previous === undefined) return false;
    // like the in-memory store: an override that had already ended did not exist any more
    const parsed = parseConfigValue('manual-throttle', previous.toString(), this.#defaultAlgorithm);
    return (
      parsed.ok && (parsed.value.until === undefined || Date.parse(parsed.value.until) > this.#clock.now())
    );
  }

  async setClientOverride(clientId: string, override: ClientOverride | undefined): Promise<void> {
    validateClientId(clientId);
    const key = this.#keys.override(clientId);
    if (override === undefined) {
      await this.#delete(key);
      return;
    }
    const checked = throwIfInvalid(
      parseConfigValue('client-override', JSON.stringify(override), this.#defaultAlgorithm),
    );
    await this.#put(key, encodeConfigValue('client-override', checked));
  }

  /**
   * Writes the controller's multiplier under a fresh lease of `leaseTtlSeconds` that is not kept
   * alive: the key vanishes when the TTL runs out (or when the client closes and revokes the lease).
   * The controller process keeps its own lease alive; this is how tests and tools stand in for it.
   */
  async putControllerThrottle(throttle: ControllerThrottle, leaseTtlSeconds: number): Promise<void> {
    const checked = throwIfInvalid(
      parseConfigValue('controller-throttle', JSON.stringify(throttle), this.#defaultAlgorithm),
    );
    const lease = await this.#client.grantLease(leaseTtlSeconds, false);
    const key = this.#keys.controllerThrottle;
    const value = encodeConfigValue('controller-throttle', checked);
    this.#applyOwnWrite(key, await this.#client.put(key, value, lease.id), value);
  }

  size(): number {
    return this.#mirror.limits.size;
  }

  /**
   * The instances whose heartbeat keys exist (DESIGN §2: leased, so a dead instance's key vanishes
   * with its lease), by id. While etcd is away this is the last known set.
   */
  getInstances(): ReadonlyMap<string, InstanceHeartbeat | undefined> {
    return this.#mirror.instances;
  }

  stats(): EtcdMirrorStats {
    return {
      revision: this.#revision,
      limits: this.#mirror.limits.size,
      clientOverrides: this.#mirror.overrides.size,
      instances: this.#mirror.instances.size,
      relists: this.#relists,
      invalidEntries: { ...this.#invalid },
    };
  }

  onChange(listener: (change: ConfigChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#closing.abort();
    clearTimeout(this.#manualTimer);
    this.#listeners.clear();
    const watch = this.#watch;
    this.#watch = undefined;
    await watch?.cancel();
  }

  async #put(key: string, value: string): Promise<void> {
    this.#applyOwnWrite(key, await this.#client.put(key, value), value);
  }

  async #delete(key: string): Promise<{ previous: Buffer | undefined }> {
    const { revision, previous } = await this.#client.delete(key);
    // a delete of a missing key changes nothing and creates no revision to wait for
    if (previous !== undefined) this.#applyOwnWrite(key, revision, undefined);
    return { previous };
  }

  /** Applies a confirmed write now, unless the watch has already delivered it (or something later). */
  #applyOwnWrite(key: string, revision: number, value: string | undefined): void {
    if (this.#closing.signal.aborted || revision <= this.#revision) return;
    this.#ownWrites.set(key, { revision, value });
    this.#apply(this.#mirror, key, this.#keys.parse(key), value, true);
  }

  /** Lists the whole prefix, page by page, at one revision. */
  async #list(): Promise<{ mirror: Mirror; revision: number }> {
    const start = Buffer.from(this.#keys.all);
    const end = prefixEnd(start);
    const limitsPrefix = Buffer.from(this.#keys.limits);
    const previous = this.#mirror;
    const mirror = emptyMirror();
    let invalidLogged = 0;
    let invalidTotal = 0;
    // invalid entries with no last good value in the previous mirror (a first list has none)
    const withoutGoodValue: string[] = [];
    const first = await this.#client.rangePage(start, end, this.#pageSize);
    const revision = first.revision;
    let page: RangePage | undefined = first;
    while (page !== undefined) {
      // ask for the next page before working through this one: etcd and this process overlap
      const last: RawKeyValue | undefined = page.kvs[page.kvs.length - 1];
      const next: Promise<RangePage> | undefined =
        page.more && last !== undefined
          ? this.#client.rangePage(Buffer.concat([last.key, ZERO_BYTE]), end, this.#pageSize, revision)
          : undefined;
      // a failure of `next` surfaces at its await below; until then it must not count as unhandled
      next?.catch(() => undefined);
      for (const kv of page.kvs) {
        const keyBytes = kv.key;
        // fast path for the bulk of the keys: a limit with a plainly encoded id
        if (
          keyBytes.length > limitsPrefix.length &&
          limitsPrefix.compare(keyBytes, 0, limitsPrefix.length) === 0
        ) {
          const clientId = decodeKeyId(keyBytes.toString('utf8', limitsPrefix.length));
          const parsed = clientId === undefined ? undefined : this.#specs.parse(kv.value.toString());
          if (clientId !== undefined && parsed?.ok === true) {
            mirror.limits.set(clientId, parsed.value);
            continue;
          }
        }
        const key = keyBytes.toString();
        const ok = this.#apply(
          mirror,
          key,
          this.#keys.parse(key),
          kv.value.toString(),
          invalidLogged < INVALID_LOGS_PER_LIST,
        );
        if (!ok) {
          invalidTotal++;
          invalidLogged = Math.min(invalidLogged + 1, INVALID_LOGS_PER_LIST);
          if (!this.#carryOver(previous, mirror, key)) withoutGoodValue.push(key);
        }
      }
      page = await next;
    }
    await this.#lastValidFromHistory(mirror, withoutGoodValue, revision);
    if (invalidTotal > invalidLogged) {
      this.#logger.warn(
        { invalid: invalidTotal },
        `${invalidTotal - invalidLogged} more invalid entries ignored`,
      );
    }
    return { mirror, revision };
  }

  /**
   * Keeps the last good value of an entry that is invalid in the new list. Returns whether the
   * previous mirror had one.
   */
  #carryOver(previous: Mirror, mirror: Mirror, key: string): boolean {
    const parsed = this.#keys.parse(key);
    switch (parsed.kind) {
      case 'limit': {
        const spec = previous.limits.get(parsed.clientId);
        if (spec !== undefined) mirror.limits.set(parsed.clientId, spec);
        return spec !== undefined;
      }
      case 'client-override': {
        const override = previous.overrides.get(parsed.clientId);
        if (override !== undefined) mirror.overrides.set(parsed.clientId, override);
        return override !== undefined;
      }
      case 'defaults':
        mirror.defaults = previous.defaults;
        return previous.defaults !== undefined;
      case 'controller-throttle':
        mirror.controller = previous.controller;
        return previous.controller !== undefined;
      case 'manual-throttle':
        mirror.manual = previous.manual;
        mirror.manualUntilMs = previous.manualUntilMs;
        return previous.manual !== undefined;
      case 'instance': {
        const heartbeat = previous.instances.get(parsed.instanceId);
        if (heartbeat !== undefined) mirror.instances.set(parsed.instanceId, heartbeat);
        return heartbeat !== undefined;
      }
      case 'invalid-id':
      case 'other':
        return false;
      default:
        return assertNever(parsed);
    }
  }

  /**
   * For invalid entries this instance has no good value of (it has just started, say), the last
   * valid version etcd still keeps of the same key since it was created: what an instance that was
   * running all along kept in force, so a restart does not turn one bad write into a different
   * answer (a bad `defaults` would otherwise deny every default client on restarted instances).
   * Limits, overrides, defaults and the manual throttle only; leased keys (the controller's, the
   * heartbeats) are left absent. Bounded; a failed lookup leaves the entry absent, as before.
   */
  async #lastValidFromHistory(mirror: Mirror, keys: readonly string[], revision: number): Promise<void> {
    const wanted = keys
      .flatMap((key) => {
        const parsed = this.#keys.parse(key);
        const isValid = this.#historyValidator(parsed);
        return isValid === undefined ? [] : [{ key, parsed, isValid }];
      })
      .slice(0, HISTORY_LOOKUPS_PER_LIST);
    const restored: { key: string; modRevision: number }[] = [];
    let failures = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < wanted.length && failures < HISTORY_FAILURES_TO_STOP) {
        const entry = wanted[next++];
        if (entry === undefined) return;
        try {
          const found = await this.#lastValidVersion(entry.key, entry.isValid, revision);
          if (found === undefined) continue;
          // lookups end in any order; each sets its own key only
          this.#apply(mirror, entry.key, entry.parsed, found.value, false);
          restored.push({ key: entry.key, modRevision: found.modRevision });
        } catch (err) {
          failures++;
          this.#logger.warn(
            { err, key: entry.key },
            'could not read the history of an invalid entry; it stays absent',
          );
        }
      }
    };
    await Promise.all(Array.from({ length: HISTORY_LOOKUPS_IN_FLIGHT }, worker));
    if (restored.length > 0) {
      this.#logger.info(
        { restored: restored.length, first: restored.slice(0, INVALID_LOGS_PER_LIST) },
        'invalid entries in etcd: their last valid versions are in force',
      );
    }
  }

  /** The newest valid version of `key` before the one in force at `revision`, up to HISTORY_VERSIONS_BACK back. */
  async #lastValidVersion(
    key: string,
    isValid: (value: string) => boolean,
    revision: number,
  ): Promise<{ value: string; modRevision: number } | undefined> {
    let version = await this.#client.versionAt(key, revision);
    for (let step = 0; version !== undefined && step < HISTORY_VERSIONS_BACK; step++) {
      const before = version.modRevision - 1;
      if (before < version.createRevision) return undefined;
      version = await this.#client.versionAt(key, before);
      if (version === undefined) return undefined;
      const value = version.value.toString();
      if (isValid(value)) return { value, modRevision: version.modRevision };
    }
    return undefined;
  }

  /**
   * How to tell a valid value of the key `parsed` without counting or logging anything, for the
   * kinds whose last valid version history may restore; undefined for the rest (leased keys, keys
   * that are not config).
   */
  #historyValidator(parsed: ParsedKey): ((value: string) => boolean) | undefined {
    switch (parsed.kind) {
      case 'limit':
        return (value) => this.#specs.parse(value).ok;
      case 'client-override':
      case 'defaults':
      case 'manual-throttle': {
        const { kind } = parsed;
        return (value) => parseConfigValue(kind, value, this.#defaultAlgorithm).ok;
      }
      case 'controller-throttle':
      case 'instance':
      case 'invalid-id':
      case 'other':
        return undefined;
      default:
        return assertNever(parsed);
    }
  }

  /** Makes `mirror` current at `revision` and watches from the next revision. */
  #install(mirror: Mirror, revision: number): void {
    for (const [key, write] of this.#ownWrites) {
      if (write.revision <= revision) this.#ownWrites.delete(key);
      else this.#apply(mirror, key, this.#keys.parse(key), write.value, false);
    }
    this.#mirror = mirror;
    this.#revision = revision;
    this.#armManualExpiry();
    this.#watch = this.#client.watch(
      Buffer.from(this.#keys.all),
      prefixEnd(Buffer.from(this.#keys.all)),
      revision + 1,
      {
        onEvents: (events) => this.#onEvents(events),
        onCancelled: () => void this.#relist(),
      },
    );
  }

  #onEvents(events: readonly WatchEvent[]): void {
    const mirror = this.#mirror;
    for (const event of events) {
      const key = event.key.toString();
      const own = this.#ownWrites.get(key);
      if (own !== undefined && event.modRevision <= own.revision) continue;
      const value = event.type === 'put' ? event.value.toString() : undefined;
      this.#apply(mirror, key, this.#keys.parse(key), value, true);
    }
    const last = events[events.length - 1];
    if (last !== undefined) this.#revision = last.modRevision;
    for (const [key, write] of this.#ownWrites) {
      if (write.revision <= this.#revision) this.#ownWrites.delete(key);
    }
  }

  /** After the watch was cancelled: list again until it works, then swap the mirror and watch again. */
  async #relist(): Promise<void> {
    if (this.#relisting || this.#closing.signal.aborted) return;
    this.#relisting = true;
    this.#watch = undefined;
    let delay = RELIST_FIRST_DELAY_MS;
    try {
      for (;;) {
        try {
          const { mirror, revision } = await this.#list();
          if (this.#closing.signal.aborted) return;
          this.#install(mirror, revision);
          this.#relists++;
          this.#logger.info({ revision, limits: mirror.limits.size }, 'etcd mirror rebuilt by a fresh list');
          this.#emit({ kind: 'resync' });
          return;
        } catch (err) {
          if (this.#closing.signal.aborted) return;
          this.#client.logFailure(
            'relist',
            err,
            'could not list etcd to rebuild the mirror; serving the last one',
          );
        }
        await sleep(delay, undefined, { signal: this.#closing.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, RELIST_MAX_DELAY_MS);
      }
    } finally {
      this.#relisting = false;
    }
  }

  /**
   * Applies one entry (a put of `value`, or a delete when it is undefined) to `mirror`. Returns false
   * when the entry is invalid; then it is counted, logged when `log` is set, and ignored.
   * Changes are announced only when `mirror` is the one in use.
   */
  #apply(mirror: Mirror, key: string, parsed: ParsedKey, value: string | undefined, log: boolean): boolean {
    switch (parsed.kind) {
      case 'limit': {
        const { clientId } = parsed;
        if (value === undefined) {
          if (mirror.limits.delete(clientId)) this.#emitFor(mirror, { kind: 'limit', clientId });
          return true;
        }
        const spec = this.#specs.parse(value);
        if (!spec.ok) return this.#invalidEntry('limit', key, value, spec.problems, log);
        mirror.limits.set(clientId, spec.value);
        this.#emitFor(mirror, { kind: 'limit', clientId });
        return true;
      }
      case 'client-override': {
        const { clientId } = parsed;
        if (value === undefined) {
          if (mirror.overrides.delete(clientId)) this.#emitFor(mirror, { kind: 'client-override', clientId });
          return true;
        }
        const override = this.#parse('client-override', key, value, log);
        if (override === undefined) return false;
        mirror.overrides.set(clientId, override);
        this.#emitFor(mirror, { kind: 'client-override', clientId });
        return true;
      }
      case 'defaults': {
        const spec = value === undefined ? undefined : this.#parse('defaults', key, value, log);
        if (value !== undefined && spec === undefined) return false;
        mirror.defaults = spec;
        this.#emitFor(mirror, { kind: 'defaults' });
        return true;
      }
      case 'controller-throttle': {
        const throttle =
          value === undefined ? undefined : this.#parse('controller-throttle', key, value, log);
        if (value !== undefined && throttle === undefined) return false;
        mirror.controller = throttle;
        this.#emitFor(mirror, { kind: 'throttle' });
        return true;
      }
      case 'manual-throttle': {
        const throttle = value === undefined ? undefined : this.#parse('manual-throttle', key, value, log);
        if (value !== undefined && throttle === undefined) return false;
        mirror.manual = throttle;
        mirror.manualUntilMs = throttle?.until === undefined ? undefined : Date.parse(throttle.until);
        if (mirror === this.#mirror) this.#armManualExpiry();
        this.#emitFor(mirror, { kind: 'throttle' });
        return true;
      }
      case 'invalid-id':
        if (value === undefined) return true;
        return this.#invalidEntry(
          'key',
          key,
          value,
          [
            {
              field: '',
              message: `the id under ${parsed.directory}/ must be encoded with encodeURIComponent`,
            },
          ],
          log,
        );
      case 'instance': {
        const { instanceId } = parsed;
        if (value === undefined) {
          mirror.instances.delete(instanceId);
          return true;
        }
        const heartbeat = this.#parse('instance', key, value, log);
        // an unreadable heartbeat still says the instance is alive; its last good stats are kept
        mirror.instances.set(instanceId, heartbeat ?? mirror.instances.get(instanceId));
        return heartbeat !== undefined;
      }
      case 'other':
        return true;
      default:
        return assertNever(parsed);
    }
  }

  #parse<K extends ConfigValueKind>(
    kind: K,
    key: string,
    value: string,
    log: boolean,
  ): ConfigValueTypes[K] | undefined {
    const result = parseConfigValue(kind, value, this.#defaultAlgorithm);
    if (result.ok) return result.value;
    this.#invalidEntry(kind, key, value, result.problems, log);
    return undefined;
  }

  #invalidEntry(
    kind: InvalidEntryKind,
    key: string,
    value: string,
    problems: readonly { field: string; message: string }[],
    log: boolean,
  ): false {
    this.#invalid[kind]++;
    this.#onInvalidEntry?.(kind);
    if (log) {
      this.#logger.warn(
        { key, value: value.slice(0, 200), problems },
        'invalid entry in etcd ignored; the last good value stays in force',
      );
    }
    return false;
  }

  /** Announces that the current manual override ended, when it ends (caches may hold its multiplier). */
  #armManualExpiry(): void {
    clearTimeout(this.#manualTimer);
    this.#manualTimer = undefined;
    const until = this.#mirror.manualUntilMs;
    if (until === undefined || this.#closing.signal.aborted) return;
    const delay = until - this.#clock.now();
    if (delay <= 0) return;
    this.#manualTimer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) this.#armManualExpiry();
        else this.#emit({ kind: 'throttle' });
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    this.#manualTimer.unref();
  }

  #emitFor(mirror: Mirror, change: ConfigChange): void {
    if (mirror === this.#mirror) this.#emit(change);
  }

  #emit(change: ConfigChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#logger.error({ err, change }, 'a config change listener threw');
      }
    }
  }
}
