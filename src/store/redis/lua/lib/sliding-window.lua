-- Mirrors src/core/algorithms/sliding-window.ts line by line.
-- State: { windowStart, current, previous }.

-- Built by a factory on first use in a call: a call creates only the closures it runs.
local function slidingWindowAlgorithm()
  local slidingWindow = {}

  local function view(state, now, windowMs)
    if state ~= nil then
      local start = state[1] or 0
      if now < start + windowMs then
        return { start = start, current = state[2] or 0, previous = state[3] or 0 }
      end
      if now < start + 2 * windowMs then return { start = start + windowMs, current = 0, previous = state[2] or 0 } end
    end
    return { start = now - math.fmod(now, windowMs), current = 0, previous = 0 }
  end

  -- ceil(previous x (windowMs - elapsed) / windowMs): the previous window's weighted share.
  local function weightedPrevious(v, now, windowMs)
    local elapsed = 0
    if now > v.start then elapsed = now - v.start end
    local q, r = mulDivMod(v.previous, windowMs - elapsed, windowMs)
    if r > 0 then return q + 1 end
    return q
  end

  -- Earliest time at which `cost` fits, for a call denied for lack of budget (cost <= limit).
  local function retryAt(v, cost, limit, windowMs)
    if cost <= limit - v.current then
      -- wait in this window until the previous window's weight has decayed enough
      local slack = limit - v.current - cost
      local fits = mulDivMod(slack, windowMs, v.previous)
      return v.start + windowMs - fits
    end
    -- wait for the next window, where today's current becomes the decaying previous
    local slack = limit - cost
    local fits = mulDivMod(slack, windowMs, v.current)
    return v.start + 2 * windowMs - fits
  end

  local function resetMs(v, now, windowMs)
    if v.current > 0 then return v.start + 2 * windowMs - now end
    if v.previous > 0 then return v.start + windowMs - now end
    return 0
  end

  local function decide(v, now, cost, limit, windowMs)
    -- limit - current is exact; subtracting the weighted share keeps the sign right even when negative
    local available = limit - v.current - weightedPrevious(v, now, windowMs)
    if cost > limit then return costExceedsLimit(available, resetMs(v, now, windowMs)) end
    if cost > available then
      return limitExceeded(available, resetMs(v, now, windowMs), retryAt(v, cost, limit, windowMs) - now)
    end
    return allowed(available - cost, v.start + 2 * windowMs - now)
  end

  function slidingWindow.step(state, now, cost, limit, windowMs)
    local v = view(state, now, windowMs)
    local outcome = decide(v, now, cost, limit, windowMs)
    -- a denial keeps the stored state, which is empty once its usage has decayed (resetMs)
    if not outcome.allowed then return state, outcome, now + outcome.resetMs end
    return { v.start, v.current + cost, v.previous }, outcome, v.start + 2 * windowMs
  end

  function slidingWindow.peek(state, now, cost, limit, windowMs)
    local v = view(state, now, windowMs)
    local outcome = decide(v, now, cost, limit, windowMs)
    if not outcome.allowed then return outcome end
    return allowed(outcome.remaining + cost, resetMs(v, now, windowMs))
  end
  return slidingWindow
end
