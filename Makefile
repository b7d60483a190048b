# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8000
BIN    := $(VENV)/bin

.PHONY: run test install install-test system-deps node-deps lint typecheck check bench schema clean

run: install
	$(BIN)/accord serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("accord needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
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

# `make bench BENCH_ARGS="http --quick"`: matplotlib for the plots, PostGraphile (bench/postgraphile) for
# the http suite's peer; npm ci runs again only when its lock file is newer than the installed tree.
bench: install-test
	$(BIN)/pip install --quiet -e '.[test,bench]'
	[ bench/postgraphile/node_modules/.package-lock.json -nt bench/postgraphile/package-lock.json ] || \
		(cd bench/postgraphile && npm ci --no-audit --no-fund)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
