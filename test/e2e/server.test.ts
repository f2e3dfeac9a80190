import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { killOnExit } from '../support/cleanup-on-exit.js';
import { getFreePort } from '../support/free-port.js';

const START_TIMEOUT_MS = 30_000;

interface Service {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** resolves with the exit code (null when killed by a signal) */
  readonly exited: Promise<number | null>;
}

let running: Service | undefined;

afterEach(() => {
  if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill('SIGKILL');
  }
  running = undefined;
});

/** `npm start` without npm: node with the tsx loader on src/main.ts, with only the given environment. */
function startService(env: Record<string, string>): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  running = { child, stdout: () => out, stderr: () => err, exited };
  return running;
}

async function waitUntilUp(base: string, service: Service): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null)
      throw new Error(`service exited early:\n${service.stderr()}${service.stdout()}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`service did not answer /healthz within ${START_TIMEOUT_MS} ms:\n${service.stderr()}`);
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('the service process (npm start)', () => {
  it('serves over HTTP, and SIGTERM stops it cleanly with exit code 0', async () => {
    const port = await getFreePort();
    const base = `http://127.0.0.1:${port}`;
    const service = startService({
      PORT: String(port),
      HOST: '127.0.0.1',
      RL_DEFAULT_LIMIT: '2',
      RL_DEFAULT_WINDOW: '3600',
    });
    await waitUntilUp(base, service);

    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // the default limit from the environment applies; no token + loopback: admin allowed
    const put = await fetch(`${base}/v1/limits/tenant%2Fa`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ limit: 1, window: 3600, algorithm: 'fixed-window' }),
    });
    expect(put.status).toBe(200);

    const first = await post(`${base}/v1/allow`, { clientId: 'tenant/a' });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      allowed: true,
      limit: 1,
      remaining: 0,
      algorithm: 'fixed-window',
    });
    expect(first.headers.get('ratelimit-policy')).toBe('"default";q=1;w=3600');

    const denied = await post(`${base}/v1/allow`, { clientId: 'tenant/a' });
    expect(await denied.json()).toMatchObject({ allowed: false, reason: 'limit_exceeded' });
    const retryAfter = Number(denied.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(3600);

    expect(await (await post(`${base}/v1/allow`, { clientId: 'other' })).json()).toMatchObject({
      allowed: true,
      limit: 2,
      remaining: 1,
    });

    const bad = await post(`${base}/v1/allow`, { clientId: 'other', cost: '7' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('ratelimiter_decisions_total{result="allowed",reason="ok"} 2');
    expect(metrics).toContain('ratelimiter_decisions_total{result="denied",reason="limit_exceeded"} 1');
    expect(metrics).toContain('process_cpu_seconds_total');

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.stdout()).toContain('"msg":"stopped"');
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('refuses admin routes when listening beyond loopback without a token', async () => {
    const port = await getFreePort();
    const service = startService({ PORT: String(port), HOST: '0.0.0.0' });
    const base = `http://127.0.0.1:${port}`;
    await waitUntilUp(base, service);
    const put = await fetch(`${base}/v1/throttle`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ multiplier: 0.5, reason: 'e2e' }),
    });
    expect(put.status).toBe(403);
    expect(await put.json()).toMatchObject({ code: 'ADMIN_DISABLED' });
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('invalid settings: exits 1 and stderr lists every problem', async () => {
    const service = startService({ PORT: 'abc', RL_DEGRADED_MODE: 'maybe' });
    expect(await service.exited).toBe(1);
    const stderr = service.stderr();
    expect(stderr).toContain('invalid configuration (2 problems)');
    expect(stderr).toContain('PORT: must be an integer port between 0 and 65535 (got "abc")');
    expect(stderr).toContain('RL_DEGRADED_MODE: must be one of local, open, closed (got "maybe")');
  });
});
