# Deskside — `make run` starts the desk on SQLite, `make test` runs the tests. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
UV := $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: help setup setup-tests run test test-sqlite test-postgres check audit ci-audit format bench screenshots ci system-deps postgres image

help:
	@echo "make run      set up and start the whole desk on SQLite (http://127.0.0.1:8000/)"
	@echo "make test     set up (Debian packages too: Dovecot, Chromium) and run the suite on SQLite"
	@echo "make check    ruff, the import layers (import-linter) and mypy"
	@echo "make audit    the locked dependencies against the published advisories (pip-audit)"
	@echo "make bench    run the benchmarks in bench/ (JSON on stdout)"
	@echo "make screenshots  renew docs/screenshots/ from the browser tests"
	@echo "make image    the container image (Dockerfile), when a Docker builder answers"
	@echo "make ci       what CI runs: system packages, services, checks, tests on SQLite and PostgreSQL"

# uv is the one tool we need; when it is missing it goes into .tools/ from PyPI.
$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.synced: pyproject.toml uv.lock scripts/find-python.sh | $(UV)
	$(UV) sync --frozen --python "$$(UV=$(UV) scripts/find-python.sh)"
	@touch $@

setup: $(VENV)/.synced

# What the browser tests use beside Python: axe-core (package-lock.json pins it).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

setup-tests: setup node_modules/.installed

run: setup
	$(BIN)/deskside run

test: system-deps setup test-sqlite

test-sqlite: setup-tests
	env -u DATABASE_URL $(BIN)/pytest $(PYTEST_ARGS)

# The same suite on PostgreSQL; fails when the server cannot be started. The throw-away server
# is stopped afterwards, pass or fail (one that was already listening there is left alone).
test-postgres: setup-tests
	source <(scripts/postgres-test.sh start | head -1 | sed 's/^/export /') && \
	  trap 'scripts/postgres-test.sh stop >/dev/null' EXIT && \
	  DESKSIDE_REQUIRE_POSTGRES=1 $(BIN)/pytest $(PYTEST_ARGS)

check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy deskside tests

# Fails on a known vulnerability in uv.lock; exit 2 when no advisory service answers from here
# (scripts/audit.sh), which `make ci` reports and lets pass: no service, no verdict either way.
audit: setup
	UV=$(UV) scripts/audit.sh

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	@for script in bench/*.py; do echo "== $$script" >&2; $(BIN)/python $$script || exit 1; done

# The browser tests take the README's screenshots; only this target writes them into docs/.
screenshots: system-deps setup
	env -u DATABASE_URL DESKSIDE_SCREENSHOTS=1 $(BIN)/pytest tests/browser

system-deps:
	scripts/system-deps.sh

ci: system-deps setup check ci-audit test-sqlite test-postgres image

# The image needs a Docker engine (or another builder behind the docker client); where none
# answers, as on the development machines, it says so and succeeds, so CI builds it only
# where it can.
IMAGE ?= deskside:latest
image:
	@if docker info >/dev/null 2>&1; then \
	  docker build --tag $(IMAGE) . ; \
	else \
	  echo "make image: skipped: no Docker engine answers here ('docker info' failed)"; \
	fi

ci-audit: setup
	UV=$(UV) scripts/audit.sh || [ $$? -eq 2 ]
