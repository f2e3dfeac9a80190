import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKeyId, encodeKeyId, EtcdKeys } from '../../src/store/etcd/keys.js';

describe('encodeKeyId / decodeKeyId', () => {
  it.each([
    ['plain', 'client-42', 'client-42'],
    ['slash', 'a/b', 'a%2Fb'],
    ['percent', '50%', '50%25'],
    ['space', 'a b', 'a%20b'],
    ['unicode', 'žluťoučký kůň 🐎', '%C5%BElu%C5%A5ou%C4%8Dk%C3%BD%20k%C5%AF%C5%88%20%F0%9F%90%8E'],
    ['hash tag braces and colon', '{x}:y', '%7Bx%7D%3Ay'],
    ['characters encodeURIComponent keeps', "!'()*~._-", "!'()*~._-"],
    ['dot segments', '..', '..'],
  ])('%s', (_name, id, encoded) => {
    expect(encodeKeyId(id)).toBe(encoded);
    expect(decodeKeyId(encoded)).toBe(id);
  });

  it('round-trips every string of Unicode scalar values', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (id) => {
        const encoded = encodeKeyId(id);
        expect(encoded).not.toContain('/');
        expect(decodeKeyId(encoded)).toBe(id);
      }),
      { numRuns: 500 },
    );
  });

  it('maps distinct ids to distinct segments', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1 }),
        fc.string({ unit: 'binary', minLength: 1 }),
        (a, b) => {
          fc.pre(a !== b);
          expect(encodeKeyId(a)).not.toBe(encodeKeyId(b));
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['empty', ''],
    ['raw slash', 'a/b'],
    ['raw space', 'a b'],
    ['lower-case hex', 'a%2fb'],
    ['needlessly encoded letter', '%41'],
    ['truncated escape', '50%'],
    ['bad escape', '%zz'],
    ['invalid UTF-8', '%ED%A0%80'],
    ['raw non-ASCII', 'é'],
  ])('rejects a non-canonical segment: %s', (_name, segment) => {
    expect(decodeKeyId(segment)).toBeUndefined();
  });

  it.each([
    ['NUL', '%00'],
    ['DEL', 'a%7F'],
    ['a C1 control', '%C2%80'],
    ['513 bytes', 'x'.repeat(513)],
    ['513 bytes encoded', `${'x'.repeat(511)}%C3%A9`],
  ])('rejects the canonical segment of an id the API refuses: %s', (_name, segment) => {
    expect(decodeKeyId(segment)).toBeUndefined();
  });

  it('accepts 512 bytes', () => {
    expect(decodeKeyId(`${'x'.repeat(510)}%C3%A9`)).toBe(`${'x'.repeat(510)}é`);
  });
});

describe('EtcdKeys', () => {
  const keys = new EtcdKeys();

  it('lays keys out under /ratelimiter by default', () => {
    expect(keys.root).toBe('/ratelimiter');
    expect(keys.limit('a/b')).toBe('/ratelimiter/limits/a%2Fb');
    expect(keys.override('x y')).toBe('/ratelimiter/overrides/x%20y');
    expect(keys.instance('host:1')).toBe('/ratelimiter/instances/host%3A1');
    expect(keys.defaults).toBe('/ratelimiter/defaults');
    expect(keys.controllerThrottle).toBe('/ratelimiter/throttle/controller');
    expect(keys.manualThrottle).toBe('/ratelimiter/throttle/override');
    expect(keys.election).toBe('/ratelimiter/controller/election/');
    expect(keys.all).toBe('/ratelimiter/');
  });

  it('takes a custom prefix and ignores trailing slashes', () => {
    const custom = new EtcdKeys('/apps/rl//');
    expect(custom.root).toBe('/apps/rl');
    expect(custom.limit('c')).toBe('/apps/rl/limits/c');
  });

  it('refuses an empty prefix', () => {
    expect(() => new EtcdKeys('/')).toThrow(/must not be empty/);
    expect(() => new EtcdKeys('')).toThrow(/must not be empty/);
  });

  it('parses every key it builds back to what it means', () => {
    expect(keys.parse(keys.limit('a/b%c'))).toEqual({ kind: 'limit', clientId: 'a/b%c' });
    expect(keys.parse(keys.override('🐎'))).toEqual({ kind: 'client-override', clientId: '🐎' });
    expect(keys.parse(keys.instance('i-1'))).toEqual({ kind: 'instance', instanceId: 'i-1' });
    expect(keys.parse(keys.defaults)).toEqual({ kind: 'defaults' });
    expect(keys.parse(keys.controllerThrottle)).toEqual({ kind: 'controller-throttle' });
    expect(keys.parse(keys.manualThrottle)).toEqual({ kind: 'manual-throttle' });
  });

  it('reports ids that are not canonically encoded, and ignores unrelated keys', () => {
    expect(keys.parse('/ratelimiter/limits/a/b')).toEqual({ kind: 'invalid-id', directory: 'limits' });
    expect(keys.parse('/ratelimiter/limits/')).toEqual({ kind: 'invalid-id', directory: 'limits' });
    expect(keys.parse('/ratelimiter/overrides/a b')).toEqual({ kind: 'invalid-id', directory: 'overrides' });
    expect(keys.parse('/ratelimiter/controller/election/694d7')).toEqual({ kind: 'other' });
    expect(keys.parse('/ratelimiter/defaults/x')).toEqual({ kind: 'other' });
    expect(keys.parse('/ratelimiterx/limits/a')).toEqual({ kind: 'other' });
    expect(keys.parse('/other/limits/a')).toEqual({ kind: 'other' });
  });
});
