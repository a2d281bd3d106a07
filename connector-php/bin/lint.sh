#!/usr/bin/env bash
# Lints the connector: `php -l` on every .php file under connector-php/ (fails on the first syntax
# error found, after checking them all), then PSR-12 with phpcs when it is installed (Debian package
# php-codesniffer; set LINT_REQUIRE_PHPCS=1 to fail when it is missing, LINT_SKIP_PHPCS=1 to skip it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
php_bin="${PHP_BIN:-php}"
status=0
count=0

while IFS= read -r -d '' file; do
    count=$((count + 1))
    if ! output="$("$php_bin" -d display_errors=stderr -d log_errors=0 -l "$file" 2>&1)"; then
        printf '%s\n' "$output" >&2
        status=1
    fi
done < <(find "$root" -type f -name '*.php' -not -path "$root/dist/*" -print0 | sort -z)

if [ "$count" -eq 0 ]; then
    echo "lint: no PHP file found under $root" >&2
    exit 1
fi
echo "php -l: $count files checked"

if [ "${LINT_SKIP_PHPCS:-0}" != "1" ]; then
    if command -v phpcs >/dev/null 2>&1; then
        if phpcs -q --standard="$root/phpcs.xml" --basepath="$root" --runtime-set ignore_warnings_on_exit 0; then
            echo "phpcs: PSR-12 clean"
        else
            status=1
        fi
    elif [ "${LINT_REQUIRE_PHPCS:-0}" = "1" ]; then
        echo "lint: phpcs not found (apt-get install php-codesniffer)" >&2
        status=1
    else
        echo "phpcs: not installed, PSR-12 check skipped"
    fi
fi

exit "$status"
