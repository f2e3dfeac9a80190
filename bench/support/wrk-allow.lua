-- wrk script for the HTTP bench: POST /v1/allow with a JSON body cycling through distinct client ids,
-- and one machine-readable result line at the end (latencies in microseconds).
-- Usage: wrk -s wrk-allow.lua http://127.0.0.1:PORT -- <clients> <client id prefix>
local clients = 10000
local prefix = "c"
local counter = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  if args[1] ~= nil then clients = tonumber(args[1]) end
  if args[2] ~= nil then prefix = args[2] end
end

function request()
  counter = counter + 1
  local body = '{"clientId":"' .. prefix .. (counter % clients) .. '","cost":1}'
  return wrk.format(nil, "/v1/allow", nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,' ..
    '"statusErrors":%d,"timeouts":%d,"meanUs":%.1f,"p50Us":%d,"p99Us":%d,"p999Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
