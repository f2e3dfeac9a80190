-- peek: what N calls would get now, consuming nothing; writes nothing.
-- Mirrors Algorithm.peek of src/core/algorithms/<algorithm>.ts, run once per item; lib/*.lua is
-- prepended at load time (src/store/redis/script-registry.ts).
--
-- KEYS[i]   <prefix>:v1:{<encoded client id>}:<fw|sw|sl|tb|lb>   state key of item i (one hash
--           tag per call)
-- ARGV[1]   explicit time in ms since the epoch (integer >= 0), or '' for the Redis server's
--           clock (TIME)
-- ARGV[2 + 4(i-1) ..]   item i: algorithm code (fw sw sl tb lb), cost (units, 1..2^53-1),
--           effective limit (units, 1..2^53-1), window (ms, 1..31536000000)
--
-- Reply: 5 integers per item, in KEYS order: allowed (1/0), remaining (units), resetMs,
--        retryAfterMs (ms, rounded up), reason (0 ok, 1 limit_exceeded, 2 cost_exceeds_limit,
--        3 foreign state: the key holds something that is not counter state).
-- Errors: RL_ARGS <what>   malformed KEYS/ARGV

local now = callTime()
local items = callItems()
local states = readStates()
local reply = {}
for i, item in ipairs(items) do
  local state = states[KEYS[i]]
  if state == FOREIGN then appendForeign(reply)
  else appendOutcome(reply, item.algorithm.peek(state or nil, now, item.cost, item.limit, item.windowMs)) end
end
return reply
