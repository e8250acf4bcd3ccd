# One command to run the service, one to test it; each makes its own virtualenv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
WORKERS ?= 1
PYTEST_ARGS ?=
PYTEST_WORKERS ?= auto

.PHONY: run test lint install clean

# The stamp is newer than pyproject.toml once the dependencies in it are installed.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "order-service needs Python 3.11 or newer; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

## run: serve the API on an embedded SQLite file (migrations applied first)
run: install
	$(BIN)/order-service serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

## test: the whole suite; PostgreSQL tests too when ORDER_SERVICE_TEST_POSTGRES_URL is set
test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## lint: ruff on everything, mypy --strict on src/, the import graph (pyproject.toml)
lint: install
	$(BIN)/ruff check src tests migrations examples bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache test-artifacts

## bench: the flash-sale benchmark on PostgreSQL (under 10 min; installs wrk and pgbench
## with apt-get if missing; prints one table and writes bench/RESULTS.md).
## BENCH_POSTGRES_URL picks the server; BENCH_ARGS=--quick is a ~2-minute smoke run.
BENCH_ARGS ?=
.PHONY: bench
bench: install
	$(BIN)/python bench/harness.py $(BENCH_ARGS)

## bench-export: the export benchmark on PostgreSQL (~10 min; prints a table, writes
## bench/RESULTS-export.md). BENCH_POSTGRES_URL picks the server (default
## postgresql://postgres@127.0.0.1:5432/postgres); BENCH_ARGS="--orders 50000" runs small.

.PHONY: bench-export
bench-export: install
	$(BIN)/python bench/export.py $(BENCH_ARGS)
