"""The recipes' programs, run for real: the nightly cron script (exit codes, logs, budget,
SIGTERM, resuming) and the FastAPI service (results, timeouts, a caller hanging up,
webhooks), each against an emulator."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.docs.examples import DOCS, ROOT, read_page

CRON = read_page(DOCS / "recipes" / "cron.md")
FASTAPI = read_page(DOCS / "recipes" / "fastapi.md")


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


# --- the nightly cron job --------------------------------------------------------------


class Nightly:
    def __init__(self, tmp_path: Path, emu: LeapOCREmulator) -> None:
        self.dir = tmp_path
        (tmp_path / "nightly.py").write_text(CRON.files["nightly.py"])
        (tmp_path / "inbox").mkdir()
        self.emu = emu

    def add(self, name: str, lines: list[str]) -> None:
        (self.dir / "inbox" / name).write_bytes(make_pdf(lines))

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "LEAPOCR_API_KEY": self.emu.api_key,
            "LEAPOCR_BASE_URL": self.emu.base_url,
            **extra,
        }

    def start(self, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "nightly.py"],
            cwd=self.dir,
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, **extra: str) -> tuple[int, str]:
        process = self.start(**extra)
        _, log = process.communicate(timeout=120)
        assert self.emu.api_key not in log
        return process.returncode, log

    def paid(self) -> dict[str, int]:
        """How many times each file was charged for."""
        counts: dict[str, int] = {}
        for job in self.emu.jobs.values():
            if job.credits_used:
                counts[job.file_name] = counts.get(job.file_name, 0) + 1
        return counts

    def outputs(self) -> list[str]:
        return sorted(p.name for p in (self.dir / "out").iterdir() if p.suffix != ".sqlite")


def test_the_nightly_job_exit_codes_logs_and_resuming(
    tmp_path: Path, leapocr_emulator: LeapOCREmulator
) -> None:
    nightly = Nightly(tmp_path, leapocr_emulator)
    nightly.add("a.pdf", ["Invoice Number: A"])
    nightly.add("b.pdf", ["Invoice Number: B", "page two"])

    code, log = nightly.run()
    assert code == 0, log
    assert " INFO a.pdf: 1 pages, 1 credits" in log and " INFO b.pdf: 2 pages, 2 credits" in log
    assert "2 done, 0 failed, 3 credits, 0 left" in log
    assert nightly.outputs() == ["a.md", "b.md"]
    assert (tmp_path / "out" / "b.md").read_text() == "Invoice Number: B\n\npage two"

    code, log = nightly.run()  # the next night: nothing new, nothing paid
    assert code == 0 and "0 done, 0 failed, 0 credits, 0 left" in log
    assert nightly.paid() == {"a.pdf": 1, "b.pdf": 1}

    (tmp_path / "inbox" / "bad.pdf").write_bytes(b"%PDF-1.7 but broken inside")
    code, log = nightly.run()
    assert code == 1
    assert " ERROR bad.pdf failed: " in log and "0 done, 1 failed" in log


def test_the_nightly_budget_leaves_the_rest_for_the_next_night(
    tmp_path: Path, leapocr_emulator: LeapOCREmulator
) -> None:
    nightly = Nightly(tmp_path, leapocr_emulator)
    for n in range(10):
        nightly.add(f"doc{n}.pdf", [f"document {n}"])

    code, log = nightly.run(NIGHTLY_BUDGET="2")
    assert code == 3, log
    assert "budget of 2 credits reached" in log and "HTTP Request" not in log
    first_night = nightly.outputs()
    assert 2 <= len(first_night) < 10  # those in flight when the budget was reached finish

    code, log = nightly.run()
    assert code == 0, log
    assert nightly.outputs() == sorted(f"doc{n}.md" for n in range(10))
    assert set(nightly.paid().values()) == {1} and len(nightly.paid()) == 10


def test_sigterm_stops_the_nightly_job_and_the_next_run_resumes(
    tmp_path: Path, leapocr_emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=1.5)
    nightly = Nightly(tmp_path, emu)
    for n in range(6):
        nightly.add(f"doc{n}.pdf", [f"document {n}"])

    process = nightly.start()
    wait_for(lambda: len(emu.jobs) >= 2)
    process.send_signal(signal.SIGTERM)
    _, log = process.communicate(timeout=60)
    assert process.returncode == 143, log
    assert "stopped by a signal" in log and "Traceback" not in log
    assert not list((tmp_path / "out").glob("*.partial"))  # nothing half-written

    code, log = nightly.run()
    # A document whose job-starting request was cut off by the signal may have reached the
    # service: it is reported (exit 1), never paid for twice.
    reported = [line for line in log.splitlines() if " ERROR " in line]
    assert code == (1 if reported else 0), log
    assert all("not submitted again" in line for line in reported)
    assert len(nightly.outputs()) + len(reported) == 6
    assert set(nightly.paid().values()) <= {1}


# --- the FastAPI service ---------------------------------------------------------------

SECRET = "whsec_recipe"


def load_service(tmp_path: Path, name: str) -> Any:
    path = tmp_path / f"{name}.py"
    path.write_text(FASTAPI.files["service.py"])
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., str]]:
    """``serve(emu, deadline)``: the recipe's app on 127.0.0.1, talking to ``emu``."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(emu: LeapOCREmulator, deadline: float) -> str:
        monkeypatch.setenv("LEAPOCR_API_KEY", emu.api_key)
        monkeypatch.setenv("LEAPOCR_BASE_URL", emu.base_url)
        monkeypatch.setenv("LEAPOCR_WEBHOOK_SECRET", SECRET)
        monkeypatch.setenv("OCR_DEADLINE", str(deadline))
        module = load_service(tmp_path, f"service_{len(servers)}")
        server = uvicorn.Server(
            uvicorn.Config(module.app, host="127.0.0.1", port=0, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        wait_for(lambda: server.started)
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_service_answers_markdown_and_receives_webhooks(
    serve: Callable[..., str], leapocr_emulator: LeapOCREmulator
) -> None:
    url = serve(leapocr_emulator, 30)
    leapocr_emulator.add_webhook(url + "/webhooks/leapocr", secret=SECRET)
    invoice = (ROOT / "examples" / "sample-invoice.pdf").read_bytes()

    reply = httpx.post(url + "/ocr", params={"name": "invoice.pdf"}, content=invoice, timeout=60)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert "Invoice Number: INV-2026-0042" in body["markdown"] and body["credits"] >= 1
    job = leapocr_emulator.get_job(body["job_id"])
    assert job.file_name == "invoice.pdf" and job.deleted_at is not None  # delete=True

    def completed() -> bool:
        seen = httpx.get(url + "/webhooks/seen").json()
        return {"type": "job.completed", "job_id": body["job_id"]} in seen

    wait_for(completed)
    forged = httpx.post(url + "/webhooks/leapocr", content=b"{}", headers={"x-x": "1"})
    assert forged.status_code == 400

    empty = httpx.post(url + "/ocr", content=b"", timeout=30)
    assert empty.status_code == 422 and "empty" in empty.text
    assert len(leapocr_emulator.jobs) == 1  # bad input never reached the service


def test_the_service_deadline_answers_504_and_deletes_the_job(
    serve: Callable[..., str], leapocr_emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=30)
    url = serve(emu, 0.5)
    reply = httpx.post(url + "/ocr", content=make_pdf(["slow"]), timeout=60)
    assert reply.status_code == 504, reply.text
    (job,) = emu.jobs.values()
    assert job.deleted_at is not None and job.credits_used == 0


def test_a_caller_hanging_up_stops_and_deletes_its_job(
    serve: Callable[..., str], leapocr_emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=30)
    url = serve(emu, 60)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(url + "/ocr", content=make_pdf(["never read"]), timeout=2)
    wait_for(lambda: emu.jobs and all(j.deleted_at for j in emu.jobs.values()), timeout=20)
    (job,) = emu.jobs.values()
    assert job.credits_used == 0 and job.status != "completed"


def test_the_recipes_define_their_programs() -> None:
    assert set(CRON.files) == {"nightly.py"} and set(FASTAPI.files) == {"service.py"}
    assert not CRON.programs and not FASTAPI.programs  # run here, not as plain blocks
