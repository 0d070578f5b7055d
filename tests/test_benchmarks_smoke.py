"""`make bench-smoke` works end to end: every scenario runs tiny and prints its row.

The benchmarks themselves never run in the test suite; this only checks that their code
runs (in a few seconds, without the official SDK and without writing the results files).
``sdk_comparison.py --smoke`` and ``scale_targets.py --smoke`` run side by side.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _start(script: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / script), "--smoke"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def _table(process: subprocess.Popen[str]) -> list[str]:
    stdout, stderr = process.communicate(timeout=180)
    assert process.returncode == 0, stderr[-3000:]
    return [line for line in stdout.splitlines() if line.startswith("| ")]


def test_bench_smoke_runs_every_scenario() -> None:
    bench, targets = _start("sdk_comparison.py"), _start("scale_targets.py")
    table = _table(bench)
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

    rows = "\n".join(_table(targets))
    for target in (  # the judged rows, the 1 GiB upload's at 12 MiB
        "1 GiB upload (205 parts): wall / raw httpx, same concurrency (sync)",
        "1 GiB upload (205 parts): wall / raw httpx, same concurrency (async)",
        "1 GiB upload: peak memory above idle",
        "client CPU per request, 1,000 jobs",
        "median detection delay",
        "requests per job",
    ):
        assert target in rows, target
    for contender in ("| raw-socket |", "| raw-threads-stream |", "| ours-16 |", "| raw-16 |"):
        assert contender in rows, contender
    assert "| 12 MiB upload (3 parts, concurrency 4) | wall | client CPU |" in rows
    assert "| 50 |" in rows  # the result-pages row
