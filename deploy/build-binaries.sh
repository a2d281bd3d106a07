#!/bin/sh
# The one recipe for the hub's binaries, used by every image: the official Dockerfiles' builder stage
# (`deploy/hub-api.Dockerfile`, `deploy/hub-worker.Dockerfile`) and the images built here from Debian's
# packages (`deploy/local/build-images.sh`).
#
#   deploy/build-binaries.sh OUT_DIR PACKAGE...      e.g. deploy/build-binaries.sh /out hub-api hub-worker hub
#
# Builds the packages' binaries with the locked dependencies and installs them (mode 0755) into OUT_DIR.
# HUB_BUILD_PROFILE=release (the default, what the images ship) or debug (the container test in CI reuses
# the test build's binaries instead of compiling everything a second time). CARGO_TARGET_DIR is honoured.
set -eu
out=${1:?usage: deploy/build-binaries.sh OUT_DIR PACKAGE...}
shift
[ "$#" -gt 0 ] || { echo "deploy/build-binaries.sh: name at least one package" >&2; exit 2; }
profile=${HUB_BUILD_PROFILE:-release}
case "$profile" in
  release) flag=--release ;;
  debug) flag= ;;
  *) echo "deploy/build-binaries.sh: HUB_BUILD_PROFILE is release or debug, not $profile" >&2; exit 2 ;;
esac
packages=""
for p in "$@"; do packages="$packages -p $p"; done
# TLS is rustls (reqwest, sqlx): no OpenSSL at build or run time.
# shellcheck disable=SC2086 # one word per flag
cargo build $flag --locked $packages
mkdir -p "$out"
for p in "$@"; do
  # Stripped: symbols and debug information stay in target/, not in images.
  install -s -m 0755 "${CARGO_TARGET_DIR:-target}/$profile/$p" "$out/$p"
done
