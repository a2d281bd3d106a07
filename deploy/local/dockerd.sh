#!/usr/bin/env bash
# Makes sure a Docker engine runs here the way this machine allows: Debian's docker.io (and docker-compose,
# debootstrap) installed when missing, and dockerd started with no bridge and no iptables rules, so
# containers have only the host's network (`network_mode: host`) and nothing leaves the loopback.
# Needs root; does nothing when an engine already answers.
set -euo pipefail
if docker info >/dev/null 2>&1; then
  exit 0
fi
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "needs: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  echo "no Docker engine answers, and starting dockerd needs root" >&2
  exit 1
fi
mkdir -p /var/log
nohup dockerd --bridge=none --iptables=false --ip6tables=false >/var/log/dockerd-fulfillment-hub.log 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "dockerd did not start: see /var/log/dockerd-fulfillment-hub.log" >&2
exit 1
