import { afterEach, describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../../src/http/admin-auth.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from './test-app.js';

const ADMIN_CALLS = [
  { method: 'PUT', url: '/v1/limits/acme', payload: { limit: 5, window: 60 } },
  { method: 'DELETE', url: '/v1/limits/acme' },
  { method: 'PUT', url: '/v1/throttle', payload: { multiplier: 0.5, reason: 'test' } },
  { method: 'DELETE', url: '/v1/throttle' },
] as const;

let t: TestApp;
afterEach(async () => {
  await t.app.close();
});

/** The state admin calls would change: nothing may have changed after a refused call. */
function adminState(): unknown {
  return { limit: t.limiter.getRateLimit('acme'), throttle: t.limiter.getThrottle() };
}

async function seed(): Promise<void> {
  await t.limiter.setRateLimit('acme', 3, 10);
  await t.limiter.setThrottle(0.9, 'seeded');
}

describe('admin routes with RL_ADMIN_TOKEN set', () => {
  it.each(ADMIN_CALLS)('$method $url: no Authorization header -> 401, nothing changed', async (call) => {
    t = createTestApp({ adminToken: ADMIN_TOKEN });
    await seed();
    const before = adminState();
    const r = await t.inject(call);
    expect(r.statusCode).toBe(401);
    expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(r.headers['www-authenticate']).toBe('Bearer');
    expect(t.json(r)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(adminState()).toEqual(before);
  });

  it.each([
    ['a wrong token', `Bearer ${ADMIN_TOKEN.slice(0, -1)}x`],
    ['a shorter token', `Bearer ${ADMIN_TOKEN.slice(0, 4)}`],
    ['a longer token', `Bearer ${ADMIN_TOKEN}0`],
    ['the token without a scheme', ADMIN_TOKEN],
    ['the token under another scheme', `Basic ${ADMIN_TOKEN}`],
    ['an empty bearer', 'Bearer '],
  ])('%s -> 401, nothing changed', async (_name, authorization) => {
    t = createTestApp({ adminToken: ADMIN_TOKEN });
    await seed();
    const before = adminState();
    for (const call of ADMIN_CALLS) {
      const r = await t.inject({ ...call, headers: { authorization } });
      expect(r.statusCode, `${call.method} ${call.url}`).toBe(401);
      expect(t.json(r)).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    expect(adminState()).toEqual(before);
  });

  it('the right token is accepted (scheme is case-insensitive), also on a non-loopback listener', async () => {
    t = createTestApp({ adminToken: ADMIN_TOKEN, listenIsLoopback: false });
    const put = await t.inject({ ...ADMIN_CALLS[0], headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(put.statusCode).toBe(200);
    const del = await t.inject({ ...ADMIN_CALLS[1], headers: { authorization: `bearer ${ADMIN_TOKEN}` } });
    expect(del.statusCode).toBe(204);
  });

  it('authentication comes before validation: a bad body without a token is a 401, not a 400', async () => {
    t = createTestApp({ adminToken: ADMIN_TOKEN });
    const r = await t.inject({ method: 'PUT', url: '/v1/limits/acme', payload: { limit: 0 } });
    expect(r.statusCode).toBe(401);
  });

  it('read-only routes need no token', async () => {
    t = createTestApp({ adminToken: ADMIN_TOKEN, listenIsLoopback: false });
    for (const url of ['/v1/limits/acme', '/v1/throttle', '/v1/clients/acme/usage']) {
      expect((await t.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });

  it('the token never appears in the logs, even at trace level', async () => {
    t = createTestApp({ adminToken: ADMIN_TOKEN, logLevel: 'trace' });
    await t.inject({ ...ADMIN_CALLS[0], headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await t.inject({ ...ADMIN_CALLS[0], headers: { authorization: `Bearer wrong-${ADMIN_TOKEN}` } });
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join('')).not.toContain(ADMIN_TOKEN);
  });
});

describe('admin routes without a token', () => {
  it.each(ADMIN_CALLS)(
    '$method $url on a non-loopback listener -> 403 ADMIN_DISABLED, nothing changed',
    async (call) => {
      t = createTestApp({ listenIsLoopback: false });
      await seed();
      const before = adminState();
      for (const headers of [{}, { authorization: `Bearer ${ADMIN_TOKEN}` }]) {
        const r = await t.inject({ ...call, headers });
        expect(r.statusCode).toBe(403);
        expect(t.json(r)).toMatchObject({ status: 403, code: 'ADMIN_DISABLED' });
      }
      expect(adminState()).toEqual(before);
    },
  );

  it('on a loopback listener every admin route is allowed', async () => {
    t = createTestApp({ listenIsLoopback: true });
    await seed();
    const statuses = [];
    for (const call of ADMIN_CALLS) statuses.push((await t.inject(call)).statusCode);
    expect(statuses).toEqual([200, 204, 200, 204]);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['127.255.255.255', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['0.0.0.0', false],
    ['::', false],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['192.168.1.10', false],
    ['::ffff:10.0.0.1', false],
    ['::2', false],
    ['localhost.example.com', false],
    ['my-host', false],
  ])('%s -> %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
