# The two set-up commands: `make build ARGS="..."` builds a dataset, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torchvision (several GB) only proves datasets load in ImageFolder; it gets its own virtualenv,
# kept in the user's cache so clones and CI runs on one machine share it.
TORCHVISION_VENV ?= $(HOME)/.cache/pixcrawler/venv-torchvision-0.29.1
TORCHVISION_STAMP := $(TORCHVISION_VENV)/.installed

.PHONY: build test lint bench venv torchvision-venv test-services clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(TORCHVISION_STAMP):
	$(PYTHON) -m venv $(TORCHVISION_VENV)
	$(TORCHVISION_VENV)/bin/pip install --quiet torch==2.14.1 torchvision==0.29.1
	touch $(TORCHVISION_STAMP)

venv: $(STAMP)

torchvision-venv: $(TORCHVISION_STAMP)

# `make build` builds the example list; pass your own: make build ARGS="--source urls.txt --out DIR"
ARGS ?= --source examples/pets.csv --out datasets/pets
build: $(STAMP)
	$(BIN)/pixcrawler build $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

# Azurite for the Azure storage tests (npm, cached in ~/.cache/pixcrawler/node); idempotent.
test-services:
	bash scripts/install-test-services.sh

test: lint $(TORCHVISION_STAMP) test-services
	PIXCRAWLER_TORCHVISION_PYTHON=$(TORCHVISION_VENV)/bin/python $(BIN)/pytest

# Side-by-side ingest benchmark against img2dataset (own virtualenv under benchmarks/.work).
bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
