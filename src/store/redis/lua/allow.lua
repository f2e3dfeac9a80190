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
--        retryAfterMs (ms, rounded up), reason (0 ok, 1 limit_exceeded, 2 cost_exceeds_limit,
--        3 foreign state: the key holds something that is not counter state; the item is not
--        decided and the key is left untouched, while the call's other items are decided).
-- Writes: each key with an allowed item is SET to the state after its last allowed item
--         (MessagePack array of integers) with PX = (expiresAt - now) + 1000 ms; a denied item
--         stores nothing, but lengthens the TTL of an existing key (PEXPIRE ... GT) to its own
--         expiresAt + 1000 ms when the state matters for longer under the item's limit and
--         window. The end result is that of each item writing in turn.
-- Errors (nothing written): RL_ARGS <what>   malformed KEYS/ARGV

local now = callTime()
local items = callItems()
local states = readStates()
-- per key touched: the expiry to give it, and whether its state is to be written
local keyOrder = {}
local expiresAtOf = {}
local changed = {}
local reply = {}
for i, item in ipairs(items) do
  local key = KEYS[i]
  if states[key] == FOREIGN then
    appendForeign(reply)
  else
    local state, outcome, expiresAt = item.algorithm.step(states[key] or nil, now, item.cost, item.limit, item.windowMs)
    if outcome.allowed then
      if expiresAtOf[key] == nil then keyOrder[#keyOrder + 1] = key end
      -- a write replaces the TTL
      expiresAtOf[key] = expiresAt
      changed[key] = true
      states[key] = state
    elseif states[key] then
      if expiresAtOf[key] == nil then
        keyOrder[#keyOrder + 1] = key
        expiresAtOf[key] = expiresAt
      elseif expiresAt > expiresAtOf[key] then
        expiresAtOf[key] = expiresAt
      end
    end
    appendOutcome(reply, outcome)
  end
end
for _, key in ipairs(keyOrder) do
  if changed[key] then writeState(key, states[key], now, expiresAtOf[key])
  else extendState(key, now, expiresAtOf[key]) end
end
return reply
