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

# `make bench BENCH_ARGS="http --quick"`: matplotlib for the plots, PostGraphile 4 (bench/postgraphile) and
# PostGraphile 5 with its own Node 22 (bench/postgraphile5) for the http suite's peers; each npm ci runs
# again only when its lock file is newer than the installed tree (npm, on the project's Node 20, warns that
# PostGraphile 5's packages want Node 22: the suite runs them on the Node 22 their lock file installs).
bench: install-test
	$(BIN)/pip install --quiet -e '.[test,bench]'
	for peer in bench/postgraphile bench/postgraphile5; do \
		[ $$peer/node_modules/.package-lock.json -nt $$peer/package-lock.json ] || \
			(cd $$peer && npm ci --no-audit --no-fund) || exit 1; \
	done
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
