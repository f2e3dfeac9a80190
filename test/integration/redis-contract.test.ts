/**
 * The CounterStore contract suite on RedisCounterStore: a single redis-server and a 3-primary
 * Redis Cluster (real processes). Each test gets a fresh store (its own connection) on the shared
 * server, and a key prefix of its own.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { RedisCounterStore } from '../../src/store/redis/redis-counter-store.js';
import type { RedisConnectionOptions } from '../../src/store/redis/redis-client.js';
import { describeCounterStoreContract, type ContractSubject } from '../support/counter-store-contract.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

let server: RedisServer;
let cluster: RedisCluster;

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
});

afterAll(async () => {
  await Promise.all([server.stop(), cluster.stop()]);
});

async function subject(connection: RedisConnectionOptions): Promise<ContractSubject> {
  // a deadline far above any loopback round trip: the contract checks results, not latency
  const store = new RedisCounterStore({
    connection,
    keyPrefix: `contract-${randomUUID()}`,
    deadlineMs: 5000,
  });
  await store.ready();
  return { store };
}

describeCounterStoreContract('redis (single node)', () => subject({ mode: 'single', url: server.url }));

describeCounterStoreContract('redis (Cluster, 3 primaries)', () =>
  subject({ mode: 'cluster', nodes: cluster.nodes.map((n) => `${n.host}:${n.port}`) }),
);
