#!/usr/bin/env bash
# Regenerate the low-level client from openapi.yaml into the folder given (default generated/leapocr_api).
# Uses the pinned openapi-python-client and ruff from the project's venv (see `make generate`).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$here/generated/leapocr_api}"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
openapi-python-client generate \
  --path "$here/openapi.yaml" \
  --config "$here/openapi-generator.yaml" \
  --meta none \
  --output-path "$out" \
  --fail-on-warning >/dev/null
rm -rf "$out/.ruff_cache"
echo "generated $out"
