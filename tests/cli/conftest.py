"""Fixtures for the ``leapocr`` command tests: an emulator, PDFs, and a CLI runner.

The command always runs as a subprocess (``python -m leapocr_sdk.cli``) with
``LEAPOCR_API_KEY`` / ``LEAPOCR_BASE_URL`` pointing at an in-process emulator. Its
stdout and stderr are pipes: results (or JSON records) on stdout, JSON-line events on
stderr unless told ``--human``.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "sk-cli-test-5f1e0c2a9b7d"  # distinctive, so a leak would be found in any output
FAST = ["--poll-interval", "0.05"]


@dataclass
class Run:
    """A finished CLI run."""

    code: int
    stdout: str
    stderr: str

    @property
    def records(self) -> list[dict[str, Any]]:
        """stdout as JSON lines (fails the test if any line is not a JSON object)."""
        records = [json.loads(line) for line in self.stdout.splitlines()]
        assert all(isinstance(r, dict) and "event" in r for r in records), self.stdout
        return records

    @property
    def stderr_events(self) -> list[dict[str, Any]]:
        """stderr as JSON lines (fails the test if any line is not a JSON object)."""
        events = [json.loads(line) for line in self.stderr.splitlines()]
        assert all(isinstance(e, dict) and "event" in e for e in events), self.stderr
        return events

    @property
    def events(self) -> list[dict[str, Any]]:
        """The JSON records on stdout, if stdout holds only those, then stderr's events."""
        try:
            records = self.records
        except (ValueError, AssertionError):
            records = []
        return records + self.stderr_events

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event"] == kind]


def cli_env(emu: LeapOCREmulator | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEAPOCR_")}
    if emu is not None:
        env.update(LEAPOCR_API_KEY=emu.api_key, LEAPOCR_BASE_URL=emu.base_url)
    env.update(extra)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "leapocr_sdk.cli", *args]


@pytest.fixture
def emulator_factory(
    leapocr_emulator_factory: Callable[..., LeapOCREmulator],
) -> Callable[..., LeapOCREmulator]:
    """The plugin's factory, with the CLI tests' key and 0.1 s jobs unless given."""
    return functools.partial(leapocr_emulator_factory, api_key=API_KEY, processing_seconds=0.1)


@pytest.fixture
def emu(emulator_factory: Callable[..., LeapOCREmulator]) -> LeapOCREmulator:
    return emulator_factory()


@pytest.fixture
def run_cli(emu: LeapOCREmulator, tmp_path: Path) -> Callable[..., Run]:
    """``run_cli(*args, emu=other, env={...})``: run the command in ``tmp_path``."""

    def run(
        *args: str, emu: LeapOCREmulator | None = emu, env: dict[str, str] | None = None
    ) -> Run:
        done = subprocess.run(
            cli_command(*args),
            cwd=tmp_path,
            env=cli_env(emu, **(env or {})),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )
        for stream in (done.stdout, done.stderr):
            assert API_KEY not in stream, "the API key was printed"
        return Run(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def main_in_process(
    emu: LeapOCREmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Run]:
    """Call ``cli.main(args)`` in this process (for checks that stop before any request).

    Same environment and working directory as ``run_cli``; stderr is not a terminal here
    either, so the output is JSON lines.
    """
    from leapocr_sdk import cli

    def run(*args: str, emu: LeapOCREmulator | None = emu) -> Run:
        monkeypatch.chdir(tmp_path)
        for name, value in cli_env(emu).items():
            monkeypatch.setenv(name, value)
        for name in ("LEAPOCR_API_KEY", "LEAPOCR_BASE_URL"):
            if emu is None:
                monkeypatch.delenv(name, raising=False)
        code = cli.main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


PAGES = [
    "Invoice Number: INV-7\nVendor: Acme Ltd\nTotal Amount: 12.50",
    "Second page\nNothing to extract here",
]


@pytest.fixture
def pdf(tmp_path: Path) -> Callable[..., Path]:
    """``pdf("name.pdf", pages)``: write a PDF made with make_pdf under tmp_path."""

    def write(name: str = "invoice.pdf", pages: list[str] | None = None) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make_pdf(pages if pages is not None else PAGES))
        return path

    return write
