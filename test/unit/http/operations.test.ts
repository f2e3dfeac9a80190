import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../../src/errors.js';
import type { CounterStore } from '../../../src/store/counter-store.js';
import { createTestApp, type TestApp } from './test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.app.close();
});

/** A counter store that fails every call the way a broken dependency would (pure fake: no I/O). */
function failingStore(error: Error): CounterStore {
  return {
    consume: () => Promise.reject(error),
    peek: () => Promise.reject(error),
    reset: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

const SECRET_DETAIL = 'redis at 10.9.8.7:6379 said NOAUTH password=hunter2';

describe('health', () => {
  it('GET /healthz is 200', async () => {
    t = createTestApp();
    const r = await t.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(t.json(r)).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 when ready and 503 with the checks when not', async () => {
    let ready = true;
    t = createTestApp({
      readiness: () =>
        Promise.resolve(
          ready
            ? { status: 'ready', checks: { counters: 'ok' } }
            : { status: 'not-ready', checks: { counters: 'connection refused' } },
        ),
    });
    const up = await t.inject({ method: 'GET', url: '/readyz' });
    expect(up.statusCode).toBe(200);
    expect(t.json(up)).toEqual({ status: 'ready', checks: { counters: 'ok' } });
    ready = false;
    const down = await t.inject({ method: 'GET', url: '/readyz' });
    expect(down.statusCode).toBe(503);
    expect(t.json(down)).toEqual({ status: 'not-ready', checks: { counters: 'connection refused' } });
  });
});

describe('shutting down', () => {
  it('every response says Connection: close once draining, and not before', async () => {
    let draining = false;
    t = createTestApp({ draining: () => draining });
    const before = await t.inject({ method: 'GET', url: '/healthz' });
    expect(before.headers.connection).not.toBe('close');
    draining = true;
    const during = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'nobody' } });
    expect(during.statusCode).toBe(200);
    expect(during.headers.connection).toBe('close');
    const problem = await t.inject({ method: 'GET', url: '/nowhere' });
    expect(problem.statusCode).toBe(404);
    expect(problem.headers.connection).toBe('close');
  });
});

describe('GET /metrics', () => {
  it('exposes decision and error counters with exact counts, and no client ids', async () => {
    t = createTestApp();
    await t.limiter.setRateLimit('secret-client-id', 2, 60, 'fixed-window');
    for (let i = 0; i < 3; i++) {
      await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'secret-client-id' } });
    }
    await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'secret-client-id', cost: 3 } });
    await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'no-limit-client' } });
    await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'secret-client-id', cost: 0 } });
    await t.inject({
      method: 'POST',
      url: '/v1/allow/batch',
      payload: { requests: [{ clientId: 'secret-client-id' }, { clientId: '' }] },
    });
    await t.inject({ method: 'GET', url: '/no/such/route' });
    // a peek is not a decision
    await t.inject({ method: 'GET', url: '/v1/clients/secret-client-id/usage' });

    const r = await t.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = r.body.split('\n');
    expect(lines).toContain('ratelimiter_decisions_total{result="allowed",reason="ok"} 2');
    expect(lines).toContain('ratelimiter_decisions_total{result="denied",reason="limit_exceeded"} 2');
    expect(lines).toContain('ratelimiter_decisions_total{result="denied",reason="cost_exceeds_limit"} 1');
    expect(lines).toContain('ratelimiter_decisions_total{result="denied",reason="no_limit"} 1');
    expect(lines).toContain('ratelimiter_allow_duration_seconds_count 6');
    expect(lines).toContain('ratelimiter_errors_total{code="VALIDATION_FAILED"} 2');
    expect(lines).toContain('ratelimiter_errors_total{code="NOT_FOUND"} 1');
    expect(lines).toContain('ratelimiter_errors_total{code="INTERNAL"} 0');
    expect(r.body).not.toContain('secret-client-id');
    expect(r.body).not.toContain('no-limit-client');
  });
});

describe('GET /docs', () => {
  it('/docs/json is an OpenAPI document listing every route and method', async () => {
    t = createTestApp();
    const r = await t.inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = t.json(r) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'POST /v1/allow',
        'POST /v1/allow/batch',
        'GET /v1/clients/{id}/usage',
        'PUT /v1/limits/{id}',
        'GET /v1/limits/{id}',
        'DELETE /v1/limits/{id}',
        'GET /v1/throttle',
        'PUT /v1/throttle',
        'DELETE /v1/throttle',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
      ].sort(),
    );
    const put = doc.paths['/v1/limits/{id}']?.put as { security?: unknown; requestBody?: unknown };
    expect(put.security).toEqual([{ bearerAuth: [] }]);
    expect(JSON.stringify(put.requestBody)).toContain('"window"');
  });

  it('/docs serves the Swagger UI', async () => {
    t = createTestApp();
    const r = await t.inject({ method: 'GET', url: '/docs/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.body).toContain('swagger');
  });
});

describe('errors are RFC 9457 problems', () => {
  it('unknown route -> 404 problem', async () => {
    t = createTestApp();
    const r = await t.inject({ method: 'GET', url: '/v2/allow?x=1' });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(t.json(r)).toEqual({
      type: 'urn:ratelimiter:problem:not-found',
      title: 'Not found',
      status: 404,
      detail: 'no route for GET /v2/allow',
      code: 'NOT_FOUND',
    });
  });

  it('wrong method -> 404 problem', async () => {
    t = createTestApp();
    const r = await t.inject({ method: 'GET', url: '/v1/allow' });
    expect(r.statusCode).toBe(404);
    expect(t.json(r)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a non-JSON body -> 415 problem', async () => {
    t = createTestApp();
    const r = await t.inject({
      method: 'POST',
      url: '/v1/allow',
      payload: 'clientId=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.statusCode).toBe(415);
    expect(t.json(r)).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    const text = await t.inject({
      method: 'POST',
      url: '/v1/allow',
      payload: '{"clientId":"a"}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(415);
  });

  it('a body over the limit -> 413 problem', async () => {
    t = createTestApp();
    const r = await t.inject({
      method: 'POST',
      url: '/v1/allow/batch',
      payload: JSON.stringify({ requests: [{ clientId: 'x'.repeat(5 * 1024 * 1024) }] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(r.statusCode).toBe(413);
    expect(t.json(r)).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('an unexpected failure -> 500 INTERNAL with nothing of the cause in the body', async () => {
    t = createTestApp({ counters: failingStore(new Error(SECRET_DETAIL)), logLevel: 'debug' });
    await t.limiter.setRateLimit('c', 1, 1);
    const r = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'c' } });
    expect(r.statusCode).toBe(500);
    expect(t.json(r)).toEqual({
      type: 'urn:ratelimiter:problem:internal',
      title: 'Internal error',
      status: 500,
      detail: 'Internal error',
      code: 'INTERNAL',
    });
    expect(r.body).not.toContain('10.9.8.7');
    // the cause goes to the log instead
    expect(t.logs.join('')).toContain(SECRET_DETAIL);
  });

  it('a store outage -> 503 STORE_UNAVAILABLE with Retry-After and a generic detail', async () => {
    t = createTestApp({ counters: failingStore(new StoreUnavailableError(SECRET_DETAIL)) });
    await t.limiter.setRateLimit('c', 1, 1);
    const r = await t.inject({ method: 'POST', url: '/v1/allow', payload: { clientId: 'c' } });
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(t.json(r)).toEqual({
      type: 'urn:ratelimiter:problem:store-unavailable',
      title: 'Counter store unavailable',
      status: 503,
      detail: 'Counter store unavailable',
      code: 'STORE_UNAVAILABLE',
    });
  });

  it('in a batch, failures are per item and never leak either', async () => {
    t = createTestApp({ counters: failingStore(new StoreUnavailableError(SECRET_DETAIL)) });
    await t.limiter.setRateLimit('c', 1, 1);
    const r = await t.inject({
      method: 'POST',
      url: '/v1/allow/batch',
      payload: { requests: [{ clientId: 'c' }, { clientId: 'unlimited' }] },
    });
    expect(r.statusCode).toBe(200);
    expect(t.json(r)).toEqual({
      results: [
        { error: { code: 'STORE_UNAVAILABLE', detail: 'Counter store unavailable' } },
        expect.objectContaining({ allowed: false, reason: 'no_limit' }),
      ],
    });
    expect(r.body).not.toContain('10.9.8.7');
  });
});
