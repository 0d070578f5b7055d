# The project's verbs. Each target sets itself up: a fresh clone needs only python3 (>= 3.11) and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
GEN_PKG := generated/leapocr_api
# The official SDK, unchanged, in its own throwaway environment (tests/compat).
COMPAT       := .compat
COMPAT_STAMP := $(COMPAT)/.installed
COMPAT_REQS  := tests/compat/requirements.txt
# The oldest dependency versions pyproject.toml allows, in their own environment (lower-bounds).
LOWEST       := .lowest
LOWEST_STAMP := $(LOWEST)/.installed

.PHONY: install compat generate check lint types typing spec regen-diff test docs package lower-bounds demo bench bench-smoke soak clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,testing]'
	touch $(STAMP)

install: $(STAMP)

$(COMPAT_STAMP): $(COMPAT_REQS)
	$(PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/python -m pip install --quiet -r $(COMPAT_REQS)
	touch $(COMPAT_STAMP)

## The official SDK for tests/compat (LEAPOCR_SKIP_OFFICIAL_SDK=1 skips that test instead).
compat: $(COMPAT_STAMP)

## Regenerate generated/ from openapi.yaml (never edit generated/ by hand).
generate: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" scripts/generate.sh $(GEN_PKG)

## Lint, strict types, spec validation, regeneration diff, the docs site, tests, the package,
## lower bounds.
check: lint types typing spec regen-diff docs test package lower-bounds

lint: $(STAMP)
	$(BIN)/ruff check leapocr_sdk tests scripts
	$(BIN)/ruff format --check leapocr_sdk tests scripts

types: $(STAMP)
	$(BIN)/mypy --strict leapocr_sdk

## What users' type checkers see: tests/typing/ under mypy --strict and pyright (assert_type).
typing: $(STAMP)
	$(BIN)/mypy --strict tests/typing
	$(BIN)/pyright --pythonpath $(BIN)/python tests/typing

spec: $(STAMP)
	$(BIN)/openapi-spec-validator openapi.yaml

regen-diff: $(STAMP)
	@tmp=$$(mktemp -d) && \
	PATH="$(abspath $(BIN)):$$PATH" scripts/generate.sh $$tmp/leapocr_api >/dev/null && \
	diff -r -x __pycache__ $(GEN_PKG) $$tmp/leapocr_api && echo "generated/ matches openapi.yaml" ; \
	status=$$?; rm -rf $$tmp; exit $$status

test: $(STAMP) $(COMPAT_STAMP)
	$(BIN)/python -m pytest -q

## The documentation site, built strictly (a broken reference or link fails) into site/.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

## Build the sdist and wheel, twine check them, install the wheel in a clean venv and run it.
package: $(STAMP)
	PYTHON=$(abspath $(BIN))/python scripts/check_package.sh

$(LOWEST_STAMP): pyproject.toml scripts/lowest_requirements.py
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(BIN)/python scripts/lowest_requirements.py testing > $(LOWEST)/requirements.txt
	$(LOWEST)/bin/python -m pip install --quiet -r $(LOWEST)/requirements.txt \
		pytest pytest-httpserver hypothesis pyyaml jsonschema openapi-schema-validator
	$(LOWEST)/bin/python -m pip install --quiet --no-deps -e .
	touch $(LOWEST_STAMP)

## The SDK tests against the oldest httpx, attrs, python-dateutil, sniffio (and pypdf) allowed.
lower-bounds: $(STAMP) $(LOWEST_STAMP)
	$(LOWEST)/bin/python -m pip list --format=freeze 2>/dev/null \
		| grep -iE '^(httpx|attrs|python-dateutil|sniffio|pypdf)=='
	$(LOWEST)/bin/python -m pytest -q -p no:cacheprovider tests/sdk tests/test_end_to_end_2026.py

## The README's main command: the offline demo on the embedded emulator (as `leapocr demo`).
demo: $(STAMP)
	$(BIN)/python scripts/demo.py

## Benchmarks (sets up its own environment for the comparison SDK under .bench/).
bench: $(STAMP)
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_issue12.py

bench-smoke: $(STAMP)
	$(BIN)/python scripts/bench.py --smoke
	$(BIN)/python scripts/bench_issue12.py --smoke

## The full-size reliability soak (the test suite runs a reduced one).
soak: $(STAMP)
	LEAPOCR_SOAK_JOBS=500 $(BIN)/python -m pytest -q tests/reliability -k soak

clean:
	rm -rf $(VENV) $(COMPAT) $(LOWEST) site .mypy_cache .ruff_cache .pytest_cache .hypothesis
