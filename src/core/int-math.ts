/**
 * Exact integer arithmetic on doubles, for safe integers (0 <= x <= 2^53-1).
 *
 * The Lua scripts run on Redis's Lua 5.1, whose only number type is a double, so every step
 * function avoids products that can pass 2^53 and uses these helpers instead. The Lua file
 * src/store/redis/lua/lib/int-math.lua mirrors this one line by line.
 */

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** [floor(a / c), a mod c] for safe integers a >= 0, c > 0. Exact: `%` on doubles is exact. */
export function divMod(a: number, c: number): [number, number] {
  const r = a % c;
  return [(a - r) / c, r];
}

/**
 * [floor(a * b / c), (a * b) mod c] for safe integers a, b >= 0 and c > 0, without overflow.
 * The remainder is always exact; the quotient is exact while it is below 2^53 (above that it
 * is only guaranteed to stay above 2^53, which callers use as "more than enough").
 */
export function mulDivMod(a: number, b: number, c: number): [number, number] {
  if (a === 0 || b === 0) return [0, 0];
  if (a <= Math.floor(MAX_SAFE / b)) return divMod(a * b, c);
  const [bq, br] = divMod(b, c);
  // binary long multiplication of a by (bq * c + br), keeping the running value as q * c + r
  let top = 1;
  while (top * 2 <= a) top *= 2;
  let rest = a;
  let q = 0;
  let r = 0;
  while (top >= 1) {
    q = q * 2;
    if (r >= c - r) {
      r = r - (c - r);
      q = q + 1;
    } else {
      r = r * 2;
    }
    if (rest >= top) {
      rest = rest - top;
      q = q + bq;
      if (br >= c - r) {
        r = r - (c - br);
        q = q + 1;
      } else {
        r = r + br;
      }
    }
    top = top / 2;
  }
  return [q, r];
}

/** ceil(a * b / c) under the same rules as mulDivMod. */
export function mulDivCeil(a: number, b: number, c: number): number {
  const [q, r] = mulDivMod(a, b, c);
  return r > 0 ? q + 1 : q;
}
