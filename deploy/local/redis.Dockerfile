# Redis from Debian bookworm's packages, for a machine that cannot pull redis:7.4-alpine. Runs as the
# `redis` user, data in /data (append-only file, fsync every second; see deploy/docker-compose.yml).
ARG BASE=fulfillment-hub/debian:bookworm-minbase
FROM ${BASE}
# Versions are those of the bookworm mirror the base was made from (pinning them would break when it moves on).
# hadolint ignore=DL3008
RUN set -eu; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends redis-server redis-tools >/dev/null; \
    rm -rf /var/lib/apt/lists/*; \
    mkdir -p /data; chown redis:redis /data
# The user the Debian package created (its uid is the one the package's postinst picked).
# hadolint ignore=DL3066
USER redis
WORKDIR /data
VOLUME /data
CMD ["redis-server", "--bind", "127.0.0.1", "--dir", "/data"]
