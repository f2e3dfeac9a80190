import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, T0, type TestApp } from './test-app.js';

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(async () => {
  await t.app.close();
});

const NO_LIMIT = {
  limit: 0,
  window: 0,
  algorithm: null,
  effectiveLimit: 0,
  multiplier: 1,
  multiplierSource: 'none',
  source: null,
};

describe('/v1/limits/:id', () => {
  it('GET of a client with no limit is 200 {limit: 0, window: 0}', async () => {
    const r = await t.inject({ method: 'GET', url: '/v1/limits/nobody' });
    expect(r.statusCode).toBe(200);
    expect(t.json(r)).toEqual(NO_LIMIT);
  });

  it('PUT stores and returns the spec (algorithm defaulted); GET reports it with the multiplier in force', async () => {
    const put = await t.inject({
      method: 'PUT',
      url: '/v1/limits/acme',
      payload: { limit: 100, window: 60 },
    });
    expect(put.statusCode).toBe(200);
    expect(t.json(put)).toEqual({ limit: 100, window: 60, algorithm: 'sliding-window' });

    const get = await t.inject({ method: 'GET', url: '/v1/limits/acme' });
    expect(t.json(get)).toEqual({
      limit: 100,
      window: 60,
      algorithm: 'sliding-window',
      effectiveLimit: 100,
      multiplier: 1,
      multiplierSource: 'none',
      source: 'client',
    });
  });

  it('PUT replaces a limit and keeps what was already used', async () => {
    await t.inject({
      method: 'PUT',
      url: '/v1/limits/k',
      payload: { limit: 5, window: 60, algorithm: 'fixed-window' },
    });
    for (let i = 0; i < 4; i++)
      await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'k' } });
    await t.inject({
      method: 'PUT',
      url: '/v1/limits/k',
      payload: { limit: 6, window: 60, algorithm: 'fixed-window' },
    });
    const r = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'k' } });
    expect(t.json(r)).toMatchObject({ allowed: true, limit: 6, remaining: 1 });
  });

  it('DELETE removes the limit (204), then 404 problem when there is none', async () => {
    await t.inject({ method: 'PUT', url: '/v1/limits/gone', payload: { limit: 5, window: 60 } });
    const del = await t.inject({ method: 'DELETE', url: '/v1/limits/gone' });
    expect(del.statusCode).toBe(204);
    expect(del.body).toBe('');
    expect(t.json(await t.inject({ method: 'GET', url: '/v1/limits/gone' }))).toEqual(NO_LIMIT);

    const again = await t.inject({ method: 'DELETE', url: '/v1/limits/gone' });
    expect(again.statusCode).toBe(404);
    expect(again.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(t.json(again)).toEqual({
      type: 'urn:ratelimiter:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: 'this client has no limit of its own',
      code: 'NOT_FOUND',
    });
  });
});

describe('/v1/throttle', () => {
  it('GET with nothing in force', async () => {
    const r = await t.inject({ method: 'GET', url: '/v1/throttle' });
    expect(t.json(r)).toEqual({ multiplier: 1, source: 'none', manual: null, controller: null });
  });

  it('PUT sets a manual multiplier that applies to every limit; DELETE lifts it; a second DELETE is 404', async () => {
    await t.limiter.setRateLimit('c', 10, 60, 'fixed-window');
    t.config.setControllerThrottle({ multiplier: 0.8, reason: 'cpu', at: '2023-11-14T22:13:00.000Z' });

    const put = await t.inject({
      method: 'PUT',
      url: '/v1/throttle',
      payload: { multiplier: 0.25, reason: 'incident 42' },
    });
    expect(put.statusCode).toBe(200);
    expect(t.json(put)).toEqual({ multiplier: 0.25, reason: 'incident 42' });

    expect(t.json(await t.inject({ method: 'GET', url: '/v1/throttle' }))).toEqual({
      multiplier: 0.25,
      source: 'manual',
      manual: { multiplier: 0.25, reason: 'incident 42' },
      controller: { multiplier: 0.8, reason: 'cpu', at: '2023-11-14T22:13:00.000Z' },
    });
    expect(t.json(await t.inject({ method: 'GET', url: '/v1/limits/c' }))).toMatchObject({
      limit: 10,
      effectiveLimit: 2,
      multiplier: 0.25,
      multiplierSource: 'manual',
    });
    const allowed = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'c' } });
    expect(t.json(allowed)).toMatchObject({ allowed: true, limit: 2, remaining: 1, multiplier: 0.25 });
    expect(allowed.headers['ratelimit-policy']).toBe('"default";q=2;w=60');

    expect((await t.inject({ method: 'DELETE', url: '/v1/throttle' })).statusCode).toBe(204);
    expect(t.json(await t.inject({ method: 'GET', url: '/v1/throttle' }))).toMatchObject({
      multiplier: 0.8,
      source: 'controller',
      manual: null,
    });
    const again = await t.inject({ method: 'DELETE', url: '/v1/throttle' });
    expect(again.statusCode).toBe(404);
    expect(t.json(again)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('ttlSeconds makes the override end by itself', async () => {
    const put = await t.inject({
      method: 'PUT',
      url: '/v1/throttle',
      payload: { multiplier: 0.5, reason: 'deploy', ttlSeconds: 60 },
    });
    expect(t.json(put)).toEqual({
      multiplier: 0.5,
      reason: 'deploy',
      until: new Date(T0 + 60_000).toISOString(),
    });
    t.clock.advance(59_999);
    expect(t.json(await t.inject({ method: 'GET', url: '/v1/throttle' }))).toMatchObject({
      source: 'manual',
    });
    t.clock.advance(1);
    expect(t.json(await t.inject({ method: 'GET', url: '/v1/throttle' }))).toMatchObject({ source: 'none' });
  });

  it.each([
    ['multiplier 0', { multiplier: 0, reason: 'x' }, '/multiplier'],
    ['multiplier 1.5', { multiplier: 1.5, reason: 'x' }, '/multiplier'],
    ['multiplier "0.5"', { multiplier: '0.5', reason: 'x' }, '/multiplier'],
    ['missing reason', { multiplier: 0.5 }, '/reason'],
    ['empty reason', { multiplier: 0.5, reason: '' }, '/reason'],
    ['ttlSeconds 0', { multiplier: 0.5, reason: 'x', ttlSeconds: 0 }, '/ttlSeconds'],
    ['ttlSeconds 1.5', { multiplier: 0.5, reason: 'x', ttlSeconds: 1.5 }, '/ttlSeconds'],
    ['unknown property', { multiplier: 0.5, reason: 'x', until: 'never' }, '/until'],
  ])('PUT rejects %s with 400 and changes nothing', async (_name, payload, field) => {
    const r = await t.inject({ method: 'PUT', url: '/v1/throttle', payload });
    expect(r.statusCode).toBe(400);
    expect(t.json(r)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field }] });
    expect(t.json(await t.inject({ method: 'GET', url: '/v1/throttle' }))).toMatchObject({ source: 'none' });
  });
});
