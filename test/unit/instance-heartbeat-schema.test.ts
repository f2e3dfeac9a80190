import { describe, expect, it } from 'vitest';
import { encodeConfigValue, parseConfigValue } from '../../src/core/config-schema.js';
import type { InstanceHeartbeat } from '../../src/store/instance-registry.js';

const HEARTBEAT: InstanceHeartbeat = {
  cpu: 0.53,
  allowP99Ms: 0.8,
  rps: 1200,
  storeErrorRate: 0,
  startedAt: '2030-01-01T00:00:00.000Z',
  at: '2030-01-01T00:05:00.000Z',
  version: '0.1.0',
};

describe('instance heartbeat schema', () => {
  it('round-trips through its stored JSON, keys in a fixed order', () => {
    const text = encodeConfigValue('instance', HEARTBEAT);
    expect(text).toBe(
      '{"cpu":0.53,"allowP99Ms":0.8,"rps":1200,"storeErrorRate":0,"startedAt":"2030-01-01T00:00:00.000Z","at":"2030-01-01T00:05:00.000Z","version":"0.1.0"}',
    );
    expect(parseConfigValue('instance', text, 'sliding-window')).toEqual({ ok: true, value: HEARTBEAT });
  });

  it('allowP99Ms may be null (no Allow in the interval)', () => {
    const text = encodeConfigValue('instance', { ...HEARTBEAT, allowP99Ms: null });
    expect(parseConfigValue('instance', text, 'sliding-window')).toEqual({
      ok: true,
      value: { ...HEARTBEAT, allowP99Ms: null },
    });
  });

  it('reports every problem at once', () => {
    const bad = {
      cpu: 1.5,
      allowP99Ms: -1,
      rps: 'many',
      storeErrorRate: null,
      startedAt: 'yesterday',
      version: '',
      pid: 1,
    };
    expect(parseConfigValue('instance', JSON.stringify(bad), 'sliding-window')).toEqual({
      ok: false,
      problems: [
        { field: '/pid', message: 'unknown key' },
        { field: '/cpu', message: 'must be a number between 0 and 1' },
        { field: '/allowP99Ms', message: 'must be a finite number >= 0 or null' },
        { field: '/rps', message: 'must be a finite number >= 0' },
        { field: '/storeErrorRate', message: 'must be a number between 0 and 1' },
        {
          field: '/startedAt',
          message: 'must be an ISO-8601 date-time with an offset, e.g. 2030-01-01T00:00:00Z',
        },
        { field: '/at', message: 'must be an ISO-8601 date-time with an offset, e.g. 2030-01-01T00:00:00Z' },
        { field: '/version', message: 'must be a string of 1 to 64 characters' },
      ],
    });
  });

  it('is not JSON: one problem', () => {
    expect(parseConfigValue('instance', '{cpu:1}', 'sliding-window')).toEqual({
      ok: false,
      problems: [{ field: '', message: 'must be valid JSON' }],
    });
  });
});
