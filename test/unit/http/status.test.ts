import { afterEach, describe, expect, it } from 'vitest';
import type { EtcdMirrorStats } from '../../../src/store/etcd/etcd-config-store.js';
import type { InstanceHeartbeat, InstanceRegistry } from '../../../src/store/instance-registry.js';
import { MemoryInstanceRegistry } from '../../../src/store/memory/memory-instance-registry.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from './test-app.js';

const HEARTBEAT: InstanceHeartbeat = {
  cpu: 0.25,
  allowP99Ms: 1.5,
  rps: 40,
  storeErrorRate: 0.01,
  startedAt: '2030-01-01T00:00:00.000Z',
  at: '2030-01-01T00:00:05.000Z',
  version: '0.1.0',
};

const apps: TestApp[] = [];
const registries: InstanceRegistry[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((t) => t.app.close()));
  await Promise.all(registries.splice(0).map((r) => r.close()));
});

async function embeddedRegistry(): Promise<InstanceRegistry> {
  const registry = await MemoryInstanceRegistry.start({
    instanceId: 'host-1',
    sample: () => Promise.resolve(HEARTBEAT),
    intervalMs: 60_000,
    onError: (err) => {
      throw err;
    },
  });
  registries.push(registry);
  return registry;
}

/** Three instances as an etcd-backed registry reports them: one has no readable heartbeat. */
const THREE: InstanceRegistry = {
  instanceId: 'b',
  liveInstances: () => 3,
  instances: () => [
    { id: 'b', self: true, heartbeat: HEARTBEAT },
    { id: 'a', self: false, heartbeat: { ...HEARTBEAT, cpu: 0.9, allowP99Ms: null } },
    { id: 'c', self: false, heartbeat: undefined },
  ],
  close: () => Promise.resolve(),
};

const ETCD_STATS: EtcdMirrorStats = {
  revision: 1234,
  limits: 7,
  clientOverrides: 2,
  instances: 3,
  relists: 1,
  invalidEntries: {
    limit: 1,
    defaults: 0,
    'controller-throttle': 0,
    'manual-throttle': 0,
    'client-override': 0,
    instance: 0,
    key: 2,
  },
};

const SELF_VIEW = {
  id: 'host-1',
  self: true,
  cpu: 0.25,
  allowP99Ms: 1.5,
  rps: 40,
  storeErrorRate: 0.01,
  startedAt: '2030-01-01T00:00:00.000Z',
  at: '2030-01-01T00:00:05.000Z',
  version: '0.1.0',
};

describe('GET /v1/status', () => {
  it('embedded: one instance with its own stats, no etcd, the throttle in force', async () => {
    const t = createTestApp({
      status: { registry: await embeddedRegistry(), counters: 'memory', etcdStats: undefined },
    });
    apps.push(t);
    await t.limiter.setThrottle(0.5, 'drill');
    const r = await t.inject({ method: 'GET', url: '/v1/status' });
    expect(r.statusCode).toBe(200);
    expect(t.json(r)).toEqual({
      instanceId: 'host-1',
      liveInstances: 1,
      instances: [SELF_VIEW],
      throttle: {
        multiplier: 0.5,
        source: 'manual',
        manual: { multiplier: 0.5, reason: 'drill' },
        controller: null,
      },
      etcd: null,
      counters: 'memory',
    });
  });

  it('with etcd: every instance (null stats for an unreadable heartbeat) and the mirror', async () => {
    const t = createTestApp({
      status: { registry: THREE, counters: 'redis', etcdStats: () => ETCD_STATS },
    });
    apps.push(t);
    const r = await t.inject({ method: 'GET', url: '/v1/status' });
    expect(r.statusCode).toBe(200);
    expect(t.json(r)).toEqual({
      instanceId: 'b',
      liveInstances: 3,
      instances: [
        { ...SELF_VIEW, id: 'b' },
        { ...SELF_VIEW, id: 'a', self: false, cpu: 0.9, allowP99Ms: null },
        {
          id: 'c',
          self: false,
          cpu: null,
          allowP99Ms: null,
          rps: null,
          storeErrorRate: null,
          startedAt: null,
          at: null,
          version: null,
        },
      ],
      throttle: { multiplier: 1, source: 'none', manual: null, controller: null },
      etcd: {
        revision: 1234,
        mirrorSize: 7,
        clientOverrides: 2,
        relists: 1,
        invalidEntries: ETCD_STATS.invalidEntries,
      },
      counters: 'redis',
    });
  });

  it('is an admin route: 401 problem+json without the token, 200 with it', async () => {
    const t = createTestApp({
      adminToken: ADMIN_TOKEN,
      status: { registry: THREE, counters: 'redis', etcdStats: () => ETCD_STATS },
    });
    apps.push(t);
    const denied = await t.inject({ method: 'GET', url: '/v1/status' });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(t.json(denied)).toMatchObject({ code: 'UNAUTHORIZED' });
    const allowed = await t.inject({
      method: 'GET',
      url: '/v1/status',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(allowed.statusCode).toBe(200);
  });

  it('is in the OpenAPI document, with its response schema', async () => {
    const t = createTestApp({
      status: { registry: THREE, counters: 'memory', etcdStats: undefined },
    });
    apps.push(t);
    await t.app.ready();
    const spec = t.app.swagger() as unknown as {
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    const get = spec.paths['/v1/status']?.['get'];
    expect(get?.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '401', '403', '503']));
  });

  it('without a status source the route does not exist', async () => {
    const t = createTestApp();
    apps.push(t);
    expect((await t.inject({ method: 'GET', url: '/v1/status' })).statusCode).toBe(404);
  });
});
