import type { Clock } from '../core/clock.js';
import type { InstanceHeartbeat } from '../store/instance-registry.js';
import type { CpuSampler } from './cpu-usage.js';
import type { LoadStats } from './load-stats.js';

export interface HeartbeatSamplerOptions {
  readonly loadStats: LoadStats;
  readonly cpu: CpuSampler;
  /** wall clock, for `at` */
  readonly clock: Clock;
  /** ISO-8601 start time of the process */
  readonly startedAt: string;
  readonly version: string;
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

/**
 * Builds this instance's heartbeat: the load stats of the interval since the previous call and the
 * CPU busy over the same time. Called once per heartbeat interval, by the instance registry only
 * (each call starts a new interval).
 */
export function createHeartbeatSampler(options: HeartbeatSamplerOptions): () => Promise<InstanceHeartbeat> {
  const { loadStats, cpu, clock, startedAt, version } = options;
  return async () => {
    const busy = await cpu.sample();
    const load = loadStats.takeSnapshot();
    return {
      cpu: round(busy, 3),
      allowP99Ms: load.allowP99Ms === null ? null : round(load.allowP99Ms, 3),
      rps: round(load.rps, 1),
      storeErrorRate: round(load.storeErrorRate, 4),
      startedAt,
      at: new Date(clock.now()).toISOString(),
      version,
    };
  };
}
