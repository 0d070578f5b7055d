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

.PHONY: install compat generate check lint types spec regen-diff test demo bench bench-smoke soak clean

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

## Lint, strict types, spec validation, regeneration diff, tests.
check: lint types spec regen-diff test

lint: $(STAMP)
	$(BIN)/ruff check leapocr_sdk tests scripts
	$(BIN)/ruff format --check leapocr_sdk tests scripts

types: $(STAMP)
	$(BIN)/mypy --strict leapocr_sdk

spec: $(STAMP)
	$(BIN)/openapi-spec-validator openapi.yaml

regen-diff: $(STAMP)
	@tmp=$$(mktemp -d) && \
	PATH="$(abspath $(BIN)):$$PATH" scripts/generate.sh $$tmp/leapocr_api >/dev/null && \
	diff -r -x __pycache__ $(GEN_PKG) $$tmp/leapocr_api && echo "generated/ matches openapi.yaml" ; \
	status=$$?; rm -rf $$tmp; exit $$status

test: $(STAMP) $(COMPAT_STAMP)
	$(BIN)/python -m pytest -q

## The README's main command: the offline demo on the embedded emulator.
demo: $(STAMP)
	$(BIN)/python scripts/demo.py

## Benchmarks (sets up its own environment for the comparison SDK under .bench/).
bench: $(STAMP)
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_issue12.py

bench-smoke: $(STAMP)
	$(BIN)/python scripts/bench.py --smoke

## The full-size reliability soak (the test suite runs a reduced one).
soak: $(STAMP)
	LEAPOCR_SOAK_JOBS=500 $(BIN)/python -m pytest -q tests/reliability -k soak

clean:
	rm -rf $(VENV) $(COMPAT) .mypy_cache .ruff_cache .pytest_cache .hypothesis
