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

.PHONY: demo test lint format bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	# PDF partitioning imports unstructured-inference; its own dependencies (timm ->
	# torchvision) break the CPU torch, so it is installed alone.
	$(BIN)/pip install --quiet --no-deps -c constraints.txt unstructured-inference
	touch $(STAMP)

## demo: fetch the Django docs, index them into Milvus Lite, serve the UI on 127.0.0.1:8501
demo: $(STAMP)
	$(BIN)/distilsearch demo

## test: the whole test suite, offline (slow tests included)
test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python benchmarks/spacy_choice.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
