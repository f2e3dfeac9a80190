-- Mirrors src/core/algorithms/fixed-window.ts line by line.
-- State: { windowStart, used }.

-- Built by a factory on first use in a call: a call creates only the closures it runs.
local function fixedWindowAlgorithm()
  local fixedWindow = {}

  local function view(state, now, windowMs)
    if state ~= nil then
      local start = state[1] or 0
      -- time going backwards stays in the stored window: never hands out a fresh budget
      if now < start + windowMs then return { start = start, used = state[2] or 0 } end
    end
    return { start = now - math.fmod(now, windowMs), used = 0 }
  end

  local function decide(v, now, cost, limit, windowMs)
    local windowEnd = v.start + windowMs
    local available = limit - v.used
    local reset = 0
    if v.used > 0 then reset = windowEnd - now end
    if cost > limit then return costExceedsLimit(available, reset) end
    if cost > available then return limitExceeded(available, reset, windowEnd - now) end
    return allowed(available - cost, windowEnd - now)
  end

  function fixedWindow.step(state, now, cost, limit, windowMs)
    local v = view(state, now, windowMs)
    local outcome = decide(v, now, cost, limit, windowMs)
    if not outcome.allowed then return state, outcome, v.start + windowMs end
    return { v.start, v.used + cost }, outcome, v.start + windowMs
  end

  function fixedWindow.peek(state, now, cost, limit, windowMs)
    local v = view(state, now, windowMs)
    local outcome = decide(v, now, cost, limit, windowMs)
    if not outcome.allowed then return outcome end
    local reset = 0
    if v.used > 0 then reset = v.start + windowMs - now end
    return allowed(limit - v.used, reset)
  end
  return fixedWindow
end
