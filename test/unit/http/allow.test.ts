import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, idPath, type TestApp } from './test-app.js';

let t: TestApp;
beforeEach(() => {
  t = createTestApp();
});
afterEach(async () => {
  await t.app.close();
});

const allow = (clientId: string, cost?: number) =>
  t.inject({
    method: 'POST',
    url: '/v1/allow',
    payload: cost === undefined ? { clientId } : { clientId, cost },
  });

async function setLimit(
  id: string,
  limit: number,
  window: number,
  algorithm = 'fixed-window',
): Promise<void> {
  const r = await t.inject({
    method: 'PUT',
    url: `/v1/limits/${idPath(id)}`,
    payload: { limit, window, algorithm },
  });
  expect(r.statusCode).toBe(200);
}

function decision(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    multiplier: 1,
    multiplierSource: 'none',
    degraded: false,
    algorithm: 'fixed-window',
    ...fields,
  };
}

describe('POST /v1/allow', () => {
  it('limit 3 per 10 s, fixed window: remaining 2, 1, 0, then denied with Retry-After', async () => {
    await setLimit('c1', 3, 10);
    const expected = [2, 1, 0];
    for (const remaining of expected) {
      const r = await allow('c1');
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(t.json(r)).toEqual(
        decision({
          allowed: true,
          limit: 3,
          remaining,
          resetMs: 10_000,
          retryAfterMs: 0,
          reason: 'ok',
          window: 10,
        }),
      );
      expect(r.headers['ratelimit-policy']).toBe('"default";q=3;w=10');
      expect(r.headers['ratelimit']).toBe(`"default";r=${remaining};t=10`);
      expect(r.headers['retry-after']).toBeUndefined();
    }

    t.clock.advance(2_500);
    const denied = await allow('c1');
    expect(denied.statusCode).toBe(200);
    expect(t.json(denied)).toEqual(
      decision({
        allowed: false,
        limit: 3,
        remaining: 0,
        resetMs: 7_500,
        retryAfterMs: 7_500,
        reason: 'limit_exceeded',
        window: 10,
      }),
    );
    expect(denied.headers['ratelimit']).toBe('"default";r=0;t=8');
    expect(denied.headers['retry-after']).toBe('8');

    // the next window admits again
    t.clock.advance(7_500);
    expect(t.json(await allow('c1'))).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('cost defaults to 1 and a larger cost spends that many units', async () => {
    await setLimit('c2', 10, 60);
    expect(t.json(await allow('c2', 4))).toMatchObject({ allowed: true, remaining: 6 });
    expect(t.json(await allow('c2'))).toMatchObject({ allowed: true, remaining: 5 });
    const r = await allow('c2', 6);
    expect(t.json(r)).toMatchObject({ allowed: false, remaining: 5, reason: 'limit_exceeded' });
    expect(t.json(await allow('c2', 5))).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('a cost above the whole limit is denied as cost_exceeds_limit, without Retry-After, consuming nothing', async () => {
    await setLimit('c3', 3, 10);
    const r = await allow('c3', 4);
    expect(t.json(r)).toEqual(
      decision({
        allowed: false,
        limit: 3,
        remaining: 3,
        resetMs: 0,
        retryAfterMs: 0,
        reason: 'cost_exceeds_limit',
        window: 10,
      }),
    );
    expect(r.headers['retry-after']).toBeUndefined();
    expect(t.json(await allow('c3', 3))).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('a client with no limit and no default is denied as no_limit, with no rate-limit headers', async () => {
    const r = await allow('stranger');
    expect(r.statusCode).toBe(200);
    expect(t.json(r)).toEqual({
      allowed: false,
      limit: 0,
      remaining: 0,
      resetMs: 0,
      retryAfterMs: 0,
      reason: 'no_limit',
      multiplier: 1,
      multiplierSource: 'none',
      degraded: false,
      algorithm: null,
      window: 0,
    });
    expect(r.headers['ratelimit-policy']).toBeUndefined();
    expect(r.headers['ratelimit']).toBeUndefined();
    expect(r.headers['retry-after']).toBeUndefined();
  });

  it('a default limit applies to clients with none', async () => {
    await t.config.setDefaults({ limit: 2, window: 5, algorithm: 'fixed-window' });
    expect(t.json(await allow('anyone'))).toMatchObject({ allowed: true, limit: 2, remaining: 1, window: 5 });
  });

  it('clamps header integers to the Structured Field range for huge limits; JSON keeps exact values', async () => {
    await setLimit('big', Number.MAX_SAFE_INTEGER, 60);
    const r = await allow('big');
    expect(t.json(r)).toMatchObject({
      limit: Number.MAX_SAFE_INTEGER,
      remaining: Number.MAX_SAFE_INTEGER - 1,
    });
    expect(r.headers['ratelimit-policy']).toBe('"default";q=999999999999999;w=60');
    expect(r.headers['ratelimit']).toBe('"default";r=999999999999999;t=60');
  });
});

describe('POST /v1/allow/batch', () => {
  it('answers each item in order; an invalid item gets its own error and the others proceed', async () => {
    await setLimit('b', 3, 10);
    const r = await t.inject({
      method: 'POST',
      url: '/v1/allow/batch',
      payload: {
        requests: [
          { clientId: 'b' },
          { clientId: 'b', cost: '7' },
          { clientId: 'b', cost: 2 },
          'not an object',
          { clientId: '' },
          { clientId: 'b', extra: true },
          { clientId: 'a\u0007b' },
          { clientId: 'b' },
          { clientId: 'nobody' },
        ],
      },
    });
    expect(r.statusCode).toBe(200);
    const { results } = t.json(r) as { results: Record<string, unknown>[] };
    expect(results).toHaveLength(9);
    expect(results[0]).toMatchObject({ allowed: true, remaining: 2 });
    expect(results[1]).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        detail: '/cost: Expected integer',
        errors: [{ field: '/requests/1/cost', message: 'Expected integer' }],
      },
    });
    expect(results[2]).toMatchObject({ allowed: true, remaining: 0 });
    expect(results[3]).toMatchObject({
      error: { code: 'VALIDATION_FAILED', errors: [{ field: '/requests/3/' }] },
    });
    expect(results[4]).toMatchObject({
      error: { code: 'VALIDATION_FAILED', errors: [{ field: '/requests/4/clientId' }] },
    });
    expect(results[5]).toMatchObject({
      error: { code: 'VALIDATION_FAILED', errors: [{ field: '/requests/5/extra' }] },
    });
    expect(results[6]).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        detail: '/clientId: must not contain control characters',
        errors: [{ field: '/requests/6/clientId', message: 'must not contain control characters' }],
      },
    });
    expect(results[7]).toMatchObject({ allowed: false, reason: 'limit_exceeded', retryAfterMs: 10_000 });
    expect(results[8]).toMatchObject({ allowed: false, reason: 'no_limit' });
  });

  it('repeated items for one client consume in order', async () => {
    await setLimit('r', 3, 10);
    const r = await t.inject({
      method: 'POST',
      url: '/v1/allow/batch',
      payload: { requests: Array.from({ length: 5 }, () => ({ clientId: 'r' })) },
    });
    const { results } = t.json(r) as { results: { allowed: boolean; remaining: number }[] };
    expect(results.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0],
    ]);
  });

  it('takes up to 1000 items and refuses 1001 as a whole, consuming nothing', async () => {
    await setLimit('m', 5000, 60);
    const ok = await t.inject({
      method: 'POST',
      url: '/v1/allow/batch',
      payload: { requests: Array.from({ length: 1000 }, () => ({ clientId: 'm' })) },
    });
    expect(ok.statusCode).toBe(200);
    expect((t.json(ok) as { results: unknown[] }).results).toHaveLength(1000);

    const tooMany = await t.inject({
      method: 'POST',
      url: '/v1/allow/batch',
      payload: { requests: Array.from({ length: 1001 }, () => ({ clientId: 'm' })) },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(t.json(tooMany)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: '/requests' }] });
    expect(t.json(await allow('m'))).toMatchObject({ allowed: true, remaining: 3999 });
  });

  it('an empty batch is an empty answer; a missing or non-array requests is a 400', async () => {
    const empty = await t.inject({ method: 'POST', url: '/v1/allow/batch', payload: { requests: [] } });
    expect(t.json(empty)).toEqual({ results: [] });
    for (const payload of [{}, { requests: {} }, { requests: [], more: 1 }]) {
      const r = await t.inject({ method: 'POST', url: '/v1/allow/batch', payload });
      expect(r.statusCode).toBe(400);
      expect(t.json(r)).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });
});

describe('GET /v1/clients/:id/usage', () => {
  it('peeks without consuming, for any cost', async () => {
    await setLimit('p', 3, 10);
    await allow('p');
    for (let i = 0; i < 3; i++) {
      const r = await t.inject({ method: 'GET', url: '/v1/clients/p/usage' });
      expect(r.statusCode).toBe(200);
      expect(t.json(r)).toEqual(
        decision({
          allowed: true,
          limit: 3,
          remaining: 2,
          resetMs: 10_000,
          retryAfterMs: 0,
          reason: 'ok',
          window: 10,
        }),
      );
      expect(r.headers['ratelimit']).toBe('"default";r=2;t=10');
    }
    const big = await t.inject({ method: 'GET', url: '/v1/clients/p/usage?cost=3' });
    expect(t.json(big)).toMatchObject({
      allowed: false,
      remaining: 2,
      reason: 'limit_exceeded',
      retryAfterMs: 10_000,
    });
    // a peek is not a call the caller answers: no Retry-After
    expect(big.headers['retry-after']).toBeUndefined();
    expect(t.json(await allow('p', 2))).toMatchObject({ allowed: true, remaining: 0 });
  });
});
