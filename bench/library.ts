/**
 * Library bench: one decision per call against one private Redis, at 1, 64 and 256 calls in flight
 * over 10,000 distinct clients, for our Redis counter store (its consume and RateLimiter.allow),
 * rate-limiter-flexible's RateLimiterRedis, a plain fixed-window EVALSHA, and redis-benchmark
 * EVALSHA -P 16 as the ceiling. All in one run, same Redis, back to back.
 *
 *   npx tsx bench/library.ts          (also run by `npm run bench`)
 */
import { pathToFileURL } from 'node:url';
import { readBenchSettings, type BenchSettings } from './support/bench-settings.js';
import { BENCH_LIMIT } from './support/bench-limit.js';
import type { Redis } from 'ioredis';
import { connect, redisCpuSeconds, startBenchRedis, type BenchRedis } from './support/bench-redis.js';
import { runClosedLoop } from './support/closed-loop.js';
import type { LatencySummary } from './support/latency-summary.js';
import { machineInfo } from './support/machine-info.js';
import { openOurSubjects } from './support/our-subjects.js';
import { loadPlainScript, openPlainLuaSubject, PLAIN_KEY_PREFIX } from './support/plain-lua-subject.js';
import { runRedisBenchmark, type RedisBenchmarkResult } from './support/redis-benchmark.js';
import { writeReport, type Cell, type Table } from './support/results-writer.js';
import { openRlflexSubject } from './support/rlflex-subject.js';
import type { Subject } from './support/subject.js';

/** The in-flight level the headline ratios are taken at (the goal is stated there). */
const RATIO_IN_FLIGHT = 64;
/** redis-benchmark requests per measured second, so its run lasts about BENCH_SECONDS */
const CEILING_REQUESTS_PER_SECOND = { pipelined: 150_000, unpipelined: 40_000 } as const;

export interface CellResult extends LatencySummary {
  readonly subject: string;
  readonly family: Subject['family'];
  readonly inFlight: number;
  /** Redis server CPU (user + system) per completed call during the measured part, µs */
  readonly redisCpuUsPerCall: number;
}

export interface CeilingResult extends RedisBenchmarkResult {
  readonly pipeline: number;
  readonly connections: number;
  readonly redisCpuUsPerCall: number;
}

function cpuPerCall(cpuSeconds: number, calls: number): number {
  return calls === 0 ? 0 : Math.round((cpuSeconds / calls) * 1e7) / 10;
}

function clientIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

async function measure(
  subject: Subject,
  inFlight: number,
  cell: number,
  settings: BenchSettings,
  admin: Redis,
): Promise<CellResult> {
  const warm = clientIds(`w${cell}-`, settings.clients);
  await runClosedLoop({
    inFlight,
    durationMs: settings.warmupSeconds * 1000,
    call: (seq) => subject.call(warm[seq % warm.length] ?? ''),
  });
  const ids = clientIds(`m${cell}-`, settings.clients);
  const cpuBefore = await redisCpuSeconds(admin);
  const summary = await runClosedLoop({
    inFlight,
    durationMs: settings.seconds * 1000,
    call: (seq) => subject.call(ids[seq % ids.length] ?? ''),
  });
  const redisCpuUsPerCall = cpuPerCall((await redisCpuSeconds(admin)) - cpuBefore, summary.calls);
  return { subject: subject.name, family: subject.family, inFlight, redisCpuUsPerCall, ...summary };
}

async function runCeilings(
  redis: BenchRedis,
  sha: string,
  settings: BenchSettings,
  admin: Redis,
): Promise<CeilingResult[]> {
  const command = [
    'EVALSHA',
    sha,
    '1',
    `${PLAIN_KEY_PREFIX}rb:__rand_int__`,
    '1',
    String(BENCH_LIMIT.window * 1000),
    String(BENCH_LIMIT.limit),
  ];
  const results: CeilingResult[] = [];
  for (const [pipeline, perSecond] of [
    [16, CEILING_REQUESTS_PER_SECOND.pipelined],
    [1, CEILING_REQUESTS_PER_SECOND.unpipelined],
  ] as const) {
    const requests = Math.round(perSecond * settings.seconds);
    const cpuBefore = await redisCpuSeconds(admin);
    const result = await runRedisBenchmark({
      port: redis.server.port,
      requests,
      connections: RATIO_IN_FLIGHT,
      pipeline,
      keyspace: settings.clients,
      command,
      timeoutMs: (settings.seconds * 10 + 30) * 1000,
    });
    const redisCpuUsPerCall = cpuPerCall((await redisCpuSeconds(admin)) - cpuBefore, requests);
    results.push({ ...result, pipeline, connections: RATIO_IN_FLIGHT, redisCpuUsPerCall });
  }
  return results;
}

const FAMILY_ORDER: readonly Subject['family'][] = ['ours', 'rate-limiter-flexible', 'plain-lua'];

/** Table order: ours first, then rate-limiter-flexible, then the plain script; by name, then in-flight level. */
function byFamilyAndName(a: CellResult, b: CellResult): number {
  return (
    FAMILY_ORDER.indexOf(a.family) - FAMILY_ORDER.indexOf(b.family) ||
    a.subject.localeCompare(b.subject) ||
    a.inFlight - b.inFlight
  );
}

function ratio(a: number, b: number | undefined): number | null {
  if (b === undefined || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}

function resultTable(cells: readonly CellResult[], settings: BenchSettings): Table {
  return {
    title: `Library allow: calls/s and latency (ms) per in-flight level, ${settings.clients.toLocaleString('en-US')} clients`,
    columns: [
      'subject',
      'in flight',
      'calls/s',
      'p50',
      'p99',
      'p999',
      'Redis CPU µs/call',
      'calls',
      'denied',
      'errors',
    ],
    rows: [...cells]
      .sort(byFamilyAndName)
      .map((c) => [
        c.subject,
        c.inFlight,
        c.callsPerSec,
        c.p50Ms,
        c.p99Ms,
        c.p999Ms,
        c.redisCpuUsPerCall,
        c.calls,
        c.denied,
        c.errors,
      ]),
    notes: [
      `Each cell: ${settings.warmupSeconds} s warm-up (not counted), then ${settings.seconds} s closed loop; latency per call, in-process, including the client library.`,
      'Redis CPU µs/call: the redis-server process CPU time (user + system, INFO cpu) during the measured seconds ÷ calls completed: what one decision costs Redis, script and network I/O included, whatever the load generator was doing.',
    ],
  };
}

function ceilingTable(ceilings: readonly CeilingResult[]): Table {
  return {
    title: 'Ceiling: redis-benchmark EVALSHA of the plain fixed-window script (same Redis, same run)',
    columns: ['connections', 'pipeline', 'requests/s', 'avg', 'p50', 'p99', 'Redis CPU µs/call'],
    rows: ceilings.map((c) => [
      c.connections,
      c.pipeline,
      c.requestsPerSec,
      c.avgMs,
      c.p50Ms,
      c.p99Ms,
      c.redisCpuUsPerCall,
    ]),
    notes: ['With -P 16, redis-benchmark times whole pipelines: its latencies are not per-call latencies.'],
  };
}

function ratioTable(cells: readonly CellResult[], ceilings: readonly CeilingResult[]): Table {
  const at = cells.filter((c) => c.inFlight === RATIO_IN_FLIGHT);
  const rlflex = at.find((c) => c.family === 'rate-limiter-flexible');
  const plain = at.find((c) => c.family === 'plain-lua');
  const ceiling = ceilings.find((c) => c.pipeline === 16);
  const unpipelined = ceilings.find((c) => c.pipeline === 1);
  return {
    title: `Ratios at ${RATIO_IN_FLIGHT} in flight (calls/s of the row ÷ calls/s of the column; p99 in ms)`,
    columns: [
      'subject',
      'calls/s',
      'p99',
      'Redis CPU µs/call',
      '÷ rate-limiter-flexible',
      'rlflex p99',
      '÷ plain Lua',
      '÷ redis-benchmark -P 16',
      '÷ redis-benchmark -P 1',
    ],
    rows: [...at]
      .sort(byFamilyAndName)
      .map((c): Cell[] => [
        c.subject,
        c.callsPerSec,
        c.p99Ms,
        c.redisCpuUsPerCall,
        ratio(c.callsPerSec, rlflex?.callsPerSec),
        rlflex?.p99Ms ?? null,
        ratio(c.callsPerSec, plain?.callsPerSec),
        ratio(c.callsPerSec, ceiling?.requestsPerSec),
        ratio(c.callsPerSec, unpipelined?.requestsPerSec),
      ]),
    notes: ['Goal (issue 3): ours ≥ 2× rate-limiter-flexible at 64 in flight with p99 no worse.'],
  };
}

/** Runs the library bench on `redis` and writes bench/results/library.{json,md}; returns the markdown. */
export async function runLibraryBench(redis: BenchRedis, settings: BenchSettings): Promise<string> {
  const machine = machineInfo(redis.version);
  const sha = await loadPlainScript(redis.server);
  const windowMs = BENCH_LIMIT.window * 1000;
  const ours = await openOurSubjects(redis.server, settings.algorithms);
  const subjects: Subject[] = [
    ...ours,
    openRlflexSubject(redis.server, BENCH_LIMIT.limit, BENCH_LIMIT.window),
    openPlainLuaSubject(redis.server, sha, BENCH_LIMIT.limit, windowMs),
  ];
  const cells: CellResult[] = [];
  let ceilings: CeilingResult[] = [];
  let cellNumber = 0;
  const admin = connect(redis.server);
  try {
    for (const [level, inFlight] of settings.inFlight.entries()) {
      // rotate the order per level so no subject always runs first (or last) on a warm machine
      const order = subjects.map((_, i) => subjects[(i + level) % subjects.length] as Subject);
      for (const subject of order) {
        const cell = await measure(subject, inFlight, cellNumber++, settings, admin);
        cells.push(cell);
        console.log(
          `  ${subject.name} @${inFlight}: ${cell.callsPerSec} calls/s p50 ${cell.p50Ms} p99 ${cell.p99Ms} p999 ${cell.p999Ms} ms` +
            ` Redis ${cell.redisCpuUsPerCall} µs/call` +
            (cell.errors > 0 ? ` errors ${cell.errors} (${cell.firstError})` : ''),
        );
      }
    }
    ceilings = await runCeilings(redis, sha, settings, admin);
  } finally {
    for (const subject of subjects) await subject.close();
    await admin.quit();
  }
  for (const c of ceilings)
    console.log(`  redis-benchmark -c ${c.connections} -P ${c.pipeline}: ${c.requestsPerSec} requests/s`);

  const tables = [resultTable(cells, settings), ceilingTable(ceilings), ratioTable(cells, ceilings)];
  return writeReport({
    name: 'library',
    title: 'Library bench',
    machine,
    settings: { ...settings, limit: BENCH_LIMIT.limit, windowSeconds: BENCH_LIMIT.window },
    tables,
    data: { cells, ceilings },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const settings = readBenchSettings();
  const redis = await startBenchRedis();
  try {
    console.log(await runLibraryBench(redis, settings));
  } finally {
    await redis.server.stop();
  }
}
