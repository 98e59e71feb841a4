#!/usr/bin/env bash
# Start benchmark: time until `netpulse up` answers GET /health, and its resident
# memory once idle, with the compiled-plugin cache empty (cold) or filled (warm).
# Needs Redis on 127.0.0.1:6379 and a release build:
#   cargo build --release -p netpulse && bash tests/e2e/bench/start.sh
# Prints one line per run: cold, warm, warm, cold, warm, cold.
set -euo pipefail
cd "$(dirname "$0")/../../.."
bin=${NETPULSE_BIN:-target/release/netpulse}
cache=$(mktemp -d)
port=18123
run() {
  [ "$1" = cold ] && rm -rf "$cache" && mkdir -p "$cache"
  local start pid ready rss
  start=$(date +%s%N)
  NETPULSE_LISTEN=127.0.0.1:$port NETPULSE_PLUGIN_CACHE_DIR=$cache NETPULSE_REDIS_PREFIX=npstartbench \
    NETPULSE_API_KEYS=bench RUST_LOG=warn "$bin" up >/dev/null 2>&1 &
  pid=$!
  until curl -sf -o /dev/null -H 'x-api-key: bench' "http://127.0.0.1:$port/health"; do sleep 0.005; done
  ready=$(( ($(date +%s%N) - start) / 1000000 ))
  sleep 3
  rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo "$1 start: ready in ${ready} ms, idle RSS $((rss / 1024)) MiB"
}
for mode in cold warm warm cold warm cold; do run "$mode"; done
redis-cli --scan --pattern 'npstartbench*' | xargs -r redis-cli del >/dev/null
rm -rf "$cache"
