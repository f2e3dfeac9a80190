-- Mirrors src/core/algorithms/token-bucket.ts line by line.
-- State: { used, drained, last }: the exact level is used - drained / windowMs units at time
-- `last` (0 <= drained < windowMs; a stored drained >= the current windowMs is read as windowMs - 1).

-- Built by a factory on first use in a call: a call creates only the closures it runs.
local function tokenBucketAlgorithm()
  local tokenBucket = {}

  -- Milliseconds until `units` more units (with `drained` progress already made) have drained.
  local function drainTime(units, drained, limit, windowMs)
    -- ceil((units x windowMs - drained) / limit), without forming units x windowMs
    local q, r = mulDivMod(units, windowMs, limit)
    if drained <= r then
      if r > drained then return q + 1 end
      return q
    end
    local dq = divMod(drained - r, limit)
    return q - dq
  end

  local function level(state, now, limit, windowMs)
    if state == nil then return { used = 0, drained = 0 } end
    local used = state[1] or 0
    -- progress recorded under a longer window may be a whole unit of this one: kept below it
    local drained = math.min(state[2] or 0, windowMs - 1)
    local elapsed = now - (state[3] or 0)
    if used == 0 or elapsed <= 0 then return { used = used, drained = drained } end
    if elapsed >= drainTime(used, drained, limit, windowMs) then return { used = 0, drained = 0 } end
    -- elapsed x limit / windowMs < used here, so the quotient is exact
    local dq, dr = mulDivMod(elapsed, limit, windowMs)
    if dr >= windowMs - drained then return { used = used - dq - 1, drained = dr - (windowMs - drained) } end
    return { used = used - dq, drained = drained + dr }
  end

  local function decide(l, cost, limit, windowMs)
    local available = limit - l.used
    local reset = drainTime(l.used, l.drained, limit, windowMs)
    if cost > limit then return costExceedsLimit(available, reset) end
    if cost > available then
      return limitExceeded(available, reset, drainTime(l.used - (limit - cost), l.drained, limit, windowMs))
    end
    return allowed(available - cost, drainTime(l.used + cost, l.drained, limit, windowMs))
  end

  function tokenBucket.step(state, now, cost, limit, windowMs)
    local l = level(state, now, limit, windowMs)
    local outcome = decide(l, cost, limit, windowMs)
    if not outcome.allowed then return state, outcome, now + outcome.resetMs end
    return { l.used + cost, l.drained, now }, outcome, now + outcome.resetMs
  end

  function tokenBucket.peek(state, now, cost, limit, windowMs)
    local l = level(state, now, limit, windowMs)
    local outcome = decide(l, cost, limit, windowMs)
    if not outcome.allowed then return outcome end
    return allowed(limit - l.used, drainTime(l.used, l.drained, limit, windowMs))
  end
  return tokenBucket
end
