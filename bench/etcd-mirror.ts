/**
 * Mirror memory per client and time to ready: fills a private etcd with N client limits (default
 * 1,000,000; most clients share one of a few specs, 1% have ids that need percent-encoding), then
 * starts an EtcdConfigStore on it and reports the time until start() resolves and the heap it holds.
 *
 *   npx tsx --expose-gc bench/etcd-mirror.ts [CLIENTS] [PAGE_SIZE]
 *
 * Loopback only; the etcd is spawned in a temp dir and killed at the end.
 */
import { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { encodeConfigValue } from '../src/core/config-schema.js';
import type { LimitSpec } from '../src/core/types.js';
import { EtcdClient } from '../src/store/etcd/etcd-client.js';
import { DEFAULT_PAGE_SIZE, EtcdConfigStore } from '../src/store/etcd/etcd-config-store.js';
import { EtcdKeys } from '../src/store/etcd/keys.js';
import { systemClock } from '../src/store/memory/system-clock.js';
import { startEtcd } from '../test/support/etcd.js';

const clients = Number(process.argv[2] ?? 1_000_000);
const pageSize = Number(process.argv[3] ?? DEFAULT_PAGE_SIZE);
const PUTS_PER_TXN = 128; // etcd's default --max-txn-ops
const TXNS_IN_FLIGHT = 4;
const SPECS: readonly LimitSpec[] = [
  { limit: 100, window: 60, algorithm: 'sliding-window' },
  { limit: 1_000, window: 3_600, algorithm: 'sliding-window' },
  { limit: 10, window: 1, algorithm: 'token-bucket' },
  { limit: 5_000, window: 86_400, algorithm: 'fixed-window' },
];

const gc = globalThis.gc;
if (gc === undefined) {
  process.stderr.write('etcd-mirror: run with --expose-gc\n');
  process.exit(2);
}

function clientId(i: number): string {
  return i % 100 === 0 ? `user/${i}@example.com` : `client-${i}`;
}

async function fill(etcd: Etcd3, keys: EtcdKeys): Promise<void> {
  const values = SPECS.map((spec) => encodeConfigValue('limit', spec));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < clients) {
      const from = next;
      next = Math.min(clients, next + PUTS_PER_TXN);
      const success = [];
      for (let i = from; i < next; i++) {
        const value = values[i % values.length] ?? '';
        success.push({
          request_put: { key: Buffer.from(keys.limit(clientId(i))), value: Buffer.from(value) },
        });
      }
      // no compares: the transaction always applies its puts, 128 per round trip
      await etcd.kv.txn({ success });
    }
  };
  await Promise.all(Array.from({ length: TXNS_IN_FLIGHT }, worker));
}

const server = await startEtcd();
try {
  const keys = new EtcdKeys('/bench-mirror');
  const filler = new Etcd3({ hosts: [...server.endpoints] });
  const fillStarted = performance.now();
  await fill(filler, keys);
  filler.close();
  const fillSeconds = (performance.now() - fillStarted) / 1000;

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const client = new EtcdClient({ endpoints: server.endpoints, logger: pino({ level: 'warn' }) });
  const started = performance.now();
  const store = await EtcdConfigStore.start({
    client,
    logger: pino({ level: 'warn' }),
    clock: systemClock,
    defaultAlgorithm: 'sliding-window',
    prefix: keys.root,
    pageSize,
    startTimeoutMs: 600_000,
  });
  const readySeconds = (performance.now() - started) / 1000;
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  if (store.size() !== clients) throw new Error(`mirror has ${store.size()} limits, expected ${clients}`);
  if (store.getLimit(clientId(clients - 1)) === undefined || store.getLimit(clientId(0)) === undefined) {
    throw new Error('mirror is missing a client');
  }
  console.log(
    JSON.stringify({
      clients,
      pageSize,
      fillSeconds: Number(fillSeconds.toFixed(1)),
      readySeconds: Number(readySeconds.toFixed(2)),
      heapBytesPerClient: Math.round((heapAfter - heapBefore) / clients),
      heapMiB: Number(((heapAfter - heapBefore) / 2 ** 20).toFixed(1)),
    }),
  );
  await store.close();
  await client.close();
} finally {
  await server.stop();
}
