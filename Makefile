# The two set-up commands: `make build ARGS="..."` builds a dataset, `make test` runs every check.
# One virtualenv: `make build` installs the core only (no extras, no dev tools); `make test`
# adds everything (`.[dev]`: every extra plus the test tools).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CORE_STAMP := $(VENV)/.installed-core
DEV_STAMP := $(VENV)/.installed-dev
# torchvision (several GB) only proves datasets load in ImageFolder; it gets its own virtualenv,
# kept in the user's cache so clones and CI runs on one machine share it.
TORCHVISION_VENV ?= $(HOME)/.cache/pixcrawler/venv-torchvision-0.29.1
TORCHVISION_STAMP := $(TORCHVISION_VENV)/.installed

.PHONY: build test lint bench venv torchvision-venv test-services clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(CORE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(CORE_STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP) $(CORE_STAMP)

$(TORCHVISION_STAMP):
	$(PYTHON) -m venv $(TORCHVISION_VENV)
	$(TORCHVISION_VENV)/bin/pip install --quiet torch==2.14.1 torchvision==0.29.1
	touch $(TORCHVISION_STAMP)

venv: $(DEV_STAMP)

torchvision-venv: $(TORCHVISION_STAMP)

# `make build` builds the example list; pass your own: make build ARGS="--source urls.txt --out DIR"
ARGS ?= --source examples/pets.csv --out datasets/pets
build: $(CORE_STAMP)
	$(BIN)/pixcrawler build $(ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# Azurite for the Azure storage tests (npm, cached in ~/.cache/pixcrawler/node); idempotent.
test-services:
	bash scripts/install-test-services.sh

test: lint $(TORCHVISION_STAMP) test-services
	PIXCRAWLER_TORCHVISION_PYTHON=$(TORCHVISION_VENV)/bin/python $(BIN)/pytest

# Side-by-side ingest benchmark against img2dataset (own virtualenv under benchmarks/.work).
bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/ingest.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
