-- Mirrors src/core/algorithms/leaky-bucket.ts (GCRA) line by line.
-- State: { tat, fraction, limitAtWrite }: TAT = tat + fraction / limitAtWrite ms, exact.
-- A Tat is { ms, fraction, denominator }: a time as whole ms plus a fraction in 1/denominator ms,
-- the denominator being the limit the TAT was written at (also its drain rate).

-- Built by a factory on first use in a call: a call creates only the closures it runs.
local function leakyBucketAlgorithm()
  local leakyBucket = {}

  -- a + b for fractions over the same denominator (both < denominator): carry without overflow.
  local function addFractions(a, b, denominator)
    if b >= denominator - a then return 1, b - (denominator - a) end
    return 0, a + b
  end

  -- max(TAT, now) as stored (over the limit it was written at).
  local function storedTat(state, now, limit)
    if state == nil then return { ms = now, fraction = 0, denominator = limit } end
    local ms = state[1] or 0
    local fraction = state[2] or 0
    local denominator = state[3] or limit
    if ms < now or (ms == now and fraction == 0) then return { ms = now, fraction = 0, denominator = limit } end
    return { ms = ms, fraction = fraction, denominator = denominator }
  end

  -- The same level (in units) re-expressed as a TAT over `limit`.
  local function rescale(t, now, limit)
    if t.denominator == limit then return t end
    -- debt (TAT - now) ms at the old rate is debt x oldLimit / windowMs units; at the new rate
    -- those units take debt x oldLimit / limit ms: rescale exactly
    local q, r = mulDivMod(t.ms - now, t.denominator, limit)
    local fq, fr = divMod(t.fraction, limit)
    local carry, f = addFractions(r, fr, limit)
    return { ms = now + q + fq + carry, fraction = f, denominator = limit }
  end

  local function add(t, cost, windowMs)
    local q, r = mulDivMod(cost, windowMs, t.denominator)
    local carry, f = addFractions(t.fraction, r, t.denominator)
    return { ms = t.ms + q + carry, fraction = f, denominator = t.denominator }
  end

  -- Whole ms from now until TAT, rounded up. (`until` in the TypeScript; a keyword in Lua.)
  local function untilTat(t, now)
    if t.fraction > 0 then return t.ms - now + 1 end
    return t.ms - now
  end

  -- floor((now + windowMs - TAT) x limit / windowMs) for a TAT over `limit`: units that still fit.
  local function room(t, now, windowMs)
    local slackMs = now + windowMs - t.ms
    if slackMs <= 0 then
      if slackMs == 0 and t.fraction == 0 then return 0 end
      return -1
    end
    local q, r = mulDivMod(slackMs, t.denominator, windowMs)
    if r >= t.fraction then return q end
    local dq, dr = divMod(t.fraction - r, windowMs)
    if dr > 0 then return q - dq - 1 end
    return q - dq
  end

  -- Whole ms from now until the stored level has drained to `units`, rounded up: the first
  -- moment t with (TAT - t) x rate / windowMs <= units, i.e. t >= TAT - units x windowMs / rate.
  local function untilLevel(t, now, units, windowMs)
    local q, r = mulDivMod(units, windowMs, t.denominator)
    -- TAT - q - r / rate = (ms - q) + (fraction - r) / rate
    if t.fraction > r then return t.ms - q - now + 1 end
    return t.ms - q - now
  end

  local function decide(stored, now, cost, limit, windowMs)
    local t = rescale(stored, now, limit)
    local available = room(t, now, windowMs)
    if cost > limit then return costExceedsLimit(available, untilTat(stored, now)) end
    if cost > available then
      return limitExceeded(available, untilTat(stored, now), untilLevel(stored, now, limit - cost, windowMs))
    end
    local nextTat = add(t, cost, windowMs)
    return allowed(room(nextTat, now, windowMs), untilTat(nextTat, now))
  end

  function leakyBucket.step(state, now, cost, limit, windowMs)
    local stored = storedTat(state, now, limit)
    local outcome = decide(stored, now, cost, limit, windowMs)
    if not outcome.allowed then return state, outcome, now + untilTat(stored, now) end
    local nextTat = add(rescale(stored, now, limit), cost, windowMs)
    return { nextTat.ms, nextTat.fraction, limit }, outcome, now + untilTat(nextTat, now)
  end

  function leakyBucket.peek(state, now, cost, limit, windowMs)
    local stored = storedTat(state, now, limit)
    local outcome = decide(stored, now, cost, limit, windowMs)
    if not outcome.allowed then return outcome end
    return allowed(room(rescale(stored, now, limit), now, windowMs), untilTat(stored, now))
  end
  return leakyBucket
end
