import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneUnavailableError } from '../../src/errors.js';
import type { LimitSpec } from '../../src/core/types.js';
import { EtcdClient } from '../../src/store/etcd/etcd-client.js';
import { EtcdConfigStore } from '../../src/store/etcd/etcd-config-store.js';
import { EtcdKeys } from '../../src/store/etcd/keys.js';
import { systemClock } from '../../src/store/memory/system-clock.js';
import { etcdctl, startEtcd, type EtcdServer } from '../support/etcd.js';
import { eventually } from '../support/eventually.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

let etcd: EtcdServer;
const clients: EtcdClient[] = [];
const stores: EtcdConfigStore[] = [];
const proxies: TcpProxy[] = [];
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  etcd = await startEtcd();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await etcd.stop();
});

async function newStore(
  prefix: string,
  endpoints: readonly string[] = etcd.endpoints,
): Promise<EtcdConfigStore> {
  const client = new EtcdClient({ endpoints, logger: silent, writeDeadlineMs: 1_000 });
  clients.push(client);
  const store = await EtcdConfigStore.start({
    client,
    logger: silent,
    clock: systemClock,
    defaultAlgorithm: 'sliding-window',
    prefix,
    pageSize: 7,
  });
  stores.push(store);
  return store;
}

function ctl(...args: string[]): Promise<string> {
  return etcdctl(etcd.endpoints, ...args);
}

function spec(limit: number): LimitSpec {
  return { limit, window: 60, algorithm: 'fixed-window' };
}

/** SIGKILLs etcd by pid and waits until the process is gone. */
async function killEtcd(): Promise<void> {
  const pid = etcd.pid;
  process.kill(pid, 'SIGKILL');
  await eventually(() => expect(() => process.kill(pid, 0)).toThrow());
}

interface EtcdEntry {
  readonly key: string;
  readonly value: string;
}

/** Every key under `prefix`, straight from etcd through etcdctl. */
async function dump(prefix: string): Promise<EtcdEntry[]> {
  const output = JSON.parse(await ctl('get', '--prefix', `${prefix}/`, '--write-out', 'json')) as {
    kvs?: { key: string; value: string }[];
  };
  return (output.kvs ?? []).map((kv) => ({
    key: Buffer.from(kv.key, 'base64').toString(),
    value: Buffer.from(kv.value, 'base64').toString(),
  }));
}

/** Asserts the mirror holds exactly what etcd holds (every entry here is valid). */
async function expectMirrorEqualsEtcd(store: EtcdConfigStore, prefix: string): Promise<void> {
  const keys = new EtcdKeys(prefix);
  const entries = await dump(prefix);
  let limits = 0;
  let overrides = 0;
  for (const { key, value } of entries) {
    const parsed = keys.parse(key);
    const expected: unknown = JSON.parse(value);
    switch (parsed.kind) {
      case 'limit':
        limits++;
        expect(store.getLimit(parsed.clientId)).toEqual(expected);
        break;
      case 'client-override':
        overrides++;
        expect(store.getClientOverride(parsed.clientId)).toEqual(expected);
        break;
      case 'defaults':
        expect(store.getDefaults()).toEqual(expected);
        break;
      case 'manual-throttle':
        expect(store.getManualThrottle()).toEqual(expected);
        break;
      case 'controller-throttle':
      case 'instance':
      case 'invalid-id':
      case 'other':
        throw new Error(`unexpected key ${key}`);
    }
  }
  expect(store.size()).toBe(limits);
  expect(store.stats().clientOverrides).toBe(overrides);
  if (!entries.some((entry) => entry.key === keys.defaults)) expect(store.getDefaults()).toBeUndefined();
  if (!entries.some((entry) => entry.key === keys.manualThrottle))
    expect(store.getManualThrottle()).toBeUndefined();
}

describe('etcd outages', () => {
  it('etcd stopped: reads serve the mirror, writes fail with 503 and write nothing; etcd back: changes flow again', async () => {
    const prefix = `/rl-outage-${randomUUID()}`;
    const keys = new EtcdKeys(prefix);
    const writer = await newStore(prefix);
    const reader = await newStore(prefix);
    await writer.setLimit('kept', spec(10));
    await writer.setManualThrottle({ multiplier: 0.5, reason: 'before the outage' });
    await eventually(() => expect(reader.getLimit('kept')).toEqual(spec(10)));

    await killEtcd();

    for (const store of [writer, reader]) {
      expect(store.getLimit('kept')).toEqual(spec(10));
      expect(store.getManualThrottle()).toEqual({ multiplier: 0.5, reason: 'before the outage' });
    }
    const failures = await Promise.allSettled([
      writer.setLimit('lost', spec(20)),
      writer.deleteLimit('kept'),
      writer.setClientOverride('kept', { multiplier: 0.1 }),
      writer.clearManualThrottle(),
    ]);
    for (const failure of failures) {
      expect(failure.status).toBe('rejected');
      if (failure.status === 'rejected') {
        expect(failure.reason).toBeInstanceOf(ControlPlaneUnavailableError);
        expect(failure.reason).toMatchObject({ code: 'CONTROL_PLANE_UNAVAILABLE', status: 503 });
        expect((failure.reason as Error).message).toMatch(
          /did not confirm .* treat it as not written and retry/,
        );
      }
    }
    // nothing of the failed writes shows in any mirror
    expect(writer.getLimit('lost')).toBeUndefined();
    expect(writer.getLimit('kept')).toEqual(spec(10));
    expect(writer.getClientOverride('kept')).toBeUndefined();
    expect(writer.getManualThrottle()?.multiplier).toBe(0.5);

    await etcd.restart();

    expect(await ctl('get', keys.limit('lost'))).toBe('');
    expect(await ctl('get', '--print-value-only', keys.limit('kept'))).toBe(
      '{"limit":10,"window":60,"algorithm":"fixed-window"}\n',
    );

    // changes made after the restart reach the other instance, through the store and with etcdctl
    await writer.setLimit('after', spec(30));
    await eventually(() => expect(reader.getLimit('after')).toEqual(spec(30)));
    await ctl('put', keys.limit('by-hand'), '{"limit":40,"window":60,"algorithm":"fixed-window"}');
    await eventually(() => {
      expect(reader.getLimit('by-hand')).toEqual(spec(40));
      expect(writer.getLimit('by-hand')).toEqual(spec(40));
    });
    await ctl('del', keys.manualThrottle);
    await eventually(() => expect(reader.getManualThrottle()).toBeUndefined());
    // the watch resumed where it stopped: no re-list was needed
    expect(reader.stats().relists).toBe(0);
    await expectMirrorEqualsEtcd(reader, prefix);
  });

  it('after a compaction past its revision, a cut-off instance re-lists and ends identical to etcd', async () => {
    const prefix = `/rl-compact-${randomUUID()}`;
    const keys = new EtcdKeys(prefix);
    const writer = await newStore(prefix);
    const proxy = await startTcpProxy(etcd.port);
    proxies.push(proxy);
    const cutOff = await newStore(prefix, [`http://127.0.0.1:${proxy.port}`]);
    const resyncs: string[] = [];
    cutOff.onChange((change) => {
      if (change.kind === 'resync') resyncs.push(change.kind);
    });

    for (let i = 0; i < 30; i++) await writer.setLimit(`c${i}`, spec(i + 1));
    for (let i = 0; i < 5; i++) await writer.setClientOverride(`c${i}`, { multiplier: 0.5 });
    await writer.setDefaults({ limit: 3, window: 1, algorithm: 'token-bucket' });
    await eventually(() => {
      expect(cutOff.size()).toBe(30);
      expect(cutOff.getDefaults()).toEqual({ limit: 3, window: 1, algorithm: 'token-bucket' });
    });
    const revisionBefore = cutOff.stats().revision;

    proxy.block();
    // while it is cut off: new limits, changed ones, deleted ones, overrides and throttles both ways
    for (let i = 30; i < 45; i++) await writer.setLimit(`c${i}`, spec(i + 1));
    for (let i = 0; i < 10; i++) await writer.setLimit(`c${i}`, spec(1000 + i));
    for (let i = 10; i < 20; i++) expect(await writer.deleteLimit(`c${i}`)).toBe(true);
    await writer.setClientOverride('c0', undefined);
    await writer.setClientOverride('c40', { limit: 2, window: 1 });
    await writer.setDefaults(undefined);
    await writer.setManualThrottle({ multiplier: 0.4, reason: 'while cut off' });
    await ctl('put', keys.limit('by/etcdctl'), '{"limit":9,"window":9,"algorithm":"sliding-log"}');
    const status = JSON.parse(await ctl('endpoint', 'status', '--write-out', 'json')) as [
      { Status: { header: { revision: number } } },
    ];
    const revision = status[0].Status.header.revision;
    expect(revision).toBe(revisionBefore + 40);
    await ctl('compact', String(revision));
    // the cut-off mirror still serves what it had
    expect(cutOff.getLimit('c15')).toEqual(spec(16));
    expect(cutOff.getDefaults()).toEqual({ limit: 3, window: 1, algorithm: 'token-bucket' });

    proxy.unblock();
    await eventually(() => expect(cutOff.stats().relists).toBe(1));
    expect(resyncs).toEqual(['resync']);
    expect(cutOff.stats().revision).toBe(revision);
    await expectMirrorEqualsEtcd(cutOff, prefix);
    expect(cutOff.size()).toBe(36);
    expect(cutOff.getLimit('c15')).toBeUndefined();
    expect(cutOff.getLimit('by/etcdctl')).toEqual({ limit: 9, window: 9, algorithm: 'sliding-log' });

    // and it watches again from there
    await writer.setLimit('after-relist', spec(77));
    await eventually(() => expect(cutOff.getLimit('after-relist')).toEqual(spec(77)));
  });
});
