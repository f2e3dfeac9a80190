/**
 * Bytes per client in Redis (issue 3, Build 6): for each algorithm, one million distinct clients
 * get one allowed call each through RedisCounterStore (batched dispatch) on a private
 * redis-server started for the run (a fresh one per algorithm, so every baseline is clean).
 * INFO memory used_memory before and after gives the cost per client, everything included (key,
 * value, main and expires dict entries, dict tables); MEMORY USAGE and STRLEN of a sample of keys
 * show the key and state sizes. A second pass with a short window shows the TTLs at work: once
 * every window has passed on the server's clock, SCAN finds no counter key.
 *
 *   npm run redis-memory [-- CLIENTS]      (default 1000000; writes bench/results/redis-memory.{json,md})
 */
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, startBenchRedis } from '../bench/support/bench-redis.js';
import { machineInfo } from '../bench/support/machine-info.js';
import { writeReport, type Table } from '../bench/support/results-writer.js';
import { ALGORITHMS, type AlgorithmName } from '../src/core/types.js';
import { counterKey, DEFAULT_KEY_PREFIX } from '../src/store/redis/counter-key.js';
import { RedisCounterStore } from '../src/store/redis/redis-counter-store.js';

const CLIENTS = Number(process.argv[2] ?? 1_000_000);
if (!Number.isSafeInteger(CLIENTS) || CLIENTS < 1_000) {
  process.stderr.write('redis-memory: CLIENTS must be an integer >= 1000\n');
  process.exit(2);
}
/** the 1M pass: a long window, so that nothing expires while it runs */
const LIMIT = 10;
const WINDOW_SECONDS = 86_400;
/** decisions asked at once (the store batches them: up to 128 per script call) */
const IN_FLIGHT = 4_096;
const SAMPLE_KEYS = 1_000;
/** a full sliding log: this many clients with LIMIT_FULL_LOG allows each, at distinct ms */
const FULL_LOG_CLIENTS = 10_000;
const LIMIT_FULL_LOG = 100;
/** the expiry pass */
const EXPIRY_CLIENTS = Math.min(100_000, CLIENTS);
const EXPIRY_WINDOW_SECONDS = 2;
/** the scripts' TTL slack (lib/call.lua) */
const TTL_SLACK_MS = 1_000;
/** sliding-window state matters longest: until two windows after its window start */
const LONGEST_STATE_WINDOWS = 2;
const EXPIRY_WAIT_LIMIT_MS = 120_000;
/** generous: the fill keeps Redis busy, and a late reply is an error here, not a measurement */
const DEADLINE_MS = 30_000;

const clientId = (i: number): string => `client-${i}`;
const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
const MB = 1024 * 1024;

async function usedMemory(raw: Redis): Promise<number> {
  const info = await raw.info('memory');
  const value = Number(/^used_memory:([0-9]+)/m.exec(info)?.[1]);
  if (!Number.isSafeInteger(value)) throw new Error(`INFO memory has no used_memory:\n${info}`);
  return value;
}

async function serverTimeMs(raw: Redis): Promise<number> {
  const [seconds, micros] = await raw.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

async function scanCount(raw: Redis, pattern: string): Promise<number> {
  let found = 0;
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
    cursor = next;
    found += keys.length;
  } while (cursor !== '0');
  return found;
}

/**
 * `clients` x `callsEach` allows through the store, IN_FLIGHT at a time (call j of every client
 * at explicit time start + j when `start` is given, else on the server's clock). Returns how many
 * were allowed and how long it took.
 */
async function fill(
  store: RedisCounterStore,
  algorithm: AlgorithmName,
  clients: number,
  limit: number,
  windowSeconds: number,
  callsEach = 1,
  start?: number,
): Promise<{ allowed: number; seconds: number }> {
  const began = performance.now();
  let allowed = 0;
  for (let call = 0; call < callsEach; call++) {
    const time = start === undefined ? {} : { now: start + call };
    for (let from = 0; from < clients; from += IN_FLIGHT) {
      const to = Math.min(from + IN_FLIGHT, clients);
      const outcomes = await Promise.all(
        Array.from({ length: to - from }, (_, k) =>
          store.consume({
            clientId: clientId(from + k),
            algorithm,
            cost: 1,
            limit,
            windowMs: windowSeconds * 1000,
            ...time,
          }),
        ),
      );
      for (const outcome of outcomes) if (outcome.allowed) allowed++;
    }
  }
  return { allowed, seconds: (performance.now() - began) / 1000 };
}

interface SampleStats {
  /** mean MEMORY USAGE (key + value + its entry, as Redis estimates it) */
  readonly memoryUsage: number;
  /** mean length of the key name */
  readonly keyBytes: number;
  /** mean STRLEN: the MessagePack state */
  readonly valueBytes: number;
  readonly ttlMinSeconds: number;
  readonly ttlMaxSeconds: number;
  readonly encodings: readonly string[];
}

async function sampleKeys(raw: Redis, algorithm: AlgorithmName, clients: number): Promise<SampleStats> {
  const step = Math.max(1, Math.floor(clients / SAMPLE_KEYS));
  const keys = Array.from({ length: Math.min(SAMPLE_KEYS, clients) }, (_, i) =>
    counterKey(DEFAULT_KEY_PREFIX, clientId(i * step), algorithm),
  );
  const pipeline = raw.pipeline();
  for (const key of keys) {
    pipeline.memory('USAGE', key);
    pipeline.strlen(key);
    pipeline.pttl(key);
    pipeline.object('ENCODING', key);
  }
  const replies = (await pipeline.exec()) ?? [];
  let usage = 0;
  let value = 0;
  let ttlMin = Number.POSITIVE_INFINITY;
  let ttlMax = 0;
  const encodings = new Set<string>();
  for (let i = 0; i < keys.length; i++) {
    const at = (offset: number): unknown => {
      const [err, result] = replies[4 * i + offset] ?? [new Error('no reply'), null];
      if (err !== null) throw err;
      return result;
    };
    const ttl = Number(at(2));
    if (ttl <= 0) throw new Error(`${keys[i]} has no TTL (PTTL ${ttl})`);
    usage += Number(at(0));
    value += Number(at(1));
    ttlMin = Math.min(ttlMin, ttl);
    ttlMax = Math.max(ttlMax, ttl);
    encodings.add(String(at(3)));
  }
  const keyBytes = keys.reduce((sum, key) => sum + Buffer.byteLength(key), 0);
  return {
    memoryUsage: round(usage / keys.length),
    keyBytes: round(keyBytes / keys.length),
    valueBytes: round(value / keys.length),
    ttlMinSeconds: round(ttlMin / 1000),
    ttlMaxSeconds: round(ttlMax / 1000),
    encodings: [...encodings],
  };
}

interface MemoryRow {
  readonly algorithm: AlgorithmName;
  readonly state: string;
  readonly clients: number;
  readonly callsEach: number;
  readonly keys: number;
  readonly usedBefore: number;
  readonly usedAfter: number;
  readonly bytesPerClient: number;
  readonly sample: SampleStats;
  readonly fillSeconds: number;
  readonly callsPerSecond: number;
}

/** One algorithm on a fresh private redis-server: fill, measure, stop. */
async function measure(
  algorithm: AlgorithmName,
  state: string,
  clients: number,
  limit: number,
  callsEach: number,
): Promise<{ row: MemoryRow; redisVersion: string }> {
  const redis = await startBenchRedis();
  const raw = connect(redis.server);
  const store = new RedisCounterStore({
    connection: { mode: 'single', url: redis.server.url },
    deadlineMs: DEADLINE_MS,
  });
  try {
    await store.ready();
    // load the scripts and warm the code paths, then start from an empty keyspace
    await fill(store, algorithm, 1, limit, WINDOW_SECONDS);
    await store.reset(clientId(0));
    const usedBefore = await usedMemory(raw);
    const start = callsEach > 1 ? await serverTimeMs(raw) : undefined;
    const { allowed, seconds } = await fill(
      store,
      algorithm,
      clients,
      limit,
      WINDOW_SECONDS,
      callsEach,
      start,
    );
    if (allowed !== clients * callsEach) {
      throw new Error(`${algorithm}: ${allowed} of ${clients * callsEach} allowed, expected all`);
    }
    const keys = await raw.dbsize();
    if (keys !== clients) throw new Error(`${algorithm}: DBSIZE ${keys} after ${clients} clients`);
    const usedAfter = await usedMemory(raw);
    const sample = await sampleKeys(raw, algorithm, clients);
    const row: MemoryRow = {
      algorithm,
      state,
      clients,
      callsEach,
      keys,
      usedBefore,
      usedAfter,
      bytesPerClient: round((usedAfter - usedBefore) / clients),
      sample,
      fillSeconds: round(seconds, 2),
      callsPerSecond: Math.round((clients * callsEach) / seconds),
    };
    process.stdout.write(
      `  ${algorithm} (${state}): ${row.bytesPerClient} B/client, MEMORY USAGE ${sample.memoryUsage} B, ` +
        `state ${sample.valueBytes} B, ${row.fillSeconds} s\n`,
    );
    return { row, redisVersion: redis.version };
  } finally {
    await store.close();
    raw.disconnect();
    await redis.server.stop();
  }
}

interface ExpiryResult {
  readonly clientsPerAlgorithm: number;
  readonly windowSeconds: number;
  readonly keysAfterFill: number;
  readonly usedBefore: number;
  readonly usedAfterFill: number;
  /** on the server's clock, from the last write until the check */
  readonly waitedMs: number;
  readonly scanFound: number;
  readonly dbsizeAtCheck: number;
  /** from the check until active expiry had removed every key (null: not within the limit) */
  readonly msUntilDbsizeZero: number | null;
  readonly usedAtEnd: number;
}

/** EXPIRY_CLIENTS clients per algorithm with a 2 s window; wait until every state is over; SCAN. */
async function expiryPass(): Promise<ExpiryResult> {
  const redis = await startBenchRedis();
  const raw = connect(redis.server);
  const store = new RedisCounterStore({
    connection: { mode: 'single', url: redis.server.url },
    deadlineMs: DEADLINE_MS,
  });
  try {
    await store.ready();
    const usedBefore = await usedMemory(raw);
    for (const algorithm of ALGORITHMS) {
      const { allowed } = await fill(store, algorithm, EXPIRY_CLIENTS, LIMIT, EXPIRY_WINDOW_SECONDS);
      if (allowed !== EXPIRY_CLIENTS) throw new Error(`expiry pass, ${algorithm}: ${allowed} allowed`);
    }
    const lastWrite = await serverTimeMs(raw);
    const keysAfterFill = await raw.dbsize();
    const usedAfterFill = await usedMemory(raw);
    // the last key written lives at most this long (keys written earlier in the fill expire sooner)
    const allOver = lastWrite + LONGEST_STATE_WINDOWS * EXPIRY_WINDOW_SECONDS * 1000 + TTL_SLACK_MS;
    while ((await serverTimeMs(raw)) <= allOver) await sleep(100);
    const checkedAt = await serverTimeMs(raw);
    const scanFound = await scanCount(raw, `${DEFAULT_KEY_PREFIX}:*`);
    const dbsizeAtCheck = await raw.dbsize();
    let msUntilDbsizeZero: number | null = null;
    const began = performance.now();
    while (performance.now() - began < EXPIRY_WAIT_LIMIT_MS) {
      if ((await raw.dbsize()) === 0) {
        msUntilDbsizeZero = Math.round(performance.now() - began);
        break;
      }
      await sleep(100);
    }
    const result: ExpiryResult = {
      clientsPerAlgorithm: EXPIRY_CLIENTS,
      windowSeconds: EXPIRY_WINDOW_SECONDS,
      keysAfterFill,
      usedBefore,
      usedAfterFill,
      waitedMs: checkedAt - lastWrite,
      scanFound,
      dbsizeAtCheck,
      msUntilDbsizeZero,
      usedAtEnd: await usedMemory(raw),
    };
    process.stdout.write(
      `  expiry: ${keysAfterFill} keys, SCAN found ${scanFound} after ${result.waitedMs} ms, ` +
        `DBSIZE ${dbsizeAtCheck} then 0 after ${String(msUntilDbsizeZero)} ms\n`,
    );
    return result;
  } finally {
    await store.close();
    raw.disconnect();
    await redis.server.stop();
  }
}

const STATE: Readonly<Record<AlgorithmName, string>> = {
  'fixed-window': '[windowStart, used]',
  'sliding-window': '[windowStart, current, previous]',
  'sliding-log': '[t1, c1]: one entry',
  'token-bucket': '[used, drained, last]',
  'leaky-bucket': '[tat, fraction, limit]',
};

process.stdout.write(`redis-memory: ${CLIENTS.toLocaleString('en-US')} clients per algorithm\n`);
const began = performance.now();
const rows: MemoryRow[] = [];
let version: string | null = null;
for (const algorithm of ALGORITHMS) {
  const { row, redisVersion } = await measure(algorithm, STATE[algorithm], CLIENTS, LIMIT, 1);
  version = redisVersion;
  rows.push(row);
}
const fullLog = await measure(
  'sliding-log',
  `${LIMIT_FULL_LOG} entries (${LIMIT_FULL_LOG} allows at distinct ms)`,
  FULL_LOG_CLIENTS,
  LIMIT_FULL_LOG,
  LIMIT_FULL_LOG,
);
rows.push(fullLog.row);
const expiry = await expiryPass();
const totalSeconds = round((performance.now() - began) / 1000);

const memoryTable: Table = {
  title: `Redis memory per client (${CLIENTS.toLocaleString('en-US')} clients, one allow each)`,
  columns: [
    'algorithm',
    'state (MessagePack array)',
    'clients',
    'used_memory growth',
    'bytes/client',
    'clients per GiB',
    'MEMORY USAGE (sample mean)',
    'key bytes',
    'state bytes',
    'TTL of a key (s)',
    'fill time (s)',
    'allows/s',
  ],
  rows: rows.map((r) => [
    r.algorithm,
    r.state,
    r.clients,
    `${round((r.usedAfter - r.usedBefore) / MB)} MiB`,
    r.bytesPerClient,
    Math.floor(1024 ** 3 / r.bytesPerClient),
    r.sample.memoryUsage,
    r.sample.keyBytes,
    r.sample.valueBytes,
    r.sample.ttlMinSeconds === r.sample.ttlMaxSeconds
      ? r.sample.ttlMinSeconds
      : `${r.sample.ttlMinSeconds}–${r.sample.ttlMaxSeconds}`,
    r.fillSeconds,
    r.callsPerSecond,
  ]),
  notes: [
    `Each algorithm on its own fresh redis-server (no persistence); limit ${LIMIT} per ${WINDOW_SECONDS} s ` +
      `(the last row: limit ${LIMIT_FULL_LOG}); ids \`client-<n>\`, keys \`rl:v1:{client-<n>}:<code>\`; ` +
      `allows through RedisCounterStore (batched, ${IN_FLIGHT} in flight) on the server's clock ` +
      '(the last row: explicit times, one ms apart).',
    'bytes/client: (INFO memory used_memory after − before) ÷ clients: key, value, the entries in the main ' +
      'and expires dicts and their tables, as jemalloc allocates them. MEMORY USAGE: Redis’s own estimate ' +
      `for one key (key, value, entry), mean of ${SAMPLE_KEYS} keys; it leaves out the expires dict. ` +
      'clients per GiB: 2^30 ÷ bytes/client. TTL: PTTL of the sampled keys right after the fill ' +
      '(the state’s lifetime + 1 s slack).',
  ],
};

const expiryTable: Table = {
  title: 'Every key expires: no counter key is left once every window has passed',
  columns: [
    'clients per algorithm',
    'window (s)',
    'keys after the fill',
    'waited after the last write (ms, server clock)',
    'SCAN rl:* found',
    'DBSIZE then',
    'until DBSIZE 0 (ms)',
    'used_memory before → after fill → end',
  ],
  rows: [
    [
      expiry.clientsPerAlgorithm,
      expiry.windowSeconds,
      expiry.keysAfterFill,
      expiry.waitedMs,
      expiry.scanFound,
      expiry.dbsizeAtCheck,
      expiry.msUntilDbsizeZero,
      `${round(expiry.usedBefore / MB)} → ${round(expiry.usedAfterFill / MB)} → ${round(expiry.usedAtEnd / MB)} MiB`,
    ],
  ],
  notes: [
    `All five algorithms, ${expiry.clientsPerAlgorithm.toLocaleString('en-US')} clients each, one allow ` +
      `each, limit ${LIMIT} per ${EXPIRY_WINDOW_SECONDS} s, on one fresh redis-server. The check waits on ` +
      `the server's clock until ${LONGEST_STATE_WINDOWS} windows + ${TTL_SLACK_MS} ms slack have passed ` +
      'since the last write (the longest any state lives), then SCANs. SCAN never returns an expired ' +
      'key; DBSIZE still counts expired keys until Redis’s active expiry (or an access) removes them.',
  ],
};

const markdown = await writeReport({
  name: 'redis-memory',
  title: 'Redis memory per client',
  machine: machineInfo(version),
  settings: {
    clients: CLIENTS,
    limit: LIMIT,
    windowSeconds: WINDOW_SECONDS,
    inFlight: IN_FLIGHT,
    sampleKeys: SAMPLE_KEYS,
    fullLogClients: FULL_LOG_CLIENTS,
    fullLogEntries: LIMIT_FULL_LOG,
    expiryClients: EXPIRY_CLIENTS,
    expiryWindowSeconds: EXPIRY_WINDOW_SECONDS,
    totalSeconds,
  },
  tables: [memoryTable, expiryTable],
  data: { rows, expiry },
});
process.stdout.write(`\n${markdown}\n`);
if (expiry.scanFound !== 0) {
  process.stderr.write(`redis-memory: SCAN found ${expiry.scanFound} counter keys after every window\n`);
  process.exit(1);
}
