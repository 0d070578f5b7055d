"""The batch journal: a batch run again never pays twice (sync and async, on the emulator)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import APIConnectionError, Journal, JournalError, NotResubmittedError
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

FAST = {"poll_interval": 0.02}


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.05)


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


def states(journal_path: Path) -> dict[str, str]:
    with Journal(journal_path) as journal:
        return {Path(entry.location).name: entry.state for entry in journal.entries()}


def test_a_run_stopped_halfway_resumes_without_paying_twice(
    leapocr_emulator_factory: Any, make_client: Any, tmp_path: Path
) -> None:
    # Jobs take much longer than submissions: when the caller stops, the documents in
    # flight are all submitted and waiting (see the plan: a freed slot is refilled only
    # when the caller takes the next item).
    emu = leapocr_emulator_factory(processing_seconds=0.3)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    paths = write_documents(tmp_path, 12)
    journal = tmp_path / "batch.sqlite"
    first = client.process_many(paths, concurrency=4, journal=journal, **FAST)
    taken = [next(first) for _ in range(5)]
    first.close()  # the caller stops: some submitted, some never started
    assert all(item.ok for item in taken)
    before = states(journal)
    assert list(before.values()).count("done") == 4  # the 5th counts once the loop moves on
    assert "submitted" in before.values()

    items = list(client.process_many(paths, concurrency=4, journal=journal, **FAST))
    assert len(items) == 12 and all(item.ok for item in items)
    skipped = {item.source for item in items if item.skipped}
    assert skipped == {item.source for item in taken[:4]}
    # Each document paid for once. A submission the stop cut off while it was still
    # uploading (a busy machine) is deleted unpaid by the first run and sent again.
    paid = [job for job in emu.jobs.values() if job.credits_used]
    assert len(paid) == 12 == sum(job.credits_used for job in paid)
    assert len({job.file_name for job in paid}) == 12
    unpaid = [job for job in emu.jobs.values() if not job.credits_used]
    assert all(job.deleted_at is not None for job in unpaid)
    assert emu.count("initiate") == len(emu.jobs) == 12 + len(unpaid)
    assert set(states(journal).values()) == {"done"}
    assert all(item.credits == 0 for item in items if item.skipped)


def test_outputs_are_kept_and_changed_files_are_new(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    paths = write_documents(tmp_path, 3)
    journal_path = tmp_path / "batch.sqlite"
    with Journal(journal_path) as journal:
        for item in client.process_many(paths, journal=journal, **FAST):
            journal.set_outputs(item.job_id, [f"out/{Path(item.source).stem}.md"])
    paths[1].write_bytes(make_pdf(["document 1, second edition"]))
    items = {item.source: item for item in client.process_many(paths, journal=journal_path, **FAST)}
    assert items[paths[0]].skipped and items[paths[0]].outputs == ("out/doc00.md",)
    assert not items[paths[1]].skipped
    assert items[paths[1]].result.markdown == "document 1, second edition"
    assert emu.count("initiate") == 4


def test_other_options_make_other_sources(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    paths = write_documents(tmp_path, 2)
    journal = tmp_path / "batch.sqlite"
    list(client.process_many(paths, journal=journal, **FAST))
    again = list(client.process_many(paths, journal=journal, model="pro-v1", **FAST))
    assert not any(item.skipped for item in again)
    assert emu.count("initiate") == 4


def test_failed_sources_are_retried_only_when_asked(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 but broken inside")
    journal = tmp_path / "batch.sqlite"
    [first] = client.process_many([bad], journal=journal, **FAST)
    assert "could not be read" in str(first.error)
    [again] = client.process_many([bad], journal=journal, **FAST)
    assert isinstance(again.error, NotResubmittedError)
    assert "retry_failed=True" in str(again.error) and "could not be read" in str(again.error)
    assert emu.count("initiate") == 1
    [retried] = client.process_many([bad], journal=journal, retry_failed=True, **FAST)
    assert "could not be read" in str(retried.error) and retried.job_id != first.job_id
    assert emu.count("initiate") == 2


def test_a_job_start_without_an_answer_is_completed_by_the_next_run(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    [path] = write_documents(tmp_path, 1)
    journal = tmp_path / "batch.sqlite"
    emu.faults.drop("complete", after_handling=True)  # the job starts, the answer is lost
    [lost] = client.process_many([path], journal=journal, **FAST)
    assert isinstance(lost.error, APIConnectionError) and lost.error.may_have_been_processed
    assert states(journal) == {"doc00.pdf": "sent"}
    # The journal holds the job id and the parts: the next run sends the same complete
    # (the service starts a job once) and collects the result, paying nothing again.
    [again] = client.process_many([path], journal=journal, **FAST)
    assert again.ok and again.job_id == lost.job_id
    assert emu.count("initiate") == 1 and emu.count("complete") == 2
    assert emu.get_job(lost.job_id).credits_used == 1


def test_a_url_submission_without_an_answer_is_reported_not_resubmitted(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    url = "http://127.0.0.1:9/doc.pdf"  # never fetched here: the answer is what counts
    journal = tmp_path / "batch.sqlite"
    emu.faults.drop("submit_url", after_handling=True)  # the job starts, the answer is lost
    [lost] = client.process_many([url], journal=journal, **FAST)
    assert isinstance(lost.error, APIConnectionError) and lost.error.may_have_been_processed
    [again] = client.process_many([url], journal=journal, **FAST)
    assert isinstance(again.error, NotResubmittedError)
    assert "may have reached the service" in str(again.error)
    assert emu.count("submit_url") == 1


def test_a_lost_upload_initiation_is_sent_again(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    [path] = write_documents(tmp_path, 1)
    journal = tmp_path / "batch.sqlite"
    emu.faults.drop("initiate", after_handling=True)  # a job is initiated, nothing uploaded
    [lost] = client.process_many([path], journal=journal, **FAST)
    assert isinstance(lost.error, APIConnectionError) and lost.error.may_have_been_processed
    assert states(journal) == {"doc00.pdf": "submitting"}
    [again] = client.process_many([path], journal=journal, **FAST)
    assert again.ok and emu.count("complete") == 1  # only one job ever started


def test_the_journal_is_sqlite_in_wal_mode(client: Any, tmp_path: Path) -> None:
    paths = write_documents(tmp_path, 2)
    journal = tmp_path / "batch.sqlite"
    items = list(client.process_many(paths, journal=journal, **FAST))
    with sqlite3.connect(journal) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        rows = db.execute("SELECT location, size, sha256, state, job_id FROM sources").fetchall()
    assert {row[4] for row in rows} == {item.job_id for item in items}
    assert {(row[0], row[1], row[3]) for row in rows} == {
        (str(path), path.stat().st_size, "done") for path in paths
    }
    assert all(len(row[2]) == 64 for row in rows)


def test_an_unusable_journal_path_says_what_to_do(client: Any, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(JournalError, match="--no-journal"):
        client.process_many([b"x"], journal=tmp_path / "a-file" / "journal.sqlite")
