import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkClientOverride,
  checkConfigValue,
  encodeConfigValue,
  parseConfigValue,
  type ConfigValueKind,
} from '../../src/core/config-schema.js';
import { ALGORITHMS } from '../../src/core/types.js';

function problemsOf(kind: ConfigValueKind, text: string): readonly { field: string; message: string }[] {
  const result = parseConfigValue(kind, text, 'sliding-window');
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.value)}`);
  return result.problems;
}

describe('limit and defaults', () => {
  it.each(['limit', 'defaults'] as const)('%s: parses a full value', (kind) => {
    expect(
      parseConfigValue(kind, '{"limit":100,"window":60,"algorithm":"token-bucket"}', 'sliding-window'),
    ).toEqual({
      ok: true,
      value: { limit: 100, window: 60, algorithm: 'token-bucket' },
    });
  });

  it('fills a missing algorithm with the default given', () => {
    expect(parseConfigValue('limit', '{"limit":1,"window":1}', 'fixed-window')).toEqual({
      ok: true,
      value: { limit: 1, window: 1, algorithm: 'fixed-window' },
    });
  });

  it('accepts the extremes', () => {
    expect(parseConfigValue('limit', '{"limit":9007199254740991,"window":31536000}', 'sliding-log')).toEqual({
      ok: true,
      value: { limit: Number.MAX_SAFE_INTEGER, window: 31_536_000, algorithm: 'sliding-log' },
    });
  });

  it('reports every problem at once, unknown keys included', () => {
    expect(problemsOf('limit', '{"limit":0,"window":31536001,"algorithm":"lru","burst":5}')).toEqual([
      { field: '/burst', message: 'unknown key' },
      { field: '/limit', message: 'must be between 1 and 9007199254740991' },
      { field: '/window', message: 'must be between 1 and 31536000' },
      { field: '/algorithm', message: `must be one of ${ALGORITHMS.join(', ')}` },
    ]);
  });

  it.each([
    ['not JSON', '{limit:1}', [{ field: '', message: 'must be valid JSON' }]],
    ['empty', '', [{ field: '', message: 'must be valid JSON' }]],
    ['an array', '[1,60]', [{ field: '', message: 'must be a JSON object' }]],
    ['null', 'null', [{ field: '', message: 'must be a JSON object' }]],
    ['a fraction', '{"limit":1.5,"window":1}', [{ field: '/limit', message: 'must be an integer' }]],
    ['a string number', '{"limit":"5","window":1}', [{ field: '/limit', message: 'must be a number' }]],
    [
      'beyond 2^53 (rounds up past MAX_SAFE)',
      '{"limit":9007199254740993,"window":1}',
      [{ field: '/limit', message: 'must be between 1 and 9007199254740991' }],
    ],
  ])('rejects %s', (_name, text, problems) => {
    expect(problemsOf('limit', text)).toEqual(problems);
  });
});

describe('controller throttle', () => {
  it('parses {multiplier, reason, at}', () => {
    expect(
      parseConfigValue(
        'controller-throttle',
        '{"multiplier":0.62,"reason":"cpu 0.91>0.75","at":"2030-01-01T00:00:00.123Z"}',
        'sliding-window',
      ),
    ).toEqual({
      ok: true,
      value: { multiplier: 0.62, reason: 'cpu 0.91>0.75', at: '2030-01-01T00:00:00.123Z' },
    });
  });

  it('reports out-of-range multiplier, missing reason and a bad time together', () => {
    expect(problemsOf('controller-throttle', '{"multiplier":1.5,"at":"yesterday"}')).toEqual([
      { field: '/multiplier', message: 'must be greater than 0 and at most 1' },
      { field: '/reason', message: 'must be a string' },
      { field: '/at', message: 'must be an ISO-8601 date-time with an offset, e.g. 2030-01-01T00:00:00Z' },
    ]);
  });

  it.each([
    ['zero multiplier', '{"multiplier":0,"reason":"r","at":"2030-01-01T00:00:00Z"}', '/multiplier'],
    ['empty reason', '{"multiplier":0.5,"reason":"","at":"2030-01-01T00:00:00Z"}', '/reason'],
    ['time without offset', '{"multiplier":0.5,"reason":"r","at":"2030-01-01T00:00:00"}', '/at'],
    ['impossible date', '{"multiplier":0.5,"reason":"r","at":"2030-13-01T00:00:00Z"}', '/at'],
    ['unknown key', '{"multiplier":0.5,"reason":"r","at":"2030-01-01T00:00:00Z","until":"x"}', '/until'],
  ])('rejects %s', (_name, text, field) => {
    expect(problemsOf('controller-throttle', text).map((p) => p.field)).toEqual([field]);
  });
});

describe('manual throttle', () => {
  it('parses with and without until', () => {
    expect(
      parseConfigValue('manual-throttle', '{"multiplier":0.5,"reason":"incident 42"}', 'sliding-window'),
    ).toEqual({
      ok: true,
      value: { multiplier: 0.5, reason: 'incident 42' },
    });
    expect(
      parseConfigValue(
        'manual-throttle',
        '{"multiplier":1,"reason":"r","until":"2030-01-01T01:00:00+02:00"}',
        'sliding-window',
      ),
    ).toEqual({ ok: true, value: { multiplier: 1, reason: 'r', until: '2030-01-01T01:00:00+02:00' } });
  });

  it('rejects a typo in a key instead of ignoring it', () => {
    expect(problemsOf('manual-throttle', '{"multipler":0.5,"reason":"r"}')).toEqual([
      { field: '/multipler', message: 'unknown key' },
      { field: '/multiplier', message: 'must be a finite number' },
    ]);
  });

  it('rejects a reason longer than 1024 characters', () => {
    const text = JSON.stringify({ multiplier: 0.5, reason: 'x'.repeat(1025) });
    expect(problemsOf('manual-throttle', text)).toEqual([
      { field: '/reason', message: 'must be 1 to 1024 characters' },
    ]);
  });
});

describe('client override', () => {
  it('parses a multiplier or an absolute limit', () => {
    expect(checkClientOverride({ multiplier: 0.1 })).toEqual({ ok: true, value: { multiplier: 0.1 } });
    expect(checkClientOverride({ limit: 5, window: 1 })).toEqual({
      ok: true,
      value: { limit: 5, window: 1 },
    });
  });

  it.each([
    [
      'both shapes',
      { multiplier: 0.5, limit: 5, window: 1 },
      [{ field: '', message: 'must have either multiplier, or limit and window, not both' }],
    ],
    ['neither shape', {}, [{ field: '', message: 'must have multiplier, or limit and window' }]],
    ['limit without window', { limit: 5 }, [{ field: '/window', message: 'must be a number' }]],
    [
      'an algorithm (not part of an override)',
      { limit: 5, window: 1, algorithm: 'fixed-window' },
      [{ field: '/algorithm', message: 'unknown key' }],
    ],
    [
      'multiplier above 1',
      { multiplier: 2 },
      [{ field: '/multiplier', message: 'must be greater than 0 and at most 1' }],
    ],
    [
      'NaN-ish multiplier',
      { multiplier: 'x' },
      [{ field: '/multiplier', message: 'must be a finite number' }],
    ],
  ])('rejects %s', (_name, input, problems) => {
    expect(checkConfigValue('client-override', input, 'sliding-window')).toEqual({ ok: false, problems });
  });
});

describe('encodeConfigValue', () => {
  it('writes known keys in a fixed order and omits an absent until', () => {
    expect(encodeConfigValue('limit', { limit: 3, window: 2, algorithm: 'leaky-bucket' })).toBe(
      '{"limit":3,"window":2,"algorithm":"leaky-bucket"}',
    );
    expect(encodeConfigValue('manual-throttle', { multiplier: 0.5, reason: 'r' })).toBe(
      '{"multiplier":0.5,"reason":"r"}',
    );
    expect(encodeConfigValue('client-override', { limit: 5, window: 1 })).toBe('{"limit":5,"window":1}');
    expect(
      encodeConfigValue('controller-throttle', {
        multiplier: 0.7,
        reason: 'cpu',
        at: '2030-01-01T00:00:00Z',
      }),
    ).toBe('{"multiplier":0.7,"reason":"cpu","at":"2030-01-01T00:00:00Z"}');
  });

  it('round-trips every valid limit exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 1, max: 31_536_000 }),
        fc.constantFrom(...ALGORITHMS),
        (limit, window, algorithm) => {
          const spec = { limit, window, algorithm };
          expect(parseConfigValue('limit', encodeConfigValue('limit', spec), 'sliding-window')).toEqual({
            ok: true,
            value: spec,
          });
        },
      ),
    );
  });

  it('round-trips every valid multiplier exactly', () => {
    fc.assert(
      fc.property(fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }), (multiplier) => {
        const text = encodeConfigValue('client-override', { multiplier });
        expect(parseConfigValue('client-override', text, 'sliding-window')).toEqual({
          ok: true,
          value: { multiplier },
        });
      }),
    );
  });
});
