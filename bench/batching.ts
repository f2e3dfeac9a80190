/**
 * Batching bench (issue 3, Build 2): how concurrent decisions reach Redis. Our RedisCounterStore's
 * consume with each dispatch: 'batch' (one script call per slot per event-loop turn, at most 128 or
 * 64 items), 'per-call' (one script call per decision) and 'auto-pipeline' (one script call per
 * decision, written together by ioredis enableAutoPipelining), at 1, 64 and 256 calls in flight
 * over 10,000 distinct clients, on one private redis-server; then 'batch' and 'per-call' on a
 * private 3-primary Redis Cluster (where auto-pipelining cannot route our script, ioredis#536).
 *
 *   npx tsx bench/batching.ts        (knobs: bench/README.md; BENCH_CLUSTER=0 skips the Cluster)
 *
 * Results: bench/results/batching.{json,md}.
 */
import { Redis } from 'ioredis';
import type { AlgorithmName } from '../src/core/types.js';
import type { RedisConnectionOptions } from '../src/store/redis/redis-client.js';
import { RedisCounterStore, type RedisDispatch } from '../src/store/redis/redis-counter-store.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { BENCH_LIMIT } from './support/bench-limit.js';
import { redisCpuSeconds, startBenchRedis } from './support/bench-redis.js';
import { readBenchSettings, type BenchSettings } from './support/bench-settings.js';
import { runClosedLoop } from './support/closed-loop.js';
import type { LatencySummary } from './support/latency-summary.js';
import { machineInfo } from './support/machine-info.js';
import { writeReport, type Table } from './support/results-writer.js';

interface Variant {
  readonly name: string;
  readonly dispatch: RedisDispatch;
  readonly maxBatchItems?: number;
  readonly batchSplitFrom?: number;
}

const SINGLE_VARIANTS: readonly Variant[] = [
  { name: 'batch (≤128 per call, halves from 16: default)', dispatch: 'batch', maxBatchItems: 128 },
  {
    name: 'batch (≤128 per call, never split)',
    dispatch: 'batch',
    maxBatchItems: 128,
    batchSplitFrom: Number.POSITIVE_INFINITY,
  },
  {
    name: 'batch (≤64 per call, never split)',
    dispatch: 'batch',
    maxBatchItems: 64,
    batchSplitFrom: Number.POSITIVE_INFINITY,
  },
  { name: 'per-call', dispatch: 'per-call' },
  { name: 'auto-pipeline', dispatch: 'auto-pipeline' },
];

const CLUSTER_VARIANTS: readonly Variant[] = [
  { name: 'batch (≤128 per call)', dispatch: 'batch', maxBatchItems: 128 },
  { name: 'per-call', dispatch: 'per-call' },
];

interface CellResult extends LatencySummary {
  readonly topology: 'single' | 'cluster';
  readonly variant: string;
  readonly algorithm: AlgorithmName;
  readonly inFlight: number;
  /** Redis CPU (user + system, all primaries) per completed decision, µs */
  readonly redisCpuUsPerCall: number;
  /** decisions per script call (EVAL + EVALSHA counted by INFO commandstats) */
  readonly decisionsPerScriptCall: number;
}

/** The servers of a topology, for INFO: one for a single node, every primary of a Cluster. */
interface Topology {
  readonly name: 'single' | 'cluster';
  readonly connection: RedisConnectionOptions;
  readonly admins: readonly Redis[];
}

async function scriptCalls(admin: Redis): Promise<number> {
  const stats = await admin.info('commandstats');
  const calls = (name: string): number =>
    Number(new RegExp(`^cmdstat_${name}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  return calls('eval') + calls('evalsha');
}

async function totals(admins: readonly Redis[]): Promise<{ cpu: number; scripts: number }> {
  let cpu = 0;
  let scripts = 0;
  for (const admin of admins) {
    cpu += await redisCpuSeconds(admin);
    scripts += await scriptCalls(admin);
  }
  return { cpu, scripts };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

async function measure(
  topology: Topology,
  variant: Variant,
  algorithm: AlgorithmName,
  inFlight: number,
  cell: number,
  settings: BenchSettings,
): Promise<CellResult> {
  const store = new RedisCounterStore({
    connection: topology.connection,
    keyPrefix: `bench-batching-${cell}`,
    dispatch: variant.dispatch,
    ...(variant.maxBatchItems === undefined ? {} : { maxBatchItems: variant.maxBatchItems }),
    ...(variant.batchSplitFrom === undefined ? {} : { batchSplitFrom: variant.batchSplitFrom }),
  });
  const windowMs = BENCH_LIMIT.window * 1000;
  try {
    await store.ready();
    const call = async (clientId: string): Promise<boolean> =>
      (await store.consume({ clientId, algorithm, cost: 1, limit: BENCH_LIMIT.limit, windowMs })).allowed;
    await runClosedLoop({
      inFlight,
      durationMs: settings.warmupSeconds * 1000,
      call: (seq) => call(`w${seq % settings.clients}`),
    });
    const before = await totals(topology.admins);
    const summary = await runClosedLoop({
      inFlight,
      durationMs: settings.seconds * 1000,
      call: (seq) => call(`m${seq % settings.clients}`),
    });
    const after = await totals(topology.admins);
    const calls = Math.max(1, summary.calls);
    return {
      topology: topology.name,
      variant: variant.name,
      algorithm,
      inFlight,
      redisCpuUsPerCall: round(((after.cpu - before.cpu) / calls) * 1e6, 1),
      decisionsPerScriptCall: round(calls / Math.max(1, after.scripts - before.scripts), 1),
      ...summary,
    };
  } finally {
    await store.close();
  }
}

function table(topology: 'single' | 'cluster', cells: readonly CellResult[], settings: BenchSettings): Table {
  return {
    title: `${topology === 'single' ? 'One redis-server' : 'Redis Cluster, 3 primaries'}: RedisCounterStore.consume by dispatch, ${settings.clients.toLocaleString('en-US')} clients`,
    columns: [
      'algorithm',
      'dispatch',
      'in flight',
      'calls/s',
      'p50',
      'p99',
      'p999',
      'Redis CPU µs/call',
      'decisions per script call',
      'errors',
    ],
    rows: cells
      .filter((c) => c.topology === topology)
      .map((c) => [
        c.algorithm,
        c.variant,
        c.inFlight,
        c.callsPerSec,
        c.p50Ms,
        c.p99Ms,
        c.p999Ms,
        c.redisCpuUsPerCall,
        c.decisionsPerScriptCall,
        c.errors,
      ]),
    notes: [
      `Each cell: its own store and connection, ${settings.warmupSeconds} s warm-up, then ${settings.seconds} s closed loop; latency per call in ms, in-process; limit ${BENCH_LIMIT.limit} per ${BENCH_LIMIT.window} s (nothing denied); 50 ms store deadline (a slower call counts as an error).`,
      'Redis CPU µs/call: redis-server CPU time (user + system, INFO cpu, summed over the primaries) during the measured seconds ÷ decisions completed.',
    ],
  };
}

async function runTopology(
  topology: Topology,
  variants: readonly Variant[],
  settings: BenchSettings,
  cells: CellResult[],
): Promise<void> {
  for (const algorithm of settings.algorithms) {
    for (const inFlight of settings.inFlight) {
      for (const variant of variants) {
        const cell = await measure(topology, variant, algorithm, inFlight, cells.length, settings);
        cells.push(cell);
        console.log(
          `  ${topology.name} ${algorithm} ${variant.name} @${inFlight}: ${cell.callsPerSec} calls/s` +
            ` p50 ${cell.p50Ms} p99 ${cell.p99Ms} p999 ${cell.p999Ms} ms, Redis ${cell.redisCpuUsPerCall} µs/call,` +
            ` ${cell.decisionsPerScriptCall} per script call` +
            (cell.errors > 0 ? `, errors ${cell.errors} (${cell.firstError})` : ''),
        );
      }
    }
  }
}

const settings = readBenchSettings();
const withCluster = process.env['BENCH_CLUSTER'] !== '0';
const redis = await startBenchRedis();
const machine = machineInfo(redis.version);
const cells: CellResult[] = [];
try {
  const admin = new Redis(redis.server.url);
  try {
    await runTopology(
      { name: 'single', connection: { mode: 'single', url: redis.server.url }, admins: [admin] },
      SINGLE_VARIANTS,
      settings,
      cells,
    );
  } finally {
    admin.disconnect();
  }
} finally {
  await redis.server.stop();
}
if (withCluster) {
  const cluster = await startRedisCluster();
  const admins = cluster.nodes.map((n) => new Redis({ host: n.host, port: n.port }));
  try {
    const nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`);
    await runTopology(
      { name: 'cluster', connection: { mode: 'cluster', nodes }, admins },
      CLUSTER_VARIANTS,
      settings,
      cells,
    );
  } finally {
    for (const admin of admins) admin.disconnect();
    await cluster.stop();
  }
}
const markdown = await writeReport({
  name: 'batching',
  title: 'Batching bench',
  machine,
  settings: {
    ...settings,
    limit: BENCH_LIMIT.limit,
    windowSeconds: BENCH_LIMIT.window,
    cluster: withCluster,
  },
  tables: [table('single', cells, settings), ...(withCluster ? [table('cluster', cells, settings)] : [])],
  data: { cells },
});
console.log(markdown);
