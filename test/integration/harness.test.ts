import { existsSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdctl, startEtcd, type EtcdServer } from '../support/etcd.js';
import { startRedisCluster, type RedisCluster, type RedisClusterNode } from '../support/redis-cluster.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';

const PREFIX = 'harness-test:';

/** process.kill(pid, 0) on a reaped pid throws ESRCH. */
function expectProcessGone(pid: number): void {
  expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
}

async function withClient<T>(url: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

describe('startRedis', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedis();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('serves SET/GET on a loopback port', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    await withClient(server.url, async (client) => {
      expect(await client.set(`${PREFIX}k`, 'v1')).toBe('OK');
      expect(await client.get(`${PREFIX}k`)).toBe('v1');
    });
  });

  it('restart() replaces the process on the same port', async () => {
    const oldPid = server.pid;
    const port = server.port;
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(oldPid);
    expectProcessGone(oldPid);
    await withClient(server.url, async (client) => {
      // No persistence: the restarted server starts empty.
      expect(await client.get(`${PREFIX}k`)).toBeNull();
      expect(await client.set(`${PREFIX}k`, 'v2')).toBe('OK');
      expect(await client.get(`${PREFIX}k`)).toBe('v2');
    });
  });

  it('stop() kills the pid and removes the temp dir', async () => {
    const pid = server.pid;
    expect(existsSync(server.dir)).toBe(true);
    await server.stop();
    expectProcessGone(pid);
    expect(existsSync(server.dir)).toBe(false);
  });
});

describe('startRedisCluster', () => {
  let cluster: RedisCluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
  });

  afterAll(async () => {
    await cluster.stop();
  });

  it('assigns all 16384 slots across the three primaries', async () => {
    const first = cluster.nodes[0];
    if (first === undefined) {
      throw new Error('cluster has no nodes');
    }
    expect(cluster.nodes).toHaveLength(3);
    const slots = await withClient(`redis://${first.host}:${first.port}`, (client) =>
      client.cluster('SLOTS'),
    );
    const covered = slots.map(([start, end]) => end - start + 1).reduce((sum, n) => sum + n, 0);
    expect(covered).toBe(16384);
    const owners = new Set(slots.map((range) => range[2]?.[1]));
    expect(owners).toEqual(new Set(cluster.nodes.map((n) => n.port)));
  });

  it('routes a SET through ioredis Cluster to the node that owns the slot', async () => {
    const [entry] = cluster.nodes;
    if (entry === undefined) {
      throw new Error('cluster has no nodes');
    }
    // Find a key whose slot belongs to a node other than the entry node.
    const { key, owner } = await withClient(`redis://${entry.host}:${entry.port}`, async (client) => {
      const slots = await client.cluster('SLOTS');
      for (let i = 0; ; i++) {
        const candidate = `${PREFIX}${i}`;
        const slot = await client.cluster('KEYSLOT', candidate);
        const range = slots.find(([start, end]) => slot >= start && slot <= end);
        const ownerPort = range?.[2]?.[1];
        const ownerNode = cluster.nodes.find((n: RedisClusterNode) => n.port === ownerPort);
        if (ownerNode !== undefined && ownerNode.port !== entry.port) {
          // The entry node itself refuses the key: it is really elsewhere.
          await expect(client.set(candidate, 'x')).rejects.toThrow(/^MOVED /);
          return { key: candidate, owner: ownerNode };
        }
      }
    });

    const clusterClient = new Cluster([{ host: entry.host, port: entry.port }], {
      clusterRetryStrategy: () => null,
    });
    try {
      expect(await clusterClient.set(key, 'routed')).toBe('OK');
      expect(await clusterClient.get(key)).toBe('routed');
    } finally {
      clusterClient.disconnect();
    }
    expect(await withClient(`redis://${owner.host}:${owner.port}`, (client) => client.get(key))).toBe(
      'routed',
    );
  });

  it('stop() kills every node', async () => {
    await cluster.stop();
    for (const node of cluster.nodes) {
      expectProcessGone(node.pid);
    }
  });
});

describe('startEtcd', () => {
  let etcd: EtcdServer;

  beforeAll(async () => {
    etcd = await startEtcd();
  });

  afterAll(async () => {
    await etcd.stop();
  });

  it('puts and gets a key through the real etcdctl', async () => {
    expect(etcd.endpoints).toEqual([`http://127.0.0.1:${etcd.port}`]);
    expect(await etcdctl(etcd.endpoints, 'put', `/${PREFIX}k`, 'v1')).toBe('OK\n');
    expect(await etcdctl(etcd.endpoints, 'get', `/${PREFIX}k`, '--print-value-only')).toBe('v1\n');
  });

  it('restart() keeps the data and the ports', async () => {
    const oldPid = etcd.pid;
    const endpoints = etcd.endpoints;
    await etcd.restart();
    expect(etcd.pid).not.toBe(oldPid);
    expectProcessGone(oldPid);
    expect(etcd.endpoints).toEqual(endpoints);
    expect(await etcdctl(etcd.endpoints, 'get', `/${PREFIX}k`, '--print-value-only')).toBe('v1\n');
  });

  it('etcdctl rejects with the tool output when etcd is unreachable after stop()', async () => {
    const pid = etcd.pid;
    await etcd.stop();
    expectProcessGone(pid);
    expect(existsSync(etcd.dir)).toBe(false);
    await expect(
      etcdctl(etcd.endpoints, '--dial-timeout', '300ms', '--command-timeout', '500ms', 'get', `/${PREFIX}k`),
    ).rejects.toThrow(/^etcdctl .*failed/);
  });
});
