# django_authflows: `make demo` serves the example project; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
BASE   := http://$(HOST):$(PORT)
DEMO_DB ?= $(CURDIR)/demo.sqlite3
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-db docs matrix lint lint-imports format install install-test chromium node tools wrk bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# The `demo` extra: DRF and the example project's relying parties (authlib, requests).
install: $(BIN)/python
	$(BIN)/pip install -q -e '.[demo]'

# SKIP_INSTALL=1: the venv is ready (make test's second lane: no pip run beside the first lane's tests).
install-test: $(BIN)/python
	@if [ "$(SKIP_INSTALL)" != 1 ]; then echo "$(BIN)/pip install -q -e '.[test]'"; $(BIN)/pip install -q -e '.[test]'; fi

chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing Debian's chromium (Playwright drives it; its own browser download cannot work here)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

node:
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  echo "Installing Debian's nodejs and npm (tests/test_js_clients.py drives oauth4webapi from npm)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; \
	fi

# The guides' shell blocks, which tests/docs runs, use curl and openssl.
tools:
	@if ! command -v curl >/dev/null || ! command -v openssl >/dev/null; then \
	  echo "Installing Debian's curl and openssl (tests/docs runs the guides' shell blocks)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq curl openssl >/dev/null; \
	fi

wrk:
	@if ! command -v wrk >/dev/null; then \
	  echo "Installing Debian's wrk (the load generator of make bench)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; \
	fi

demo: install
	SQLITE_PATH=$(DEMO_DB) $(BIN)/python manage.py migrate --noinput -v0
	SQLITE_PATH=$(DEMO_DB) $(BIN)/python manage.py seed_demo --base-url $(BASE)
	@# `manage.py authflows demo device|m2m`, run from another terminal, talk to this server by default.
	@echo $(BASE) > .demo-base-url
	@echo
	@echo "  Open $(BASE)/ and log in as demo / demo-password-123 (admin: $(BASE)/admin/)."
	@echo
	@# The task worker (back-channel logouts) runs beside the server and stops when runserver exits.
	SQLITE_PATH=$(DEMO_DB) AUTHFLOWS_ISSUER=$(BASE)/ $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	SQLITE_PATH=$(DEMO_DB) AUTHFLOWS_ISSUER=$(BASE)/ $(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload

# The layering contracts of pyproject.toml ([tool.importlinter]); `make test` runs them before pytest.
lint-imports: install-test
	$(BIN)/lint-imports --no-cache --no-logo

# The documentation site (mkdocs.yml) into site/, failing on any warning (a broken link, a page not in nav).
docs: install-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# ruff (lint and format check) and mypy on django_authflows, as configured in pyproject.toml; `make test` runs it.
lint: install-test
	$(BIN)/ruff check django_authflows
	$(BIN)/ruff format --check django_authflows
	$(BIN)/mypy

# Rewrites django_authflows in place: the formatter, then ruff's safe fixes (import order and the like).
format: install-test
	$(BIN)/ruff format django_authflows
	$(BIN)/ruff check --fix django_authflows

# Two lanes side by side, one per core: the whole suite on SQLite here, and (test-db) the database-facing
# suites on PostgreSQL and then on the other combinations of the matrix. Their live servers take ports from
# bands of their own (AUTHFLOWS_TEST_PORTS, below the kernel's ephemeral range). The second lane's output is
# shown when both have finished; `make test LANES=1` runs them one after the other.
LANES ?= 2
LANE_LOG ?= tests/artifacts/test-db-lane.log
test: install-test chromium node tools lint-imports lint docs
	@if [ "$(LANES)" = 1 ]; then \
	  AUTHFLOWS_TEST_PORTS=20000-24999 $(BIN)/python -m pytest $(PYTEST_ARGS) && $(MAKE) --no-print-directory test-db; \
	else \
	  mkdir -p $(dir $(LANE_LOG)); \
	  echo "The PostgreSQL run and the matrix run alongside this one; their output follows it ($(LANE_LOG))."; \
	  SKIP_INSTALL=1 AUTHFLOWS_TEST_PORTS=26000-30999 $(MAKE) --no-print-directory test-db > $(LANE_LOG) 2>&1 & lane=$$!; \
	  AUTHFLOWS_TEST_PORTS=20000-24999 $(BIN)/python -m pytest $(PYTEST_ARGS); main=$$?; \
	  wait $$lane; db=$$?; \
	  echo; echo "==== the second lane: PostgreSQL run and matrix (exit $$db) ===="; cat $(LANE_LOG); \
	  echo; echo "whole suite on SQLite: exit $$main; PostgreSQL run and matrix: exit $$db"; \
	  [ $$main = 0 ] && [ $$db = 0 ]; \
	fi

# The database-facing suites on PostgreSQL (127.0.0.1:5432, as CI runs it), then the matrix.
test-db: install-test
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
	  echo "AUTHFLOWS_TEST_DB=postgres pytest tests/flows tests/resource tests/hardening"; \
	  AUTHFLOWS_TEST_DB=postgres $(BIN)/python -m pytest tests/flows tests/resource tests/hardening $(PYTEST_ARGS); \
	else echo "PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL run was SKIPPED"; fi
	$(MAKE) --no-print-directory matrix

# The other Django/Python combinations of noxfile.py (the database-facing suites, each in a fresh virtualenv).
# MATRIX_ARGS picks some: make matrix MATRIX_ARGS='-s "matrix(py3.13-django6.1)"'.
MATRIX_ARGS ?= -s matrix
matrix: install-test
	$(BIN)/nox --no-color -f noxfile.py $(MATRIX_ARGS) -- $(PYTEST_ARGS)

# Both database classes (SQLite; PostgreSQL + Redis on 127.0.0.1:5432 / :6379), sync workers, under 15 minutes.
# BENCH_ARGS: --dbs sqlite, --classes sync,gthread --budget 1300, --only ROWS, --duration S, --reps N, --quick
# (python -m bench.run -h).
bench: $(BIN)/python wrk
	$(BIN)/pip install -q -e '.[test,bench]'
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .nox dist build site .demo-base-url demo.sqlite3* db.sqlite3* tests/artifacts .pytest_cache .mypy_cache .ruff_cache
