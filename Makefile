# The two commands: `make run` and `make test`. Everything else is a helper of theirs, but for
# `make test-fast`: lint, types and the unit layer (tests/unit: no server, no database server), in seconds.
PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000
BIN    := $(VENV)/bin
# Every Python dependency is pinned, with hashes, in three lock files compiled from pyproject.toml
# (which keeps lower bounds only, for those who install accord as a library): requirements.txt for
# the service, requirements-test.txt adds the test extra, requirements-bench.txt the bench extra.
# They are universal (every platform, Python 3.11 and newer) and plain pip installs them;
# `make lock` refreshes them with uv (docs/operations.md: upgrading a dependency).
UV     := uv==0.13.9
LOCKS  := requirements.txt requirements-test.txt requirements-bench.txt
LOCK_ARGS ?=

.PHONY: run test test-fast check-static install install-test system-deps node-deps lint typecheck check bench schema clean lock

run: install
	$(BIN)/accord serve --host $(HOST) --port $(PORT)

test: install-test check-static
	$(BIN)/pytest $(PYTEST_ARGS)

# The unit layer needs the Python test dependencies only: no Debian or Node packages.
test-fast: $(VENV)/.installed-test check-static
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

check-static: $(VENV)/.installed-test
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/mypy

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("accord needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test system-deps node-deps

system-deps:
	scripts/install-system-deps

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

node-deps: node_modules/.package-lock.json

lint:
	$(BIN)/ruff check src tests $(wildcard bench)

typecheck:
	$(BIN)/mypy

schema: install
	$(BIN)/accord schema > schema.graphql

# `make bench BENCH_ARGS="http --quick"`: matplotlib for the plots, PostGraphile 4 (bench/postgraphile) and
# PostGraphile 5 with its own Node 22 (bench/postgraphile5) for the http suite's peers; each npm ci runs
# again only when its lock file is newer than the installed tree (npm, on the project's Node 20, warns that
# PostGraphile 5's packages want Node 22: the suite runs them on the Node 22 their lock file installs).
bench: install-test
	$(BIN)/pip install --quiet --require-hashes -r requirements-bench.txt
	for peer in bench/postgraphile bench/postgraphile5; do \
		[ $$peer/node_modules/.package-lock.json -nt $$peer/package-lock.json ] || \
			(cd $$peer && npm ci --no-audit --no-fund) || exit 1; \
	done
	$(BIN)/python -m bench $(BENCH_ARGS)

# Refresh the lock files from pyproject.toml, keeping every pin that still fits. To upgrade:
# `make lock LOCK_ARGS="--upgrade-package strawberry-graphql"`, or LOCK_ARGS=--upgrade for all.
lock: $(BIN)/python
	$(BIN)/pip install --quiet $(UV)
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) $(LOCK_ARGS) -o requirements.txt
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) $(LOCK_ARGS) --extra test -o requirements-test.txt
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) $(LOCK_ARGS) --extra test --extra bench -o requirements-bench.txt

LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
