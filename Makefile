# `make test` and `make demo` work on a fresh clone: they create .venv and install
# everything first. PYTHON picks the interpreter the venv is made from.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install servers test lint format demo eval bench bench-scaling faults clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check newscrawl tests bench
	$(BIN)/ruff format --check newscrawl tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format newscrawl tests bench
	$(BIN)/ruff check --fix newscrawl tests bench

# Debian's redis-server and postgresql for the cluster tests, installed when missing
# and allowed (root, or sudo without a password); see tests/install-servers.sh.
servers:
	tests/install-servers.sh

# Tests run in PYTEST_WORKERS processes (pytest-xdist): most of a test's time is
# spent waiting for a crawl in a subprocess, so more processes than cores pay.
# `PYTEST_WORKERS=0 make test` runs them in one process. Work stealing: a process
# that runs out of tests takes half of another's queue, so the run does not end
# with one process still working through a queue of long crawls (tests/conftest.py
# also puts the longest first).
PYTEST_WORKERS ?= 4

test: lint servers
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

demo: install
	$(BIN)/newscrawl demo

# Extraction quality against plain trafilatura on ../shared/data (when present).
eval: install
	../shared/tools/eval-extract

# Throughput and memory against plain trafilatura (several minutes; ../shared/data).
bench: install
	$(BIN)/python bench/throughput.py --archive-compare

# One cluster worker against two (Redis, PostgreSQL and the pages on loopback).
bench-scaling: install
	$(BIN)/python bench/scaling.py

# The fault suite's report: every fault of the reliability plan, 20 SIGKILL trials.
faults: install
	$(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
