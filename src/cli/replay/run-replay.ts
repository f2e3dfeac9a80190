import { compareWithExact } from './exact-comparison.js';
import { runHttp } from './http-runner.js';
import type { ReplayOptions } from './options.js';
import { ServiceClient } from './service-client.js';
import { summarize, type ReplaySummary } from './summary.js';
import type { Trace } from './trace.js';
import { runVirtual } from './virtual-runner.js';

/** Runs a loaded trace as the options say and summarises it. */
export async function runReplay(
  options: ReplayOptions,
  trace: Trace,
  onProgress?: (sent: number) => void,
): Promise<ReplaySummary> {
  const bounds = { maxRequests: options.maxRequests, maxSeconds: options.maxSeconds, onProgress };
  const common = { file: options.file, policy: options.spec, cost: options.cost, trace };
  if (options.http !== undefined) {
    const http = options.http;
    const service = new ServiceClient(http.url, http.token);
    await service.health();
    const run = await runHttp(trace, {
      ...bounds,
      service,
      speedup: http.speedup,
      concurrency: http.concurrency,
      spec: http.sent?.spec,
    });
    return summarize({
      ...common,
      mode: 'http',
      run,
      http: {
        url: http.url.origin,
        speedup: http.speedup,
        concurrency: http.concurrency,
        sent: http.sent,
        maxLagMs: run.maxLagMs,
        firstError: run.firstError,
      },
    });
  }
  const run = await runVirtual(trace, options.spec, bounds);
  if (!options.compareExact) return summarize({ ...common, mode: 'virtual', run });
  const exact = await runVirtual(
    trace,
    { ...options.spec, algorithm: 'sliding-log' },
    { maxRequests: run.sent },
  );
  return summarize({
    ...common,
    mode: 'virtual',
    run,
    exact: compareWithExact(trace, options.spec, run.outcomes, exact.outcomes),
  });
}
