/** How a request's cost is derived from its log line. */
export const COST_MODES = ['one', 'bytes'] as const;

export type CostMode = (typeof COST_MODES)[number];

/** Bytes per cost unit in `bytes` mode. */
export const BYTES_PER_UNIT = 10_000;

/** `one`: every request costs 1. `bytes`: max(1, ceil(bytes / 10000)), a `-` size counting as 0. */
export function costOf(bytes: number | null, mode: CostMode): number {
  if (mode === 'one') return 1;
  return Math.max(1, Math.ceil((bytes ?? 0) / BYTES_PER_UNIT));
}
