# MariaDB from Debian bookworm's packages, for a machine that cannot pull mysql:8.4. Runs as the `mysql`
# user; the first start creates the database and the user named by MARIADB_DATABASE / MARIADB_USER /
# MARIADB_PASSWORD (mariadb-entrypoint.sh). Durable commits, as the hub expects.
ARG BASE=fulfillment-hub/debian:bookworm-minbase
FROM ${BASE}
# Versions are those of the bookworm mirror the base was made from (pinning them would break when it moves on).
# hadolint ignore=DL3008
RUN set -eu; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends mariadb-server >/dev/null; \
    rm -rf /var/lib/apt/lists/* /var/lib/mysql/*; \
    mkdir -p /run/mysqld /var/lib/mysql; \
    chown mysql:mysql /run/mysqld /var/lib/mysql
COPY mariadb-entrypoint.sh /usr/local/bin/mariadb-entrypoint.sh
# The user the Debian package created (its uid is the one the package's postinst picked).
# hadolint ignore=DL3066
USER mysql
VOLUME /var/lib/mysql
ENTRYPOINT ["/usr/local/bin/mariadb-entrypoint.sh"]
