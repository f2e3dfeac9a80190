import type { Clock } from '../../core/clock.js';
import type { LimitSpec } from '../../core/types.js';
import type {
  ClientOverride,
  ConfigChange,
  ConfigStore,
  ControllerThrottle,
  ManualThrottle,
} from '../config-store.js';

/**
 * Control-plane state in this process only (embedded mode, tests). Same contract as the etcd store:
 * synchronous reads, writes visible at once, change notifications.
 */
export class MemoryConfigStore implements ConfigStore {
  readonly #clock: Clock;
  readonly #limits = new Map<string, LimitSpec>();
  readonly #overrides = new Map<string, ClientOverride>();
  readonly #listeners = new Set<(change: ConfigChange) => void>();
  #defaults: LimitSpec | undefined;
  #manual: ManualThrottle | undefined;
  #controller: ControllerThrottle | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  getLimit(clientId: string): LimitSpec | undefined {
    return this.#limits.get(clientId);
  }

  getDefaults(): LimitSpec | undefined {
    return this.#defaults;
  }

  getControllerThrottle(): ControllerThrottle | undefined {
    return this.#controller;
  }

  getManualThrottle(): ManualThrottle | undefined {
    const manual = this.#manual;
    if (manual?.until !== undefined && Date.parse(manual.until) <= this.#clock.now()) return undefined;
    return manual;
  }

  getClientOverride(clientId: string): ClientOverride | undefined {
    return this.#overrides.get(clientId);
  }

  setLimit(clientId: string, spec: LimitSpec): Promise<void> {
    this.#limits.set(clientId, Object.freeze({ ...spec }));
    this.#emit({ kind: 'limit', clientId });
    return Promise.resolve();
  }

  deleteLimit(clientId: string): Promise<boolean> {
    const existed = this.#limits.delete(clientId);
    if (existed) this.#emit({ kind: 'limit', clientId });
    return Promise.resolve(existed);
  }

  setDefaults(spec: LimitSpec | undefined): Promise<void> {
    this.#defaults = spec === undefined ? undefined : Object.freeze({ ...spec });
    this.#emit({ kind: 'defaults' });
    return Promise.resolve();
  }

  setManualThrottle(throttle: ManualThrottle): Promise<void> {
    this.#manual = Object.freeze({ ...throttle });
    this.#emit({ kind: 'throttle' });
    return Promise.resolve();
  }

  clearManualThrottle(): Promise<boolean> {
    const existed = this.getManualThrottle() !== undefined;
    this.#manual = undefined;
    this.#emit({ kind: 'throttle' });
    return Promise.resolve(existed);
  }

  /** Test/embedded hook standing in for the controller's leased key. */
  setControllerThrottle(throttle: ControllerThrottle | undefined): void {
    this.#controller = throttle === undefined ? undefined : Object.freeze({ ...throttle });
    this.#emit({ kind: 'throttle' });
  }

  setClientOverride(clientId: string, override: ClientOverride | undefined): Promise<void> {
    if (override === undefined) this.#overrides.delete(clientId);
    else this.#overrides.set(clientId, Object.freeze({ ...override }));
    this.#emit({ kind: 'client-override', clientId });
    return Promise.resolve();
  }

  size(): number {
    return this.#limits.size;
  }

  onChange(listener: (change: ConfigChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    this.#listeners.clear();
    return Promise.resolve();
  }

  #emit(change: ConfigChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}
