# Animaréseau — the two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
FLASK := $(BIN)/flask --app webapp

.PHONY: run test test-horloge setup install db lint bench bench-charge clean

run: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

# Two workers, a whole test file each at a time (module fixtures are built once); each worker
# has its own PostgreSQL cluster and instance folder. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2

test: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The suite with the system clock of the test processes one year ahead (time-machine): the
# application reads only its own clock (models/clock.py), so the real date must change nothing.
test-horloge:
	ANIMARESEAU_TEST_SHIFT_DAYS=365 $(MAKE) test

setup: install db

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]" --config-settings editable_mode=compat
	touch $(STAMP)

db: install
	$(FLASK) db upgrade
	$(FLASK) seed demo --if-empty

lint: install
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/run.py
	$(BIN)/python bench/registration_burst.py
	$(BIN)/python bench/parcours.py
	$(BIN)/python bench/observatory.py
	$(BIN)/python bench/funder_reports.py
	$(BIN)/python bench/councils.py
	$(BIN)/python bench/mentoring.py
	$(BIN)/python bench/backup.py
	$(BIN)/python bench/retention.py

# The load test of the whole application (locust, SQLite then PostgreSQL): bench/loadtest/run.py.
bench-charge: setup
	$(BIN)/python bench/loadtest/run.py --db both

clean:
	rm -rf $(VENV) .pytest_cache
