# wire-ingest: every target creates .venv and installs what it needs.
VENV    ?= .venv
PY      := $(VENV)/bin/python
WIRE    := $(VENV)/bin/wire
STAMP   := $(VENV)/.installed-stamp
PYTHON  ?= python3

.PHONY: help install run demo test chaos lint format eval bench up down clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install wire-ingest with its test tools

run: $(STAMP) ## the fleet on embedded defaults: workers for every queue and one beat, until Ctrl-C
	$(WIRE) run

demo: $(STAMP) ## ingest the bundled sample (served on 127.0.0.1) and print what was stored
	$(WIRE) demo

test: $(STAMP) ## unit, integration (Redis, SQLite, PostgreSQL) and end-to-end tests
	$(PY) -m pytest

chaos: $(STAMP) ## fault tests: kills, Redis restart, database outage, backlog, poison (var/chaos.json)
	WIRE_CHAOS_FULL=1 $(PY) -m pytest -m chaos -s tests/chaos
	@cat var/chaos.json

eval: $(STAMP) ## quality of clean, dedup and classify against ../shared/corpus (WIRE_CORPUS_DIR)
	$(PY) scripts/eval.py

bench: $(STAMP) ## speed and memory figures on this machine, written to var/bench.json
	$(PY) scripts/bench.py

lint: $(STAMP) ## ruff and mypy (strict)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP) ## apply ruff's formatting and fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

up: ## the fleet in Docker Compose (needs a Docker engine)
	docker compose up -d

down: ## stop the Compose fleet; workers finish what they hold
	docker compose down

clean: ## remove the virtualenv and the embedded data under var/
	rm -rf $(VENV) var
