"""``leapocr process`` stopped early: Ctrl-C, SIGTERM and a closed stdout clean up alike."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.cli.conftest import API_KEY, FAST, cli_command, cli_env

JOURNAL = ".leapocr-journal.sqlite"


def write_documents(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (directory / f"doc{n:02}.pdf").write_bytes(make_pdf([f"document {n}"]))


def start(tmp_path: Path, emu: LeapOCREmulator, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command(*args),
        cwd=tmp_path,
        env=cli_env(emu),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(child: subprocess.Popen[str], kind: str, count: int) -> list[dict[str, Any]]:
    """stderr's events until ``count`` of ``kind`` were seen."""
    assert child.stderr is not None
    events: list[dict[str, Any]] = []
    while sum(event["event"] == kind for event in events) < count:
        line = child.stderr.readline()
        assert line, f"the command ended early: {events}"
        events.append(json.loads(line))
    return events


def finish(child: subprocess.Popen[str]) -> tuple[int, str, list[dict[str, Any]]]:
    """Exit code, stdout and the rest of stderr's events (the child must end by itself)."""
    stdout, stderr = child.communicate(timeout=30)
    assert API_KEY not in stdout + stderr
    assert "Traceback" not in stderr, stderr
    return child.returncode, stdout, [json.loads(line) for line in stderr.splitlines()]


@pytest.mark.parametrize(
    ("stop_with", "exit_code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143)],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stopped_batch_deletes_its_jobs_prints_its_summary_and_exits_128_plus_signal(
    tmp_path: Path,
    emulator_factory: Callable[..., LeapOCREmulator],
    stop_with: signal.Signals,
    exit_code: int,
) -> None:
    emu = emulator_factory(processing_seconds=30)
    write_documents(tmp_path / "docs", 5)
    child = start(tmp_path, emu, "process", "docs", "--delete", "--concurrency", "3", *FAST)
    try:
        before = read_until(child, "submitted", 3)
        child.send_signal(stop_with)
        code, stdout, after = finish(child)
    finally:
        child.kill()
        child.wait()
    assert code == exit_code
    assert stdout == ""
    submitted = {event["job_id"] for event in before if event["event"] == "submitted"}
    assert {event["job_id"] for event in after if event["event"] == "deleted"} == submitted
    assert [event["event"] for event in after][-2:] == ["summary", "interrupted"]
    summary, stopped = after[-2:]
    assert summary["done"] == summary["failed"] == summary["credits"] == 0
    assert stopped["exit_code"] == exit_code
    assert stopped["signal"] == stop_with.name
    # Nothing is left on the service: the three jobs started were deleted, no other began.
    assert emu.count("initiate") == len(emu.jobs) == 3
    assert all(job.deleted_at is not None for job in emu.jobs.values())


def test_sigterm_with_a_journal_keeps_running_jobs_for_the_next_run(
    tmp_path: Path, emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    emu = emulator_factory(processing_seconds=1.5)
    write_documents(tmp_path / "docs", 4)
    command = ["process", "docs", "--out", "out", "--delete", "--concurrency", "4", *FAST]
    child = start(tmp_path, emu, *command)
    try:
        before = read_until(child, "submitted", 4)
        child.send_signal(signal.SIGTERM)
        code, _, after = finish(child)
    finally:
        child.kill()
        child.wait()
    assert code == 143
    submitted = {event["job_id"] for event in before if event["event"] == "submitted"}
    kept = [event for event in after if event["event"] == "kept"]
    assert {event["job_id"] for event in kept} == submitted  # each one named
    assert all("run the same command again" in event["message"] for event in kept)
    with sqlite3.connect(tmp_path / "out" / JOURNAL) as db:
        rows = db.execute("SELECT state, job_id FROM sources").fetchall()
    assert sorted(rows) == sorted(("submitted", job_id) for job_id in submitted)
    assert all(job.deleted_at is None for job in emu.jobs.values())

    again = subprocess.run(
        cli_command(*command), cwd=tmp_path, env=cli_env(emu), capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert emu.count("initiate") == len(emu.jobs) == 4  # collected, not paid for again
    assert all(job.deleted_at is not None for job in emu.jobs.values())
    for n in range(4):
        text = (tmp_path / "out" / f"doc{n:02}.md").read_text(encoding="utf-8")
        assert text == f"<!-- page 1 -->\ndocument {n}\n"


def test_a_closed_stdout_ends_quietly_and_cleans_up(
    tmp_path: Path, emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    # `leapocr --json process docs --delete | head -c 10`: the reader goes away early.
    emu = emulator_factory(processing_seconds=0.3)
    write_documents(tmp_path / "docs", 8)
    child = start(
        tmp_path, emu, "--json", "process", "docs", "--delete", "--concurrency", "2", *FAST
    )
    try:
        assert child.stdout is not None and child.stderr is not None
        assert len(child.stdout.read(10)) == 10
        child.stdout.close()  # as head does once it has its 10 bytes
        code = child.wait(timeout=30)
        stderr = child.stderr.read()
    finally:
        child.kill()
        child.wait()
    assert code == 141  # 128 + SIGPIPE, as a shell reports a reader gone
    assert stderr == ""  # no traceback, no message: as other Unix tools
    assert 0 < emu.count("initiate") < 8  # it stopped starting documents
    assert len(emu.jobs) == emu.count("initiate")
    assert all(job.deleted_at is not None for job in emu.jobs.values())  # --delete held


def test_sigterm_during_uploads_deletes_the_half_uploaded_jobs(
    tmp_path: Path, emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    emu = emulator_factory(processing_seconds=30)
    emu.faults.set_latency(10.0, "upload_part")  # every upload is in flight when stopped
    write_documents(tmp_path / "docs", 5)
    child = start(tmp_path, emu, "process", "docs", "--delete", "--concurrency", "3", *FAST)
    try:
        deadline = time.monotonic() + 30
        while len(emu.jobs) < 3:  # three jobs created, their parts not yet stored
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        code, _, after = finish(child)
    finally:
        child.kill()
        child.wait()
    assert code == 143
    assert after[-1]["event"] == "interrupted"
    assert emu.count("complete") == 0
    assert all(job.deleted_at is not None for job in emu.jobs.values())


def test_sigterm_stops_a_blocking_command_like_ctrl_c(
    tmp_path: Path, emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    emu = emulator_factory(processing_seconds=30)
    write_documents(tmp_path, 1)
    submitted = subprocess.run(
        cli_command("process", "doc00.pdf", "--no-wait"),
        cwd=tmp_path,
        env=cli_env(emu),
        capture_output=True,
        text=True,
        timeout=60,
    )
    job_id = json.loads(submitted.stderr)["job_id"]
    child = start(tmp_path, emu, "wait", job_id, *FAST)
    try:
        deadline = time.monotonic() + 30
        while emu.count("status") + emu.count("result") < 2:  # it is polling
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        child.send_signal(signal.SIGTERM)
        code, stdout, after = finish(child)
    finally:
        child.kill()
        child.wait()
    assert code == 143 and stdout == ""
    assert after[-1] == {"event": "interrupted", "exit_code": 143, "signal": "SIGTERM"}
    assert emu.get_job(job_id).deleted_at is None  # `wait` never deletes


def test_a_closed_stdout_stops_a_blocking_command_quietly(
    tmp_path: Path, emu: LeapOCREmulator
) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the command writes
    try:
        for mode, expected in (
            ("--human", ""),
            ("--json-events", '{"event": "interrupted", "exit_code": 141, "signal": "SIGPIPE"}\n'),
        ):
            done = subprocess.run(
                cli_command(mode, "models"),
                cwd=tmp_path,
                env=cli_env(emu),
                stdout=writer,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
            )
            assert (done.returncode, done.stderr) == (141, expected)
    finally:
        os.close(writer)
