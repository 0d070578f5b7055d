"""Every Python block in README.md runs, against the emulator.

The blocks run as a user would run them: each in its own ``python`` process, in a temporary
directory holding the files it names (``invoice.pdf``, ``scans/*.pdf``), with
``LEAPOCR_API_KEY`` / ``LEAPOCR_BASE_URL`` pointing at an emulator this test starts. They
run concurrently (several wait on jobs), once per module. A block after a
``<!-- needs-real-key -->`` or ``<!-- tested-elsewhere: ... -->`` comment is skipped with
that reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLE = ROOT / "examples" / "sample-invoice.pdf"
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
MARKER = re.compile(r"<!--\s*(needs-real-key|tested-elsewhere)(?::\s*(.*?))?\s*-->\s*$")


class Block(NamedTuple):
    line: int
    code: str
    skip_reason: str | None


def readme_blocks(text: str) -> list[Block]:
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        reason = None
        if marker:
            reason = (
                "needs a real LeapOCR API key"
                if marker.group(1) == "needs-real-key"
                else f"tested elsewhere: {marker.group(2)}"
            )
        blocks.append(Block(text.count("\n", 0, match.start()) + 1, match.group(1), reason))
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


class Ran(NamedTuple):
    returncode: int
    stdout: str
    stderr: str
    workdir: Path


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, Ran]]:
    """Run every runnable block at once, each in its own directory; their outcomes by line."""
    with LeapOCREmulator(processing_seconds=0.05) as emu:
        env = {**os.environ, "LEAPOCR_API_KEY": emu.api_key, "LEAPOCR_BASE_URL": emu.base_url}
        running = {}
        workdirs = {}
        for block in BLOCKS:
            if block.skip_reason:
                continue
            workdir = tmp_path_factory.mktemp(f"readme-line-{block.line}")
            shutil.copy(SAMPLE, workdir / "invoice.pdf")
            (workdir / "scans").mkdir()
            for name in ("a", "b", "c"):
                (workdir / "scans" / f"{name}.pdf").write_bytes(
                    make_pdf([f"Scan {name}", f"Invoice Number: SCAN-{name}"])
                )
            workdirs[block.line] = workdir
            running[block.line] = subprocess.Popen(
                [sys.executable, "-c", block.code],
                cwd=workdir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        outcomes = {}
        try:
            for line, process in running.items():
                stdout, stderr = process.communicate(timeout=120)
                outcomes[line] = Ran(process.returncode, stdout, stderr, workdirs[line])
        finally:
            for process in running.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
        yield outcomes


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line-{b.line}" for b in BLOCKS])
def test_readme_block_runs(block: Block, ran: dict[int, Ran]) -> None:
    if block.skip_reason:
        pytest.skip(block.skip_reason)
    outcome = ran[block.line]
    assert outcome.returncode == 0, f"README line {block.line}:\n{outcome.stderr}"
    assert "Traceback" not in outcome.stderr
    written = sorted(p.name for p in outcome.workdir.rglob("*") if p.suffix in (".md", ".sqlite"))
    assert outcome.stdout.strip() or written, f"README line {block.line} did nothing visible"


def test_the_batch_example_writes_each_result(ran: dict[int, Ran]) -> None:
    (batch,) = [b for b in BLOCKS if "process_many(" in b.code]
    scans = ran[batch.line].workdir / "scans"
    assert sorted(p.name for p in scans.glob("*.md")) == ["a.md", "b.md", "c.md"]
    assert "Invoice Number: SCAN-b" in (scans / "b.md").read_text()
    assert (ran[batch.line].workdir / "batch.sqlite").exists()


def test_the_first_example_reads_the_invoice(ran: dict[int, Ran]) -> None:
    first = BLOCKS[0]
    assert "pip install" not in first.code and first.skip_reason is None
    out = ran[first.line].stdout
    assert "INV-2026-0042" in out  # the markdown and the structured data
    assert "'total_amount': 1234.56" in out


def test_the_readme_starts_with_pip_install_then_the_offline_try_out() -> None:
    text = README.read_text(encoding="utf-8")
    install = text.index("pip install leapocr-sdk")
    first_code = text.index("```python")
    assert install < first_code < text.index("leapocr demo") < text.index("## Contributing")
    assert "make " not in text[: text.index("## Contributing")]
    assert len(BLOCKS[0].code.strip().splitlines()) <= 10


def test_markers_are_read() -> None:
    text = "<!-- needs-real-key -->\n```python\nprint(1)\n```\n\n```python\nprint(2)\n```\n"
    assert readme_blocks(text) == [
        Block(2, "print(1)\n", "needs a real LeapOCR API key"),
        Block(6, "print(2)\n", None),
    ]
