#!/usr/bin/env bash
# `make package`: build the sdist and wheel, check them as the package index would (twine),
# then install the wheel alone in a clean venv and use it from outside the repository.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-$here/.venv/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" -m build --outdir "$work/dist" "$here" >/dev/null  # the wheel is built from the sdist
"$python" -m build --wheel --outdir "$work/direct" "$here" >/dev/null  # and from the tree
"$python" -m twine check --strict "$work"/dist/*
wheel=("$work"/dist/*.whl)
sdist=("$work"/dist/*.tar.gz)

# What must be inside: the generated layer (a link in the repository), py.typed, the sample,
# the licence; and in the sdist, the tests.
"$python" - "${wheel[0]}" "${sdist[0]}" "$work"/direct/*.whl <<'PY'
import sys, tarfile, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
direct = set(zipfile.ZipFile(sys.argv[3]).namelist())
assert names == direct, f"the wheels from the sdist and the tree differ: {names ^ direct}"
for required in ("leapocr_sdk/py.typed", "leapocr_sdk/_generated/__init__.py",
                 "leapocr_sdk/_generated/api/ocr/get_job_status.py",
                 "leapocr_sdk/testing/data/sample-invoice.pdf"):
    assert required in names, f"the wheel lacks {required}"
assert any(n.endswith("licenses/LICENSE") for n in names), "the wheel lacks LICENSE"
assert not any(n.startswith("tests/") for n in names), "the wheel holds the tests"
sdist = {n.split("/", 1)[1] for n in tarfile.open(sys.argv[2]).getnames() if "/" in n}
for required in ("tests/conftest.py", "tests/cli/test_process.py", "LICENSE", "CHANGELOG.md"):
    assert required in sdist, f"the sdist lacks {required}"
print(f"wheel: {len(names)} files; sdist: {len(sdist)} files, tests included")
PY

# A clean venv with the wheel (and its declared dependencies only), used from elsewhere.
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${wheel[0]}"
cd "$work"
"$work/venv/bin/python" -c "
import leapocr_sdk, leapocr_sdk._generated, leapocr_sdk.cli
from leapocr_sdk import LeapOCR, AsyncLeapOCR
assert leapocr_sdk.__file__.startswith('$work/venv'), leapocr_sdk.__file__
print('import ok:', leapocr_sdk.__version__)
"
"$work/venv/bin/leapocr" --help >"$work/help.txt" && head -1 "$work/help.txt"
"$work/venv/bin/leapocr" completion bash >"$work/completion.bash"
grep -q "complete -o filenames" "$work/completion.bash"
# Without the testing extra, the demo says which extra to install (exit code 2).
set +e
"$work/venv/bin/leapocr" --human demo 2>"$work/demo.err"
code=$?
set -e
[ "$code" -eq 2 ] && grep -q "leapocr-sdk\[testing\]" "$work/demo.err"
# With the testing extra, a pip user's `leapocr demo` runs offline on the bundled sample.
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${wheel[0]}[testing]"
"$work/venv/bin/leapocr" demo >"$work/demo.out" 2>&1
grep -q "Invoice Number: INV-2026-0042" "$work/demo.out"
echo "the wheel installs and runs in a clean venv (leapocr --help, completion, demo)"
