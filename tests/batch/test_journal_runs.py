"""The journal across runs that overlap, die or fail: two real processes on one journal,
``kill -9`` at each step of a submission, one document given twice, a result deleted
before it was saved, local refusals, a full disk and another program's database."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import Journal, JournalError, NotResubmittedError, ValidationError
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.cli.conftest import cli_command, cli_env

FAST = {"poll_interval": 0.02}


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.1)


@pytest.fixture
def client(emu: LeapOCREmulator, make_client: Any) -> Any:
    return make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)


def write_documents(directory: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = directory / f"doc{n:02}.pdf"
        path.write_bytes(make_pdf([f"document {n}"]))
        paths.append(path)
    return paths


def states(journal_path: Path) -> dict[str, tuple[str, str | None]]:
    try:
        with sqlite3.connect(journal_path) as db:
            rows = db.execute("SELECT location, state, job_id FROM sources").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return {}
    return {Path(location).name: (state, job_id) for location, state, job_id in rows}


def left(emu: LeapOCREmulator) -> list[str]:
    return sorted(job_id for job_id, job in emu.jobs.items() if job.deleted_at is None)


def wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.02)


RUN = textwrap.dedent(
    """
    import json, sys
    from leapocr_sdk import LeapOCR

    base_url, key, journal, *paths = sys.argv[1:]
    with LeapOCR(api_key=key, base_url=base_url) as client:
        for item in client.process_many(
            paths, concurrency=4, journal=journal, delete=True, poll_interval=0.02
        ):
            print(json.dumps({"source": item.source, "ok": item.ok, "job_id": item.job_id,
                              "skipped": item.skipped, "held_by": item.held_by,
                              "error": None if item.error is None else str(item.error)}),
                  flush=True)
    """
)


def start(emu: LeapOCREmulator, journal: Path, paths: list[Path]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", RUN, emu.base_url, emu.api_key, str(journal), *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def finish(child: subprocess.Popen[str]) -> list[dict[str, Any]]:
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_two_processes_on_one_journal_pay_once(
    leapocr_emulator_factory: Any, tmp_path: Path
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=3.0)
    paths = write_documents(tmp_path, 4)
    journal = tmp_path / "batch.sqlite"
    first = start(emu, journal, paths)
    wait_for(lambda: len(emu.jobs) == 4)  # the first run holds every source
    # Its jobs stay "processing" until the second run is over, however slow that run's
    # start is on a busy machine: the first run still holds its sources then.
    for job_id in emu.jobs:
        emu.faults.override_status(job_id, "processing")
    second_items = finish(start(emu, journal, paths))
    for job_id in emu.jobs:
        emu.faults.override_status(job_id, None)
    items = finish(first) + second_items
    assert emu.count("initiate") == 4 == len(emu.jobs)  # one job per document, not 8
    held = [item for item in items if item["held_by"]]
    assert held and all("another run (pid" in item["held_by"] for item in held)
    assert all(item["ok"] for item in items)
    done = {item["source"] for item in items if not item["skipped"]}
    assert done == {str(path) for path in paths}  # every document was processed once
    assert left(emu) == []


def test_a_lease_whose_owner_is_gone_is_taken_over(
    leapocr_emulator_factory: Any, make_client: Any, tmp_path: Path
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.1)
    emu.faults.slow("upload_part", 30.0, count=2)  # the first run dies holding its sources
    paths = write_documents(tmp_path, 2)
    journal = tmp_path / "batch.sqlite"
    child = start(emu, journal, paths)
    wait_for(lambda: emu.count("initiate") == 2)
    child.send_signal(signal.SIGKILL)
    child.wait()
    emu.reset_faults()
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    items = list(client.process_many(paths, journal=journal, delete=True, **FAST))
    assert [item.held_by for item in items] == [None, None]  # its owner is gone: taken over
    assert all(item.ok and not item.skipped for item in items)


def test_one_document_given_twice_is_one_job(
    emu: LeapOCREmulator, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    [path] = write_documents(tmp_path, 1)
    (tmp_path / "link.pdf").symlink_to(path)
    sources = ["doc00.pdf", "./doc00.pdf", str(path), "link.pdf"]
    items = list(client.process_many(sources, journal="batch.sqlite", **FAST))
    assert emu.count("initiate") == 1 == len(emu.jobs)
    assert sorted(item.source for item in items) == sorted(sources)
    assert {item.job_id for item in items} == {items[0].job_id}
    assert all(item.ok and item.result.markdown == "document 0" for item in items)
    assert sum(item.credits for item in items) == 1
    # A file changed between runs is a new document; one only touched is not.
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    [touched] = client.process_many([path], journal="batch.sqlite", **FAST)
    assert touched.skipped and emu.count("initiate") == 1
    path.write_bytes(make_pdf(["document 0, revised"]))
    [changed] = client.process_many([path], journal="batch.sqlite", **FAST)
    assert changed.result.markdown == "document 0, revised" and emu.count("initiate") == 2


KILLED = textwrap.dedent(
    """
    import sys
    from leapocr_sdk import LeapOCR

    base_url, key, journal, *paths = sys.argv[1:]
    with LeapOCR(api_key=key, base_url=base_url) as client:
        for item in client.process_many(paths, journal=journal, poll_interval=0.02):
            print(item.job_id, flush=True)
    """
)


@pytest.mark.parametrize("step", ["upload_part", "complete"])
def test_a_run_killed_during_a_step_is_finished_by_the_next(
    leapocr_emulator_factory: Any, make_client: Any, tmp_path: Path, step: str
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.1)
    emu.faults.slow(step, 3.0, count=3)  # holds the request so that the kill lands there
    paths = write_documents(tmp_path, 3)
    journal = tmp_path / "batch.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED, emu.base_url, emu.api_key, str(journal), *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    expected = "submitting" if step == "upload_part" else "sent"
    try:
        wait_for(
            lambda: (
                journal.exists()
                and [state for state, job_id in states(journal).values() if job_id]
                == [expected] * 3
            )
        )
        time.sleep(0.2)  # the held requests are in the emulator
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        child.kill()
    first_jobs = {job_id for _, job_id in states(journal).values()}
    time.sleep(3.5)  # the emulator answers the held requests of the dead run
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    items = list(client.process_many(paths, journal=journal, delete=True, **FAST))
    assert len(items) == 3 and all(item.ok for item in items), [i.error for i in items]
    if step == "upload_part":
        # The journal held the half-uploaded jobs' ids: deleted, the documents sent again.
        assert emu.count("initiate") == 6
        assert all(emu.get_job(job_id).deleted_at is not None for job_id in first_jobs)
        assert not {item.job_id for item in items} & first_jobs
    else:
        # The journal held the ids and parts: the same complete sent again, nothing paid twice.
        assert emu.count("initiate") == 3
        assert {item.job_id for item in items} == first_jobs
        assert sum(job.credits_used for job in emu.jobs.values()) == 3
    assert left(emu) == []
    assert {state for state, _ in states(journal).values()} == {"done"}


def test_a_result_deleted_before_it_was_saved_is_not_lost(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    paths = write_documents(tmp_path, 3)
    journal = tmp_path / "batch.sqlite"
    batch = client.process_many(paths, concurrency=1, delete=True, journal=journal, **FAST)
    first = next(batch)
    assert first.ok
    with pytest.warns(UserWarning, match="kept for the next run"):
        batch.close()  # the result arrived, the caller stopped before saving it
    assert emu.get_job(first.job_id).deleted_at is None  # kept: its result is still there
    items = list(
        client.process_many(paths, delete=True, journal=journal, retry_failed=True, **FAST)
    )
    assert all(item.ok for item in items), [item.error for item in items]
    again = next(item for item in items if item.source == first.source)
    assert again.job_id == first.job_id and again.result.markdown == "document 0"
    assert left(emu) == [] and emu.count("initiate") == 3


def test_a_job_deleted_before_its_result_was_saved_is_submitted_again(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    [path] = write_documents(tmp_path, 1)
    journal = tmp_path / "batch.sqlite"
    [first] = client.process_many([path], journal=journal, **FAST)
    # What an earlier version could leave: journaled as submitted, its job deleted.
    client.delete_job(first.job_id)
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE sources SET state = 'submitted'")
    [item] = client.process_many([path], journal=journal, retry_failed=True, **FAST)
    assert item.ok and item.job_id != first.job_id and item.result.markdown == "document 0"


@pytest.mark.parametrize("content", [b"", b"just some text, not a PDF\n"])
def test_a_local_refusal_is_not_a_failed_job(
    emu: LeapOCREmulator, client: Any, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(content)
    journal = tmp_path / "batch.sqlite"
    for _ in range(2):  # checked again on each run, never "failed in an earlier run"
        [item] = client.process_many([path], journal=journal, **FAST)
        assert isinstance(item.error, ValidationError)
        assert not isinstance(item.error, NotResubmittedError)
        assert states(journal)["scan.pdf"][0] == "new"
    assert emu.requests == []
    path.write_bytes(make_pdf(["fixed"]))
    [fixed] = client.process_many([path], journal=journal, **FAST)
    assert fixed.ok and fixed.result.markdown == "fixed"


def test_the_cli_exit_code_of_a_local_refusal_stays_2(emu: LeapOCREmulator, tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    codes = []
    for _ in range(2):
        run = subprocess.run(
            cli_command("process", "empty.pdf", "--out", "out", "--poll-interval", "0.05"),
            cwd=tmp_path,
            env=cli_env(emu),
            capture_output=True,
            text=True,
            timeout=60,
        )
        codes.append(run.returncode)
        assert "earlier run" not in run.stderr
    assert codes == [2, 2]


def stopped_by_a_full_disk(script: str, emu: LeapOCREmulator, *args: str) -> None:
    """Run ``script`` (a batch on the journal, in a process of its own) against ``emu``:
    it must end with the JournalError that says the disk is full, and no traceback."""
    child = subprocess.run(
        [sys.executable, "-c", script, emu.base_url, emu.api_key, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 5, child.stdout + child.stderr
    assert "JournalError:" in child.stdout and "free some space" in child.stdout
    assert "Traceback" not in child.stderr


FULL = textwrap.dedent(
    """
    import resource, signal, sys
    from leapocr_sdk import Journal, JournalError, LeapOCR
    from leapocr_sdk.testing import make_pdf

    base_url, key, path = sys.argv[1:4]
    Journal(path).close()  # created while there is room
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (192 * 1024, 192 * 1024))  # fills up
    docs = [make_pdf([f"document {n}"]) for n in range(40)]
    try:
        with LeapOCR(api_key=key, base_url=base_url) as client:
            for item in client.process_many(
                docs, concurrency=8, delete=True, journal=path, poll_interval=0.02
            ):
                pass
    except JournalError as exc:
        print("JournalError:", exc, *getattr(exc, "__notes__", []), flush=True)
        sys.exit(5)
    print("finished", flush=True)
    """
)


def test_a_full_disk_raises_journal_error_with_the_batch_cleaned_up(
    leapocr_emulator_factory: Any, tmp_path: Path
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.3)
    emu.faults.slow("upload_part", 1.0, count=4)  # some uploads are under way when it fails
    stopped_by_a_full_disk(FULL, emu, str(tmp_path / "j.sqlite"))
    assert emu.jobs  # the batch had started
    assert left(emu) == []  # delete=True: nothing left, half-uploaded or processing


SAVE_FAILS = textwrap.dedent(
    """
    import asyncio, os, resource, signal, sys
    from leapocr_sdk import AsyncLeapOCR, JournalError, LeapOCR
    from leapocr_sdk import _constants as C
    from leapocr_sdk.testing import make_pdf

    base_url, key, path, flavor = sys.argv[1:5]
    # The batch looks at the journal's lease every 20 ms while the job runs, so the job's
    # wait ends in a later round of the batch's loop than the one that started it.
    C.JOURNAL_LEASE_RENEW = 0.02
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
    docs = [make_pdf(["the only document"])]
    options = dict(concurrency=1, delete=True, journal=path, poll_interval=0.02)

    def fill_the_disk(item):
        # The result is in the caller's hands; the journal's next write, which records
        # it, must grow its write-ahead log, and cannot.
        assert item.result is not None, item.error
        size = os.path.getsize(path + "-wal")
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    async def run_async():
        async with AsyncLeapOCR(api_key=key, base_url=base_url) as client:
            async for item in client.process_many(docs, **options):
                fill_the_disk(item)

    try:
        if flavor == "sync":
            with LeapOCR(api_key=key, base_url=base_url) as client:
                for item in client.process_many(docs, **options):
                    fill_the_disk(item)
        else:
            asyncio.run(run_async())
    except JournalError as exc:
        print("JournalError:", exc, flush=True)
        sys.exit(5)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_result_the_journal_cannot_record_still_has_its_job_deleted(
    emu: LeapOCREmulator, tmp_path: Path, flavor: str
) -> None:
    # The disk fills between handing a result out and recording it: the batch stops with
    # JournalError, and with delete=True the job is deleted like any other it stops with.
    stopped_by_a_full_disk(SAVE_FAILS, emu, str(tmp_path / "j"), flavor)
    assert len(emu.jobs) == 1
    assert left(emu) == []
    assert emu.count("delete") == 1


def test_another_programs_database_is_refused_untouched(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE users (name TEXT)")
    before = other.read_bytes()
    with pytest.raises(JournalError, match="not a LeapOCR batch journal"):
        client.process_many(write_documents(tmp_path, 1), journal=other)
    assert other.read_bytes() == before
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not SQLite at all " * 100)
    with pytest.raises(JournalError, match="not a LeapOCR batch journal"):
        Journal(text)
    assert emu.requests == []
