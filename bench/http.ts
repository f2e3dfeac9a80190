/**
 * HTTP bench: POST /v1/allow through our real fastify app (embedded memory counters, and Redis
 * counters) against a bare fastify route answering a constant Decision of the same size. Each
 * server runs in its own node process; the load comes from this one: wrk (closed loop, full load)
 * and a wrk2-style open-loop generator at a fixed rate (default 5,000 requests/s).
 *
 *   npx tsx bench/http.ts          (also run by `npm run bench`)
 */
import { pathToFileURL } from 'node:url';
import { readBenchSettings, type BenchSettings } from './support/bench-settings.js';
import { startBenchRedis, type BenchRedis } from './support/bench-redis.js';
import { runClosedLoop } from './support/closed-loop.js';
import { runFixedRate, type FixedRateSummary } from './support/fixed-rate-http.js';
import { HTTP_TARGETS, startTarget, type HttpTarget, type RunningTarget } from './support/http-target.js';
import type { LatencySummary } from './support/latency-summary.js';
import { machineInfo } from './support/machine-info.js';
import { RawHttpPool } from './support/raw-http-pool.js';
import { writeReport, type Cell, type Table } from './support/results-writer.js';
import { hasWrk, runWrk } from './support/wrk.js';

const TARGET_LABELS: Readonly<Record<HttpTarget, string>> = {
  bare: 'bare fastify route (constant JSON)',
  'ours-memory': 'ours: /v1/allow, memory counters',
  'ours-redis': 'ours: /v1/allow, Redis counters',
};

/** The HTTP goal of issue 3: ours at full load ≥ this fraction of the bare route. */
const FULL_LOAD_GOAL = 0.85;
/** …and a mean under this at the fixed rate. */
const FIXED_RATE_MEAN_GOAL_MS = 1;
/** Full-load warm-up of each server before it is measured: a cold fastify + V8 runs at half speed. */
const MIN_HTTP_WARMUP_SECONDS = 2;

export interface TargetResult {
  readonly target: HttpTarget;
  readonly label: string;
  readonly fullLoadTool: string;
  /** the passes combined (see combine) */
  readonly fullLoad: LatencySummary;
  readonly fullLoadPasses: readonly LatencySummary[];
  readonly fixedRate: FixedRateSummary;
}

function body(clients: number, prefix: string): (seq: number) => string {
  return (seq) => `{"clientId":"${prefix}${seq % clients}","cost":1}`;
}

const isDenied = (responseBody: string): boolean => responseBody.includes('"allowed":false');

async function fullLoad(
  port: number,
  seconds: number,
  settings: BenchSettings,
  prefix: string,
  useWrk: boolean,
): Promise<LatencySummary> {
  if (useWrk) {
    return runWrk({
      port,
      connections: settings.httpConnections,
      seconds,
      clients: settings.clients,
      clientPrefix: prefix,
    });
  }
  const pool = await RawHttpPool.open(port, '/v1/allow', settings.httpConnections);
  try {
    const next = body(settings.clients, prefix);
    return await runClosedLoop({
      inFlight: settings.httpConnections,
      durationMs: seconds * 1000,
      call: async (seq) => !isDenied(await pool.post(next(seq))),
    });
  } finally {
    pool.close();
  }
}

/**
 * Several measured passes of one server combined: calls, denials, errors and time summed; latency
 * percentiles averaged over the passes (wrk reports percentiles, not histograms); max the largest.
 */
function combine(passes: readonly LatencySummary[]): LatencySummary {
  const sum = (f: (p: LatencySummary) => number): number => passes.reduce((acc, p) => acc + f(p), 0);
  const mean = (f: (p: LatencySummary) => number): number =>
    Math.round((sum(f) / passes.length) * 1000) / 1000;
  const calls = sum((p) => p.calls);
  const seconds = sum((p) => p.seconds);
  return {
    calls,
    denied: sum((p) => p.denied),
    errors: sum((p) => p.errors),
    seconds: Math.round(seconds * 1000) / 1000,
    callsPerSec: Math.round(calls / seconds),
    meanMs: mean((p) => p.meanMs),
    p50Ms: mean((p) => p.p50Ms),
    p99Ms: mean((p) => p.p99Ms),
    p999Ms: mean((p) => p.p999Ms),
    maxMs: Math.max(...passes.map((p) => p.maxMs)),
    firstError: passes.find((p) => p.firstError !== null)?.firstError ?? null,
  };
}

/**
 * All servers run at once (an idle one costs nothing) and are measured in turns, so that a change
 * in the machine's other load during the run hits them alike: full load in two passes, in order
 * then in reverse order, then the fixed rate in order.
 */
async function measureAll(
  servers: readonly RunningTarget[],
  settings: BenchSettings,
  useWrk: boolean,
): Promise<TargetResult[]> {
  for (const server of servers) {
    await fullLoad(
      server.port,
      Math.max(MIN_HTTP_WARMUP_SECONDS, settings.warmupSeconds),
      settings,
      'w-',
      useWrk,
    );
  }
  const passSeconds = Math.max(1, Math.round(settings.seconds / 2));
  const passes = new Map<HttpTarget, LatencySummary[]>(servers.map((s) => [s.target, []]));
  for (const order of [servers, [...servers].reverse()]) {
    for (const server of order) {
      const pass = await fullLoad(
        server.port,
        passSeconds,
        settings,
        `f${passes.get(server.target)?.length ?? 0}-`,
        useWrk,
      );
      passes.get(server.target)?.push(pass);
      console.log(
        `  ${TARGET_LABELS[server.target]}: full load pass ${pass.callsPerSec} req/s p99 ${pass.p99Ms} ms`,
      );
    }
  }
  const results: TargetResult[] = [];
  for (const server of servers) {
    const fixed = await runFixedRate({
      port: server.port,
      path: '/v1/allow',
      rate: settings.httpRate,
      durationMs: settings.seconds * 1000,
      connections: settings.httpConnections,
      body: body(settings.clients, 'r-'),
      isDenied,
    });
    const fullPasses = passes.get(server.target) ?? [];
    results.push({
      target: server.target,
      label: TARGET_LABELS[server.target],
      fullLoadTool: useWrk
        ? `wrk -t1 -c${settings.httpConnections}`
        : `raw node client, ${settings.httpConnections} in flight`,
      fullLoad: combine(fullPasses),
      fullLoadPasses: fullPasses,
      fixedRate: fixed,
    });
  }
  return results;
}

function ratio(a: number, b: number | undefined): number | null {
  if (b === undefined || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}

function tables(results: readonly TargetResult[], settings: BenchSettings): Table[] {
  const bare = results.find((r) => r.target === 'bare');
  const tool = results[0]?.fullLoadTool ?? '';
  return [
    {
      title: `HTTP full load (${tool}, 2 passes of ${Math.max(1, Math.round(settings.seconds / 2))} s): requests/s and latency (ms)`,
      columns: ['server', 'requests/s', '÷ bare', 'p50', 'p99', 'p999', 'errors'],
      rows: results.map((r): Cell[] => [
        r.label,
        r.fullLoad.callsPerSec,
        ratio(r.fullLoad.callsPerSec, bare?.fullLoad.callsPerSec),
        r.fullLoad.p50Ms,
        r.fullLoad.p99Ms,
        r.fullLoad.p999Ms,
        r.fullLoad.errors,
      ]),
      notes: [
        `Goal (issue 3): ours ≥ ${FULL_LOAD_GOAL}× the bare route. Servers measured in turns (in order, then in reverse order); requests/s over both passes, percentiles the mean of the two passes.`,
      ],
    },
    {
      title: `HTTP at a fixed ${settings.httpRate.toLocaleString('en-US')} requests/s (open loop, ${settings.httpConnections} connections, ms)`,
      columns: [
        'server',
        'sent/s',
        'mean',
        'p50',
        'p99',
        'p999',
        'max',
        'denied',
        'errors',
        'sender lag p99',
      ],
      rows: results.map((r): Cell[] => [
        r.label,
        r.fixedRate.sentPerSec,
        r.fixedRate.meanMs,
        r.fixedRate.p50Ms,
        r.fixedRate.p99Ms,
        r.fixedRate.p999Ms,
        r.fixedRate.maxMs,
        r.fixedRate.denied,
        r.fixedRate.errors,
        r.fixedRate.lagP99Ms,
      ]),
      notes: [
        `Goal (issue 3): mean under ${FIXED_RATE_MEAN_GOAL_MS} ms. Latency from issuing the request (including any wait for a free connection) to the end of the answer, measured by a minimal HTTP client in the bench process; the bare row is the floor of this setup. Sender lag: how late requests were issued against the even schedule (1 ms timer ticks, CPU shared with the server).`,
      ],
    },
  ];
}

/** Runs the HTTP bench and writes bench/results/http.{json,md}; returns the markdown. */
export async function runHttpBench(redis: BenchRedis, settings: BenchSettings): Promise<string> {
  const machine = machineInfo(redis.version);
  const useWrk = await hasWrk();
  const servers: RunningTarget[] = [];
  let results: TargetResult[];
  try {
    for (const target of HTTP_TARGETS) servers.push(await startTarget(target, redis.server.url));
    results = await measureAll(servers, settings, useWrk);
  } finally {
    for (const server of servers) await server.stop();
  }
  for (const result of results) {
    console.log(
      `  ${result.label}: full ${result.fullLoad.callsPerSec} req/s p99 ${result.fullLoad.p99Ms} ms; ` +
        `at ${settings.httpRate}/s mean ${result.fixedRate.meanMs} p99 ${result.fixedRate.p99Ms} ms` +
        (result.fullLoad.errors + result.fixedRate.errors > 0
          ? ` errors ${result.fullLoad.errors}+${result.fixedRate.errors} (${result.fullLoad.firstError ?? result.fixedRate.firstError})`
          : ''),
    );
  }
  return writeReport({
    name: 'http',
    title: 'HTTP bench',
    machine,
    settings: { ...settings, fullLoadTool: useWrk ? 'wrk' : 'node' },
    tables: tables(results, settings),
    data: { results },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const settings = readBenchSettings();
  const redis = await startBenchRedis();
  try {
    console.log(await runHttpBench(redis, settings));
  } finally {
    await redis.server.stop();
  }
}
