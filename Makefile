# Fulfillment Hub — developer entry points. `make help` lists them.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: help run test test-rust test-connector test-containers lint fmt bench chaos connector-zip clean screenshots up down up-local down-local deploy-check

help: ## This list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

run: ## Start the hub (API + workers, one process, SQLite under ./data) with ./hub.toml
	$(CARGO) run --release --bin hub

test: ## Every test on a fresh machine: installs what is missing (root on Debian), private MariaDB + Redis unless TEST_MYSQL_URL/TEST_REDIS_URL
	tests/bin/tools
	tests/bin/services $(MAKE) --no-print-directory test-rust test-connector

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

# Debug binaries on purpose: they are the ones `make test` builds (shared, incremental), while a release build
# (thin LTO) of the workspace takes longer on a small machine than the run itself; the scenario checks what is
# lost or wrong under faults, not speed.
chaos: ## The fault scenario at full size (10,000 events, 1,000 orders; kills, outages); prints a report, fails on any loss (CHAOS_ARGS="--short", "--keep-dir"…)
	$(CARGO) build --workspace --bins
	$(CARGO) run -q -p hub-chaos -- $(CHAOS_ARGS)

fmt: ## Format the code
	$(CARGO) fmt --all

screenshots: ## Refresh docs/screenshots/ from the dashboard's browser test (needs chromium and tests/browser: npm ci)
	$(CARGO) build --workspace --bins
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(CARGO) test -p hub-app --test api the_dashboard_in_headless_chromium

connector-zip: ## Build connector-php/dist/fulfillment_connector.zip, the installable module
	connector-php/bin/build-zip.sh

up: ## Build and start deploy/docker-compose.yml: MySQL, Redis, migrate, hub-api, hub-worker, 2 shops (LOCAL=1: make up-local)
ifdef LOCAL
	$(MAKE) --no-print-directory up-local
else
	$${DOCKER_COMPOSE:-docker compose} -f deploy/docker-compose.yml up -d --build
endif

down: ## Stop and remove the compose stack's containers (its volumes, i.e. the data, are kept) (LOCAL=1: make down-local)
ifdef LOCAL
	$(MAKE) --no-print-directory down-local
else
	$${DOCKER_COMPOSE:-docker compose} -f deploy/docker-compose.yml down
endif

up-local: ## Here (no image pulls, no bridge): build images from Debian's packages, start deploy/docker-compose.local.yml (MariaDB, Redis, migrate, api, 2 workers, 2 simulated shops)
	deploy/local/dockerd.sh
	deploy/local/build-images.sh
	docker-compose -p fulfillment-hub-local -f deploy/docker-compose.local.yml up -d

down-local: ## Stop and remove the local stack's containers (its volumes, i.e. the data, are kept)
	docker-compose -p fulfillment-hub-local -f deploy/docker-compose.local.yml down

test-containers: ## The container stack end to end (deploy/local/e2e.sh): webhooks, an order, a worker killed mid-burst, down/up; root, Docker
	deploy/local/e2e.sh

deploy-check: ## Validate deploy/ offline: compose schema, Dockerfiles, Kubernetes manifests (deploy/validate.sh)
	deploy/validate.sh

clean: ## Remove build output and the embedded databases
	$(CARGO) clean
	rm -rf data
