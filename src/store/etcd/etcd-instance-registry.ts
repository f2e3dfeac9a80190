import { EtcdLeaseInvalidError } from 'etcd3';
import { encodeConfigValue } from '../../core/config-schema.js';
import type { Logger } from '../../observability/logger.js';
import { HeartbeatLoop } from '../heartbeat-loop.js';
import type { InstanceHeartbeat, InstanceRegistry, InstanceStatus } from '../instance-registry.js';
import type { EtcdClient, EtcdLease } from './etcd-client.js';
import type { EtcdConfigStore } from './etcd-config-store.js';
import { EtcdKeys } from './keys.js';

export interface EtcdInstanceRegistryOptions {
  readonly client: EtcdClient;
  /** its mirror holds the instances (it watches the whole prefix) */
  readonly store: EtcdConfigStore;
  readonly logger: Logger;
  readonly instanceId: string;
  /** this instance's stats, once per interval */
  readonly sample: () => Promise<InstanceHeartbeat>;
  /** root of every key; default /ratelimiter */
  readonly prefix?: string;
  /** default 1000 */
  readonly intervalMs?: number;
  /** default 5: a dead instance disappears within this many seconds */
  readonly leaseTtlSeconds?: number;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
export const DEFAULT_INSTANCE_LEASE_TTL_SECONDS = 5;

function isLeaseGone(err: unknown): boolean {
  return err instanceof Error && err.cause instanceof EtcdLeaseInvalidError;
}

/**
 * The instance registry in etcd (DESIGN §2). Each instance keeps `<prefix>/instances/<id>` under a
 * lease it keeps alive, and rewrites it once a second with its stats. A crashed instance's key
 * vanishes when its lease runs out; close() revokes the lease so a stopped one vanishes at once.
 *
 * The live set is read from the config store's mirror (the same list-then-watch of the whole
 * prefix), so counting instances is a memory read. While etcd is away it is the last known set, and
 * this instance keeps trying to write its heartbeat; a lease that etcd dropped in the meantime is
 * replaced by a new one.
 */
export class EtcdInstanceRegistry implements InstanceRegistry {
  readonly instanceId: string;
  readonly #client: EtcdClient;
  readonly #store: EtcdConfigStore;
  readonly #logger: Logger;
  readonly #key: string;
  readonly #sample: () => Promise<InstanceHeartbeat>;
  readonly #leaseTtlSeconds: number;
  readonly #loop: HeartbeatLoop;
  #lease: EtcdLease | undefined;
  #last: InstanceHeartbeat | undefined;
  #failing = false;

  private constructor(options: EtcdInstanceRegistryOptions) {
    this.instanceId = options.instanceId;
    this.#client = options.client;
    this.#store = options.store;
    this.#logger = options.logger;
    this.#key = new EtcdKeys(options.prefix).instance(options.instanceId);
    this.#sample = options.sample;
    this.#leaseTtlSeconds = options.leaseTtlSeconds ?? DEFAULT_INSTANCE_LEASE_TTL_SECONDS;
    this.#loop = new HeartbeatLoop(
      () => this.#beat(),
      options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      (err) => this.#logger.error({ err }, 'heartbeat failed'),
    );
  }

  /** Writes the first heartbeat (a failure is logged and retried every interval) and keeps beating. */
  static async start(options: EtcdInstanceRegistryOptions): Promise<EtcdInstanceRegistry> {
    const registry = new EtcdInstanceRegistry(options);
    await registry.#loop.start();
    return registry;
  }

  liveInstances(): number {
    const instances = this.#store.getInstances();
    return instances.size + (instances.has(this.instanceId) ? 0 : 1);
  }

  instances(): readonly InstanceStatus[] {
    const self: InstanceStatus = { id: this.instanceId, self: true, heartbeat: this.#last };
    const others = [...this.#store.getInstances()]
      .filter(([id]) => id !== this.instanceId)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, heartbeat]): InstanceStatus => ({ id, self: false, heartbeat }));
    return [self, ...others];
  }

  /** Stops beating and revokes the lease: the key is deleted at once. */
  async close(): Promise<void> {
    await this.#loop.stop();
    const lease = this.#lease;
    this.#lease = undefined;
    await lease?.revoke().catch((err: unknown) => {
      this.#logger.warn({ err }, 'could not revoke the heartbeat lease; the key expires with its TTL');
    });
  }

  async #beat(): Promise<void> {
    const heartbeat = await this.#sample();
    this.#last = heartbeat;
    try {
      const lease = this.#lease ?? (await this.#grant());
      await this.#client.put(this.#key, encodeConfigValue('instance', heartbeat), lease.id);
      if (this.#failing) {
        this.#failing = false;
        this.#client.logRecovery('heartbeat', 'heartbeat written to etcd again');
      }
    } catch (err) {
      // etcd forgot the lease (it expired while we could not reach etcd): the next beat takes a new one
      if (isLeaseGone(err)) this.#lease = undefined;
      this.#failing = true;
      this.#client.logFailure(
        'heartbeat',
        err,
        'could not write the heartbeat to etcd; retrying every interval',
      );
    }
  }

  async #grant(): Promise<EtcdLease> {
    const lease: EtcdLease = await this.#client.grantLease(this.#leaseTtlSeconds, true, () => {
      if (this.#lease === lease) this.#lease = undefined;
    });
    this.#lease = lease;
    return lease;
  }
}
