/**
 * The logs have 1 s resolution. Requests that share a second are spread evenly and
 * deterministically inside it: the i-th (0-based, in log order after a stable sort) of the n
 * requests stamped second s gets s x 1000 + floor(i x 1000 / n) ms. So the first request of a
 * second keeps its exact second, order is preserved, and two runs see the same times.
 *
 * `seconds` must be sorted ascending; returns epoch milliseconds, one per input.
 */
export function spreadTimestamps(seconds: readonly number[]): number[] {
  const out = new Array<number>(seconds.length);
  let start = 0;
  while (start < seconds.length) {
    const second = seconds[start] ?? 0;
    let end = start + 1;
    while (end < seconds.length && seconds[end] === second) end++;
    const n = end - start;
    for (let i = 0; i < n; i++) out[start + i] = second * 1000 + Math.floor((i * 1000) / n);
    start = end;
  }
  return out;
}
