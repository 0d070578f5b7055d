"""A batch stopped early keeps its promises: no half-uploaded job is left on the service,
and with ``delete=True`` no finished or processing one either (sync and async, on the
emulator; Ctrl-C as a real SIGINT to a real subprocess)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import AsyncLeapOCR, BatchEvent, ConfigurationError, JobOptions, Journal, LeapOCR
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

FAST: JobOptions = {"poll_interval": 0.02}


def documents(count: int) -> list[bytes]:
    return [make_pdf([f"document {n}"]) for n in range(count)]


def left(emu: LeapOCREmulator) -> list[str]:
    """Jobs still on the service (not deleted)."""
    return sorted(job_id for job_id, job in emu.jobs.items() if job.deleted_at is None)


def half_uploaded(emu: LeapOCREmulator) -> list[str]:
    return sorted(job_id for job_id, job in emu.jobs.items() if job.complete_calls == 0)


def wait_for(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.4)


@pytest.fixture
def client(emu: LeapOCREmulator, make_client: Any) -> Any:
    return make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)


def test_break_with_delete_leaves_no_job(emu: LeapOCREmulator, client: Any) -> None:
    # Three uploads are held by the storage host when the caller stops: their jobs are
    # half-uploaded; the others are processing or finished.
    emu.faults.slow("upload_part", 3.0, count=3)
    batch = client.process_many(documents(8), concurrency=8, delete=True, **FAST)
    first = next(batch)
    assert first.ok
    assert len(half_uploaded(emu)) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is left, so nothing to warn about
        batch.close()
    assert len(emu.jobs) == 8
    assert left(emu) == []


def test_break_without_delete_deletes_the_half_uploaded_jobs(
    emu: LeapOCREmulator, client: Any
) -> None:
    emu.faults.slow("upload_part", 3.0, count=2)
    batch = client.process_many(documents(5), concurrency=5, **FAST)
    assert next(batch).ok
    held = half_uploaded(emu)
    assert len(held) == 2
    with pytest.warns(UserWarning, match="still on the service") as caught:
        batch.close()
    assert not set(held) & set(left(emu))  # the half-uploaded ones are gone
    assert len(left(emu)) == 3  # the jobs that started stay (no delete=True), named:
    message = str(caught[0].message)
    assert all(job_id in message for job_id in left(emu))


def test_an_exception_in_the_loop_cleans_up(emu: LeapOCREmulator, client: Any) -> None:
    emu.faults.slow("upload_part", 3.0, count=2)

    def consume() -> None:
        for item in client.process_many(documents(6), concurrency=6, delete=True, **FAST):
            raise RuntimeError(f"the caller's own bug after {item.source!r:.10}")

    with pytest.raises(RuntimeError, match="the caller's own bug"):
        consume()
    assert len(emu.jobs) == 6
    assert left(emu) == []


def test_an_interrupt_with_a_journal_keeps_processing_jobs_for_the_next_run(
    leapocr_emulator_factory: Any, make_client: Any, tmp_path: Path
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=(0.2, 1.5), seed=4)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    emu.faults.slow("upload_part", 3.0, count=2)
    paths = []
    for n in range(6):
        paths.append(tmp_path / f"doc{n}.pdf")
        paths[-1].write_bytes(make_pdf([f"document {n}"]))
    journal = tmp_path / "batch.sqlite"
    batch = client.process_many(paths, concurrency=6, delete=True, journal=journal, **FAST)
    assert next(batch).ok
    with pytest.warns(UserWarning, match="kept for the next run") as caught:
        batch.close()
    kept = left(emu)
    assert kept  # jobs that were processing are kept, and named with what collects them
    assert all(job_id in str(caught[0].message) for job_id in kept)
    assert "process_many" in str(caught[0].message)
    assert not set(half_uploaded(emu)) & set(kept)
    with Journal(journal) as opened:
        recorded = {entry.job_id for entry in opened.entries() if entry.state == "submitted"}
    assert set(kept) <= recorded

    created = len(emu.jobs)
    items = list(client.process_many(paths, concurrency=6, delete=True, journal=journal, **FAST))
    assert len(items) == 6 and all(item.ok for item in items)
    paid = [item for item in items if item.result is not None]
    assert {item.job_id for item in paid} >= set(kept)  # waited on, not paid again
    # The first item was handed out but the loop did not go on: its job is kept too.
    assert len(emu.jobs) - created == 6 - len(kept)  # only the rest is submitted
    assert left(emu) == []  # and every job is deleted once its result is in


def test_cancelling_the_task_cleans_up(emu: LeapOCREmulator) -> None:
    emu.faults.slow("upload_part", 3.0, count=2)

    async def main() -> None:
        async with AsyncLeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:

            async def consume() -> None:
                async for _ in client.process_many(documents(6), delete=True, **FAST):
                    pass

            task = asyncio.ensure_future(consume())
            await asyncio.to_thread(wait_for, lambda: emu.count("complete") >= 4)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    assert len(emu.jobs) == 6
    assert left(emu) == []


def test_async_for_break_cleans_up_once_the_generator_is_collected(emu: LeapOCREmulator) -> None:
    emu.faults.slow("upload_part", 3.0, count=2)

    async def main() -> None:
        async with AsyncLeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
            async for item in client.process_many(documents(6), delete=True, **FAST):
                assert item.ok
                break  # no aclose(): the event loop finalises the generator
            await asyncio.to_thread(wait_for, lambda: left(emu) == [])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        asyncio.run(main())
    assert len(emu.jobs) == 6 and left(emu) == []


CHILD = textwrap.dedent(
    """
    import asyncio, signal, sys
    from leapocr_sdk import AsyncLeapOCR, LeapOCR
    from leapocr_sdk.testing import make_pdf

    signal.signal(signal.SIGINT, signal.default_int_handler)
    flavor, base_url, key = sys.argv[1:4]
    docs = [make_pdf([f"document {n}"]) for n in range(16)]

    def seen(event):
        if event.kind == "submitted":
            print("submitted", event.job_id, flush=True)

    async def run_async():
        async with AsyncLeapOCR(api_key=key, base_url=base_url) as client:
            async for item in client.process_many(
                docs, concurrency=16, delete=True, on_event=seen, poll_interval=0.05
            ):
                print("item", item.job_id, flush=True)

    try:
        if flavor == "sync":
            with LeapOCR(api_key=key, base_url=base_url) as client:
                for item in client.process_many(
                    docs, concurrency=16, delete=True, on_event=seen, poll_interval=0.05
                ):
                    print("item", item.job_id, flush=True)
        else:
            asyncio.run(run_async())
    except KeyboardInterrupt as exc:
        print("interrupted", *getattr(exc, "__notes__", []), flush=True)
        sys.exit(130)
    print("finished", flush=True)
    """
)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_ctrl_c_in_a_subprocess_leaves_no_job(
    leapocr_emulator_factory: Any, kind: str, tmp_path: Path
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=5.0)
    emu.faults.slow("upload_part", 10.0, count=8)  # half the uploads are held
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, kind, emu.base_url, emu.api_key],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_for(lambda: emu.count("complete") >= 8 and emu.count("upload_part") >= 16)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 130, err
    assert "finished" not in out
    assert len(emu.jobs) == 16
    assert left(emu) == [], out + err


def test_closing_a_shared_client_ends_waiting_threads_with_configuration_error(
    leapocr_emulator_factory: Any,
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=60.0)
    client = LeapOCR(api_key=emu.api_key, base_url=emu.base_url)
    job_ids = [client.process(doc, wait=False).job_id for doc in documents(3)]
    errors: list[BaseException] = []
    ended = threading.Event()
    remaining = [len(job_ids)]
    lock = threading.Lock()

    def wait(job_id: str) -> None:
        try:
            client.wait_until_done(job_id, poll_interval=0.05)
        except BaseException as exc:
            errors.append(exc)
        with lock:
            remaining[0] -= 1
            if remaining[0] == 0:
                ended.set()

    threads = [threading.Thread(target=wait, args=(job_id,)) for job_id in job_ids]
    for thread in threads:
        thread.start()
    wait_for(lambda: emu.count("result") >= 6)
    client.close()
    assert ended.wait(2.0), "the waiting threads did not end promptly"
    assert len(errors) == 3
    assert all(isinstance(error, ConfigurationError) for error in errors), errors
    assert all("closed" in str(error) for error in errors)


def test_closing_an_async_client_ends_waiting_tasks_with_configuration_error(
    leapocr_emulator_factory: Any,
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=60.0)

    async def main() -> list[BaseException]:
        client = AsyncLeapOCR(api_key=emu.api_key, base_url=emu.base_url)
        job_ids = [(await client.process(doc, wait=False)).job_id for doc in documents(3)]
        tasks = [
            asyncio.ensure_future(client.wait_until_done(job_id, poll_interval=0.05))
            for job_id in job_ids
        ]
        await asyncio.to_thread(wait_for, lambda: emu.count("result") >= 6)
        await client.aclose()
        done, _ = await asyncio.wait(tasks, timeout=2.0)
        assert len(done) == 3, "the waiting tasks did not end promptly"
        return [task.exception() for task in tasks]  # type: ignore[misc]

    errors = asyncio.run(main())
    assert all(isinstance(error, ConfigurationError) for error in errors), errors


def test_closing_a_copy_leaves_the_original_open_and_closing_the_original_ends_the_copies(
    leapocr_emulator_factory: Any,
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=60.0)
    client = LeapOCR(api_key=emu.api_key, base_url=emu.base_url)
    job_id = client.process(documents(1)[0], wait=False).job_id
    copy = client.with_options(timeout=30.0)
    other = client.with_options(max_retries=0)
    outcomes: dict[str, BaseException | None] = {}
    ended = {name: threading.Event() for name in ("original", "copy", "other")}

    def wait(name: str, waiter: LeapOCR) -> None:
        try:
            waiter.wait_until_done(job_id, poll_interval=0.05)
            outcomes[name] = None
        except BaseException as exc:
            outcomes[name] = exc
        ended[name].set()

    threads = [
        threading.Thread(target=wait, args=(name, waiter))
        for name, waiter in (("original", client), ("copy", copy), ("other", other))
    ]
    for thread in threads:
        thread.start()
    wait_for(lambda: emu.count("result") >= 6)
    other.close()  # a copy: its own wait ends, the original and its other copy go on
    assert ended["other"].wait(2.0), "the closed copy's wait did not end promptly"
    assert isinstance(outcomes["other"], ConfigurationError)
    assert client.get_status(job_id).job_id == job_id
    assert not ended["original"].is_set() and not ended["copy"].is_set()
    client.close()  # the original: the waits of its copies end too
    assert ended["original"].wait(2.0) and ended["copy"].wait(2.0), "waits did not end"
    assert isinstance(outcomes["original"], ConfigurationError)
    assert isinstance(outcomes["copy"], ConfigurationError)
    for thread in threads:
        thread.join()


def test_closing_an_async_copy_leaves_the_original_open_and_closing_the_original_ends_the_copies(
    leapocr_emulator_factory: Any,
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=60.0)

    async def main() -> None:
        client = AsyncLeapOCR(api_key=emu.api_key, base_url=emu.base_url)
        job_id = (await client.process(documents(1)[0], wait=False)).job_id
        copy = client.with_options(timeout=30.0)
        other = client.with_options(max_retries=0)
        waits = {
            name: asyncio.ensure_future(waiter.wait_until_done(job_id, poll_interval=0.05))
            for name, waiter in (("original", client), ("copy", copy), ("other", other))
        }
        await asyncio.to_thread(wait_for, lambda: emu.count("result") >= 6)
        await other.aclose()
        done, _ = await asyncio.wait([waits["other"]], timeout=2.0)
        assert done, "the closed copy's wait did not end promptly"
        assert isinstance(waits["other"].exception(), ConfigurationError)
        assert (await client.get_status(job_id)).job_id == job_id
        assert not waits["original"].done() and not waits["copy"].done()
        await client.aclose()
        done, _ = await asyncio.wait([waits["original"], waits["copy"]], timeout=2.0)
        assert len(done) == 2, "the waits did not end promptly"
        assert isinstance(waits["original"].exception(), ConfigurationError)
        assert isinstance(waits["copy"].exception(), ConfigurationError)

    asyncio.run(main())


def test_events_name_the_jobs_kept(emu: LeapOCREmulator, client: Any) -> None:
    emu.faults.slow("upload_part", 3.0, count=1)
    events: list[BatchEvent] = []
    batch = client.process_many(documents(3), concurrency=3, on_event=events.append, **FAST)
    assert next(batch).ok
    with pytest.warns(UserWarning):
        batch.close()
    stopped = [event for event in events if event.kind == "stopped"]
    assert {event.job_id for event in stopped} == set(left(emu))
    assert all(event.message for event in stopped)


def test_jobs_that_could_not_be_deleted_are_named(
    leapocr_emulator_factory: Any, make_client: Any
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.3)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    emu.faults.slow("upload_part", 3.0, count=2)  # two half-uploaded when it stops
    batch = client.process_many(documents(4), concurrency=4, delete=True, **FAST)
    assert next(batch).ok
    emu.faults.fail("delete", 503, count=100)  # the service refuses every delete now
    with pytest.warns(UserWarning, match="could not be deleted") as caught:
        batch.close()
    still = left(emu)
    assert len(still) >= 2  # the half-uploaded ones at least
    assert all(job_id in str(caught[0].message) for job_id in still)
    assert "delete_job" in str(caught[0].message)


def test_a_result_that_could_not_be_saved_is_fetched_again(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    paths = []
    for n in range(3):
        paths.append(tmp_path / f"doc{n}.pdf")
        paths[-1].write_bytes(make_pdf([f"document {n}"]))
    with Journal(tmp_path / "batch.sqlite") as journal:
        unsaved = None
        for item in client.process_many(paths, delete=True, journal=journal, **FAST):
            if unsaved is None:  # writing its output failed (a full disk, say)
                unsaved = item
                journal.not_saved(item.job_id, "the output could not be written")
        assert unsaved is not None
        assert emu.get_job(unsaved.job_id).deleted_at is None  # not deleted: not saved
        again = list(client.process_many(paths, delete=True, journal=journal, **FAST))
    fetched = [item for item in again if not item.skipped]
    assert [item.job_id for item in fetched] == [unsaved.job_id]  # fetched, not paid again
    assert fetched[0].result.markdown == unsaved.result.markdown
    assert emu.count("initiate") == 3 and left(emu) == []
