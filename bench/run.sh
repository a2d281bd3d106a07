#!/usr/bin/env bash
# `make bench`: the speed and memory figures of docs/benchmarks.md, on this machine, written into its
# "make-bench" table by bench/report.py (machine, date, load average and each result).
# Needs MariaDB (127.0.0.1:3306, root) and Redis (127.0.0.1:6379), like the tests; installs wrk if absent.
# BENCH_ONLY="ingest,embedded,sync,..." runs some sections; BENCH_NO_REPORT=1 leaves docs/benchmarks.md alone.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build -q --release -p hub -p hub-api
cargo bench -q -p hub-app --no-run >/dev/null 2>&1
cargo bench -q -p hub-prestashop --no-run >/dev/null 2>&1

work=$(mktemp -d)
out="$work/out.txt"
run="bench$(date +%s)"
port=18181
trap 'kill $(jobs -p) 2>/dev/null || true; pkill -f "target/release/hub$" 2>/dev/null || true; mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $run" || true; rm -rf "$work"' EXIT
wants() { [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }
section() { echo "== $*" | tee -a "$out"; }
say() { tee -a "$out"; }
rss() { ps -o rss= -p "$1" | awk '{printf "%.1f MB", $1/1024}'; }
ready() { for _ in $(seq 100); do curl -fs "127.0.0.1:$1/ready" >/dev/null && return 0; sleep 0.2; done; return 1; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"

if wants ingest; then
  mysql -uroot -h127.0.0.1 -e "CREATE DATABASE $run"
  cat > "$work/hub.toml" <<TOML
[server]
listen = "127.0.0.1:$port"
[database]
url = "mysql://root@127.0.0.1:3306/$run"
[queue]
backend = "redis"
url = "redis://127.0.0.1:6379"
[queue.names]
fan_out_product = "$run:fan-out"
replicate_order = "$run:replicate"
sync_product_to_store = "$run:sync"
[log]
level = "warn"
[[stores]]
code = "wholesaler"
role = "source"
api_key = "bench-source-key-0123456789"
[[stores]]
code = "retail-1"
role = "client"
api_key = "bench-client-key-0123456789"
TOML
  section "disk: fsync latency in MariaDB's data directory (the floor of a durable commit)"
  python3 bench/fsync_probe.py "$(mysql -uroot -h127.0.0.1 -N -e 'SELECT @@datadir')" 2000 | say
  HUB_CONFIG="$work/hub.toml" ./target/release/hub-api > "$work/api.log" 2>&1 &
  api=$!
  ready $port
  section "hub-api (MariaDB + Redis): idle RSS"
  echo "$(rss $api)" | say
  section "hub-api ingest throughput: wrk, 2 threads, 64 connections, 20 s of product webhooks"
  HUB_BENCH_RUN=$run wrk -t2 -c64 -d20s -s bench/ingest.lua "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency|requests in|Non-2xx" | say
  echo "hub-api RSS after the load: $(rss $api)" | say
  section "hub-api ingest latency: open loop at 1,000 webhooks/s for 20 s (same run as the fsync probe)"
  HUB_BENCH_URL="http://127.0.0.1:$port" HUB_BENCH_RATE=1000 HUB_BENCH_SECS=20 cargo bench -q -p hub-app --bench ingest_latency 2>/dev/null | tail -1 | say
  kill $api; wait $api 2>/dev/null || true
fi

if wants embedded; then
  eport=$((port + 1))
  mkdir -p "$work/embedded"
  sed "s/127.0.0.1:8080/127.0.0.1:$eport/" hub.toml > "$work/embedded/hub.toml"
  (cd "$work/embedded" && HUB_CONFIG=hub.toml exec "$OLDPWD/target/release/hub" > log 2>&1) &
  ready $eport
  sleep 3
  hub=$(pgrep -f 'target/release/hub$' | head -1)
  section "hub (embedded: API + workers, SQLite): idle RSS"
  echo "$(rss "$hub")" | say
  section "hub (embedded) ingest throughput while its workers drain: wrk, 2 threads, 64 connections, 20 s"
  HUB_BENCH_RUN="$run-e" wrk -t2 -c64 -d20s -s bench/ingest.lua "http://127.0.0.1:$eport" | grep -E "Requests/sec|Latency|requests in|Non-2xx" | say
  echo "hub RSS after the load: $(rss "$hub")" | say
  section "hub (embedded) ingest latency: open loop at 1,000 webhooks/s for 20 s, workers draining"
  HUB_BENCH_URL="http://127.0.0.1:$eport" HUB_BENCH_RATE=1000 HUB_BENCH_SECS=20 cargo bench -q -p hub-app --bench ingest_latency 2>/dev/null | tail -1 | say
  kill "$hub" 2>/dev/null || true
  wait 2>/dev/null || true
fi

if wants calls; then
  section "store calls through the workers' Webservice client, against a local stub shop"
  cargo bench -q -p hub-prestashop --bench store_calls 2>/dev/null | tail -1 | say
fi

if wants sync; then
  section "sync pipeline (in process: hub-api + hub-worker, simulated client shops, MariaDB + Redis)"
  cargo bench -q -p hub-app --bench sync_pipeline 2>/dev/null | grep " | " | say
fi

if wants reconcile; then
  section "reconciliation (in process: 10,000-product source + 2 client shops, MariaDB + Redis)"
  cargo bench -q -p hub-app --bench reconcile 2>/dev/null | tail -3 | say
fi

if wants backlog; then
  section "queue drain rate with 10,000 and with 1,000,000 jobs queued (a worker, private Redis and SQLite)"
  cargo bench -q -p hub-app --bench queue_backlog 2>/dev/null | tail -6 | say
fi

[ -n "${BENCH_NO_REPORT:-}" ] || python3 bench/report.py "$out" docs/benchmarks.md
