"""Client-wide pacing, sync and async: against the emulator's rate limiter (a fixed window)
and scripted ``X-RateLimit-*`` answers (pytest-httpserver).

Counted on the server: how many requests it refused (429), that every document finished,
that a request the headers said would be refused was not sent before the reset; and that
a request waiting for its turn still ends on cancellation, on close and at its timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from typing import Any

import pytest
from werkzeug import Request, Response

from leapocr_sdk import AsyncLeapOCR, ConfigurationError, LeapOCR
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.conftest import API_KEY
from tests.sdk.helpers import API, JOB, json_response, service_status

# The service's shape (10 requests a window, 30 documents, 8 at a time) with the window
# scaled down from 6 s so the suite stays fast.
LIMIT, WINDOW = 10, 1.0


def api_statuses(emu: LeapOCREmulator) -> list[int | None]:
    return [r.status for r in emu.requests if r.route != "upload_part"]


def test_a_batch_paced_by_the_headers_is_almost_never_refused(
    leapocr_emulator_factory: Any, make_client: Any
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.05, rate_limit=LIMIT, rate_window=WINDOW)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    sources = [make_pdf([f"document {n}"]) for n in range(30)]
    items = list(client.process_many(sources, concurrency=8, poll_interval=0.5))
    assert len(items) == 30 and all(item.ok for item in items)
    assert sorted(item.result.markdown for item in items) == sorted(
        f"document {n}" for n in range(30)
    )
    statuses = api_statuses(emu)
    assert statuses.count(429) <= 0.02 * len(statuses), statuses.count(429)
    assert emu.count("complete") == 30


def test_threads_and_tasks_sharing_one_client_stay_within_the_budget(
    leapocr_emulator_factory: Any, flavor: str
) -> None:
    emu = leapocr_emulator_factory(rate_limit=5, rate_window=WINDOW)
    calls = 24
    if flavor == "sync":
        with LeapOCR(api_key=emu.api_key, base_url=emu.base_url, max_retries=0) as client:
            copy = client.with_options(timeout=30)  # shares the connections and the budget
            with concurrent.futures.ThreadPoolExecutor(12) as pool:
                futures = [pool.submit((client, copy)[n % 2].list_models) for n in range(calls)]
                answers = [future.result() for future in futures]
    else:

        async def many() -> list[Any]:
            async with AsyncLeapOCR(
                api_key=emu.api_key, base_url=emu.base_url, max_retries=0
            ) as client:
                copy = client.with_options(timeout=30)
                return await asyncio.gather(
                    *((client, copy)[n % 2].list_models() for n in range(calls))
                )

        answers = asyncio.run(many())
    # max_retries=0: a single refusal would have raised RateLimitError.
    assert len(answers) == calls and all(answers)
    assert api_statuses(emu) == [200] * calls


def limited_then_open(reset_in: float, arrivals: list[float]) -> Any:
    """Answer the first request with no budget left until ``reset_in`` seconds from now,
    then a job status with the budget back; record each arrival (Unix time)."""
    reset = int(time.time() + reset_in) + 1

    def handler(request: Request) -> Response:
        arrivals.append(time.time())
        left = "0" if len(arrivals) == 1 else "9"
        headers = {
            "X-RateLimit-Limit": "10",
            "X-RateLimit-Remaining": left,
            "X-RateLimit-Reset": str(reset),
        }
        return json_response(service_status("pending"), headers=headers)

    handler.reset = reset  # type: ignore[attr-defined]
    return handler


def test_no_request_goes_before_the_reset_the_headers_name(api, base_url, make_client):
    arrivals: list[float] = []
    handler = limited_then_open(1.0, arrivals)
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(handler)
    client = make_client(base_url=base_url)
    client.get_status(JOB)
    client.get_status(JOB)
    client.get_status(JOB)
    assert len(arrivals) == 3
    assert arrivals[1] >= handler.reset  # the same clock: the server's Reset was honoured
    assert arrivals[2] >= handler.reset


def test_a_wait_for_the_budget_is_bounded_by_the_call_timeout(api, base_url, make_client):
    arrivals: list[float] = []
    handler = limited_then_open(3600.0, arrivals)
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(handler)
    client = make_client(base_url=base_url, timeout=0.5)
    client.get_status(JOB)
    client.get_status(JOB)  # waited its timeout, then went anyway: the server decides
    assert len(arrivals) == 2 and arrivals[1] < handler.reset


def test_a_waiting_request_ends_when_the_client_closes(threaded_api, threaded_base_url):
    arrivals: list[float] = []
    threaded_api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(
        limited_then_open(3600.0, arrivals)
    )
    client = LeapOCR(api_key=API_KEY, base_url=threaded_base_url)
    client.get_status(JOB)
    failure: list[BaseException] = []

    def waiting() -> None:
        try:
            client.get_status(JOB)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=waiting)
    thread.start()
    time.sleep(0.3)
    client.close()
    thread.join(10)
    assert not thread.is_alive()
    assert len(failure) == 1 and isinstance(failure[0], ConfigurationError)
    assert len(arrivals) == 1  # never sent


def test_a_waiting_task_is_cancelled_and_leaves_its_turn(threaded_api, threaded_base_url):
    arrivals: list[float] = []
    threaded_api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(
        limited_then_open(3600.0, arrivals)
    )

    async def scene() -> None:
        async with AsyncLeapOCR(api_key=API_KEY, base_url=threaded_base_url) as client:
            await client.get_status(JOB)
            task = asyncio.ensure_future(client.get_status(JOB))
            await asyncio.sleep(0.3)
            assert not task.done()
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert not client._runner._pacer._waiting  # its turn is given up
            closing = asyncio.ensure_future(client.get_status(JOB))
            await asyncio.sleep(0.3)
        with pytest.raises(ConfigurationError):
            await closing

    asyncio.run(scene())
    assert len(arrivals) == 1


@pytest.mark.filterwarnings("ignore:leapocr. the batch was stopped early")
def test_a_stopped_batch_does_not_wait_for_the_budget(
    leapocr_emulator_factory: Any, make_client: Any
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.05, rate_limit=3, rate_window=3600.0)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    sources: list[Any] = [make_pdf([f"document {n}"]) for n in range(4)]
    started = time.monotonic()
    batch = client.process_many([*sources, "missing.pdf"], concurrency=5, poll_interval=0.5)
    for item in batch:  # the missing file fails at once; the others wait for the budget
        assert item.source == "missing.pdf"
        break
    assert time.monotonic() - started < 30  # far from the hour the budget needs
