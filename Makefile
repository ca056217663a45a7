# `make test` and `make demo` work on a fresh clone: they create .venv and install
# everything first. PYTHON picks the interpreter the venv is made from.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install servers bytecode test lint format demo eval bench bench-scaling faults clean

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

# Bytecode for every process a test starts. newscrawl is installed editable, so
# nothing compiled it, and where PYTHONDONTWRITEBYTECODE is set (as on this
# project's machines) every crawl, fork server and command of the tests compiled
# its 15,000 lines again, and pytest rewrote every test module in each of its
# processes: `bytecode` compiles newscrawl (compileall writes whatever that
# variable says, and only what changed), and the tests run without the variable,
# so that pytest keeps its rewritten modules too (in __pycache__, ignored by git).
# Measured on 2 cores: the suite's CPU went from 757 to about 550 s with the
# cheaper test fixtures of the same change, most of it from bytecode.
bytecode: install
	$(BIN)/python -m compileall -q newscrawl

test: lint servers bytecode
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal

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
