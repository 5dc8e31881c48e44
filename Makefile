# ContractSync developer commands. Everything installs into .venv from pyproject.toml.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin

.PHONY: install run test lint format bench chaos clean browser

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

## make run: Temporal dev server (UI on :8233), worker and API (:8000); Ctrl-C stops all
run: install
	$(BIN)/contractsync dev

## make test: the whole suite (SQLite; PostgreSQL too when DATABASE_URL points at one)
test: install browser
	$(BIN)/pytest

## make chaos: the fault suite, a few minutes, not part of `make test` (on PostgreSQL when
## DATABASE_URL points at one: it stops that cluster for 10 s); exits 1 if any scenario fails
chaos: install
	$(BIN)/contractsync chaos

## make bench: the benchmark (about 9 minutes, not part of `make test`) against real stacks,
## on PostgreSQL when DATABASE_URL points at one; prints the table, rewrites docs/benchmarks.md
bench: install
	$(BIN)/contractsync bench

## make browser: Debian's Chromium for the browser tests (make test installs it)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
	@chromium --version 2>/dev/null

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
