-- Shared by the entry scripts (allow.lua, peek.lua): the call's arguments, its clock, the state
-- codec and the reply encoding. The entries' headers document the layout parsed here.

-- algorithm codes (ARGV) and key suffixes (KEYS), as in src/store/redis/counter-key.ts
local ALGORITHM_FACTORIES = {
  fw = fixedWindowAlgorithm,
  sw = slidingWindowAlgorithm,
  sl = slidingLogAlgorithm,
  tb = tokenBucketAlgorithm,
  lb = leakyBucketAlgorithm,
}
local REASON_CODES = { ok = 0, limit_exceeded = 1, cost_exceeds_limit = 2 }
-- reply code of an item whose key holds something that is not counter state
local FOREIGN_STATE_CODE = 3
-- the state of such a key in readStates: its items are answered with FOREIGN_STATE_CODE, the key is
-- neither read further nor written, and the call's other items are decided as usual
local FOREIGN = {}
-- DESIGN §3: windows are 1 s .. 1 year; the scripts accept any millisecond count up to a year
local MAX_WINDOW_MS = 31536000000
-- every write expires this long after its state has become equivalent to no state
local TTL_SLACK_MS = 1000

local function argError(index, rule)
  error({ err = 'RL_ARGS ARGV[' .. index .. '] ' .. rule })
end

local function integerArg(index, min, max)
  local n = tonumber(ARGV[index])
  if n == nil or n ~= math.floor(n) or n < min or n > max then
    argError(index, 'must be an integer in [' .. string.format('%d', min) .. ', ' .. string.format('%d', max) .. ']')
  end
  return n
end

-- ms since the epoch: the explicit time in ARGV[1], or the Redis server's clock
local function callTime()
  if ARGV[1] ~= '' then return integerArg(1, 0, MAX_SAFE) end
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- one { algorithm, cost, limit, windowMs } per key, in KEYS order
local function callItems()
  if #KEYS < 1 or #ARGV ~= 1 + 4 * #KEYS then
    error({ err = 'RL_ARGS expected 1 + 4 x ' .. #KEYS .. ' arguments for ' .. #KEYS .. ' keys, got ' .. #ARGV })
  end
  local items = {}
  local built = {}
  for i = 1, #KEYS do
    local at = 2 + 4 * (i - 1)
    local code = ARGV[at]
    local algorithm = built[code]
    if algorithm == nil then
      local factory = ALGORITHM_FACTORIES[code]
      if factory == nil then argError(at, 'must be one of fw, sw, sl, tb, lb') end
      algorithm = factory()
      built[code] = algorithm
    end
    items[i] = {
      algorithm = algorithm,
      cost = integerArg(at + 1, 1, MAX_SAFE),
      limit = integerArg(at + 2, 1, MAX_SAFE),
      windowMs = integerArg(at + 3, 1, MAX_WINDOW_MS),
    }
  end
  return items
end

-- whether a decoded value is counter state: an array (keys 1..n, no others) of numbers
local function isCounterState(state)
  if type(state) ~= 'table' then return false end
  local n = #state
  local count = 0
  for k, v in pairs(state) do
    if type(k) ~= 'number' or k < 1 or k > n or type(v) ~= 'number' then return false end
    count = count + 1
  end
  return count == n
end

-- the decoded state of every key (a MessagePack array of integers), false where there is none,
-- FOREIGN where the key holds anything else (GET fails on a non-string type: that is FOREIGN too)
local function readStates()
  local states = {}
  for i = 1, #KEYS do
    local key = KEYS[i]
    if states[key] == nil then
      local got, raw = pcall(redis.call, 'GET', key)
      if not got then
        states[key] = FOREIGN
      elseif raw then
        local ok, state = pcall(cmsgpack.unpack, raw)
        if ok and isCounterState(state) then states[key] = state else states[key] = FOREIGN end
      else
        states[key] = false
      end
    end
  end
  return states
end

-- PX / PEXPIRE argument for state that matters until expiresAt: (expiresAt - now) + slack.
-- Never below the slack (every algorithm's expiresAt is >= now for any state it reads; should one
-- ever not be, Redis would refuse a TTL <= 0 and fail the whole call), and never past 2^53-1 (a
-- Lua number passed to redis.call is formatted with %.17g: larger ones would not read back as
-- integers; now + a time clamped to 2^53-1 gets there).
local function ttlMs(now, expiresAt)
  local ttl = expiresAt - now
  if ttl < 0 then ttl = 0 end
  if ttl > MAX_SAFE - TTL_SLACK_MS then ttl = MAX_SAFE - TTL_SLACK_MS end
  return ttl + TTL_SLACK_MS
end

-- MessagePack keeps every integer up to 2^63 exact (tostring would round above 1e14).
local function writeState(key, state, now, expiresAt)
  redis.call('SET', key, cmsgpack.pack(state), 'PX', ttlMs(now, expiresAt))
end

-- A denial changes no state, but the state it read may matter for longer under the current limit
-- and window (a lowered token-bucket limit drains more slowly; a longer window keeps the running
-- window open): the key then lives at least that long. GT: a TTL is only ever lengthened.
local function extendState(key, now, expiresAt)
  redis.call('PEXPIRE', key, ttlMs(now, expiresAt), 'GT')
end

-- The reply of an item whose key is FOREIGN: nothing decided, nothing written.
local function appendForeign(reply)
  local n = #reply
  reply[n + 1] = 0
  reply[n + 2] = 0
  reply[n + 3] = 0
  reply[n + 4] = 0
  reply[n + 5] = FOREIGN_STATE_CODE
end

-- Times in an outcome are at most 2^53-1 (lib/outcomes.lua), so every reply value is an exact
-- integer.
local function appendOutcome(reply, outcome)
  local n = #reply
  if outcome.allowed then reply[n + 1] = 1 else reply[n + 1] = 0 end
  reply[n + 2] = outcome.remaining
  reply[n + 3] = outcome.resetMs
  reply[n + 4] = outcome.retryAfterMs
  reply[n + 5] = REASON_CODES[outcome.reason]
end
