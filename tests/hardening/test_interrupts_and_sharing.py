"""Programs that do more than one thing at once. Ctrl-C (a real SIGINT to a real
subprocess) and task cancellation during a multi-part upload, callbacks and where they run,
errors crossing process boundaries, clients crossing event loops and fork."""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import leapocr_sdk.errors as errors
from leapocr_sdk import AsyncLeapOCR, ConfigurationError, LeapOCR
from tests.conftest import API_KEY
from tests.hardening.hostile import JOB, send_json

PARTS = 12
DOCUMENT = b"%PDF-1.7" + b"x" * (PARTS * 10 - 8)

CHILD = textwrap.dedent(
    """
    import asyncio, signal, sys
    from leapocr_sdk import AsyncLeapOCR, LeapOCR

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored

    flavor, base_url, key, data = sys.argv[1], sys.argv[2], sys.argv[3], b"%PDF-1.7" + b"x" * 112

    async def run_async():
        async with AsyncLeapOCR(api_key=key, base_url=base_url, upload_concurrency=2) as client:
            await client.process_file(data)

    try:
        if flavor == "sync":
            LeapOCR(api_key=key, base_url=base_url, upload_concurrency=2).process_file(data)
        else:
            asyncio.run(run_async())
    except KeyboardInterrupt as exc:
        print("interrupted", *getattr(exc, "__notes__", []), flush=True)
        sys.exit(130)
    print("finished", flush=True)
    """
)


def _wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.01)


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_ctrl_c_during_a_multi_part_upload_stops_parts_and_deletes_the_job(upload_service, flavor):
    service = upload_service([10] * PARTS, part_delay=0.4)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("LEAPOCR_API_KEY", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, flavor, service.server.base_url, API_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        _wait_for(lambda: service.puts_started >= 1)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=20)
    finally:
        child.kill()
        child.wait()
    assert child.returncode in (130, -signal.SIGINT), err
    assert service.deletes == [f"/api/v1/ocr/delete/{JOB}"], err
    assert service.puts_started < PARTS  # queued parts were never started
    assert "finished" not in out
    if flavor == "sync":
        assert f"job {JOB} was deleted" in out


def test_cancelling_an_async_process_file_deletes_the_job(upload_service):
    service = upload_service([10] * PARTS, part_delay=0.4)

    async def main() -> BaseException:
        async with AsyncLeapOCR(
            api_key=API_KEY, base_url=service.server.base_url, upload_concurrency=2
        ) as client:
            task = asyncio.ensure_future(client.process_file(DOCUMENT))
            await asyncio.to_thread(_wait_for, lambda: service.puts_started >= 1)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError as exc:
                return exc
            raise AssertionError("process_file was not cancelled")

    cancelled = asyncio.run(main())
    assert f"job {JOB} was deleted" in "".join(cancelled.__notes__)
    assert service.deletes == [f"/api/v1/ocr/delete/{JOB}"]
    assert service.puts_started < PARTS


# --- callbacks: coroutine functions welcome, on the caller's thread or loop ------------


def _status_then_result(hostile):
    answers = iter(
        [
            (202, {"job_id": JOB, "status": "processing", "progress": 0.5}),
            (200, {"status": "completed", "pages": [{"page_number": 1, "result": "hi"}]}),
        ]
    )

    def respond(handler):
        status, body = next(answers, (200, {"status": "completed", "pages": []}))
        send_json(handler, body, status)

    return hostile(respond)


def test_progress_callbacks_run_on_the_callers_thread_or_loop(
    hostile, upload_service, make_client, flavor
):
    server = _status_then_result(hostile)
    client = make_client(base_url=server.base_url)
    seen: list[tuple[float, int]] = []

    async def on_progress_async(info):
        await asyncio.sleep(0)
        seen.append((info.progress, threading.get_ident()))

    def on_progress_sync(info):
        seen.append((info.progress, threading.get_ident()))

    on_progress = on_progress_async if flavor == "async" else on_progress_sync

    result = client.wait_until_done(JOB, poll_interval=0.01, on_progress=on_progress)
    assert result.pages[0].text == "hi"
    assert seen == [(0.5, threading.get_ident()), (1.0, threading.get_ident())]


def test_async_upload_progress_may_be_a_coroutine_function_on_the_loop(upload_service):
    service = upload_service([10, 10])
    seen: list[tuple[int, int]] = []

    async def main() -> None:
        loop_thread = threading.get_ident()

        async def on_upload_progress(sent, total):
            await asyncio.sleep(0)
            assert threading.get_ident() == loop_thread
            seen.append((sent, total))

        async with AsyncLeapOCR(
            api_key=API_KEY, base_url=service.server.base_url, upload_concurrency=1
        ) as client:
            await client.process_file(DOCUMENT[:20], on_upload_progress=on_upload_progress)

    asyncio.run(main())
    assert seen[-1] == (20, 20)


# --- errors across processes ----------------------------------------------------------


EXAMPLES = [
    errors.LeapOCRError("root"),
    errors.ConfigurationError("no key"),
    errors.ValidationError("bad argument"),
    errors.APIError("teapot", status_code=418, code="TEAPOT", details={"a": 1}, request_id="r1"),
    errors.NotFoundError("gone", status_code=404, request_id="r2"),
    errors.RateLimitError("slow", retry_after=3.0, limit=10, remaining=0, reset=5.0),
    errors.ServerError("boom", status_code=503),
    errors.UnexpectedResponseError("odd", status_code=200),
    errors.ResponseTooLargeError("huge", status_code=200, limit=16),
    errors.APIConnectionError("down", may_have_been_processed=True),
    errors.APITimeoutError("late", may_have_been_processed=True),
    errors.UploadError("part 2", job_id=JOB, part_number=2, status_code=403, job_deleted=True),
    errors.JobFailedError(JOB, "corrupt"),
    errors.WaitTimeoutError(JOB, None, 5.0),
    errors.JobNotReadyError(JOB, "processing"),
]


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_every_sdk_error_pickles_with_its_attributes(error):
    error.add_note("a note")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)  # RateLimitError's message does not double
    assert vars(copy) == vars(error)


def _worker_not_found() -> None:
    raise errors.NotFoundError("no such job", status_code=404, request_id="r9")


def test_a_process_pool_worker_hands_back_the_sdk_error():
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        future = pool.submit(_worker_not_found)
        with pytest.raises(errors.NotFoundError) as info:
            future.result(timeout=30)
    assert info.value.status_code == 404 and info.value.request_id == "r9"


# --- clients across event loops and fork ---------------------------------------------


def test_an_async_client_used_from_a_second_event_loop_says_so(hostile):
    server = hostile(lambda h: send_json(h, {"id": JOB, "status": "pending"}))
    client = AsyncLeapOCR(api_key=API_KEY, base_url=server.base_url)
    assert asyncio.run(client.get_status(JOB)).job_id == JOB
    with pytest.raises(ConfigurationError, match="second event loop"):
        asyncio.run(client.get_status(JOB))


def _in_child(action) -> str:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what happened, never return into pytest
        try:
            action()
            message = "no error"
        except ConfigurationError as exc:
            message = f"ConfigurationError: {exc}"
        except BaseException as exc:
            message = f"{type(exc).__name__}: {exc}"
        os.write(write_end, message.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    return message


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_client_used_in_a_child_after_fork_says_so(hostile):
    server = hostile(lambda h: send_json(h, {"id": JOB, "status": "pending"}))
    client = LeapOCR(api_key=API_KEY, base_url=server.base_url)
    client.get_status(JOB)  # a pooled connection the child must not share
    message = _in_child(lambda: client.get_status(JOB))
    assert message.startswith("ConfigurationError") and "fork" in message
    async_client = AsyncLeapOCR(api_key=API_KEY, base_url=server.base_url)
    message = _in_child(lambda: asyncio.run(async_client.get_status(JOB)))
    assert message.startswith("ConfigurationError") and "fork" in message
    # A new client made in the child works (the request helper threads start afresh).
    fresh = lambda: LeapOCR(api_key=API_KEY, base_url=server.base_url).get_status(JOB)  # noqa: E731
    assert _in_child(fresh) == "no error"
    client.close()
