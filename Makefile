# Marché inclusif — the few commands a newcomer runs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ALEMBIC := $(BIN)/alembic -c migrations/alembic.ini
DATABASES := catalog sourcing gateway
# The install is redone only when a pin or the project file changes.
DEPS_HASH := $(shell cat requirements.txt requirements-dev.txt pyproject.toml | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(DEPS_HASH)
# Two workers, each test file on one of them (its fixtures start its own system): most tests wait
# on processes, mail or the browser, so two files at a time fit two cores.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: run test setup meilisearch assets migrate lint typecheck pytest clean bench bench-large bench-decp bench-spend soak load-generator browser poppler haproxy

run: setup migrate ## install, fetch Meilisearch, migrate, load data, start everything
	$(BIN)/python scripts/run.py

test: setup browser poppler haproxy lint typecheck pytest ## the same set-up, then every static check and test

setup: $(STAMP) meilisearch assets

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

meilisearch:
	@./scripts/fetch_meilisearch.sh

assets: ## front-end packages (design system, htmx, Leaflet, API docs), pinned by sha256, served by our own processes
	@./scripts/fetch_assets.sh

migrate: $(STAMP)
	@mkdir -p var
	@for db in $(DATABASES); do $(ALEMBIC) -n $$db upgrade head || exit 1; done

lint: $(STAMP)
	$(BIN)/ruff check services migrations tests scripts bench
	$(BIN)/ruff format --check services migrations tests scripts bench

typecheck: $(STAMP)
	$(BIN)/mypy services

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: setup load-generator haproxy ## the search path, rebuild, freshness and memory: real data and 100,000 activities
	$(BIN)/python -m bench.run

bench-large: setup load-generator haproxy ## the same, plus 1,000,000 activities
	$(BIN)/python -m bench.run --large

bench-decp: setup ## DECP import of 1,000,000 generated contracts: throughput, peak memory, re-import
	$(BIN)/python -m bench.decp

bench-spend: setup ## spend import of 1,000,000 generated rows for a year: rows/s, peak memory
	$(BIN)/python -m bench.spend

soak: setup ## 10 minutes of mixed traffic through the gateway: errors, p99, memory drift
	$(BIN)/python -m bench.soak

browser: ## the website's tests drive Debian's Chromium
	@command -v chromium >/dev/null || { test "$$(id -u)" = 0 && apt-get install -y -qq chromium >/dev/null; } \
	  || { echo "Chromium est requis pour les tests du site : installez le paquet Debian « chromium »." >&2; exit 1; }

poppler: ## the PDF documents' tests read them back with Debian's Poppler (pdftoppm, pdftotext)
	@command -v pdftoppm >/dev/null && command -v pdftotext >/dev/null || { test "$$(id -u)" = 0 && apt-get install -y -qq poppler-utils >/dev/null; } \
	  || { echo "Poppler est requis pour les tests des PDF : installez le paquet Debian « poppler-utils »." >&2; exit 1; }

haproxy: ## the replicas' failover test and the benchmark put Debian's HAProxy in front of them, as docker-compose.yml does
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || { test "$$(id -u)" = 0 && apt-get install -y -qq haproxy >/dev/null; } \
	  || { echo "HAProxy est requis pour le test des réplicas : installez le paquet Debian « haproxy »." >&2; exit 1; }

load-generator:
	@command -v wrk >/dev/null || { test "$$(id -u)" = 0 && apt-get install -y -qq wrk >/dev/null; } \
	  || { echo "wrk est requis : installez le paquet Debian « wrk »." >&2; exit 1; }

clean: ## remove the local databases and index (the data is reloaded by the next `make run`)
	rm -rf var
