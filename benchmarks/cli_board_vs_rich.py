#!/usr/bin/env python3
"""Measure the `leapocr process` board against `rich` (the numbers behind keeping our own).

Prints: the import cost each adds on top of `leapocr_sdk.cli` (median of fresh
interpreters), the cost of one redraw of a 5-row board at 80 columns (ours: HumanReporter
on a fake terminal; rich: Progress + Live on a Console of 80 columns), and the bytes each
redraw writes. Needs `rich` installed (it is not a dependency):
python benchmarks/cli_board_vs_rich.py
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import time

ROWS = 5
REDRAWS = 2000
LABELS = [
    "a.pdf",
    "contract-2026-acme-corporation-final-signed.pdf",
    "scans/2026/november/supplier-invoices/northwind-office-supplies-INV-2026-0042.pdf",
    "receipt.pdf",
    "report-q3.pdf",
]


def import_ms(statement: str, runs: int = 7, before: str = "import leapocr_sdk.cli") -> float:
    """Median wall time of `statement` after `before`, in fresh interpreters."""
    code = (
        f"import time; {before}; t = time.perf_counter(); "
        f"{statement}; print((time.perf_counter() - t) * 1000)"
    )
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    return statistics.median(times)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def ours() -> tuple[float, int]:
    from leapocr_sdk._cli.ui import Console, HumanReporter, Item
    from leapocr_sdk.types import JobStatus, JobStatusInfo

    err = FakeTerminal()
    console = Console(io.StringIO(), err, json_mode=False, live=True)
    items = [Item(i, label, f"s{i}", label) for i, label in enumerate(LABELS)]
    board = HumanReporter(console, items, show_results=False)
    board._REDRAW_EVERY = 0.0  # redraw on every event, as the measurement wants
    infos = [
        JobStatusInfo(f"job-{i}", JobStatus.PROCESSING, 0.5, processed_pages=1, total_pages=2)
        for i in range(ROWS)
    ]
    for item, info in zip(items, infos, strict=True):
        board.submitted(item, info.job_id)
        board.waiting(item, info)
    written = len(err.getvalue())
    started = time.perf_counter()
    for n in range(REDRAWS):
        board._draw_board()
        if n == 0:
            per_redraw = len(err.getvalue()) - written
    return (time.perf_counter() - started) / REDRAWS * 1e6, per_redraw


def with_rich() -> tuple[float, int]:
    from rich.console import Console as RichConsole
    from rich.progress import BarColumn, Progress, TextColumn

    err = FakeTerminal()
    console = RichConsole(file=err, width=80, force_terminal=True, color_system=None)
    progress = Progress(
        TextColumn("{task.description}", style=""), BarColumn(bar_width=20),
        TextColumn("{task.completed}/{task.total} pages"),
        console=console, auto_refresh=False,
    )  # fmt: skip
    with progress:
        tasks = [progress.add_task(label, total=2, completed=1) for label in LABELS]
        progress.refresh()
        written = len(err.getvalue())
        started = time.perf_counter()
        for n in range(REDRAWS):
            progress.update(tasks[n % ROWS], completed=1)
            progress.refresh()
            if n == 0:
                per_redraw = len(err.getvalue()) - written
        elapsed = time.perf_counter() - started
    return elapsed / REDRAWS * 1e6, per_redraw


def main() -> int:
    if "rich" in sys.modules:
        print("rich was already imported (httpx loads it when its CLI extra is installed)")
    print("import on top of leapocr_sdk.cli (median of 7 fresh interpreters):")
    print("  ours: 0 ms (leapocr_sdk._cli.ui is part of the CLI)")
    print(f"  rich.progress + rich.live: {import_ms('import rich.progress, rich.live'):.1f} ms")
    whole = import_ms("import leapocr_sdk.cli", before="pass")
    print(f"  (for scale, the whole `import leapocr_sdk.cli`: {whole:.1f} ms)")
    us, size = ours()
    print(f"redraw of a {ROWS}-row board at 80 columns ({REDRAWS} times):")
    print(f"  ours: {us:.0f} us per redraw, {size} bytes written")
    us, size = with_rich()
    print(f"  rich: {us:.0f} us per redraw, {size} bytes written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
