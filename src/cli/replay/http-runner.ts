import { setTimeout as sleep } from 'node:timers/promises';
import type { LimitSpec } from '../../core/types.js';
import type { RunBounds } from './run-bounds.js';
import { OUTCOME, outcomeCode, type RunResult, type StopReason } from './run-result.js';
import { ServiceError, type ServiceClient } from './service-client.js';
import type { Trace } from './trace.js';

export interface HttpRunOptions extends RunBounds {
  readonly service: ServiceClient;
  /** the trace runs this many times faster than it was logged */
  readonly speedup: number;
  /** most allow calls in flight at once */
  readonly concurrency: number;
  /** PUT for each client before its first request; undefined: rely on the service's default limit */
  readonly spec: LimitSpec | undefined;
}

export interface HttpRunResult extends RunResult {
  /** how far behind its scheduled time the latest request was sent */
  readonly maxLagMs: number;
  /** the first failed allow call's error, so the summary can say why calls failed */
  readonly firstError: string | null;
}

/**
 * Replays a trace against a running service in real time: request i is sent at
 * (at_i - at_0) / speedup ms after the start, with at most `concurrency` calls in flight
 * (a request waits for a free slot and is then late; maxLagMs reports it). Latencies are in
 * milliseconds. A failed allow call is recorded as an error; a failed limit write stops the run.
 */
export async function runHttp(trace: Trace, options: HttpRunOptions): Promise<HttpRunResult> {
  const { requests, clients } = trace;
  const { service, spec } = options;
  const total = Math.min(requests.length, options.maxRequests ?? requests.length);
  const outcomes = new Uint8Array(requests.length);
  const latencies = new Float64Array(total).fill(Number.NaN);
  const limitWrites = new Map<number, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  const deadline = options.maxSeconds === undefined ? Infinity : options.maxSeconds * 1000;
  const first = requests[0]?.at ?? 0;
  let fatal: Error | undefined;
  let firstError: string | null = null;

  const send = async (i: number, client: number, cost: number): Promise<void> => {
    const id = clients[client] ?? '';
    if (spec !== undefined) {
      let write = limitWrites.get(client);
      if (write === undefined) {
        write = service.setLimit(id, spec);
        limitWrites.set(client, write);
      }
      try {
        await write;
      } catch (err) {
        fatal ??= err instanceof Error ? err : new ServiceError(String(err));
        outcomes[i] = OUTCOME.ERROR;
        return;
      }
    }
    const t = performance.now();
    try {
      outcomes[i] = outcomeCode(await service.allow(id, cost));
      latencies[i] = performance.now() - t;
    } catch (err) {
      outcomes[i] = OUTCOME.ERROR;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
  };

  let stoppedBy: StopReason | null = total < requests.length ? 'max-requests' : null;
  let maxLagMs = 0;
  let sent = 0;
  const started = performance.now();
  for (; sent < total && fatal === undefined; sent++) {
    const request = requests[sent];
    if (request === undefined) break;
    const due = (request.at - first) / options.speedup;
    if (due >= deadline) {
      stoppedBy = 'max-seconds';
      break;
    }
    const wait = due - (performance.now() - started);
    if (wait > 0) await sleep(wait);
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    const elapsed = performance.now() - started;
    if (elapsed >= deadline) {
      stoppedBy = 'max-seconds';
      break;
    }
    if (elapsed - due > maxLagMs) maxLagMs = elapsed - due;
    const task = send(sent, request.client, request.cost).finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (sent % 256 === 0) options.onProgress?.(sent);
  }
  await Promise.all(inFlight);
  const wallMs = performance.now() - started;
  if (fatal !== undefined) throw fatal;
  options.onProgress?.(sent);
  return { outcomes, latencies: latencies.subarray(0, sent), sent, wallMs, stoppedBy, maxLagMs, firstError };
}
