import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, idPath, type TestApp } from './test-app.js';

let t: TestApp;
beforeEach(async () => {
  t = createTestApp();
  await t.limiter.setRateLimit('victim', 3, 10, 'fixed-window');
});
afterEach(async () => {
  await t.app.close();
});

const ID_513_BYTES = 'é'.repeat(256) + 'x'; // 2 x 256 + 1 bytes
const ID_512_BYTES = 'é'.repeat(256);

async function expectValidationProblem(
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
  field: string,
): Promise<void> {
  expect(response.statusCode).toBe(400);
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(body).toMatchObject({
    type: 'urn:ratelimiter:problem:validation-failed',
    title: 'Invalid request',
    status: 400,
    code: 'VALIDATION_FAILED',
  });
  expect(typeof body.detail).toBe('string');
  expect((body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
  await Promise.resolve();
}

async function victimRemaining(): Promise<number> {
  const r = await t.inject({ method: 'GET', url: '/v1/clients/victim/usage' });
  return (t.json(r) as { remaining: number }).remaining;
}

describe('POST /v1/allow rejects bad input with 400 VALIDATION_FAILED and changes nothing', () => {
  it.each([
    ['empty id', { clientId: '' }, '/clientId'],
    ['513-byte id', { clientId: ID_513_BYTES }, '/clientId'],
    ['id with a control character', { clientId: 'vic\u0000tim' }, '/clientId'],
    ['id with DEL', { clientId: 'victim\u007f' }, '/clientId'],
    ['id with a lone surrogate', { clientId: 'victim\ud800' }, '/clientId'],
    ['id of the wrong type', { clientId: 42 }, '/clientId'],
    ['missing id', { cost: 1 }, '/clientId'],
  ])('%s', async (_name, payload, field) => {
    await expectValidationProblem(await t.inject({ method: 'POST', url: '/v1/allow', payload }), field);
    expect(t.counters.size).toBe(0);
    expect(await victimRemaining()).toBe(3);
  });

  it.each([
    ['cost 0', 0],
    ['cost -1', -1],
    ['cost 1.5', 1.5],
    ['cost 2^53', 2 ** 53],
    ['cost "7" (a string is not coerced)', '7'],
    ['cost true', true],
    ['cost null', null],
  ])('%s', async (_name, cost) => {
    const r = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'victim', cost } });
    await expectValidationProblem(r, '/cost');
    expect(await victimRemaining()).toBe(3);
    expect(t.counters.size).toBe(0);
  });

  it('an unknown body property is a 400, not silently dropped', async () => {
    const r = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'victim', cots: 2 } });
    await expectValidationProblem(r, '/cots');
    expect(await victimRemaining()).toBe(3);
  });

  it('reports every problem at once', async () => {
    const r = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 7, cost: '7', x: 1 } });
    expect(r.statusCode).toBe(400);
    const fields = (t.json(r) as { errors: { field: string }[] }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(['/clientId', '/cost', '/x']);
  });

  it('a cost of 2^53-1 and a 512-byte id are accepted', async () => {
    const r = await t.inject({
      method: 'POST',
      url: '/v1/allow',
      payload: { clientId: ID_512_BYTES, cost: Number.MAX_SAFE_INTEGER },
    });
    expect(r.statusCode).toBe(200);
    expect(t.json(r)).toMatchObject({ reason: 'no_limit' });
  });

  it.each([
    ['invalid JSON', '{"clientId": ', 'application/json'],
    ['an array', '[]', 'application/json'],
    ['a JSON string', '"victim"', 'application/json'],
    ['no body', undefined, undefined],
  ])('a body that is %s', async (_name, payload, contentType) => {
    const r = await t.inject({
      method: 'POST',
      url: '/v1/allow',
      ...(payload === undefined ? {} : { payload }),
      ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
    });
    await expectValidationProblem(r, '/');
    expect(await victimRemaining()).toBe(3);
  });
});

describe('GET /v1/clients/:id/usage validates the path id and the cost query', () => {
  it.each([
    ['513-byte id', idPath(ID_513_BYTES)],
    ['id with a control character', idPath('a\u0001b')],
    ['id with an escaped NUL', 'a%00b'],
    ['empty id', ''],
  ])('%s', async (_name, path) => {
    await expectValidationProblem(
      await t.inject({ method: 'GET', url: `/v1/clients/${path}/usage` }),
      'path/id',
    );
  });

  it.each(['0', '-1', '1.5', '9007199254740992', 'abc', '7x', ''])('cost=%s', async (cost) => {
    const r = await t.inject({ method: 'GET', url: `/v1/clients/victim/usage?cost=${cost}` });
    await expectValidationProblem(r, 'query/cost');
  });

  it('an unknown query parameter is a 400', async () => {
    await expectValidationProblem(
      await t.inject({ method: 'GET', url: '/v1/clients/victim/usage?cots=1' }),
      'query/cots',
    );
  });

  it('malformed percent-encoding in the path is a 400 problem', async () => {
    const r = await t.inject({ method: 'GET', url: '/v1/clients/%E9/usage' });
    await expectValidationProblem(r, 'path');
  });
});

describe('PUT /v1/limits/:id rejects bad limits with 400 and keeps the old limit', () => {
  const stored = { limit: 3, window: 10, algorithm: 'fixed-window' };

  async function storedLimit(): Promise<unknown> {
    const r = await t.inject({ method: 'GET', url: '/v1/limits/victim' });
    const { limit, window, algorithm } = t.json(r) as Record<string, unknown>;
    return { limit, window, algorithm };
  }

  it.each([
    ['limit 0', { limit: 0, window: 10 }, '/limit'],
    ['limit -1', { limit: -1, window: 10 }, '/limit'],
    ['limit 1.5', { limit: 1.5, window: 10 }, '/limit'],
    ['limit 2^53', { limit: 2 ** 53, window: 10 }, '/limit'],
    ['limit "5"', { limit: '5', window: 10 }, '/limit'],
    ['window 0', { limit: 5, window: 0 }, '/window'],
    ['window 31536001', { limit: 5, window: 31_536_001 }, '/window'],
    ['window 1.5', { limit: 5, window: 1.5 }, '/window'],
    ['missing window', { limit: 5 }, '/window'],
    ['unknown algorithm', { limit: 5, window: 10, algorithm: 'magic' }, '/algorithm'],
    ['unknown property', { limit: 5, window: 10, burst: 2 }, '/burst'],
  ])('%s', async (_name, payload, field) => {
    await expectValidationProblem(
      await t.inject({ method: 'PUT', url: '/v1/limits/victim', payload }),
      field,
    );
    expect(await storedLimit()).toEqual(stored);
  });

  it('an unknown algorithm is answered with the five names', async () => {
    const r = await t.inject({
      method: 'PUT',
      url: '/v1/limits/victim',
      payload: { limit: 5, window: 10, algorithm: 'magic' },
    });
    expect(r.statusCode).toBe(400);
    expect((t.json(r) as { errors: unknown }).errors).toEqual([
      {
        field: '/algorithm',
        message: 'must be one of fixed-window, sliding-window, sliding-log, token-bucket, leaky-bucket',
      },
    ]);
    expect(await storedLimit()).toEqual(stored);
  });

  it.each([
    ['513-byte id', idPath(ID_513_BYTES)],
    ['id with a control character', idPath('victim\n')],
  ])('%s in the path', async (_name, path) => {
    const r = await t.inject({ method: 'PUT', url: `/v1/limits/${path}`, payload: { limit: 5, window: 10 } });
    await expectValidationProblem(r, 'path/id');
    expect(t.config.size()).toBe(1);
  });

  it('an empty id in the path', async () => {
    const r = await t.inject({ method: 'PUT', url: '/v1/limits/', payload: { limit: 5, window: 10 } });
    await expectValidationProblem(r, 'path/id');
    expect(t.config.size()).toBe(1);
  });

  it('the extremes are accepted', async () => {
    const r = await t.inject({
      method: 'PUT',
      url: '/v1/limits/victim',
      payload: { limit: Number.MAX_SAFE_INTEGER, window: 31_536_000 },
    });
    expect(r.statusCode).toBe(200);
    expect(t.json(r)).toEqual({
      limit: Number.MAX_SAFE_INTEGER,
      window: 31_536_000,
      algorithm: 'sliding-window',
    });
  });
});
