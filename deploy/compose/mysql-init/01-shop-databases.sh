#!/bin/bash
# Runs once, on the first start of an empty MySQL volume (docker-entrypoint-initdb.d). The hub's own
# database and user come from MYSQL_DATABASE / MYSQL_USER; this adds one database and one user per
# PrestaShop store of the compose demo, so that no store can read another's tables or the hub's.
set -euo pipefail

: "${MYSQL_ROOT_PASSWORD:?}" "${PRESTASHOP_DB_PASSWORD:?}"

MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql --protocol=socket -uroot <<SQL
CREATE DATABASE IF NOT EXISTS prestashop_wholesaler CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE DATABASE IF NOT EXISTS prestashop_retailer CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE USER IF NOT EXISTS 'wholesaler_shop'@'%' IDENTIFIED BY '${PRESTASHOP_DB_PASSWORD}';
CREATE USER IF NOT EXISTS 'retailer_shop'@'%' IDENTIFIED BY '${PRESTASHOP_DB_PASSWORD}';
GRANT ALL PRIVILEGES ON prestashop_wholesaler.* TO 'wholesaler_shop'@'%';
GRANT ALL PRIVILEGES ON prestashop_retailer.* TO 'retailer_shop'@'%';
FLUSH PRIVILEGES;
SQL
