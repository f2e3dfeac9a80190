import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLimitLines } from '../../src/cli/ctl/limit-lines.js';
import { loadSettings, VARIABLE_NAMES } from '../../src/settings.js';

const SETTINGS_FILE = 'config/ratelimiter.example.json';
const LIMITS_FILE = 'config/limits.example.jsonl';

describe('config/ examples', () => {
  it('the example settings file loads with the service validation, every key as written', () => {
    const file = JSON.parse(readFileSync(SETTINGS_FILE, 'utf8')) as Record<string, unknown>;
    for (const key of Object.keys(file)) expect(VARIABLE_NAMES).toContain(key);
    const settings = loadSettings({ RL_CONFIG_FILE: SETTINGS_FILE });
    expect(settings).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      redisUrl: 'redis://127.0.0.1:6379/0',
      etcdEndpoints: ['http://127.0.0.1:2379'],
      etcdPrefix: '/ratelimiter',
      defaultAlgorithm: 'sliding-window',
      defaultLimit: { limit: 100, window: 60, algorithm: 'sliding-window' },
      storeDeadlineMs: 50,
      overLimitCacheSize: 100_000,
      logLevel: 'info',
      configFile: SETTINGS_FILE,
    });
  });

  it('the example limits file imports cleanly: five limits, no bad line', () => {
    const parsed = parseLimitLines(readFileSync(LIMITS_FILE, 'utf8'));
    expect(parsed.bad).toEqual([]);
    expect(parsed.entries.map((e) => e.id)).toEqual([
      'free-tier',
      'pro-tier',
      'tenant/acme',
      'batch-exports',
      'login:203.0.113.7',
    ]);
    expect(parsed.entries[2]?.limit).toEqual({ limit: 1000, window: 1, algorithm: 'leaky-bucket' });
  });
});
