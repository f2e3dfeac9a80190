import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, idPath, type TestApp } from './test-app.js';

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(async () => {
  await t.app.close();
});

const NFC_E = '\u00e9';
const NFD_E = 'e\u0301';

/** Ids that differ only by characters that key schemes tend to mangle. */
const IDS = [
  'ab',
  'a:b',
  'a{b}',
  '{a}b',
  'a}b',
  'a/b',
  'a//b',
  '/ab',
  'a b',
  'a%2Fb',
  'a%b',
  'a?b',
  'a#b',
  'a\\b',
  '...',
  `caf${NFC_E}`,
  `caf${NFD_E}`,
  'rl:v1:{ab}:sw',
  '🐎 ž',
];

describe('client ids', () => {
  it('ids differing only by ":", "{", "}", "/", space, escapes or normalization form never share a budget', async () => {
    expect(new Set(IDS).size).toBe(IDS.length);
    for (const [i, id] of IDS.entries()) {
      const r = await t.inject({
        method: 'PUT',
        url: `/v1/limits/${idPath(id)}`,
        payload: { limit: i + 1, window: 60 },
      });
      expect(r.statusCode, id).toBe(200);
    }
    // each id reads back its own limit through the path...
    for (const [i, id] of IDS.entries()) {
      const r = await t.inject({ method: 'GET', url: `/v1/limits/${idPath(id)}` });
      expect(t.json(r), id).toMatchObject({ limit: i + 1, window: 60, source: 'client' });
    }
    // ...and spends only its own budget: every id can spend all of its limit exactly once
    for (const [i, id] of IDS.entries()) {
      const r = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: id, cost: i + 1 } });
      expect(t.json(r), id).toMatchObject({ allowed: true, limit: i + 1, remaining: 0 });
    }
    for (const id of IDS) {
      const r = await t.inject({ method: 'GET', url: `/v1/clients/${idPath(id)}/usage` });
      expect(t.json(r), id).toMatchObject({ allowed: false, remaining: 0, reason: 'limit_exceeded' });
    }
    expect(t.config.size()).toBe(IDS.length);
  });

  it('an encoded "/" (%2F) in a path id is part of the id, on every route that takes one', async () => {
    const put = await t.inject({
      method: 'PUT',
      url: '/v1/limits/tenant%2Fuser%2F42',
      payload: { limit: 2, window: 60 },
    });
    expect(put.statusCode).toBe(200);
    expect(t.limiter.getRateLimit('tenant/user/42')).toMatchObject({ limit: 2, window: 60 });

    await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'tenant/user/42' } });
    const usage = await t.inject({ method: 'GET', url: '/v1/clients/tenant%2Fuser%2F42/usage' });
    expect(t.json(usage)).toMatchObject({ allowed: true, limit: 2, remaining: 1 });

    const del = await t.inject({ method: 'DELETE', url: '/v1/limits/tenant%2Fuser%2F42' });
    expect(del.statusCode).toBe(204);
    expect(t.limiter.getRateLimit('tenant/user/42')).toMatchObject({ limit: 0, window: 0 });
  });

  it('an unencoded "/" makes a different path, which is no route', async () => {
    const r = await t.inject({ method: 'GET', url: '/v1/clients/tenant/user/usage' });
    expect(r.statusCode).toBe(404);
    expect(t.json(r)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('"." and ".." are dot segments every URL parser removes, so they can only be used in bodies', async () => {
    await t.limiter.setRateLimit('..', 1, 60);
    const body = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: '..' } });
    expect(t.json(body)).toMatchObject({ allowed: true, limit: 1 });
    const path = await t.inject({ method: 'GET', url: '/v1/clients/%2E%2E/usage' });
    expect(path.statusCode).toBe(404);
  });

  it('ids are not normalized: NFC and NFD "é" are different clients', async () => {
    await t.limiter.setRateLimit(`caf${NFC_E}`, 1, 60);
    const r = await t.inject({ method: 'GET', url: `/v1/limits/${idPath(`caf${NFD_E}`)}` });
    expect(t.json(r)).toMatchObject({ limit: 0, window: 0, source: null });
  });
});
