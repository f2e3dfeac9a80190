-- Mirrors src/core/algorithms/outcomes.ts line by line. An outcome is a table with the fields of
-- the TypeScript Outcome: allowed, remaining, resetMs, retryAfterMs, reason.

-- Remaining can be computed below zero after a limit was lowered; it is reported as 0.
local function clampRemaining(remaining)
  if remaining > 0 then return remaining end
  return 0
end

-- Times past 2^53-1 ms (285,000 years) are reported as 2^53-1. Only token-bucket gets there: its
-- drain times after a limit was cut far below what was used reach 2^53 x one year in ms. (Redis
-- turns a Lua number into a reply integer with a C cast to long long, undefined from 2^63 on.)
local function clampTime(ms)
  if ms < MAX_SAFE then return ms end
  return MAX_SAFE
end

-- A denial because the cost can never fit the limit: no retry time, nothing changes.
local function costExceedsLimit(remaining, resetMs)
  return { allowed = false, remaining = clampRemaining(remaining), resetMs = clampTime(resetMs), retryAfterMs = 0,
    reason = 'cost_exceeds_limit' }
end

local function limitExceeded(remaining, resetMs, retryAfterMs)
  return { allowed = false, remaining = clampRemaining(remaining), resetMs = clampTime(resetMs),
    retryAfterMs = clampTime(retryAfterMs), reason = 'limit_exceeded' }
end

local function allowed(remaining, resetMs)
  return { allowed = true, remaining = clampRemaining(remaining), resetMs = clampTime(resetMs), retryAfterMs = 0,
    reason = 'ok' }
end
