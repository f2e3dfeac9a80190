import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient } from '../../src/store/etcd/etcd-client.js';
import { EtcdConfigStore } from '../../src/store/etcd/etcd-config-store.js';
import { EtcdInstanceRegistry } from '../../src/store/etcd/etcd-instance-registry.js';
import { EtcdKeys } from '../../src/store/etcd/keys.js';
import { systemClock } from '../../src/store/memory/system-clock.js';
import { etcdctl, startEtcd, type EtcdServer } from '../support/etcd.js';
import { getFreePort } from '../support/free-port.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

let etcd: EtcdServer;
let dir: string;

beforeAll(async () => {
  etcd = await startEtcd();
  dir = await makeTempDir('rl-ctl-');
});

afterAll(async () => {
  await etcd.stop();
  await removeTempDir(dir);
});

interface CtlRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI (`npm run ctl` without npm) as a child process. */
function ctl(args: readonly string[], env: Record<string, string> = {}): Promise<CtlRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/ratelimiter-ctl.ts', ...args],
      {
        cwd: process.cwd(),
        env: { PATH: process.env.PATH ?? '', ETCD_ENDPOINTS: etcd.endpoints.join(','), ...env },
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') reject(new Error(err.message));
        else resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
      },
    );
  });
}

function etcdGet(key: string): Promise<string> {
  return etcdctl(etcd.endpoints, 'get', key, '--print-value-only');
}

async function etcdCount(prefix: string): Promise<number> {
  const output = JSON.parse(
    await etcdctl(
      etcd.endpoints,
      'get',
      '--prefix',
      prefix,
      '--keys-only',
      '--limit',
      '1',
      '--write-out',
      'json',
    ),
  ) as { count?: number };
  return output.count ?? 0;
}

function newPrefix(): { prefix: string; keys: EtcdKeys } {
  const prefix = `/rl-ctl-${randomUUID()}`;
  return { prefix, keys: new EtcdKeys(prefix) };
}

describe('ratelimiter-ctl against a real etcd', () => {
  it('limits get / set / delete, with percent-encoded keys and exit codes', async () => {
    const { prefix, keys } = newPrefix();
    const set = await ctl(['limits', 'set', 'tenant/a b', '100', '60', 'token-bucket', '--prefix', prefix]);
    expect(set).toMatchObject({ code: 0, stderr: '' });
    expect(set.stdout).toMatch(
      new RegExp(
        `^set ${prefix}/limits/tenant%2Fa%20b = \\{"limit":100,"window":60,"algorithm":"token-bucket"\\} \\(revision \\d+\\)\\n$`,
      ),
    );
    expect(await etcdGet(keys.limit('tenant/a b'))).toBe(
      '{"limit":100,"window":60,"algorithm":"token-bucket"}\n',
    );

    // without an algorithm the stored value has none: the service's default applies
    expect((await ctl(['limits', 'set', 'plain', '5', '1', '--prefix', prefix])).code).toBe(0);
    expect(await etcdGet(keys.limit('plain'))).toBe('{"limit":5,"window":1}\n');

    expect(await ctl(['limits', 'get', 'tenant/a b', '--prefix', prefix])).toEqual({
      code: 0,
      stdout: '{"id":"tenant/a b","limit":100,"window":60,"algorithm":"token-bucket"}\n',
      stderr: '',
    });

    const deleted = await ctl(['limits', 'delete', 'tenant/a b', '--prefix', prefix]);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`deleted ${keys.limit('tenant/a b')}`);
    expect(await etcdGet(keys.limit('tenant/a b'))).toBe('');

    const missing = await ctl(['limits', 'get', 'tenant/a b', '--prefix', prefix]);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: `ratelimiter-ctl: no limit for client "tenant/a b" (${keys.limit('tenant/a b')})\n`,
    });
    expect((await ctl(['limits', 'delete', 'tenant/a b', '--prefix', prefix])).code).toBe(1);

    // a value written with etcdctl that the service ignores is reported, not printed as a limit
    await etcdctl(etcd.endpoints, 'put', keys.limit('broken'), '{"limit":-1,"window":1}');
    const broken = await ctl(['limits', 'get', 'broken', '--prefix', prefix]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('holds an invalid value, ignored by the service: /limit must be between');
  });

  it('bad usage exits 2, lists every problem and writes nothing', async () => {
    const { prefix } = newPrefix();
    const bad = await ctl(['limits', 'set', 'x', '0', '1.5', 'lru', '--prefix', prefix]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      ['ratelimiter-ctl: WINDOW must be a whole number (got "1.5")', '(run with --help for usage)', ''].join(
        '\n',
      ),
    );
    const range = await ctl(['limits', 'set', 'x', '0', '60', 'lru', '--prefix', prefix]);
    expect(range.stderr).toContain('ratelimiter-ctl: LIMIT must be between 1 and 9007199254740991\n');
    expect(range.stderr).toContain('ratelimiter-ctl: ALGORITHM must be one of');
    expect((await ctl(['frobnicate'])).code).toBe(2);
    expect((await ctl(['throttle', 'set', '1.5', 'too much'])).stderr).toContain(
      'MULTIPLIER must be greater than 0 and at most 1',
    );
    expect((await ctl(['limits', 'get', 'x', '--ttl', '5'])).stderr).toContain(
      '--ttl does not apply to this command',
    );
    const noEndpoints = await ctl(['status'], { ETCD_ENDPOINTS: '' });
    expect(noEndpoints.code).toBe(2);
    expect(noEndpoints.stderr).toContain('no etcd endpoints');
    expect(await etcdCount(`${prefix}/`)).toBe(0);

    const help = await ctl(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run ctl -- COMMAND [options]');
  });

  it('etcd unreachable: exit 1 with the reason, within the timeout', async () => {
    const port = await getFreePort();
    const run = await ctl(['limits', 'set', 'x', '1', '1', '--timeout', '300'], {
      ETCD_ENDPOINTS: `http://127.0.0.1:${port}`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^ratelimiter-ctl: etcd did not confirm "put \/ratelimiter\/limits\/x" within 300 ms/,
    );
  });

  it('throttle set (timed) / get / clear', async () => {
    const { prefix, keys } = newPrefix();
    const before = Date.now();
    const set = await ctl(['throttle', 'set', '0.5', 'incident 42', '--ttl', '3600', '--prefix', prefix]);
    expect(set.code).toBe(0);
    const stored = JSON.parse(await etcdGet(keys.manualThrottle)) as { until: string };
    expect(stored).toMatchObject({ multiplier: 0.5, reason: 'incident 42' });
    const until = Date.parse(stored.until);
    expect(until).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 3_600_000);

    await etcdctl(
      etcd.endpoints,
      'put',
      keys.controllerThrottle,
      '{"multiplier":0.8,"reason":"cpu 0.91>0.75","at":"2030-01-01T00:00:00Z"}',
    );
    expect(JSON.parse((await ctl(['throttle', 'get', '--json', '--prefix', prefix])).stdout)).toEqual({
      multiplier: 0.5,
      source: 'manual',
      manual: { multiplier: 0.5, reason: 'incident 42', until: stored.until },
      controller: { multiplier: 0.8, reason: 'cpu 0.91>0.75', at: '2030-01-01T00:00:00Z' },
    });
    const text = await ctl(['throttle', 'get', '--prefix', prefix]);
    expect(text.stdout).toBe(
      [
        'multiplier in force: 0.5 (the manual override)',
        `  manual override: 0.5, reason "incident 42", until ${stored.until}`,
        '  controller:      0.8, reason "cpu 0.91>0.75", at 2030-01-01T00:00:00Z',
        '',
      ].join('\n'),
    );

    expect((await ctl(['throttle', 'clear', '--prefix', prefix])).code).toBe(0);
    expect(await etcdGet(keys.manualThrottle)).toBe('');
    expect(JSON.parse((await ctl(['throttle', 'get', '--json', '--prefix', prefix])).stdout)).toMatchObject({
      multiplier: 0.8,
      source: 'controller',
      manual: null,
    });
    expect((await ctl(['throttle', 'clear', '--prefix', prefix])).code).toBe(1);
  });

  it('overrides set (multiplier or absolute limit) / delete', async () => {
    const { prefix, keys } = newPrefix();
    expect((await ctl(['overrides', 'set', 'a/1', '--multiplier', '0.1', '--prefix', prefix])).code).toBe(0);
    expect(await etcdGet(keys.override('a/1'))).toBe('{"multiplier":0.1}\n');
    expect(
      (await ctl(['overrides', 'set', 'a/1', '--limit', '3', '--window', '1', '--prefix', prefix])).code,
    ).toBe(0);
    expect(await etcdGet(keys.override('a/1'))).toBe('{"limit":3,"window":1}\n');
    expect((await ctl(['overrides', 'set', 'a/1', '--multiplier', '0.1', '--limit', '3'])).code).toBe(2);
    expect((await ctl(['overrides', 'delete', 'a/1', '--prefix', prefix])).code).toBe(0);
    expect(await etcdGet(keys.override('a/1'))).toBe('');
    expect((await ctl(['overrides', 'delete', 'a/1', '--prefix', prefix])).code).toBe(1);
  });

  it('defaults get / set / clear', async () => {
    const { prefix, keys } = newPrefix();
    expect((await ctl(['defaults', 'get', '--prefix', prefix])).code).toBe(1);
    expect((await ctl(['defaults', 'set', '10', '60', 'fixed-window', '--prefix', prefix])).code).toBe(0);
    expect(await etcdGet(keys.defaults)).toBe('{"limit":10,"window":60,"algorithm":"fixed-window"}\n');
    expect(await ctl(['defaults', 'get', '--json', '--prefix', prefix])).toEqual({
      code: 0,
      stdout: '{"limit":10,"window":60,"algorithm":"fixed-window"}\n',
      stderr: '',
    });
    expect((await ctl(['defaults', 'clear', '--prefix', prefix])).code).toBe(0);
    expect(await etcdGet(keys.defaults)).toBe('');
  });

  it('status: live instances with their stats, multipliers and sources, revision, key counts', async () => {
    const { prefix, keys } = newPrefix();
    const silent = pino({ level: 'silent' });
    const client = new EtcdClient({ endpoints: etcd.endpoints, logger: silent });
    const store = await EtcdConfigStore.start({
      client,
      logger: silent,
      clock: systemClock,
      defaultAlgorithm: 'sliding-window',
      prefix,
    });
    const heartbeat = {
      cpu: 0.125,
      allowP99Ms: 0.75,
      rps: 1200,
      storeErrorRate: 0.001,
      startedAt: '2030-01-01T00:00:00.000Z',
      at: '2030-01-01T00:00:01.000Z',
      version: '0.1.0',
    };
    const registry = await EtcdInstanceRegistry.start({
      client,
      store,
      logger: silent,
      instanceId: 'host-1',
      prefix,
      sample: () => Promise.resolve(heartbeat),
      intervalMs: 60_000,
    });
    try {
      await etcdctl(etcd.endpoints, 'put', keys.limit('a'), '{"limit":1,"window":1}');
      await etcdctl(etcd.endpoints, 'put', keys.limit('b'), '{"limit":2,"window":1}');
      await etcdctl(etcd.endpoints, 'put', keys.override('a'), '{"multiplier":0.5}');
      await etcdctl(
        etcd.endpoints,
        'put',
        keys.controllerThrottle,
        '{"multiplier":0.7,"reason":"cpu","at":"2030-01-01T00:00:00Z"}',
      );
      const revision = Number(
        (
          JSON.parse(await etcdctl(etcd.endpoints, 'get', 'x', '--write-out', 'json')) as {
            header: { revision: number };
          }
        ).header.revision,
      );
      const json = await ctl(['status', '--json', '--prefix', prefix]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({
        prefix,
        revision,
        limits: 2,
        clientOverrides: 1,
        defaults: null,
        throttle: {
          multiplier: 0.7,
          source: 'controller',
          manual: null,
          controller: { multiplier: 0.7, reason: 'cpu', at: '2030-01-01T00:00:00Z' },
        },
        instances: [{ id: 'host-1', heartbeat }],
      });
      const text = await ctl(['status', '--prefix', prefix]);
      expect(text.stdout).toContain(`etcd revision ${revision}, prefix ${prefix}\n`);
      expect(text.stdout).toContain('keys: 2 limits, 1 client overrides, defaults none\n');
      expect(text.stdout).toContain('multiplier in force: 0.7 (the controller)\n');
      expect(text.stdout).toContain('instances: 1 live\n');
      expect(text.stdout).toMatch(/host-1 +0\.125 +0\.750 +1200\.0 +0\.10% +0\.1\.0 /);
    } finally {
      await registry.close();
      await store.close();
      await client.close();
    }
  });

  it('import of 100,000 limits shows progress and finishes; export -> import -> export round-trips byte for byte', async () => {
    const source = newPrefix();
    const copy = newPrefix();
    const file = join(dir, 'limits-100k.jsonl');
    const algorithms = ['fixed-window', 'sliding-window', 'sliding-log', 'token-bucket', 'leaky-bucket'];
    let text = '';
    for (let i = 0; i < 100_000; i++) {
      // every third one without an algorithm; ids with bytes that must be encoded
      const id = i % 7 === 0 ? `tenant/${i} é` : `client-${i}`;
      const algorithm = i % 3 === 0 ? {} : { algorithm: algorithms[i % 5] };
      text += `${JSON.stringify({ id, limit: (i % 1000) + 1, window: (i % 3600) + 1, ...algorithm })}\n`;
    }
    await writeFile(file, text);

    const imported = await ctl(['limits', 'import', file, '--prefix', source.prefix]);
    expect(imported.code).toBe(0);
    // not a terminal: plain progress lines at every tenth, ending at the total
    const progress = imported.stderr.split('\n').filter((line) => line.startsWith('imported '));
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(progress[progress.length - 1]).toBe('imported 100000/100000 (100%)');
    expect(imported.stdout).toMatch(
      new RegExp(`^imported 100000 limits from ${file} in 782 transactions \\(\\d+\\.\\d s\\)\\n$`),
    );
    expect(await etcdCount(source.keys.limits)).toBe(100_000);
    expect(await etcdGet(source.keys.limit('tenant/7 é'))).toBe(
      '{"limit":8,"window":8,"algorithm":"sliding-log"}\n',
    );

    const first = join(dir, 'first.jsonl');
    const exported = await ctl(['limits', 'export', first, '--prefix', source.prefix]);
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(
      new RegExp(`^exported 100000 limits to ${first} at etcd revision \\d+\\n$`),
    );
    const firstText = await readFile(first, 'utf8');
    expect(firstText.split('\n')).toHaveLength(100_001);
    // the same set of lines as the source file (export is in key order)
    expect(firstText.split('\n').sort()).toEqual(text.split('\n').sort());

    expect((await ctl(['limits', 'import', first, '--prefix', copy.prefix])).code).toBe(0);
    const second = await ctl(['limits', 'export', '--prefix', copy.prefix]);
    expect(second.code).toBe(0);
    expect(second.stdout === firstText).toBe(true);
  });

  it('a file with bad lines: every bad line is named, nothing is written', async () => {
    const { prefix } = newPrefix();
    const file = join(dir, 'bad.jsonl');
    await writeFile(
      file,
      [
        '{"id":"a","limit":1,"window":1}',
        '{"id":"b","limit":0,"window":1}',
        'not json',
        '',
        '{"id":"a","limit":2,"window":1}',
        '{"id":"c","limit":2,"window":1,"burst":3}',
        '{"id":"","limit":2,"window":1}',
        '{"id":"d","limit":2,"window":1}',
        '',
      ].join('\n'),
    );
    const run = await ctl(['limits', 'import', file, '--prefix', prefix]);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: [
        `${file}:2: /limit must be between 1 and 9007199254740991`,
        `${file}:3: not valid JSON`,
        `${file}:5: id "a" is already set on line 1`,
        `${file}:6: /burst unknown key`,
        `${file}:7: /id must not be empty`,
        `ratelimiter-ctl: 5 bad lines in ${file} (listed above); nothing was written`,
        '',
      ].join('\n'),
    });
    expect(await etcdCount(`${prefix}/`)).toBe(0);
  });
});
