/** Nearest-rank percentile (p in (0, 100]) of the finite values; 0 when there are none. */
export function percentile(values: Float64Array, p: number): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort();
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? 0;
}
