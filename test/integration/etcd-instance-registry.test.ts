import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigValue } from '../../src/core/config-schema.js';
import { EtcdClient } from '../../src/store/etcd/etcd-client.js';
import { EtcdConfigStore } from '../../src/store/etcd/etcd-config-store.js';
import { EtcdInstanceRegistry } from '../../src/store/etcd/etcd-instance-registry.js';
import { EtcdKeys } from '../../src/store/etcd/keys.js';
import type { InstanceHeartbeat } from '../../src/store/instance-registry.js';
import { systemClock } from '../../src/store/memory/system-clock.js';
import { etcdctl, startEtcd, type EtcdServer } from '../support/etcd.js';
import { eventually } from '../support/eventually.js';

let etcd: EtcdServer;
const closers: (() => Promise<void>)[] = [];
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  etcd = await startEtcd();
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await etcd.stop();
});

function ctl(...args: string[]): Promise<string> {
  return etcdctl(etcd.endpoints, ...args);
}

function heartbeat(rps: number): InstanceHeartbeat {
  return {
    cpu: 0.5,
    allowP99Ms: 0.75,
    rps,
    storeErrorRate: 0,
    startedAt: '2030-01-01T00:00:00.000Z',
    at: new Date().toISOString(),
    version: 'test',
  };
}

interface Instance {
  readonly client: EtcdClient;
  readonly store: EtcdConfigStore;
  readonly registry: EtcdInstanceRegistry;
}

async function startInstance(prefix: string, instanceId: string, rps: number): Promise<Instance> {
  const client = new EtcdClient({ endpoints: etcd.endpoints, logger: silent, writeDeadlineMs: 1_000 });
  closers.push(() => client.close());
  const store = await EtcdConfigStore.start({
    client,
    logger: silent,
    clock: systemClock,
    defaultAlgorithm: 'sliding-window',
    prefix,
  });
  closers.push(() => store.close());
  const registry = await EtcdInstanceRegistry.start({
    client,
    store,
    logger: silent,
    instanceId,
    prefix,
    sample: () => Promise.resolve(heartbeat(rps)),
    intervalMs: 200,
  });
  closers.push(() => registry.close());
  return { client, store, registry };
}

interface EtcdKv {
  readonly value: string;
  readonly lease: string | undefined;
}

/** The value and lease of `key`, straight from etcd. */
async function read(key: string): Promise<EtcdKv | undefined> {
  const text = await ctl('get', key, '--write-out', 'json');
  const kv = (JSON.parse(text) as { kvs?: { value: string }[] }).kvs?.[0];
  if (kv === undefined) return undefined;
  // a lease id is an int64: read its digits from the text, JSON.parse would round it
  const lease = /"lease":(\d+)/.exec(text)?.[1];
  return {
    value: Buffer.from(kv.value, 'base64').toString(),
    lease: lease === undefined ? undefined : BigInt(lease).toString(16),
  };
}

describe('EtcdInstanceRegistry', () => {
  it('each instance keeps a leased, schema-valid heartbeat; every instance counts every live one', async () => {
    const prefix = `/rl-test-${randomUUID()}`;
    const keys = new EtcdKeys(prefix);
    const a = await startInstance(prefix, 'host-a/1', 10);
    expect(a.registry.liveInstances()).toBe(1);
    const b = await startInstance(prefix, 'host-b/2', 20);

    await eventually(() => {
      expect(a.registry.liveInstances()).toBe(2);
      expect(b.registry.liveInstances()).toBe(2);
    });
    const stored = await read(keys.instance('host-a/1'));
    expect(keys.instance('host-a/1')).toBe(`${prefix}/instances/host-a%2F1`);
    expect(stored?.lease).toMatch(/^[0-9a-f]+$/);
    const parsed = parseConfigValue('instance', stored?.value ?? '', 'sliding-window');
    expect(parsed).toMatchObject({ ok: true, value: { rps: 10, cpu: 0.5, version: 'test' } });

    const seenByB = b.registry.instances();
    expect(seenByB.map((i) => [i.id, i.self, i.heartbeat?.rps])).toEqual([
      ['host-b/2', true, 20],
      ['host-a/1', false, 10],
    ]);
    expect(b.store.stats().instances).toBe(2);
    // heartbeats are not config: nothing counted as invalid
    expect(b.store.stats().invalidEntries.instance).toBe(0);
  });

  it('close() revokes the lease: the key is gone at once and the others count one fewer', async () => {
    const prefix = `/rl-test-${randomUUID()}`;
    const keys = new EtcdKeys(prefix);
    const a = await startInstance(prefix, 'a', 1);
    const b = await startInstance(prefix, 'b', 1);
    await eventually(() => expect(a.registry.liveInstances()).toBe(2));

    await b.registry.close();
    expect(await read(keys.instance('b'))).toBeUndefined();
    await eventually(() => expect(a.registry.liveInstances()).toBe(1), 2_000);
    expect(a.registry.instances().map((i) => i.id)).toEqual(['a']);
  });

  it('a lease that etcd drops is replaced: the heartbeat comes back under a new lease', async () => {
    const prefix = `/rl-test-${randomUUID()}`;
    const keys = new EtcdKeys(prefix);
    const a = await startInstance(prefix, 'a', 1);
    const before = await read(keys.instance('a'));
    expect(before?.lease).toBeDefined();

    await ctl('lease', 'revoke', before?.lease ?? '');
    expect(await read(keys.instance('a'))).toBeUndefined();

    const after = await eventually(async () => {
      const kv = await read(keys.instance('a'));
      expect(kv?.lease).toBeDefined();
      expect(kv?.lease).not.toBe(before?.lease);
      return kv;
    });
    expect(parseConfigValue('instance', after?.value ?? '', 'sliding-window').ok).toBe(true);
    await eventually(() => expect(a.registry.liveInstances()).toBe(1));
  });

  it('an unreadable heartbeat written with etcdctl still counts as a live instance, and is counted invalid', async () => {
    const prefix = `/rl-test-${randomUUID()}`;
    const keys = new EtcdKeys(prefix);
    const a = await startInstance(prefix, 'a', 1);
    await ctl('put', keys.instance('ghost'), '{"cpu":2}');
    await eventually(() => expect(a.registry.liveInstances()).toBe(2));
    expect(a.registry.instances()).toEqual([
      { id: 'a', self: true, heartbeat: expect.objectContaining({ rps: 1 }) as unknown },
      { id: 'ghost', self: false, heartbeat: undefined },
    ]);
    expect(a.store.stats().invalidEntries.instance).toBe(1);

    await ctl('del', keys.instance('ghost'));
    await eventually(() => expect(a.registry.liveInstances()).toBe(1));
  });
});
