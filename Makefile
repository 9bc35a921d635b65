# One entry point for the tasks that the README, CI and people all use.
#   make run   installs everything and runs the whole system on the embedded default (SQLite)
#   make test  installs everything and runs lint, types and the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest node-tools bench clean

install: $(STAMP) node-tools

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

# Browser assets (GraphiQL) and the reference federation tools used by the tests come from the npm
# registry. Without npm the product still runs; GraphiQL and the Node-based tests say why they are off.
node-tools:
	@bash scripts/install-node-tools.sh

run: install
	$(VENV)/bin/wealthtech up

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: install
	$(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: install
	$(PY) bench/crypto.py
	$(PY) bench/router.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
