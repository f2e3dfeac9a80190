#!/usr/bin/env bash
# Runs the README's etcdctl recipes for real: starts a private etcd (temp dir, free loopback ports)
# and two service instances on it, then runs each recipe with the real etcdctl and shows what
# instance 2 answers. Prints every command and its output; stops everything by pid at the end.
# Usage: bash scripts/readme-etcd-examples.sh > /tmp/etcd-examples.txt
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
CLIENT_PORT=$(free_port)
PEER_PORT=$(free_port)
PORT1=$(free_port)
PORT2=$(free_port)
dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

etcd --name readme --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$CLIENT_PORT" \
  --listen-peer-urls "http://127.0.0.1:$PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT" \
  --initial-cluster "readme=http://127.0.0.1:$PEER_PORT" --logger zap --log-outputs "$dir/etcd.log" &
pids+=($!)
export ETCDCTL_API=3 ETCDCTL_ENDPOINTS="http://127.0.0.1:$CLIENT_PORT"
for _ in $(seq 1 100); do etcdctl endpoint health >/dev/null 2>&1 && break; sleep 0.1; done

export HOST=127.0.0.1 LOG_LEVEL=warn ETCD_ENDPOINTS="$ETCDCTL_ENDPOINTS"
PORT=$PORT1 npx tsx src/main.ts >"$dir/instance1.log" 2>&1 &
pids+=($!)
PORT=$PORT2 npx tsx src/main.ts >"$dir/instance2.log" 2>&1 &
pids+=($!)
for port in "$PORT1" "$PORT2"; do
  for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
done

run() {
  # $1 as a user types it (instance 2 at localhost:8082, etcd from $ETCDCTL_ENDPOINTS)
  echo "\$ $1"
  eval "${1//localhost:8082/127.0.0.1:$PORT2}" 2>&1 | tr -d '\r'
  echo
}
settle() { sleep 0.2; } # the watch delivers in milliseconds; leave room on a loaded machine

run "etcdctl put /ratelimiter/limits/alice '{\"limit\":100,\"window\":60,\"algorithm\":\"token-bucket\"}'"
settle
run "curl -s localhost:8082/v1/limits/alice"
run "etcdctl put /ratelimiter/limits/tenant%2Fbob '{\"limit\":10,\"window\":1}'"
settle
run "curl -s localhost:8082/v1/limits/tenant%2Fbob"
run "etcdctl put /ratelimiter/overrides/alice '{\"multiplier\":0.1}'"
settle
run "curl -s localhost:8082/v1/limits/alice"
run "etcdctl put /ratelimiter/overrides/alice '{\"limit\":5,\"window\":1}'"
settle
run "curl -s localhost:8082/v1/limits/alice"
run "etcdctl del /ratelimiter/overrides/alice"
run "etcdctl put /ratelimiter/throttle/override '{\"multiplier\":0.5,\"reason\":\"incident 42\",\"until\":\"2030-01-01T00:00:00Z\"}'"
settle
run "curl -s localhost:8082/v1/throttle"
run "etcdctl del /ratelimiter/throttle/override"
run "etcdctl put /ratelimiter/defaults '{\"limit\":20,\"window\":60,\"algorithm\":\"sliding-window\"}'"
settle
run "curl -s localhost:8082/v1/limits/carol"
run "etcdctl put /ratelimiter/limits/alice '{\"limit\":0,\"window\":60}'"
settle
run "curl -s localhost:8082/v1/limits/alice"
run "curl -s localhost:8082/metrics | grep '^ratelimiter_config_invalid_entries_total'"
echo '$ grep invalid instance2.log   # the warning the instance logged'
grep invalid "$dir/instance2.log" | sed -E 's/"(time|pid|hostname)":[^,]*,//g'
echo
run "etcdctl get --prefix /ratelimiter/ --keys-only | grep -v '^\$'"
run "etcdctl del /ratelimiter/limits/alice"
settle
run "curl -s localhost:8082/v1/limits/alice"
