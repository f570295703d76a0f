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

.PHONY: run test setup meilisearch migrate lint typecheck pytest clean

run: setup migrate ## install, fetch Meilisearch, migrate, load data, start everything
	$(BIN)/python scripts/run.py

test: setup lint typecheck pytest ## the same set-up, then every static check and test

setup: $(STAMP) meilisearch

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

meilisearch:
	@./scripts/fetch_meilisearch.sh

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

clean: ## remove the local databases and index (the data is reloaded by the next `make run`)
	rm -rf var
