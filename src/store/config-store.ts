import type { LimitSpec } from '../core/types.js';

/** A multiplier written by the controller (leased in etcd). */
export interface ControllerThrottle {
  readonly multiplier: number;
  readonly reason: string;
  /** ISO-8601 time of the write */
  readonly at: string;
}

/** A manual global multiplier; beats the controller. */
export interface ManualThrottle {
  readonly multiplier: number;
  readonly reason: string;
  /** ISO-8601 end time; absent = until cleared */
  readonly until?: string;
}

/** A per-client override: a multiplier, or an absolute limit that replaces the base one. */
export type ClientOverride =
  { readonly multiplier: number } | { readonly limit: number; readonly window: number };

/** What can change in the config mirror; listeners use it to drop caches. */
export type ConfigChange =
  | { readonly kind: 'limit'; readonly clientId: string }
  | { readonly kind: 'client-override'; readonly clientId: string }
  | { readonly kind: 'defaults' }
  | { readonly kind: 'throttle' }
  | { readonly kind: 'resync' };

/**
 * Control-plane state: limits, defaults, multipliers, overrides.
 * Reads are synchronous from a local mirror (never I/O on the hot path);
 * writes are durable before they resolve and visible to the writer at once.
 */
export interface ConfigStore {
  getLimit(clientId: string): LimitSpec | undefined;
  getDefaults(): LimitSpec | undefined;
  getControllerThrottle(): ControllerThrottle | undefined;
  /** an expired timed override reads as undefined */
  getManualThrottle(): ManualThrottle | undefined;
  getClientOverride(clientId: string): ClientOverride | undefined;

  setLimit(clientId: string, spec: LimitSpec): Promise<void>;
  /** true when a limit existed */
  deleteLimit(clientId: string): Promise<boolean>;
  setDefaults(spec: LimitSpec | undefined): Promise<void>;
  setManualThrottle(throttle: ManualThrottle): Promise<void>;
  /** true when an override existed */
  clearManualThrottle(): Promise<boolean>;
  setClientOverride(clientId: string, override: ClientOverride | undefined): Promise<void>;

  /** number of client limits in the mirror */
  size(): number;
  onChange(listener: (change: ConfigChange) => void): () => void;
  close(): Promise<void>;
}
