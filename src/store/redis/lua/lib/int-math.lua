-- Mirrors src/core/int-math.ts line by line: exact integer arithmetic on doubles, for safe
-- integers (0 <= x <= 2^53-1). Lua 5.1's only number type is a double, like JavaScript's.
-- divMod uses math.fmod (C fmod): exact, and with the sign rules of JavaScript's `%`; Lua's own
-- `a % b` is a - floor(a / b) * b, which floors (differs from JavaScript for a negative a).
-- (mulDivCeil is not mirrored: no algorithm uses it.)

local MAX_SAFE = 9007199254740991

-- floor(a / c), a mod c for safe integers a >= 0, c > 0. Exact.
local function divMod(a, c)
  local r = math.fmod(a, c)
  return (a - r) / c, r
end

-- floor(a * b / c), (a * b) mod c for safe integers a, b >= 0 and c > 0, without overflow.
-- The remainder is always exact; the quotient is exact while it is below 2^53.
local function mulDivMod(a, b, c)
  if a == 0 or b == 0 then return 0, 0 end
  if a <= math.floor(MAX_SAFE / b) then return divMod(a * b, c) end
  local bq, br = divMod(b, c)
  -- binary long multiplication of a by (bq * c + br), keeping the running value as q * c + r
  local top = 1
  while top * 2 <= a do top = top * 2 end
  local rest = a
  local q = 0
  local r = 0
  while top >= 1 do
    q = q * 2
    if r >= c - r then
      r = r - (c - r)
      q = q + 1
    else
      r = r * 2
    end
    if rest >= top then
      rest = rest - top
      q = q + bq
      if br >= c - r then
        r = r - (c - br)
        q = q + 1
      else
        r = r + br
      end
    end
    top = top / 2
  end
  return q, r
end
