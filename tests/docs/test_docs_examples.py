"""Every Python block of the quick start, the integration pages and the recipes runs, as
written, against an emulator (as tests/test_readme.py runs the README's).

Each page's blocks run in order, each in its own ``python`` process, in a directory holding
the files they name (``invoice.pdf``, ``scans/*.pdf``, and the files the page itself
defines with ``<!-- file: NAME -->``), with ``LEAPOCR_API_KEY`` / ``LEAPOCR_BASE_URL``
pointing at an emulator. A page marked ``<!-- docs-test: notebook -->`` runs as one
session, cell after cell; ``<!-- docs-test: heavy -->`` (Ray) runs in ``make check-slow``.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.docs.examples import DOCS, NOTEBOOK_PRELUDE, ROOT, Page, read_page

PAGES = [
    read_page(path)
    for path in [
        DOCS / "quickstart.md",
        *sorted((DOCS / "integrations").glob("*.md")),
        *sorted((DOCS / "recipes").glob("*.md")),
    ]
]
SAMPLE = ROOT / "examples" / "sample-invoice.pdf"


class Ran(NamedTuple):
    line: int
    returncode: int
    stdout: str
    stderr: str


def workdir_for(page: Page, tmp_path: Path) -> Path:
    shutil.copy(SAMPLE, tmp_path / "invoice.pdf")
    (tmp_path / "scans").mkdir()
    for name in ("a", "b", "c"):
        (tmp_path / "scans" / f"{name}.pdf").write_bytes(
            make_pdf([f"Scan {name}", f"Invoice Number: SCAN-{name}"])
        )
    for name, code in page.files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    return tmp_path


def run_page(
    page: Page, workdir: Path, emu: LeapOCREmulator, python: str = sys.executable
) -> list[Ran]:
    env = {**os.environ, "LEAPOCR_API_KEY": emu.api_key, "LEAPOCR_BASE_URL": emu.base_url}
    ran = []
    for line, code in page.programs:
        program = NOTEBOOK_PRELUDE + code if page.kind == "notebook" else code
        done = subprocess.run(
            [python, "-c", program],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        ran.append(Ran(line, done.returncode, done.stdout, done.stderr))
    return ran


def run_in_own_emulator(page: Page, tmp_path: Path) -> list[Ran]:
    workdir = workdir_for(page, tmp_path)
    with LeapOCREmulator(processing_seconds=0.05) as emu:
        ran = run_page(page, workdir, emu)
    assert emu.key_leaks == 0
    return ran


def check(page: Page, ran: list[Ran]) -> None:
    for outcome in ran:
        where = f"{page.name} line {outcome.line}"
        assert outcome.returncode == 0, f"{where}:\n{outcome.stderr}"
        assert "Traceback" not in outcome.stderr, where
        assert outcome.stdout.strip(), f"{where} printed nothing"


PLAIN = [p for p in PAGES if p.programs and p.kind != "heavy"]
HEAVY = [p for p in PAGES if p.programs and p.kind == "heavy"]


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Ran]]:
    """Every page at once (a page's own blocks in order), each with its own emulator."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        running = {
            page.name: pool.submit(run_in_own_emulator, page, tmp_path_factory.mktemp("docs"))
            for page in PLAIN
        }
        return {name: future.result() for name, future in running.items()}


@pytest.mark.parametrize("page", PLAIN, ids=[p.name for p in PLAIN])
def test_every_python_block_runs(page: Page, ran: dict[str, list[Ran]]) -> None:
    check(page, ran[page.name])


@pytest.mark.heavy
@pytest.mark.parametrize("page", HEAVY, ids=[p.name for p in HEAVY])
def test_every_python_block_of_a_heavy_page_runs(page: Page, tmp_path: Path) -> None:
    check(page, run_in_own_emulator(page, tmp_path))


def test_each_integration_has_a_page_with_a_runnable_example() -> None:
    names = {page.name: page for page in PAGES}
    for integration in ("langchain", "llamaindex", "pandas", "ray"):
        page = names[f"integrations/{integration}.md"]
        assert page.programs, page.name
        assert f"leapocr_sdk.integrations.{integration}" in page.path.read_text()


def test_the_quick_start_runs_offline() -> None:
    (quickstart,) = [p for p in PAGES if p.name == "quickstart.md"]
    text = quickstart.path.read_text()
    assert "example.com" not in "".join(code for _, code in quickstart.programs)
    assert "asyncio.run(main())" in text and len(quickstart.programs) >= 3
