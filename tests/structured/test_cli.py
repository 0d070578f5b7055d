"""``leapocr estimate`` and the structured options of ``leapocr process``, run as a user
runs them: a real subprocess against the emulator."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf

from ..cli.conftest import API_KEY, FAST, Run, cli_command, cli_env
from .models import INVOICE_PAGES


@pytest.fixture
def cli_emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(api_key=API_KEY, processing_seconds=0.1, credits=10_000)


@pytest.fixture
def run_cli(cli_emu: LeapOCREmulator, tmp_path: Path) -> Callable[..., Run]:
    """Run ``leapocr`` in a subprocess, in ``tmp_path``, against ``cli_emu``."""

    def run(*args: str) -> Run:
        done = subprocess.run(
            cli_command(*args),
            cwd=tmp_path,
            env=cli_env(cli_emu),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
        for stream in (done.stdout, done.stderr):
            assert API_KEY not in stream, "the API key was printed"
        return Run(done.returncode, done.stdout, done.stderr)

    return run


MODELS_PY = """
from pydantic import BaseModel


class Totals(BaseModel):
    invoice_number: str
    total_amount: float
"""


def _write(tmp_path: Path, name: str, pages: list[str]) -> Path:
    path = tmp_path / name
    path.write_bytes(make_pdf(pages))
    return path


def test_estimate_prints_pages_and_credits_and_sends_nothing(
    run_cli: Callable[..., Run], cli_emu: LeapOCREmulator, tmp_path: Path
) -> None:
    _write(tmp_path, "a.pdf", INVOICE_PAGES)  # 3 pages
    _write(tmp_path, "b.pdf", ["one", "two", "three", "four", "five"])
    (tmp_path / "models.py").write_text(MODELS_PY)
    run = run_cli(
        "estimate",
        "a.pdf",
        "b.pdf",
        "--model",
        "pro-v2",
        "--schema",
        "models:Totals",
        "--extract-bounding-boxes",
        "--json-events",
    )
    assert run.code == 0, run.stderr
    assert run.records == [
        {"event": "estimate", "source": "a.pdf", "pages": 3, "credits": 15},
        {"event": "estimate", "source": "b.pdf", "pages": 5, "credits": 25},
        {
            "event": "total",
            "files": 2,
            "pages": 8,
            "credits": 40,
            "credits_per_page": 5,
            "model": "pro-v2",
        },
    ]
    run = run_cli("estimate", "b.pdf", "--pages", "2-3", "--instruction", "totals", "--human")
    assert run.code == 0
    assert run.stdout.splitlines()[-1].split() == ["total", "2", "4"]  # v2: 1 + 1 a page
    assert cli_emu.requests == []


def test_estimate_refuses_what_it_cannot_count(
    run_cli: Callable[..., Run], cli_emu: LeapOCREmulator, tmp_path: Path
) -> None:
    _write(tmp_path, "b.pdf", ["one", "two"])
    run = run_cli("estimate", "b.pdf", "--pages", "3")
    assert run.code == 2 and "3 beyond the 2 pages" in run.stderr
    run = run_cli("estimate", "https://example.com/a.pdf")
    assert run.code == 2 and "local files only" in run.stderr
    run = run_cli("estimate", "b.pdf", "--schema", "nowhere:Thing")
    assert run.code == 2 and "cannot import 'nowhere'" in run.stderr
    assert cli_emu.requests == []


def test_process_with_a_python_schema_pages_and_a_budget(
    run_cli: Callable[..., Run], cli_emu: LeapOCREmulator, tmp_path: Path
) -> None:
    for number in range(4):
        _write(tmp_path, f"inv{number}.pdf", INVOICE_PAGES)
    (tmp_path / "models.py").write_text(MODELS_PY)
    args = ["process", *(f"inv{n}.pdf" for n in range(4)), "--schema", "models:Totals"]
    args += ["--pages", "1-2", "--max-credits", "9", "--submit-rate", "50", "--concurrency", "1"]
    run = run_cli(*args, "--out", "out", "--json-events", *FAST)
    # Each document: 2 pages x (1 + 1) = 4 credits; 9 covers two, the third is refused.
    done = run.of("done")
    assert len(done) == 2 and all(event["credits_used"] == 4 for event in done)
    # The third is refused, and the fourth (never reached) is reported as not submitted.
    errors = run.of("error")
    assert [(e["source"], e["error"]) for e in errors] == [
        ("inv2.pdf", "CreditBudgetExceededError"),
        ("inv3.pdf", "CreditBudgetExceededError"),
    ]
    assert "about 4 credits, and 1 of max_credits remain" in errors[0]["message"]
    (summary,) = run.of("summary")
    assert (summary["credits"], summary["estimated_credits"]) == (8, 8)
    assert (summary["done"], summary["failed"]) == (2, 2)
    assert run.code == errors[0]["exit_code"] != 0
    assert len(cli_emu.jobs) == 2
    assert all(job.total_pages == 2 for job in cli_emu.jobs.values())
    written = sorted(p.name for p in (tmp_path / "out").glob("*.json"))
    assert len(written) == 2


def test_models_show_the_surcharge(run_cli: Callable[..., Run]) -> None:
    run = run_cli("models", "--json-events")
    surcharges = {m["name"]: m["surcharge_per_page"] for m in run.of("model")}
    assert surcharges == {
        "standard-v2": 1,
        "pro-v2": 1,
        "standard-v1": 2,
        "english-pro-v1": 2,
        "pro-v1": 2,
    }
    human = run_cli("models", "--human")
    assert human.stdout.splitlines()[0].split()[:4] == [
        "MODEL",
        "NAME",
        "CREDITS/PAGE",
        "+STRUCTURED",
    ]
