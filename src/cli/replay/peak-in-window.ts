import { OUTCOME } from './run-result.js';
import type { Trace } from './trace.js';

/**
 * For each client, the most units it was allowed inside any interval (t - windowMs, t]: the
 * quantity sliding-log keeps at or below the limit and approximate algorithms may exceed.
 */
export function peakInWindow(trace: Trace, outcomes: Uint8Array, windowMs: number): Float64Array {
  const peaks = new Float64Array(trace.clients.length);
  const admitted: { at: number; cost: number }[][] = trace.clients.map(() => []);
  trace.requests.forEach((request, i) => {
    if (outcomes[i] === OUTCOME.ALLOWED) admitted[request.client]?.push(request);
  });
  admitted.forEach((calls, client) => {
    let first = 0;
    let inside = 0;
    let peak = 0;
    for (const call of calls) {
      inside += call.cost;
      while ((calls[first]?.at ?? Infinity) + windowMs <= call.at) inside -= calls[first++]?.cost ?? 0;
      if (inside > peak) peak = inside;
    }
    peaks[client] = peak;
  });
  return peaks;
}
