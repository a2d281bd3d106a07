#!/bin/sh
# First start: an empty data directory gets its system tables, then the hub's database and user; every
# start then runs mariadbd in the foreground on 127.0.0.1:${MARIADB_PORT} (host networking: loopback only).
set -eu
port=${MARIADB_PORT:-3306}
data=/var/lib/mysql
if [ ! -d "$data/mysql" ]; then
  # --user: the second superuser account, reached by the unix socket as this OS user (mysql).
  mariadb-install-db --datadir="$data" --user=mysql --auth-root-authentication-method=socket --skip-test-db >/dev/null
  mariadbd --datadir="$data" --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  i=0
  until mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -lt 60 ] || { echo "mariadb: init server did not start" >&2; exit 1; }
    sleep 1
  done
  db=${MARIADB_DATABASE:-hub}
  user=${MARIADB_USER:-hub}
  pass=${MARIADB_PASSWORD:?MARIADB_PASSWORD is required}
  mariadb --socket=/run/mysqld/init.sock <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$pass';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL ON \`$db\`.* TO '$user'@'127.0.0.1';
GRANT ALL ON \`$db\`.* TO '$user'@'localhost';
-- The health check's: no password, no privilege (USAGE only), loopback only.
CREATE USER IF NOT EXISTS 'healthcheck'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'healthcheck'@'localhost';
SQL
  mariadb-admin --socket=/run/mysqld/init.sock shutdown
  wait "$pid" || true
fi
exec mariadbd --datadir="$data" --bind-address=127.0.0.1 --port="$port" --socket=/run/mysqld/mysqld.sock \
  --innodb-flush-log-at-trx-commit=1 --sync-binlog=1 "$@"
