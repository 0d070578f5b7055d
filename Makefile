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
# Ray (the `ray` extra, large) in its own environment, for check-slow.
SLOW         := .slow
SLOW_STAMP   := $(SLOW)/.installed

.PHONY: install compat generate unasync unasync-check check check-slow chromium lint types typing spec regen-diff test docs package lower-bounds demo bench bench-smoke soak clean

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

## Write LeapOCR (leapocr_sdk/_sync_client.py) from the hand-written AsyncLeapOCR.
unasync: $(STAMP)
	$(BIN)/python scripts/unasync.py

unasync-check: $(STAMP)
	$(BIN)/python scripts/unasync.py --check

## Lint, strict types, spec validation, regeneration diffs, the docs site, tests, the package,
## lower bounds. The three environments are set up side by side (mostly downloads), then the
## checks run two at a time, the longest (the tests, themselves spread over the cores) first;
## each check's output is printed whole when it ends.
CHECKS := test lower-bounds types package typing docs regen-diff lint spec unasync-check
check:
	$(MAKE) --no-print-directory -j3 $(STAMP) $(COMPAT_STAMP) $(LOWEST_STAMP)
	$(MAKE) --no-print-directory -j2 --output-sync=target $(CHECKS)

lint: $(STAMP)
	$(BIN)/ruff check leapocr_sdk tests scripts benchmarks
	$(BIN)/ruff format --check leapocr_sdk tests scripts benchmarks

## mypy: leapocr_sdk strict, tests/ for what they call (pyproject.toml's [tool.mypy]).
types: $(STAMP)
	$(BIN)/mypy

## What users' type checkers infer from the public API (tests/typing), under mypy and pyright.
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

# Test processes (pytest-xdist): one per core unless told otherwise (PYTEST_WORKERS=0: none).
PYTEST_WORKERS ?= auto

test: $(STAMP) $(COMPAT_STAMP)
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS)

## The documentation site, built strictly (a broken reference or link fails) into site/.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

## Build the sdist and wheel, twine check them, install the wheel in a clean venv and run it.
package: $(STAMP)
	PYTHON=$(abspath $(BIN))/python scripts/check_package.sh

$(LOWEST_STAMP): pyproject.toml scripts/lowest_requirements.py
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(PYTHON) scripts/lowest_requirements.py testing > $(LOWEST)/requirements.txt
	$(LOWEST)/bin/python -m pip install --quiet -r $(LOWEST)/requirements.txt \
		pytest pytest-xdist pytest-httpserver hypothesis pyyaml jsonschema \
		openapi-schema-validator \
		opentelemetry-api opentelemetry-sdk  # the span tests in tests/sdk
	$(LOWEST)/bin/python -m pip install --quiet --no-deps -e .
	touch $(LOWEST_STAMP)

## The SDK tests against the oldest httpx, attrs, python-dateutil, sniffio (and pypdf) allowed.
lower-bounds: $(LOWEST_STAMP)
	$(LOWEST)/bin/python -m pip list --format=freeze 2>/dev/null \
		| grep -iE '^(httpx|attrs|python-dateutil|sniffio|pypdf)=='
	$(LOWEST)/bin/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) \
		tests/sdk tests/test_end_to_end_2026.py

$(SLOW_STAMP): pyproject.toml
	rm -rf $(SLOW)
	$(PYTHON) -m venv $(SLOW)
	$(SLOW)/bin/python -m pip install --quiet -e '.[testing,ray]' 'pytest>=8'
	touch $(SLOW_STAMP)

## Headless Chromium for the docs site's checks (Debian's package; CI runs as root).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q chromium; }

## What needs a large extra or a browser (pytest marker `heavy`): LeapOCRMapper on a local
## Ray cluster, and the built docs site in headless Chromium (no clipping at 1280 px, search).
check-slow: $(STAMP) $(SLOW_STAMP) chromium
	$(SLOW)/bin/python -m pytest -q -p no:cacheprovider -m heavy tests/integrations/test_ray.py tests/docs/test_docs_examples.py
	$(BIN)/python -m pytest -q -p no:cacheprovider -m heavy \
		tests/docs/test_site_in_browser.py tests/integrations/test_extras_from_wheel.py

## The README's main command: the offline demo on the embedded emulator (as `leapocr demo`).
demo: $(STAMP)
	$(BIN)/python scripts/demo.py

## Benchmarks: the comparison with raw httpx and the official SDK (which it installs under
## .bench/), then every benchmarks/*_bench.py judged against its target (benchmarks/targets.py
## writes the README's performance table). bench-smoke: all of it tiny, nothing written.
bench: $(STAMP)
	$(BIN)/python benchmarks/sdk_comparison.py; first=$$?; \
	$(BIN)/python benchmarks/targets.py && exit $$first

bench-smoke: $(STAMP)
	$(BIN)/python benchmarks/sdk_comparison.py --smoke; first=$$?; \
	$(BIN)/python benchmarks/targets.py --smoke && exit $$first

## The full-size reliability soaks, 500 jobs each (the test suite runs reduced ones): one
## client under random faults, and overlapping `leapocr process` runs killed halfway.
soak: $(STAMP)
	LEAPOCR_SOAK_JOBS=500 $(BIN)/python -m pytest -q tests/reliability -k soak

clean:
	rm -rf $(VENV) $(COMPAT) $(LOWEST) $(SLOW) site .mypy_cache .ruff_cache .pytest_cache .hypothesis
