#!/usr/bin/env bash
# The container stack end to end (deploy/docker-compose.local.yml), as CI runs it (`make test-containers`):
#
#  1. images built from Debian's packages (build-images.sh), the stack up from nothing: MariaDB, Redis,
#     migrate, 1 api, 2 workers, the simulated wholesaler and retailer; every health check seen healthy;
#  2. a product webhook to the api container → the retailer's shop shows the price rule and the stock;
#  3. a retailer's order → exactly one valid order on the wholesaler's shop;
#  4. a burst of product webhooks with `docker kill` of a worker in the middle → every accepted event is
#     processed by the other worker, and the retailer shows the burst's last price; the killed worker,
#     started again, turns healthy;
#  5. `docker-compose down` and `up` again → the database kept everything (its volume);
#  6. every container runs as a non-root user.
#
# Prints the figures docs/operations.md quotes (image sizes, time from `up` to all healthy). Leaves the
# stack down with its volumes removed, unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/../.."

project=fh-e2e
compose() { docker-compose -p "$project" -f deploy/docker-compose.local.yml "$@"; }
api=http://127.0.0.1:18080
source_ws=http://127.0.0.1:18081
client_ws=http://127.0.0.1:18082
source_ws_key=WHOLESALERDEMOKEY0123456789ABCDE
client_ws_key=RETAILER1DEMOKEY0123456789ABCDEF
source_key=demo-wholesaler-key-change-me
client_key=demo-retailer-1-key-change-me
services=(mariadb redis api worker-1 worker-2 shop-wholesaler shop-retailer)
log() { printf '[%4ss] %s\n' "$SECONDS" "$*"; }
fail() { printf 'e2e FAILED: %s\n' "$*" >&2; compose ps >&2 || true; compose logs --tail=40 >&2 || true; exit 1; }
container() { echo "${project}_$1_1"; }
cleanup() { [ "${KEEP:-0}" = 1 ] || compose down -v --remove-orphans >/dev/null 2>&1 || true; }
trap cleanup EXIT

deploy/local/dockerd.sh
deploy/local/build-images.sh

# Waits until every long-running service's health check says healthy; prints how long it took since
# `up` was called (at $1, in $SECONDS).
healthy() {
  local started=$1 seen
  for _ in $(seq 1 180); do
    seen=0
    for s in "${services[@]}"; do
      [ "$(docker inspect -f '{{.State.Health.Status}}' "$(container "$s")" 2>/dev/null)" = healthy ] && seen=$((seen + 1))
    done
    if [ "$seen" = "${#services[@]}" ]; then
      log "all ${#services[@]} services healthy $((SECONDS - started)) s after the start"
      return 0
    fi
    sleep 1
  done
  fail "not every service became healthy"
}
db() { docker exec "$(container mariadb)" mariadb --protocol=tcp -h 127.0.0.1 -P 13306 -uhub -phub-demo-password hub -N -e "$1"; }
ws_get() { curl -fsS -g -u "$2:" "$1/api/$3"; }
post() { curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H "X-API-KEY: $2" -d "$3" "$api$1"; }
eventually() {
  local what=$1 tries=$2
  shift 2
  for _ in $(seq 1 "$tries"); do
    if "$@"; then return 0; fi
    sleep 1
  done
  fail "$what"
}
now() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }
product() { # event_id price quantity
  printf '{"event_id":"%s","occurred_at":"%s","product":{"id":1,"reference":"WHS-0001","name":"Mug","price":"%s","quantity":%s,"active":true,"updated_at":"%s"}}' \
    "$1" "$(now)" "$2" "$3" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

compose down -v --remove-orphans >/dev/null 2>&1 || true
log "up (from nothing)"
up_at=$SECONDS
compose up -d
healthy "$up_at"
for s in "${services[@]}" migrate; do
  user=$(docker inspect -f '{{.Config.User}}' "$(container "$s")")
  case "$user" in ""|0|root|0:0|root:root) fail "$s runs as root ($user)" ;; esac
  log "$s runs as user $user"
done
[ "$(docker inspect -f '{{.State.ExitCode}}' "$(container migrate)")" = 0 ] || fail "migrate did not succeed"

log "product webhook → the retailer's shop"
code=$(post /api/sync/product "$source_key" "$(product "e2e-product-0001" 10.00 50)")
[ "$code" = 202 ] || fail "product webhook answered $code"
client_price_is() {
  ws_get "$client_ws" "$client_ws_key" 'products?filter[reference]=[WHS-0001]&display=[price]&output_format=JSON' \
    | grep -q "\"price\":\"$1\""
}
eventually "the retailer shows 13.00 (10.00 + 30 %)" 60 client_price_is 13.000000

log "a retailer's order → one order on the wholesaler's shop"
order='{"event_id":"e2e-order-0001","occurred_at":"2026-11-27T10:00:00Z","order":{"id":42,"reference":"XKBKNABJK","currency":"EUR","valid":true,"customer":{"email":"ana@example.com","firstname":"Ana","lastname":"Garcia"},"delivery_address":{"firstname":"Ana","lastname":"Garcia","address1":"Calle Mayor 1","postcode":"28013","city":"Madrid","country":"ES","phone":"+34600000000"},"lines":[{"reference":"WHS-0001","quantity":2,"unit_price_tax_incl":"15.60"}],"total_paid_tax_incl":"31.20","placed_at":"2026-11-27T10:00:00Z"}}'
code=$(post /api/sync/order "$client_key" "$order")
[ "$code" = 202 ] || fail "order webhook answered $code"
source_orders() { ws_get "$source_ws" "$source_ws_key" 'orders?display=[id,current_state,valid]&output_format=JSON'; }
source_has_the_order() { source_orders | grep -q '"current_state":"11"'; }
eventually "the wholesaler has the order" 60 source_has_the_order
[ "$(source_orders | grep -o '"id":' | wc -l)" = 1 ] || fail "not exactly one source order: $(source_orders)"

burst=${BURST:-400}
log "a burst of $burst product webhooks, worker-1 killed in the middle"
codes=$(mktemp)
(
  for i in $(seq 1 "$burst"); do
    price=$(printf '20.%02d' $((i % 100)))
    [ "$i" = "$burst" ] && price=33.00
    post /api/sync/product "$source_key" "$(product "e2e-burst-$i" "$price" $((100 + i)))"
    echo
  done >"$codes"
) &
burster=$!
sleep 2
docker kill "$(container worker-1)" >/dev/null
log "worker-1 killed"
wait "$burster"
accepted=$(grep -c '^202$' "$codes")
[ "$accepted" = "$burst" ] || fail "only $accepted of $burst webhooks accepted: $(sort "$codes" | uniq -c)"
# worker-1 stays dead (`docker kill` is not restarted by the restart policy): worker-2 alone takes over its
# jobs once its heartbeat has been missed (queue.heartbeat_secs × queue.missed_heartbeats, 10 s).
all_processed() { [ "$(db "SELECT COUNT(*) FROM inbox_events WHERE status <> 'processed'")" = 0 ]; }
eventually "every accepted event processed, by worker-2 alone" 180 all_processed
[ "$(docker inspect -f '{{.State.Running}}' "$(container worker-1)")" = false ] || fail "worker-1 came back by itself"
log "all processed by worker-2 alone"
compose start worker-1 >/dev/null
healthy "$SECONDS"
total=$(db "SELECT COUNT(*) FROM inbox_events")
[ "$total" = $((burst + 2)) ] || fail "the inbox holds $total events, not $((burst + 2))"
eventually "the retailer shows the last price (33.00 + 30 %)" 60 client_price_is 42.900000
log "nothing lost: $total events, all processed; the retailer shows the last state"

log "down and up again: the data survives in its volume"
down_at=$SECONDS
compose down >/dev/null
log "down took $((SECONDS - down_at)) s"
up_at=$SECONDS
compose up -d
healthy "$up_at"
[ "$(db "SELECT COUNT(*) FROM inbox_events WHERE status = 'processed'")" = "$total" ] || fail "events lost across down/up"
[ "$(db "SELECT COUNT(*) FROM order_links WHERE status = 'created'")" = 1 ] || fail "the order link was lost across down/up"
curl -fsS "$api/ready" >/dev/null || fail "the api is not ready after up"
log "e2e passed"
