import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/limiter/rate-limiter.js';
import { EtcdClient } from '../../src/store/etcd/etcd-client.js';
import { EtcdConfigStore, type EtcdConfigStoreOptions } from '../../src/store/etcd/etcd-config-store.js';
import { EtcdKeys } from '../../src/store/etcd/keys.js';
import { ManualClock } from '../../src/store/memory/manual-clock.js';
import { MemoryCounterStore } from '../../src/store/memory/memory-counter-store.js';
import { systemClock } from '../../src/store/memory/system-clock.js';
import { captureLogs } from '../support/captured-logger.js';
import { describeConfigStoreContract } from '../support/config-store-contract.js';
import { etcdctl, startEtcd, type EtcdServer } from '../support/etcd.js';
import { eventually } from '../support/eventually.js';

let etcd: EtcdServer;
const clients: EtcdClient[] = [];
const stores: EtcdConfigStore[] = [];
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  etcd = await startEtcd();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(async () => {
  await etcd.stop();
});

function newPrefix(): string {
  return `/rl-test-${randomUUID()}`;
}

function newClient(logger = silent): EtcdClient {
  const client = new EtcdClient({ endpoints: etcd.endpoints, logger, writeDeadlineMs: 1_000 });
  clients.push(client);
  return client;
}

async function newStore(
  prefix: string,
  options: Partial<EtcdConfigStoreOptions> = {},
): Promise<EtcdConfigStore> {
  const store = await EtcdConfigStore.start({
    client: options.client ?? newClient(),
    logger: silent,
    clock: systemClock,
    defaultAlgorithm: 'sliding-window',
    prefix,
    ...options,
  });
  stores.push(store);
  return store;
}

function ctl(...args: string[]): Promise<string> {
  return etcdctl(etcd.endpoints, ...args);
}

describeConfigStoreContract('EtcdConfigStore', async () => {
  const clock = new ManualClock();
  return { store: await newStore(newPrefix(), { clock }), clock };
});

describe('EtcdConfigStore', () => {
  it('writes validated JSON under the key layout, readable with etcdctl', async () => {
    const prefix = newPrefix();
    const keys = new EtcdKeys(prefix);
    const store = await newStore(prefix);
    await store.setLimit('tenant/42 ü', { limit: 100, window: 60, algorithm: 'sliding-window' });
    await store.setClientOverride('tenant/42 ü', { multiplier: 0.1 });
    await store.setManualThrottle({ multiplier: 0.5, reason: 'incident', until: '2031-01-01T00:00:00Z' });
    await store.setDefaults({ limit: 7, window: 1, algorithm: 'fixed-window' });
    expect(await ctl('get', '--prefix', `${prefix}/`)).toBe(
      [
        `${prefix}/defaults`,
        '{"limit":7,"window":1,"algorithm":"fixed-window"}',
        `${prefix}/limits/tenant%2F42%20%C3%BC`,
        '{"limit":100,"window":60,"algorithm":"sliding-window"}',
        `${prefix}/overrides/tenant%2F42%20%C3%BC`,
        '{"multiplier":0.1}',
        `${prefix}/throttle/override`,
        '{"multiplier":0.5,"reason":"incident","until":"2031-01-01T00:00:00Z"}',
        '',
      ].join('\n'),
    );
    expect(keys.limit('tenant/42 ü')).toBe(`${prefix}/limits/tenant%2F42%20%C3%BC`);
  });

  it('refuses invalid values and writes nothing', async () => {
    const prefix = newPrefix();
    const store = await newStore(prefix);
    await expect(
      store.setLimit('a', { limit: 0, window: 1, algorithm: 'fixed-window' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(store.setClientOverride('a', { multiplier: 1.5 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(store.setManualThrottle({ multiplier: 0, reason: 'r' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      store.setLimit('', { limit: 1, window: 1, algorithm: 'fixed-window' }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(await ctl('get', '--prefix', `${prefix}/`)).toBe('');
  });

  it('a second instance sees writes of the first, and builds its mirror from what is already there', async () => {
    const prefix = newPrefix();
    const first = await newStore(prefix);
    for (let i = 0; i < 12; i++)
      await first.setLimit(`c${i}`, { limit: i + 1, window: 60, algorithm: 'fixed-window' });
    await first.setClientOverride('c1', { limit: 2, window: 1 });
    await first.setManualThrottle({ multiplier: 0.7, reason: 'load' });

    // pages of 5 keys: the list takes several pages, all at one revision
    const second = await newStore(prefix, { pageSize: 5 });
    expect(second.size()).toBe(12);
    expect(second.getLimit('c11')).toEqual({ limit: 12, window: 60, algorithm: 'fixed-window' });
    expect(second.getClientOverride('c1')).toEqual({ limit: 2, window: 1 });
    expect(second.getManualThrottle()).toEqual({ multiplier: 0.7, reason: 'load' });

    await first.setLimit('late', { limit: 5, window: 5, algorithm: 'leaky-bucket' });
    await eventually(() =>
      expect(second.getLimit('late')).toEqual({ limit: 5, window: 5, algorithm: 'leaky-bucket' }),
    );
    expect(await first.deleteLimit('c0')).toBe(true);
    await eventually(() => expect(second.getLimit('c0')).toBeUndefined());
    expect(second.size()).toBe(12);
    // both mirrors reach etcd's revision (the writer's own writes show before its watch gets there)
    const status = JSON.parse(await ctl('endpoint', 'status', '--write-out', 'json')) as [
      { Status: { header: { revision: number } } },
    ];
    const revision = status[0].Status.header.revision;
    await eventually(() => {
      expect(first.stats().revision).toBe(revision);
      expect(second.stats().revision).toBe(revision);
    });
  });

  it('limits, client overrides and the global override put and deleted with etcdctl change decisions on every instance', async () => {
    const prefix = newPrefix();
    const keys = new EtcdKeys(prefix);
    const clock = systemClock;
    const limiters = await Promise.all(
      [0, 1].map(async () => {
        const config = await newStore(prefix);
        return new RateLimiter({
          config,
          counters: new MemoryCounterStore({ clock, sweepIntervalMs: 0 }),
          clock,
        });
      }),
    );
    const id = 'api key/7';
    const peekAll = () => Promise.all(limiters.map((limiter) => limiter.peek(id)));
    const expectEvery = async (expected: Record<string, unknown>) =>
      eventually(async () => {
        for (const decision of await peekAll()) expect(decision).toMatchObject(expected);
      });

    await expectEvery({ reason: 'no_limit', limit: 0 });
    await ctl('put', keys.limit(id), '{"limit":100,"window":60}');
    await expectEvery({ limit: 100, algorithm: 'sliding-window', multiplier: 1, multiplierSource: 'none' });

    await ctl('put', keys.manualThrottle, '{"multiplier":0.5,"reason":"etcdctl test"}');
    await expectEvery({ limit: 50, multiplier: 0.5, multiplierSource: 'manual' });

    await ctl('put', keys.override(id), '{"multiplier":0.1}');
    await expectEvery({ limit: 10, multiplier: 0.1, multiplierSource: 'client-override' });
    await ctl('put', keys.override(id), '{"limit":3,"window":1}');
    await expectEvery({ limit: 3, window: 1, multiplier: 1, multiplierSource: 'client-override' });

    await ctl('del', keys.override(id));
    await expectEvery({ limit: 50, multiplier: 0.5, multiplierSource: 'manual' });
    await ctl('del', keys.manualThrottle);
    await expectEvery({ limit: 100, multiplier: 1, multiplierSource: 'none' });
    await ctl('del', keys.limit(id));
    await expectEvery({ reason: 'no_limit', limit: 0 });
  });

  it('ignores invalid values written with etcdctl: warns, counts, and keeps the last good value', async () => {
    const prefix = newPrefix();
    const keys = new EtcdKeys(prefix);
    const captured = captureLogs('warn');
    const invalidSeen: string[] = [];
    const store = await newStore(prefix, {
      logger: captured.logger,
      onInvalidEntry: (kind) => invalidSeen.push(kind),
    });

    await ctl('put', keys.limit('a'), '{"limit":10,"window":60}');
    await ctl('put', keys.override('a'), '{"multiplier":0.5}');
    await ctl('put', keys.manualThrottle, '{"multiplier":0.8,"reason":"ok"}');
    await eventually(() => expect(store.getManualThrottle()?.multiplier).toBe(0.8));

    await ctl('put', keys.limit('a'), '{"limit":10,'); // not JSON
    await ctl('put', keys.limit('a'), '{"limit":-1,"window":60}'); // out of range
    await ctl('put', keys.override('a'), '{"multiplier":5}');
    await ctl('put', keys.manualThrottle, '{"multiplier":0.8}'); // no reason
    await ctl('put', keys.defaults, '[]');
    await ctl('put', keys.controllerThrottle, '{"multiplier":0.5,"reason":"cpu","at":"now"}');
    await ctl('put', `${keys.limits}raw id`, '{"limit":1,"window":1}'); // id not percent-encoded
    await ctl('put', keys.limit('marker'), '{"limit":1,"window":1}');
    await eventually(() => expect(store.getLimit('marker')).toBeDefined());

    expect(store.getLimit('a')).toEqual({ limit: 10, window: 60, algorithm: 'sliding-window' });
    expect(store.getClientOverride('a')).toEqual({ multiplier: 0.5 });
    expect(store.getManualThrottle()).toEqual({ multiplier: 0.8, reason: 'ok' });
    expect(store.getDefaults()).toBeUndefined();
    expect(store.getControllerThrottle()).toBeUndefined();
    expect(store.getLimit('raw id')).toBeUndefined();
    expect(store.stats().invalidEntries).toEqual({
      limit: 2,
      defaults: 1,
      'controller-throttle': 1,
      'manual-throttle': 1,
      'client-override': 1,
      instance: 0,
      key: 1,
    });
    expect(invalidSeen).toEqual([
      'limit',
      'limit',
      'client-override',
      'manual-throttle',
      'defaults',
      'controller-throttle',
      'key',
    ]);
    const warnings = captured.lines.filter((line) => line['level'] === 40);
    expect(warnings.map((line) => line['key'])).toEqual([
      keys.limit('a'),
      keys.limit('a'),
      keys.override('a'),
      keys.manualThrottle,
      keys.defaults,
      keys.controllerThrottle,
      `${keys.limits}raw id`,
    ]);
    expect(warnings[1]).toMatchObject({
      problems: [{ field: '/limit', message: 'must be between 1 and 9007199254740991' }],
    });

    // a good value afterwards is taken as usual
    await ctl('put', keys.limit('a'), '{"limit":20,"window":60}');
    await eventually(() => expect(store.getLimit('a')?.limit).toBe(20));

    // a store starting now counts what is invalid in etcd, mirrors the rest, and for an invalid
    // entry takes its last valid version from etcd's history: what the running store kept
    const fresh = await newStore(prefix);
    expect(fresh.getLimit('a')?.limit).toBe(20);
    expect(fresh.getClientOverride('a')).toEqual({ multiplier: 0.5 });
    expect(fresh.getManualThrottle()).toEqual({ multiplier: 0.8, reason: 'ok' });
    // never valid: absent; the controller's key (leased) is never taken from history
    expect(fresh.getDefaults()).toBeUndefined();
    expect(fresh.getControllerThrottle()).toBeUndefined();
    expect(fresh.size()).toBe(2);
    expect(fresh.stats().invalidEntries).toEqual({
      limit: 0,
      defaults: 1,
      'controller-throttle': 1,
      'manual-throttle': 1,
      'client-override': 1,
      instance: 0,
      key: 1,
    });

    // once etcd's history is compacted away there is no valid version to go back to
    const status = JSON.parse(await ctl('get', keys.limit('a'), '-w', 'json')) as {
      header: { revision: number };
    };
    await ctl('compact', String(status.header.revision));
    const late = await newStore(prefix);
    expect(late.getLimit('a')?.limit).toBe(20);
    expect(late.getClientOverride('a')).toBeUndefined();
    expect(late.getManualThrottle()).toBeUndefined();
  });

  it('a timed manual override ends by itself on the wall clock, and announces it', async () => {
    const prefix = newPrefix();
    const store = await newStore(prefix);
    const changes: string[] = [];
    store.onChange((change) => changes.push(change.kind));
    const until = new Date(Date.now() + 1_500).toISOString();
    await store.setManualThrottle({ multiplier: 0.25, reason: 'short drill', until });
    expect(store.getManualThrottle()).toEqual({ multiplier: 0.25, reason: 'short drill', until });
    await eventually(() => expect(store.getManualThrottle()).toBeUndefined(), 10_000, 50);
    await eventually(() => expect(changes).toEqual(['throttle', 'throttle']));
    // the key is still in etcd; only its time is up
    expect(await ctl('get', '--print-value-only', new EtcdKeys(prefix).manualThrottle)).toContain(
      'short drill',
    );
  });

  it('the controller key vanishes when its lease is not kept alive, and instances fall back to multiplier 1', async () => {
    const prefix = newPrefix();
    const keys = new EtcdKeys(prefix);
    const clock = systemClock;
    const writer = await newStore(prefix);
    const limiters = [writer, await newStore(prefix)].map(
      (config) =>
        new RateLimiter({ config, counters: new MemoryCounterStore({ clock, sweepIntervalMs: 0 }), clock }),
    );
    await writer.setLimit('c', { limit: 100, window: 1, algorithm: 'fixed-window' });
    await writer.putControllerThrottle(
      { multiplier: 0.62, reason: 'cpu 0.91>0.75', at: new Date().toISOString() },
      2,
    );
    expect(await ctl('get', keys.controllerThrottle, '--write-out', 'json')).toMatch(/"lease":\d+/);
    await eventually(async () => {
      for (const limiter of limiters) {
        expect(await limiter.peek('c')).toMatchObject({
          limit: 62,
          multiplier: 0.62,
          multiplierSource: 'controller',
        });
      }
    });
    await eventually(
      async () => {
        for (const limiter of limiters) {
          expect(await limiter.peek('c')).toMatchObject({
            limit: 100,
            multiplier: 1,
            multiplierSource: 'none',
          });
        }
      },
      15_000,
      100,
    );
    expect(await ctl('get', keys.controllerThrottle)).toBe('');
  });
});
