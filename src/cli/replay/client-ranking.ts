import { OUTCOME, isDenied } from './run-result.js';
import type { Trace } from './trace.js';

/** One client's counts; deliberately without its id (the logs hold real hosts). */
export interface ClientRank {
  readonly rank: number;
  readonly denied: number;
  readonly allowed: number;
  readonly requests: number;
}

export interface ClientCounts {
  /** clients with at least one request sent */
  readonly distinct: number;
  /** clients denied at least once */
  readonly denied: number;
  /** the most-denied clients, most denials first (ties: more requests first, then first seen) */
  readonly top: readonly ClientRank[];
}

export function rankClients(trace: Trace, outcomes: Uint8Array, top = 10): ClientCounts {
  const n = trace.clients.length;
  const requests = new Uint32Array(n);
  const allowed = new Uint32Array(n);
  const denied = new Uint32Array(n);
  trace.requests.forEach((request, i) => {
    const outcome = outcomes[i] ?? OUTCOME.NOT_SENT;
    if (outcome === OUTCOME.NOT_SENT) return;
    requests[request.client] = (requests[request.client] ?? 0) + 1;
    if (outcome === OUTCOME.ALLOWED) allowed[request.client] = (allowed[request.client] ?? 0) + 1;
    else if (isDenied(outcome)) denied[request.client] = (denied[request.client] ?? 0) + 1;
  });
  const order = Array.from({ length: n }, (_, client) => client)
    .filter((client) => (denied[client] ?? 0) > 0)
    .sort((a, b) => (denied[b] ?? 0) - (denied[a] ?? 0) || (requests[b] ?? 0) - (requests[a] ?? 0) || a - b);
  return {
    distinct: requests.filter((count) => count > 0).length,
    denied: order.length,
    top: order.slice(0, top).map((client, i) => ({
      rank: i + 1,
      denied: denied[client] ?? 0,
      allowed: allowed[client] ?? 0,
      requests: requests[client] ?? 0,
    })),
  };
}
