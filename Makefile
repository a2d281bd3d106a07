# Fulfillment Hub — developer entry points. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: help run test test-rust test-connector lint fmt bench connector-zip clean

help: ## This list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

run: ## Start the hub (API + workers, one process, SQLite under ./data) with ./hub.toml
	$(CARGO) run --release --bin hub

test: test-rust test-connector ## All tests (needs MariaDB on 127.0.0.1:3306 and Redis on 127.0.0.1:6379; .ci/run starts them)

test-rust: ## Rust unit and integration tests, on SQLite + apalis-sqlite and on MariaDB + Redis
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace

test-connector: ## The PrestaShop module: php -l and PHPUnit (needs php-cli and phpunit)
	@if [ -x connector-php/bin/lint.sh ]; then connector-php/bin/lint.sh; fi
	@if [ -f connector-php/phpunit.xml ]; then phpunit -c connector-php/phpunit.xml; fi

lint: ## cargo fmt --check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

bench: ## Speed and memory figures (docs/benchmarks.md); needs MariaDB and Redis like the tests
	bench/run.sh

fmt: ## Format the code
	$(CARGO) fmt --all

connector-zip: ## Build connector-php/dist/fulfillment_connector.zip, the installable module
	connector-php/bin/build-zip.sh

clean: ## Remove build output and the embedded databases
	$(CARGO) clean
	rm -rf data
