"""`make bench-smoke` works end to end: every scenario runs tiny and prints its row.

The benchmarks themselves never run in the test suite; this only checks that their code
runs (in seconds, without the official SDK and without writing the results files).
``sdk_comparison.py --smoke`` and ``targets.py --smoke`` (every ``benchmarks/*_bench.py``
module present, each in its own process) run side by side; the second writes its table
and JSON into a temporary folder, where every module's rows are checked against the
contract ``targets.py`` reads them by.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


def _start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(BENCHMARKS / script), "--smoke", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _table(process: subprocess.Popen[str]) -> list[str]:
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    return [line for line in stdout.splitlines() if line.startswith("| ")]


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Both smoke runs at once (they take seconds each; in parallel, the longer one)."""
    results = tmp_path_factory.mktemp("targets")
    readme = results / "README.md"
    readme.write_text((ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    runs = {
        "comparison": _start("sdk_comparison.py"),
        "targets": _start("targets.py", "--results-dir", str(results), "--readme", str(readme)),
    }
    try:
        yield {"runs": runs, "results": results, "readme": readme, "tables": {}}
    finally:
        for process in runs.values():
            if process.poll() is None:
                process.kill()
                process.communicate()


def _finished(smoke_runs: dict[str, Any], name: str) -> list[str]:
    tables: dict[str, list[str]] = smoke_runs["tables"]
    if name not in tables:
        tables[name] = _table(smoke_runs["runs"][name])
    return tables[name]


def test_bench_smoke_runs_every_scenario(smoke_runs: dict[str, Any]) -> None:
    table = _finished(smoke_runs, "comparison")
    assert table[0].startswith("| figure | leapocr-sdk | raw httpx | official SDK |")
    rows = "\n".join(table[1:])
    for figure in (
        "upload",
        "peak RSS",
        "`get_status`",
        "jobs from URL",
        "detection delay",
        "through `process_many`",
    ):
        assert figure in rows, figure
    assert "`from leapocr_sdk import" in rows
    assert "`get_result`" in rows
    assert "| error |" not in rows


def _contract() -> Any:
    spec = importlib.util.spec_from_file_location("bench_targets", BENCHMARKS / "targets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_bench_module_keeps_the_contract(smoke_runs: dict[str, Any]) -> None:
    table = "\n".join(_finished(smoke_runs, "targets"))
    data = json.loads((smoke_runs["results"] / "targets.json").read_text())
    present = sorted(path.name.removesuffix("_bench.py") for path in BENCHMARKS.glob("*_bench.py"))
    assert "kept" in present
    assert sorted(data["modules"]) == present
    contract = _contract()
    for topic, module in data["modules"].items():
        assert module["error"] is None, (topic, module["error"])
        assert contract.rows_problems(module["rows"]) == [], topic
        for row in module["rows"]:
            assert f"| {row['figure']} |" in table, row["figure"]
    assert table.startswith("| figure | today (spread) | target | met |")
    assert "| error:" not in table
    for figure in (  # the rows benchmarks/kept_bench.py keeps, at tiny sizes
        "100 MiB blocking upload vs raw httpx",
        "100 MiB async upload vs raw httpx",
        "1 GiB async upload vs raw httpx",
        "uploads (100 MiB, 1 GiB): peak memory above idle",
        "1,000 concurrent waits: client CPU per request",
    ):
        assert figure in table, figure
    written = (smoke_runs["results"] / "targets.md").read_text().splitlines()
    assert [line for line in written if line.startswith("| ")] == table.splitlines()
    readme = smoke_runs["readme"].read_text(encoding="utf-8")
    assert "| 1 GiB async upload vs raw httpx" in readme
    assert readme.count("<!-- performance-table:begin") == 1
