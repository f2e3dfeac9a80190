-- Mirrors src/core/algorithms/outcomes.ts line by line. An outcome is a table with the fields of
-- the TypeScript Outcome: allowed, remaining, resetMs, retryAfterMs, reason.

-- Remaining can be computed below zero after a limit was lowered; it is reported as 0.
local function clampRemaining(remaining)
  if remaining > 0 then return remaining end
  return 0
end

-- A denial because the cost can never fit the limit: no retry time, nothing changes.
local function costExceedsLimit(remaining, resetMs)
  return { allowed = false, remaining = clampRemaining(remaining), resetMs = resetMs, retryAfterMs = 0,
    reason = 'cost_exceeds_limit' }
end

local function limitExceeded(remaining, resetMs, retryAfterMs)
  return { allowed = false, remaining = clampRemaining(remaining), resetMs = resetMs,
    retryAfterMs = retryAfterMs, reason = 'limit_exceeded' }
end

local function allowed(remaining, resetMs)
  return { allowed = true, remaining = clampRemaining(remaining), resetMs = resetMs, retryAfterMs = 0,
    reason = 'ok' }
end
