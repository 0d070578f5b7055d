"""``benchmarks/targets.py`` assembles the performance table from ``*_bench.py`` modules.

Small modules written into a temporary folder stand in for the real ones (which
``tests/test_benchmarks_smoke.py`` runs tiny): one that keeps the contract, one that
crashes, one whose rows break the contract, and the expected ones that are absent. Each
runs in its own process, as in ``make bench``; nothing here is a timing.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "benchmarks" / "targets.py"


def _load_targets() -> Any:
    spec = importlib.util.spec_from_file_location("bench_targets", TARGETS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


targets = _load_targets()

GOOD = """
import sys
from helper import FACTOR  # a neighbour module, as the real ones import theirs

def measure(smoke):
    print("progress line")  # a module's own output must not confuse the runner
    value = {value} * FACTOR
    return [
        {{"figure": "fake ratio", "value": value, "bound": 1.1, "better": "lower",
         "spread": [value * 0.9, value * 1.1], "unit": "x",
         "detail": {{"smoke": smoke, "rounds": 3}}}},
        {{"figure": "fake rate", "value": 0.5, "bound": 0.95, "better": "higher",
         "spread": [0.4, 0.6], "unit": "x",
         "detail": {{"note": "half the raw rate: the fake is slow on purpose"}}}},
    ]
"""
CRASHING = """
def measure(smoke):
    raise RuntimeError("emulator did not start")
"""
MALFORMED = """
def measure(smoke):
    return [{"figure": "bad row", "value": "fast", "bound": 1.0, "better": "sideways",
             "spread": [2.0, 1.0], "unit": "x", "detail": {}}]
"""


def _modules(folder: Path, value: float) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "helper.py").write_text("FACTOR = 1.0\n")
    (folder / "fake_bench.py").write_text(GOOD.format(value=value))
    (folder / "import_bench.py").write_text(CRASHING)  # an expected topic, crashing
    (folder / "odd_bench.py").write_text(MALFORMED)
    return folder


def _run(
    modules: Path, results: Path, readme: Path
) -> tuple[subprocess.CompletedProcess[str], Any]:
    command = [sys.executable, str(TARGETS), "--smoke", "--modules-dir", str(modules)]
    command += ["--results-dir", str(results), "--readme", str(readme)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return done, json.loads((results / "targets.json").read_text())


def test_the_table_shows_measured_failed_malformed_and_missing_modules(tmp_path: Path) -> None:
    modules = _modules(tmp_path / "modules", value=1.0)
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# Title\n\nBefore.\n\n{targets.BEGIN}\nold table\n{targets.END}\n\nAfter.\n"
    )
    done, data = _run(modules, tmp_path / "results", readme)

    assert done.returncode == 1, done.stderr  # a module failed: the run says so
    assert set(data["modules"]) == {"fake", "import", "odd"}
    assert "emulator did not start" in data["modules"]["import"]["error"]
    assert "rows break the contract" in data["modules"]["odd"]["error"]
    assert data["modules"]["odd"]["rejected_rows"][0]["figure"] == "bad row"  # kept, not shown
    assert data["modules"]["fake"]["error"] is None
    for key in ("cpu", "cores", "ram_gib", "python", "httpx", "os"):
        assert data["machine"][key], key
    assert len(data["load_before"]) == len(data["load_after"]) == 3
    assert data["git"]["commit"] and data["date"]

    table = (tmp_path / "results" / "targets.md").read_text()
    assert "| figure | today (spread) | target | met |" in table
    assert "| fake ratio | 1.00x (0.90x to 1.10x) | ≤ 1.10x | met |" in table
    assert (
        "| fake rate | 0.50x (0.40x to 0.60x) | ≥ 0.95x | **not met**: half the raw rate" in table
    )
    assert "import beyond `import httpx`" in table  # the crashed module's expected figure
    assert "error: exit status 1: " in table and "RuntimeError: emulator did not start" in table
    assert "'better' must be 'lower' or 'higher'" in table
    for topic in ("pacing", "results", "sync", "polling", "scale", "kept"):
        assert f"benchmarks/{topic}_bench.py is missing" in table, topic
    assert "**not measured: module missing**" in table

    text = readme.read_text()
    assert text.startswith("# Title\n\nBefore.\n\n") and text.endswith("\n\nAfter.\n")
    assert "old table" not in text and "| fake ratio |" in text
    assert text.count(targets.BEGIN) == text.count(targets.END) == 1


def test_a_second_run_keeps_the_first_and_flags_a_regression(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"{targets.BEGIN}\n{targets.END}\n")
    results = tmp_path / "results"
    first_run = tmp_path / "first"
    # --smoke runs are never compared; a full run's data is what a later run finds
    _, first = _run(_modules(first_run, value=1.0), results, readme)
    first["smoke"] = False
    (results / "targets.json").write_text(json.dumps(first))
    _, second = _run(_modules(tmp_path / "second", value=1.5), results, readme)
    assert json.loads((results / "targets.previous.json").read_text()) == first
    assert second["regressions"] == []  # a smoke run's tiny figures are not judged

    # the judging a full run does, on the second run's rows
    flagged = targets.regressions(second["rows"], first)
    assert flagged == ["fake ratio: 1.50x, was 1.00x (1.50x worse)"]


def test_only_runs_the_named_modules(tmp_path: Path) -> None:
    modules = _modules(tmp_path / "modules", value=1.0)
    command = [sys.executable, str(TARGETS), "--smoke", "--modules-dir", str(modules)]
    done = subprocess.run([*command, "--only", "fake"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "| fake ratio |" in done.stdout
    assert "missing" not in done.stdout and "import beyond" not in done.stdout


def test_a_hanging_module_is_stopped_and_shown(tmp_path: Path) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "slow_bench.py").write_text(
        "import subprocess, sys, time\n"
        "def measure(smoke):\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "    time.sleep(60)\n"
    )
    command = [sys.executable, str(TARGETS), "--smoke", "--modules-dir", str(modules)]
    command += ["--only", "slow", "--timeout", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "| benchmarks/slow_bench.py | error: no answer within 2 s |" in done.stdout


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"figure": " "}, "'figure' must be a non-empty string"),
        ({"value": float("nan")}, "'value' must be a finite number"),
        ({"bound": True}, "'bound' must be a finite number"),
        ({"better": "less"}, "'better' must be 'lower' or 'higher'"),
        ({"spread": [1.0]}, "'spread' must be [min, max]"),
        ({"spread": [2.0, 1.0]}, "'spread' must be [min, max]"),
        ({"unit": None}, "'unit' must be a string"),
        ({"detail": {"note": 3}}, "'detail.note' must be a string"),
        ({"detail": {"when": object()}}, "'detail' must be plain JSON"),
        ({"verdict": "met"}, "unknown keys ['verdict']"),
    ],
)
def test_the_contract_names_what_is_wrong(row: dict[str, Any], problem: str) -> None:
    good = {
        "figure": "f",
        "value": 1.0,
        "bound": 1.0,
        "better": "lower",
        "spread": [0.9, 1.1],
        "unit": "x",
        "detail": {},
    }
    assert targets.row_problems(good) == []
    problems = targets.row_problems({**good, **row})
    assert any(problem in p for p in problems), problems


def test_a_module_must_return_rows() -> None:
    assert targets.rows_problems([]) == ["measure() must return a non-empty list of rows"]
    row = {
        "figure": "f",
        "value": 1,
        "bound": 2,
        "better": "higher",
        "spread": [1, 1],
        "unit": "ms",
        "detail": {},
    }
    assert targets.rows_problems([row, row]) == ["two rows have the same figure"]
