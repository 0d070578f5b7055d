"""``leapocr emulator`` as a process, and ``scripts/demo.py``."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from leapocr_sdk._contract import MODEL_CATALOGUE
from tests.cli.conftest import ROOT, cli_command, cli_env


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT], ids=["term", "int"])
def test_emulator_command_serves_until_stopped(tmp_path: Path, stop_with: signal.Signals) -> None:
    child = subprocess.Popen(
        cli_command("emulator", "--port", "0", "--api-key", "emu-key", "--json"),
        cwd=tmp_path,
        env=cli_env(None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        listening = json.loads(child.stdout.readline())
        assert listening["event"] == "listening"
        assert listening["api_key"] == "emu-key"
        base_url = listening["base_url"]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/api/v1")
        assert listening["env"] == {"LEAPOCR_BASE_URL": base_url, "LEAPOCR_API_KEY": "emu-key"}
        models = httpx.get(f"{base_url}/ocr/models", headers={"X-API-Key": "emu-key"}, timeout=5)
        assert models.status_code == 200
        refused = httpx.get(f"{base_url}/ocr/models", headers={"X-API-Key": "other"}, timeout=5)
        assert refused.status_code == 401
        # the CLI itself works against it
        run = subprocess.run(
            cli_command("models"),
            env=cli_env(None, LEAPOCR_API_KEY="emu-key", LEAPOCR_BASE_URL=base_url),
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert run.returncode == 0 and len(run.stdout.splitlines()) == len(MODEL_CATALOGUE)
        child.send_signal(stop_with)
        assert child.wait(timeout=10) == 0
        assert json.loads(child.stdout.read().strip().splitlines()[-1]) == {"event": "stopped"}
    finally:
        child.kill()
        child.wait()


def test_emulator_command_human_output(tmp_path: Path) -> None:
    child = subprocess.Popen(
        cli_command("emulator", "--port", "0", "--human"),
        cwd=tmp_path,
        env=cli_env(None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.startswith("LeapOCR emulator listening on http://127.0.0.1:")
        lines = [child.stdout.readline() for _ in range(5)]
        assert any(line.strip().startswith("export LEAPOCR_BASE_URL=http://") for line in lines)
        assert any(line.strip() == "export LEAPOCR_API_KEY=test-key" for line in lines)
        child.terminate()
        assert child.wait(timeout=10) == 0
    finally:
        child.kill()
        child.wait()


def test_emulator_port_in_use_exits_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = subprocess.run(
            cli_command("emulator", "--port", str(port), "--json"),
            env=cli_env(None),
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert run.returncode == 2
    assert json.loads(run.stdout)["event"] == "error"


def test_demo_runs_from_the_package_and_shows_the_pages(tmp_path: Path) -> None:
    # `leapocr demo`, from a directory outside the repository: the sample ships in the
    # package (`make demo` runs scripts/demo.py, which calls the same run_demo).
    run = subprocess.run(
        cli_command("demo"),
        cwd=tmp_path,
        env=cli_env(None),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    output = run.stdout + run.stderr
    for text in (
        "<!-- page 1 -->",
        "Invoice Number: INV-2026-0042",
        "<!-- page 3 -->",
        "Thank you for your business.",
        '"invoice_number": "INV-2026-0042"',
        "standard-v1",
        "credits used",
        "deleted job",
    ):
        assert text in output
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_make_demo_script_loads_the_package_demo() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--help"],
        env=cli_env(None),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 0 and "--real" in run.stdout
