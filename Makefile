# Every verb creates .venv and installs what it needs first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export DO_NOT_TRACK := 1
export UNSTRUCTURED_DISABLE_NOTICE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint format bench bench-deps frontier reliability results system-deps clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	# PDF partitioning imports unstructured-inference; its own dependencies (timm ->
	# torchvision) break the CPU torch, so it is installed alone.
	$(BIN)/pip install --quiet --no-deps -c constraints.txt unstructured-inference
	# ranx compiles its metrics with numba on first use; compiled once here, cached beside it
	$(BIN)/python -c "from evaluation.metrics import compile_metrics; compile_metrics()"
	touch $(STAMP)

## demo: fetch the Django docs, index them into Milvus Lite, serve the UI on 127.0.0.1:8501
demo: $(STAMP)
	$(BIN)/distilsearch demo

## system-deps: Debian chromium (browser tests) and docker-compose (compose validation)
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v docker-compose >/dev/null || missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "not root: install$$missing yourself (their tests are skipped)"; fi; \
	fi

## test: the whole test suite, offline (slow and browser tests included)
test: $(STAMP) system-deps
	$(BIN)/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## bench-deps: benchmark-only extras (model2vec for the frontier; its own pins would
## downgrade transformers, so it is installed without them: it needs nothing more here)
bench-deps: $(STAMP)
	$(BIN)/pip install --quiet --no-deps "model2vec==0.10.0" "skeletoken>=0.6,<0.7"

## frontier: every encoder on one speed-quality frontier (hours on 2 cores; each step resumes)
frontier: bench-deps
	cd benchmarks && ../$(BIN)/python frontier.py train
	cd benchmarks && ../$(BIN)/python frontier.py teacher
	cd benchmarks && ../$(BIN)/python frontier.py model2vec
	cd benchmarks && ../$(BIN)/python frontier.py score
	cd benchmarks && ../$(BIN)/python frontier.py speed
	cd benchmarks && ../$(BIN)/python frontier.py report

bench: $(STAMP)
	$(BIN)/python benchmarks/spacy_choice.py
	$(BIN)/python benchmarks/chunking_choice.py
	$(BIN)/python benchmarks/index_bench.py

## reliability: regenerate docs/reliability.md (hostile files, injection, SIGKILL, load, fault suite)
reliability: $(STAMP) system-deps
	$(BIN)/python benchmarks/reliability_report.py

## results: regenerate docs/results/README.md and the results block of docs/distillation.md
results:
	$(PYTHON) benchmarks/results_page.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
