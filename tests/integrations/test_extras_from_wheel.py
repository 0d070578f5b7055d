"""Each extra as a user installs it: ``pip install 'leapocr-sdk[EXTRA]'`` from the built
wheel into a clean venv, then the extra's docs page examples run against an emulator.

Slow (a venv and its packages per extra), so it runs in ``make check-slow`` (marker
``heavy``); it needs ``build`` (the dev extra) to make the wheel.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from leapocr_sdk.testing import LeapOCREmulator
from tests.docs.examples import DOCS, ROOT, read_page
from tests.docs.test_docs_examples import run_page, workdir_for

pytestmark = pytest.mark.heavy

EXTRAS = ("langchain", "llamaindex", "pandas", "ray")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("*.whl")
    return built


@pytest.mark.parametrize("extra", EXTRAS)
def test_an_extra_installed_from_the_wheel_runs_its_docs_example(
    extra: str, wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"{wheel}[{extra},testing]",
        ],
        check=True,
    )
    # The extra brought its framework.
    probe = (
        "import importlib.util as u; "
        "print([m for m in ('langchain_core', 'llama_index', 'pandas', 'ray') if u.find_spec(m)])"
    )
    found = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True)
    assert {
        "langchain": "langchain_core",
        "llamaindex": "llama_index",
        "pandas": "pandas",
        "ray": "ray",
    }[extra] in found.stdout

    page = read_page(DOCS / "integrations" / f"{extra}.md")
    workdir = tmp_path / "work"
    workdir.mkdir()
    with LeapOCREmulator(processing_seconds=0.05) as emu:
        ran = run_page(page, workdir_for(page, workdir), emu, python=python)
    for outcome in ran:
        assert outcome.returncode == 0, f"{page.name} line {outcome.line}:\n{outcome.stderr}"
        assert outcome.stdout.strip()
    assert emu.jobs  # the examples really went through the emulator
