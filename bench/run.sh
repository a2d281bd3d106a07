#!/usr/bin/env bash
# `make bench`: the speed and memory figures of docs/benchmarks.md, on this machine.
# Needs MariaDB (127.0.0.1:3306, root) and Redis (127.0.0.1:6379), like the tests; installs wrk if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build -q --release -p hub -p hub-api
cargo bench -q -p hub-app --no-run >/dev/null 2>&1

work=$(mktemp -d)
run="bench$(date +%s)"
port=18181
trap 'kill $(jobs -p) 2>/dev/null || true; mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $run" || true; rm -rf "$work"' EXIT
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
rss() { ps -o rss= -p "$1" | awk '{printf "%.1f MB", $1/1024}'; }

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, $(uname -r)"
HUB_CONFIG="$work/hub.toml" ./target/release/hub-api > "$work/api.log" 2>&1 &
api=$!
for _ in $(seq 50); do curl -fs "127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
echo "== hub-api idle RSS: $(rss $api)"

echo "== ingest throughput: wrk, 2 threads, 64 connections, 20 s (product webhooks, MariaDB + Redis)"
HUB_BENCH_RUN=$run wrk -t2 -c64 -d20s -s bench/ingest.lua "http://127.0.0.1:$port" | grep -E "Requests/sec|Latency|requests in"
echo "   hub-api RSS after the load: $(rss $api)"

echo "== ingest latency: open loop at 1000 webhooks/s for 20 s"
HUB_BENCH_URL="http://127.0.0.1:$port" HUB_BENCH_RATE=1000 HUB_BENCH_SECS=20 cargo bench -q -p hub-app --bench ingest_latency 2>/dev/null | tail -1
kill $api; wait $api 2>/dev/null || true

echo "== hub (embedded, SQLite) idle RSS"
mkdir -p "$work/embedded" && sed "s/127.0.0.1:8080/127.0.0.1:$((port+1))/" hub.toml > "$work/embedded/hub.toml"
(cd "$work/embedded" && HUB_CONFIG=hub.toml "$OLDPWD/target/release/hub" > log 2>&1) &
sleep 3
echo "   $(rss "$(pgrep -f 'target/release/hub$' | head -1)")"
pkill -f 'target/release/hub$' || true

echo "== store calls through the workers' Webservice client, against a local stub shop"
cargo bench -q -p hub-prestashop --bench store_calls 2>/dev/null | tail -1

echo "== sync pipeline (in process: hub + 2 simulated client shops, MariaDB + Redis)"
cargo bench -q -p hub-app --bench sync_pipeline 2>/dev/null | grep latency

echo "== reconciliation (in process: 10,000-product source + 2 client shops, MariaDB + Redis)"
cargo bench -q -p hub-app --bench reconcile 2>/dev/null | tail -3

echo "== queue drain rate with 10,000 and with 1,000,000 jobs queued (in process: a worker, private Redis and SQLite)"
cargo bench -q -p hub-app --bench queue_backlog 2>/dev/null | tail -6
