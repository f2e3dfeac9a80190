import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SAFE, divMod, mulDivCeil, mulDivMod } from '../../src/core/int-math.js';

const YEAR_MS = 31_536_000_000;
const EXTREMES = [
  0,
  1,
  2,
  3,
  999,
  1000,
  60_000,
  YEAR_MS,
  YEAR_MS - 1,
  2 ** 31,
  2 ** 32 + 1,
  2 ** 52,
  2 ** 52 + 1,
  MAX_SAFE - 2,
  MAX_SAFE - 1,
  MAX_SAFE,
];

/** Any safe non-negative integer, biased towards the extremes and small values. */
const nat = fc.oneof(
  fc.constantFrom(...EXTREMES),
  fc.integer({ min: 0, max: 1000 }),
  fc.integer({ min: 0, max: YEAR_MS }),
  fc.maxSafeNat(),
);
const positive = nat.filter((n) => n > 0);

function exactMulDivMod(a: number, b: number, c: number): [bigint, bigint] {
  const p = BigInt(a) * BigInt(b);
  return [p / BigInt(c), p % BigInt(c)];
}

describe('divMod', () => {
  it('equals BigInt division over the whole safe range', () => {
    fc.assert(
      fc.property(nat, positive, (a, c) => {
        const [q, r] = divMod(a, c);
        expect([BigInt(q), BigInt(r)]).toEqual([BigInt(a) / BigInt(c), BigInt(a) % BigInt(c)]);
      }),
      { numRuns: 2000 },
    );
  });

  it('is exact at the extremes', () => {
    expect(divMod(MAX_SAFE, 1)).toEqual([MAX_SAFE, 0]);
    expect(divMod(MAX_SAFE, MAX_SAFE)).toEqual([1, 0]);
    expect(divMod(MAX_SAFE - 1, MAX_SAFE)).toEqual([0, MAX_SAFE - 1]);
    expect(divMod(MAX_SAFE, 2)).toEqual([2 ** 52 - 1, 1]);
    // 285_616 x 31_536_000_000 = 9_007_186_176_000_000; 9_007_199_254_740_991 - that = 13_078_740_991
    expect(divMod(MAX_SAFE, YEAR_MS)).toEqual([285_616, 13_078_740_991]);
  });
});

describe('mulDivMod', () => {
  it('equals BigInt (a*b) / c and (a*b) % c whenever the quotient is a safe integer', () => {
    fc.assert(
      fc.property(nat, nat, positive, (a, b, c) => {
        const [q, r] = mulDivMod(a, b, c);
        const [eq, er] = exactMulDivMod(a, b, c);
        expect(BigInt(r)).toBe(er);
        if (eq <= BigInt(MAX_SAFE)) expect(BigInt(q)).toBe(eq);
        else expect(q).toBeGreaterThan(MAX_SAFE);
      }),
      { numRuns: 5000 },
    );
  });

  it('is exact when a x b is far above 2^53 but the quotient is safe (the shape the algorithms use)', () => {
    // quotient < c by construction: a < c, so a * b / c < b
    fc.assert(
      fc.property(positive, nat, positive, (x, b, y) => {
        const c = Math.max(x, y);
        const a = Math.min(x, y) === c ? c - 1 : Math.min(x, y);
        const [q, r] = mulDivMod(a, b, c);
        const [eq, er] = exactMulDivMod(a, b, c);
        expect([BigInt(q), BigInt(r)]).toEqual([eq, er]);
      }),
      { numRuns: 3000 },
    );
  });

  it('is exact at the extremes', () => {
    // (2^53-1)^2 / (2^53-1) = 2^53-1
    expect(mulDivMod(MAX_SAFE, MAX_SAFE, MAX_SAFE)).toEqual([MAX_SAFE, 0]);
    // (2^53-1)(2^53-2) / (2^53-1) = 2^53-2
    expect(mulDivMod(MAX_SAFE, MAX_SAFE - 1, MAX_SAFE)).toEqual([MAX_SAFE - 1, 0]);
    // (2^53-2)(2^53-2) = (2^53-3)(2^53-1) + 1
    expect(mulDivMod(MAX_SAFE - 1, MAX_SAFE - 1, MAX_SAFE)).toEqual([MAX_SAFE - 2, 1]);
    // a year of windows at the largest limit: (2^53-1) x 31_536_000_000 / (2^53-1)
    expect(mulDivMod(MAX_SAFE, YEAR_MS, MAX_SAFE)).toEqual([YEAR_MS, 0]);
    // 1 x year / (2^53-1) = 0 rest year
    expect(mulDivMod(1, YEAR_MS, MAX_SAFE)).toEqual([0, YEAR_MS]);
    // (2^53-2) x (year-1) / year: remainder checked against BigInt
    const [eq, er] = exactMulDivMod(MAX_SAFE - 1, YEAR_MS - 1, YEAR_MS);
    expect(mulDivMod(MAX_SAFE - 1, YEAR_MS - 1, YEAR_MS)).toEqual([Number(eq), Number(er)]);
    expect(mulDivMod(0, MAX_SAFE, 7)).toEqual([0, 0]);
    expect(mulDivMod(MAX_SAFE, 0, 7)).toEqual([0, 0]);
    expect(mulDivMod(1, 1, 1)).toEqual([1, 0]);
  });
});

describe('mulDivCeil', () => {
  it('equals the BigInt ceiling of a * b / c whenever it is a safe integer', () => {
    fc.assert(
      fc.property(nat, nat, positive, (a, b, c) => {
        const got = mulDivCeil(a, b, c);
        const [eq, er] = exactMulDivMod(a, b, c);
        const ceil = er > 0n ? eq + 1n : eq;
        if (ceil <= BigInt(MAX_SAFE)) expect(BigInt(got)).toBe(ceil);
        else expect(got).toBeGreaterThan(MAX_SAFE);
      }),
      { numRuns: 5000 },
    );
  });

  it('is exact at the extremes', () => {
    expect(mulDivCeil(MAX_SAFE, 1, MAX_SAFE)).toBe(1);
    expect(mulDivCeil(1, 1, MAX_SAFE)).toBe(1);
    expect(mulDivCeil(MAX_SAFE - 1, MAX_SAFE - 1, MAX_SAFE)).toBe(MAX_SAFE - 1);
    expect(mulDivCeil(MAX_SAFE, MAX_SAFE, MAX_SAFE)).toBe(MAX_SAFE);
    // one unit of a year-long window at limit 3: ceil(31_536_000_000 / 3) = 10_512_000_000
    expect(mulDivCeil(1, YEAR_MS, 3)).toBe(10_512_000_000);
    // ceil(31_536_000_000 / 7) = 4_505_142_858 (7 x 4_505_142_857 = 31_535_999_999)
    expect(mulDivCeil(1, YEAR_MS, 7)).toBe(4_505_142_858);
  });
});
