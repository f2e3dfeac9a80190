#!/usr/bin/env bash
# Regenerates the README's curl examples with real responses: starts the embedded service on a
# free loopback port, runs every example, prints each command and what came back, stops the service.
# Usage: bash scripts/readme-examples.sh > /tmp/examples.txt
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-18080}
export PORT HOST=127.0.0.1 LOG_LEVEL=warn RL_ADMIN_TOKEN=${RL_ADMIN_TOKEN:-s3cret-admin-token-0001}
npx tsx src/main.ts >/tmp/readme-examples-server.log 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

B="http://127.0.0.1:$PORT"
run() {
  # $1 is the command as a user types it against localhost:8080; run it against this instance
  echo "\$ $1"
  local cmd="${1//localhost:8080/$B}"
  eval "${cmd//\$RL_ADMIN_TOKEN/$RL_ADMIN_TOKEN}" | tr -d '\r' | grep -v -i -E '^(date|connection|keep-alive|content-length):'
  echo
}
run "curl -s -X PUT localhost:8080/v1/limits/alice -H \"Authorization: Bearer \$RL_ADMIN_TOKEN\" -H 'content-type: application/json' -d '{\"limit\":3,\"window\":10,\"algorithm\":\"fixed-window\"}'"
run "curl -s localhost:8080/v1/limits/alice"
run "curl -si -X POST localhost:8080/v1/allow -H 'content-type: application/json' -d '{\"clientId\":\"alice\",\"cost\":2}'"
run "curl -s -X POST localhost:8080/v1/allow -H 'content-type: application/json' -d '{\"clientId\":\"alice\"}'"
run "curl -si -X POST localhost:8080/v1/allow -H 'content-type: application/json' -d '{\"clientId\":\"alice\"}'"
run "curl -s localhost:8080/v1/clients/alice/usage"
run "curl -s -X POST localhost:8080/v1/allow/batch -H 'content-type: application/json' -d '{\"requests\":[{\"clientId\":\"alice\"},{\"clientId\":\"bob\"},{\"clientId\":\"\"}]}'"
run "curl -s localhost:8080/v1/limits/bob"
run "curl -si -X POST localhost:8080/v1/allow -H 'content-type: application/json' -d '{\"clientId\":\"alice\",\"cost\":\"7\"}'"
run "curl -s -X PUT localhost:8080/v1/throttle -H \"Authorization: Bearer \$RL_ADMIN_TOKEN\" -H 'content-type: application/json' -d '{\"multiplier\":0.5,\"reason\":\"incident 42\",\"ttlSeconds\":600}'"
run "curl -s localhost:8080/v1/throttle"
run "curl -s localhost:8080/v1/limits/alice"
run "curl -si -X DELETE localhost:8080/v1/throttle -H \"Authorization: Bearer \$RL_ADMIN_TOKEN\""
run "curl -si -X PUT localhost:8080/v1/limits/alice -H 'content-type: application/json' -d '{\"limit\":3,\"window\":10}'"
run "curl -si -X DELETE localhost:8080/v1/limits/alice -H \"Authorization: Bearer \$RL_ADMIN_TOKEN\""
run "curl -s localhost:8080/healthz"
run "curl -s localhost:8080/readyz"
run "curl -s localhost:8080/metrics | grep '^ratelimiter_decisions_total' | grep -v ' 0\$'"
