#!/usr/bin/env bash
# Makes sure the binaries the integration tests spawn (redis-server, redis-cli, etcd, etcdctl) are on
# PATH and node_modules is installed. As root it installs missing Debian packages without starting
# any system service; otherwise it says what to install and exits 1. One line on success.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# binary -> Debian package that ships it
declare -A PACKAGE_OF=(
  [redis-server]=redis-server
  [redis-cli]=redis-tools
  [etcd]=etcd-server
  [etcdctl]=etcd-client
)
BINARIES=(redis-server redis-cli etcd etcdctl)

missing_packages() {
  local bin
  for bin in "${BINARIES[@]}"; do
    command -v "$bin" >/dev/null 2>&1 || printf '%s\n' "${PACKAGE_OF[$bin]}"
  done
}

POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=/usr/sbin/policy-rc.d.ensure-deps-backup

restore_policy() {
  rm -f "$POLICY"
  if [[ -e $POLICY_BACKUP ]]; then
    mv "$POLICY_BACKUP" "$POLICY"
  fi
}

install_packages() {
  # A policy-rc.d exiting 101 makes invoke-rc.d / deb-systemd-invoke skip starting services from
  # the packages' postinst scripts. Any existing policy is put back afterwards.
  if [[ -e $POLICY ]]; then
    mv "$POLICY" "$POLICY_BACKUP"
  fi
  trap restore_policy EXIT
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"

  local log status=0
  log="$(mktemp)"
  {
    apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
  } >"$log" 2>&1 || status=$?
  restore_policy
  trap - EXIT
  if [[ $status -ne 0 ]]; then
    echo "ensure-deps: apt-get failed (exit $status); last output:" >&2
    tail -n 40 "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
}

mapfile -t missing < <(missing_packages)
installed_note=""
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "ensure-deps: missing test binaries; install the Debian packages: ${missing[*]}" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  # Install the full set at once so redis/etcd servers and clients come from matching versions.
  install_packages redis-server redis-tools etcd-server etcd-client
  mapfile -t still_missing < <(missing_packages)
  if [[ ${#still_missing[@]} -gt 0 ]]; then
    echo "ensure-deps: still missing after apt-get install: ${still_missing[*]}" >&2
    exit 1
  fi
  installed_note=" (installed ${missing[*]})"
fi

if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  installed_note+=" (ran npm ci)"
fi

redis_version="$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
etcd_version="$(etcd --version | sed -n 's/^etcd Version: //p')"
echo "ensure-deps: ok: redis-server ${redis_version}, etcd ${etcd_version}${installed_note}"
