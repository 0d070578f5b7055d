"""The official LeapOCR Python SDK, unchanged, against the emulator.

The SDK (the version pinned in ``requirements.txt`` beside this file) lives in its own
environment, ``.compat/`` (``make compat``; ``make test`` and ``make check`` create it
first). Without that environment the test fails and says how to create it; set
``LEAPOCR_SKIP_OFFICIAL_SDK=1`` to skip it on purpose.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from leapocr_sdk.testing import LeapOCREmulator, make_pdf

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
OFFICIAL_PYTHON = ROOT / ".compat" / "bin" / "python"
SKIP_VARIABLE = "LEAPOCR_SKIP_OFFICIAL_SDK"
PAGES = ["Official SDK page one\nKey: value one", "Page two"]


def pinned_version() -> str:
    requirement = (HERE / "requirements.txt").read_text().strip()
    return requirement.split("==", 1)[1]


def official_python() -> Path:
    if os.environ.get(SKIP_VARIABLE) == "1":
        pytest.skip(f"{SKIP_VARIABLE}=1: the official SDK compatibility test is skipped")
    if not OFFICIAL_PYTHON.exists():
        pytest.fail(
            f"{OFFICIAL_PYTHON.relative_to(ROOT)} is missing: run `make compat` to install the "
            f"official SDK (or set {SKIP_VARIABLE}=1 to skip this test on purpose)",
            pytrace=False,
        )
    return OFFICIAL_PYTHON


def test_official_sdk_runs_unchanged(
    leapocr_emulator_factory: Callable[..., LeapOCREmulator],
    httpserver: HTTPServer,
    tmp_path: Path,
) -> None:
    python = official_python()
    emu = leapocr_emulator_factory(credits=100)
    emu.add_template("remote-fields", name="Remote fields")
    document = tmp_path / "scan.pdf"
    document.write_bytes(make_pdf(PAGES))
    httpserver.expect_request("/remote.pdf").respond_with_data(
        make_pdf(["Remote page\nSource: web"]), content_type="application/pdf"
    )
    run = subprocess.run(
        [
            str(python),
            str(HERE / "official_sdk_script.py"),
            emu.base_url,
            emu.api_key,
            str(document),
            httpserver.url_for("/remote.pdf"),
            "remote-fields",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"the official SDK failed:\n{run.stderr[-4000:]}"
    seen = json.loads(run.stdout)
    assert seen["version"] == pinned_version()
    assert seen["healthy"] is True
    assert seen["first_status"] in ("pending", "processing", "completed")
    assert (seen["file_status"], seen["file_pages"]) == ("completed", PAGES)
    assert (seen["file_model"], seen["file_credits"]) == ("standard-v2", 2)
    assert seen["url_pages"] == ["Remote page\nSource: web"]
    # A template (added with add_template) by its slug: structured, every Key: value line.
    assert seen["templated_format"] == "structured"
    assert seen["templated_pages"] == [{"source": "web"}]
    assert emu.get_job(seen["templated_job"]).template_name == "Remote fields"
    assert seen["structured_pages"] == [{"key": "value one"}, {"key": None}]
    assert seen["structured_credits"] == 8  # pro-v2 structured: (3 + 1) credits a page
    assert seen["deleted"]["id"] == seen["file_job"] and seen["deleted"]["deleted_at"]
    assert emu.credits == 100 - 2 - 1 - 8 - 2  # the template is structured: 1 + 1 a page

    # What the official SDK sent: its own header spelling, and ETags without quotes.
    records = emu.requests
    api_calls = [r for r in records if r.path.startswith("/api/v1/ocr/")]
    assert api_calls and all(r.headers["x-api-key"] == emu.api_key for r in api_calls)
    assert not any("x-api-key" in r.headers for r in records if r.route == "upload_part")
    completes = [r for r in records if r.route == "complete"]
    assert len(completes) == 2 and all(r.status == 200 for r in completes)
    assert emu.get_job(seen["file_job"]).deleted_at is not None
    assert emu.get_job(seen["url_job"]).source == "url"
