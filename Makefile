# answerdesk — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup run test test-fast lint ingest stats eval bench clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# The venv is rebuilt when pyproject.toml changes (a stale venv is as bad as none).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install answerdesk with its dev tools

run: $(STAMP) ## Install, index the sample knowledge base, and show what is indexed
	$(BIN)/answerdesk ingest
	$(BIN)/answerdesk index stats

test: $(STAMP) ## Install and run the whole test suite
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

ingest: $(STAMP) ## Incremental sync of the configured sources into the index
	$(BIN)/answerdesk ingest

stats: $(STAMP) ## What the index holds
	$(BIN)/answerdesk index stats

eval: $(STAMP) ## Run the golden question set and write the report (see README)
	$(BIN)/answerdesk eval --report benchmarks/out/eval

bench: $(STAMP) ## Benchmarks: figures and ratios against baselines (not tests)
	$(BIN)/python benchmarks/ingest.py

clean: ## Remove the local index and caches (keeps .venv)
	rm -rf .answerdesk .pytest_cache .mypy_cache .ruff_cache
