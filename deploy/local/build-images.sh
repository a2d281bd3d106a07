#!/usr/bin/env bash
# Builds the stack's images from Debian's packages, for a machine that cannot pull public images
# (deploy/docker-compose.local.yml): a bookworm base (debootstrap --variant=minbase, then docker import),
# the hub's runtime image (hub-api, hub-worker, hub, prestashop-sim), a simulated shop on it, MariaDB and Redis.
#
#   deploy/local/build-images.sh          # HUB_BUILD_PROFILE=release by default (see deploy/build-binaries.sh)
#
# Needs root (debootstrap), a running Docker engine and Debian's package mirror. Images already built are
# kept: the base is made once, and `docker build` reuses its layer cache; only the hub image changes when
# the code does. Every build runs with --network host (the engine here has no bridge).
set -euo pipefail
cd "$(dirname "$0")/../.."

base=fulfillment-hub/debian:bookworm-minbase
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
context=target/images
log() { printf '[%4ss] %s\n' "$SECONDS" "$*"; }

if ! docker image inspect "$base" >/dev/null 2>&1; then
  log "base image $base: debootstrap --variant=minbase bookworm ($mirror)"
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/dev/null
  # Smaller and reproducible enough: no package lists, no docs, no man pages.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/var/cache/apt/*.bin
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/bin/bash"]' - "$base" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

log "binaries (HUB_BUILD_PROFILE=${HUB_BUILD_PROFILE:-release})"
rm -rf "$context"
mkdir -p "$context/bin"
deploy/build-binaries.sh "$context/bin" hub-api hub-worker hub prestashop-sim
cp deploy/local/*.Dockerfile deploy/local/mariadb-entrypoint.sh "$context/"

for image in hub prestashop-sim mariadb redis; do
  log "image fulfillment-hub/$image:local"
  docker build -q --network host -f "$context/$image.Dockerfile" -t "fulfillment-hub/$image:local" "$context" >/dev/null
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^fulfillment-hub/' | sort
log "done"
