/**
 * What each service instance publishes about itself once a second (DESIGN §2: a leased heartbeat
 * under `<prefix>/instances/<id>`), for the controller and for operators.
 */
export interface InstanceHeartbeat {
  /** CPU busy over the last interval, 0..1: of the cgroup's CPU quota when there is one, else of the host */
  readonly cpu: number;
  /** 99th percentile of Allow latency over the last interval, ms; null when there was no Allow */
  readonly allowP99Ms: number | null;
  /** decisions per second over the last interval */
  readonly rps: number;
  /** counter-store failures / counter-store calls over the last interval, 0..1 (0 without calls) */
  readonly storeErrorRate: number;
  /** ISO-8601 start time of the process */
  readonly startedAt: string;
  /** ISO-8601 time of this heartbeat */
  readonly at: string;
  /** the service version */
  readonly version: string;
}

/** One live instance as seen by this one. */
export interface InstanceStatus {
  readonly id: string;
  /** true for the instance answering */
  readonly self: boolean;
  /** undefined while its heartbeat is not readable (not yet arrived, or invalid) */
  readonly heartbeat: InstanceHeartbeat | undefined;
}

/** The instances of one deployment. */
export interface InstanceRegistry {
  /** this instance's id */
  readonly instanceId: string;
  /** live instances, this one included: always >= 1. Read from memory, never I/O (hot path). */
  liveInstances(): number;
  /** every live instance, this one first, the others by id */
  instances(): readonly InstanceStatus[];
  /** Stops heartbeating and removes this instance at once (the etcd lease is revoked). */
  close(): Promise<void>;
}
