-- Mirrors src/core/algorithms/sliding-log.ts line by line. Lua arrays start at 1, so an index
-- `i` of the TypeScript is `i + 1` here and `length` comparisons shift by one.
-- State: { t1, c1, t2, c2, ... } in time order; an entry counts while t > now - windowMs.

-- Built by a factory on first use in a call: a call creates only the closures it runs.
local function slidingLogAlgorithm()
  local slidingLog = {}

  -- Index of the first entry still inside the window, and the units those entries hold.
  local function live(log, now, windowMs)
    local first = 1
    while first <= #log and (log[first] or 0) + windowMs <= now do first = first + 2 end
    local used = 0
    for i = first, #log, 2 do used = used + (log[i + 1] or 0) end
    return first, used
  end

  local function resetAt(log, first, windowMs)
    if first <= #log then return (log[#log - 1] or 0) + windowMs end
    return nil
  end

  local function decide(log, now, cost, limit, windowMs)
    local first, used = live(log, now, windowMs)
    local available = limit - used
    local windowEnd = resetAt(log, first, windowMs)
    local reset = 0
    if windowEnd ~= nil then reset = windowEnd - now end
    if cost > limit then return costExceedsLimit(available, reset) end
    if cost > available then
      -- oldest first: when have enough units left the window?
      local left = used
      local at = now
      local i = first
      while i <= #log and left > limit - cost do
        left = left - (log[i + 1] or 0)
        at = (log[i] or 0) + windowMs
        i = i + 2
      end
      return limitExceeded(available, reset, at - now)
    end
    return allowed(available - cost, reset)
  end

  local function append(log, first, now, cost)
    local nextLog = {}
    for i = first, #log do nextLog[#nextLog + 1] = log[i] end
    local lastAt = nil
    if #nextLog > 0 then lastAt = nextLog[#nextLog - 1] or 0 end
    -- same millisecond (or a clock that went back): merge into the newest entry, which expires last
    if lastAt ~= nil and lastAt >= now then
      nextLog[#nextLog] = (nextLog[#nextLog] or 0) + cost
    else
      nextLog[#nextLog + 1] = now
      nextLog[#nextLog + 1] = cost
    end
    return nextLog
  end

  function slidingLog.step(state, now, cost, limit, windowMs)
    local log = state or {}
    local outcome = decide(log, now, cost, limit, windowMs)
    if not outcome.allowed then return state, outcome, resetAt(log, 1, windowMs) or now end
    local nextLog = append(log, (live(log, now, windowMs)), now, cost)
    local expiresAt = (nextLog[#nextLog - 1] or now) + windowMs
    outcome.resetMs = expiresAt - now
    return nextLog, outcome, expiresAt
  end

  function slidingLog.peek(state, now, cost, limit, windowMs)
    local log = state or {}
    local outcome = decide(log, now, cost, limit, windowMs)
    if not outcome.allowed then return outcome end
    return allowed(outcome.remaining + cost, outcome.resetMs)
  end
  return slidingLog
end
