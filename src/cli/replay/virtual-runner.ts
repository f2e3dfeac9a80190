import type { LimitSpec } from '../../core/types.js';
import { ValidationError } from '../../errors.js';
import { RateLimiter } from '../../limiter/rate-limiter.js';
import { ManualClock } from '../../store/memory/manual-clock.js';
import { MemoryConfigStore } from '../../store/memory/memory-config-store.js';
import { MemoryCounterStore } from '../../store/memory/memory-counter-store.js';
import type { RunBounds } from './run-bounds.js';
import { OUTCOME, outcomeCode, type RunResult, type StopReason } from './run-result.js';
import type { Trace } from './trace.js';

/** How often (in requests) the loop reports progress, checks the wall clock and sweeps. */
const CHUNK = 4096;

/**
 * Replays a trace through an in-process RateLimiter (MemoryCounterStore + MemoryConfigStore) whose
 * ManualClock is set to each request's spread timestamp: deterministic, as fast as the CPU allows.
 * The one policy is the config store's default limit (no per-client writes). Latencies are in
 * microseconds.
 */
export async function runVirtual(trace: Trace, spec: LimitSpec, bounds: RunBounds = {}): Promise<RunResult> {
  const { requests, clients } = trace;
  const clock = new ManualClock(requests[0]?.at ?? 0);
  // no timer: the loop below never yields to the event loop, so it sweeps by itself
  const counters = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
  const config = new MemoryConfigStore(clock);
  await config.setDefaults(spec);
  const limiter = new RateLimiter({ counters, config, clock });

  const total = Math.min(requests.length, bounds.maxRequests ?? requests.length);
  const outcomes = new Uint8Array(requests.length);
  const latencies = new Float64Array(total);
  const deadline = bounds.maxSeconds === undefined ? Infinity : bounds.maxSeconds * 1000;
  let stoppedBy: StopReason | null = total < requests.length ? 'max-requests' : null;
  const started = performance.now();
  let sent = 0;
  for (; sent < total; sent++) {
    if (sent % CHUNK === 0 && sent > 0) {
      if (performance.now() - started >= deadline) {
        stoppedBy = 'max-seconds';
        break;
      }
      // drops only state that is equivalent to none, so decisions are unaffected
      counters.sweep(CHUNK);
      bounds.onProgress?.(sent);
    }
    const request = requests[sent];
    if (request === undefined) break;
    clock.set(request.at);
    const t = performance.now();
    try {
      const decision = await limiter.allow(clients[request.client] ?? '', request.cost);
      outcomes[sent] = outcomeCode(decision.reason);
    } catch (err) {
      // a log line whose client id breaks the input rules (e.g. longer than 512 bytes)
      if (!(err instanceof ValidationError)) throw err;
      outcomes[sent] = OUTCOME.ERROR;
    }
    latencies[sent] = (performance.now() - t) * 1000;
  }
  const wallMs = performance.now() - started;
  bounds.onProgress?.(sent);
  await counters.close();
  await config.close();
  return { outcomes, latencies: latencies.subarray(0, sent), sent, wallMs, stoppedBy };
}
