-- allow: decides N calls in arrival order and consumes the budget of each one allowed, atomically.
-- Mirrors Algorithm.step of src/core/algorithms/<algorithm>.ts, run once per item; lib/*.lua is
-- prepended at load time (src/store/redis/script-registry.ts).
--
-- KEYS[i]   <prefix>:v1:{<encoded client id>}:<fw|sw|sl|tb|lb>   state key of item i; all KEYS
--           of one call share a hash tag (one Cluster slot). A key may repeat: item i sees the
--           writes of items 1..i-1.
-- ARGV[1]   explicit time in ms since the epoch (integer >= 0), or '' for the Redis server's
--           clock (TIME); every item of the call is decided at this one time
-- ARGV[2 + 4(i-1) ..]   item i: algorithm code (fw sw sl tb lb), cost (units,
--           1..2^53-1), effective limit (units, 1..2^53-1), window (ms, 1..31536000000)
--
-- Reply: 5 integers per item, in KEYS order: allowed (1/0), remaining (units), resetMs,
--        retryAfterMs (ms, rounded up), reason (0 ok, 1 limit_exceeded, 2 cost_exceeds_limit).
-- Writes: each key with an allowed item is SET to the state after its last allowed item
--         (MessagePack array of integers) with PX = (expiresAt - now) + 1000 ms, as if each
--         allowed item had written in turn; a call with no allowed item writes nothing.
-- Errors (nothing written): RL_ARGS <what>   malformed KEYS/ARGV
--                           RL_STATE <key>   the key holds something that is not counter state

local now = callTime()
local items = callItems()
local states = readStates()
local writeOrder = {}
local expiresAtOf = {}
local reply = {}
for i, item in ipairs(items) do
  local key = KEYS[i]
  local state, outcome, expiresAt = item.algorithm.step(states[key] or nil, now, item.cost, item.limit, item.windowMs)
  if outcome.allowed then
    if expiresAtOf[key] == nil then writeOrder[#writeOrder + 1] = key end
    expiresAtOf[key] = expiresAt
    states[key] = state
  end
  appendOutcome(reply, outcome)
end
for _, key in ipairs(writeOrder) do writeState(key, states[key], now, expiresAtOf[key]) end
return reply
