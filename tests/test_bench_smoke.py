"""`make bench-smoke` works end to end: every scenario runs tiny and prints its row.

The benchmark itself never runs in the test suite; this only checks that its code runs
(in a few seconds, without the official SDK and without writing the results file).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_smoke_runs_every_scenario() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
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
