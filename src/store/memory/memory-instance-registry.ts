import { HeartbeatLoop } from '../heartbeat-loop.js';
import type { InstanceHeartbeat, InstanceRegistry, InstanceStatus } from '../instance-registry.js';

export interface MemoryInstanceRegistryOptions {
  readonly instanceId: string;
  /** this instance's stats, sampled every `intervalMs` for instances(); none: no stats */
  readonly sample?: () => Promise<InstanceHeartbeat>;
  /** default 1000 */
  readonly intervalMs?: number;
  /** a sample failed (it is logged here; the next one is taken as usual) */
  readonly onError: (err: unknown) => void;
}

/**
 * Embedded mode: no shared registry, so this instance is the only one it knows (count 1). Its own
 * stats are still sampled, on the same schedule as with etcd, so /v1/status reports them.
 */
export class MemoryInstanceRegistry implements InstanceRegistry {
  readonly instanceId: string;
  readonly #loop: HeartbeatLoop | undefined;
  #last: InstanceHeartbeat | undefined;

  private constructor(options: MemoryInstanceRegistryOptions) {
    this.instanceId = options.instanceId;
    const sample = options.sample;
    this.#loop =
      sample === undefined
        ? undefined
        : new HeartbeatLoop(
            async () => {
              this.#last = await sample();
            },
            options.intervalMs ?? 1_000,
            options.onError,
          );
  }

  static async start(options: MemoryInstanceRegistryOptions): Promise<MemoryInstanceRegistry> {
    const registry = new MemoryInstanceRegistry(options);
    await registry.#loop?.start();
    return registry;
  }

  liveInstances(): number {
    return 1;
  }

  instances(): readonly InstanceStatus[] {
    return [{ id: this.instanceId, self: true, heartbeat: this.#last }];
  }

  async close(): Promise<void> {
    await this.#loop?.stop();
  }
}
