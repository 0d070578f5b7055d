"""Flows driven directly from a script of step results (tests/sdk/flow_script.py): the
decisions that keep them safe (clean-up, bounds, retries), each in milliseconds and
without sockets."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from leapocr_sdk import _constants as C
from leapocr_sdk import _flows as flows
from leapocr_sdk._operations import DELETE, INITIATE
from leapocr_sdk._retry import next_delay
from leapocr_sdk._sources import open_source
from leapocr_sdk._validation import SubmitOptions
from leapocr_sdk.errors import (
    RateLimitError,
    ResponseTooLargeError,
    UnexpectedResponseError,
    UploadError,
    WaitTimeoutError,
)
from tests.sdk.flow_script import FlowScript, reply
from tests.sdk.helpers import JOB


def ctx(**kwargs) -> flows.Context:
    kwargs.setdefault("clock", lambda: 1000.0)
    kwargs.setdefault("wall_clock", lambda: 1_700_000_000.0)
    return flows.Context(rng=random.Random(7), **kwargs)


def result_page(numbers, *, total=None, total_pages=1) -> bytes:
    pages = [{"page_number": n, "result": f"p{n}"} for n in numbers]
    pagination = {"page": 1, "limit": 250, "total_pages": total_pages}
    if total is not None:
        pagination["total"] = total
    return json.dumps({"status": "completed", "pages": pages, "pagination": pagination}).encode()


def document(size: int) -> bytes:
    """``size`` bytes the SDK recognises as a PDF (the scripted service never reads them)."""
    return (b"%PDF-1.7" + b"x" * size)[:size]


def ticket(urls: list[str], job_id: str = JOB) -> bytes:
    size = 10
    parts = [
        {"part_number": n, "start_byte": (n - 1) * size, "end_byte": n * size - 1, "upload_url": u}
        for n, u in enumerate(urls, start=1)
    ]
    return json.dumps({"job_id": job_id, "parts": parts}).encode()


# --- one retry policy -----------------------------------------------------------------


def test_next_delay_never_sleeps_past_the_deadline():
    rng = random.Random(1)
    limited = reply(429, headers={"Retry-After": "60"})
    common: dict[str, Any] = {"max_retries": 3, "now": 100.0, "wall_now": 0.0, "rng": rng}
    assert next_delay(0, limited, None, **common) == 60.0
    assert next_delay(0, limited, 105.0, **common) is None  # 60 s would end past 105
    assert next_delay(0, reply(429, headers={"Retry-After": "2"}), 105.0, **common) == 2.0
    assert next_delay(3, limited, None, **common) is None  # out of retries
    assert next_delay(0, reply(404), None, **common) is None  # not retryable
    delay = next_delay(0, None, None, **common)  # a connection failure
    assert delay is not None and 0 < delay <= C.BACKOFF_INITIAL


def test_retry_after_60_during_a_5s_wait_gives_up_with_a_typed_error():
    script = FlowScript(reply(429, b"{}", {"Retry-After": "60"}))
    flow = flows.wait_until_done(ctx(), JOB, 1.0, 5.0, None)
    with pytest.raises(WaitTimeoutError) as info:
        script.run(flow)
    assert script.sleeps() == []  # no sleep at all rather than one past the deadline
    assert isinstance(info.value.__cause__, RateLimitError)
    assert "HTTP 429" in "".join(info.value.__notes__)


def test_part_upload_retry_follows_the_same_policy():
    part_reply = reply(503, headers={"Retry-After": "3"})
    script = FlowScript(reply(200, ticket(["https://s.example/1"])), part_reply)
    script.answers += [reply(200, headers={"etag": '"e"'}), reply(200, b"{}")]
    with open_source(document(10), None) as source:
        job = script.run(flows.process_file(ctx(), source, SubmitOptions(), None))
    assert job.job_id == JOB
    assert script.sleeps() == [3.0]


def test_every_request_of_a_wait_is_bounded_by_the_time_left():
    clock = [1000.0]

    def pending(step):
        clock[0] += 3.0  # the first poll took 3 s
        return reply(202, json.dumps({"job_id": JOB, "status": "processing"}))

    script = FlowScript(pending, reply(200, result_page([1])))
    script.run(flows.wait_until_done(ctx(clock=lambda: clock[0]), JOB, 1.0, 10.0, None))
    assert [call.timeout for call in script.calls()] == pytest.approx([10.0, 7.0])


# --- result paging --------------------------------------------------------------------


def page_and_limit(call):
    assert call.params is not None
    return (call.params["page"], call.params["limit"])


def test_a_result_reply_too_large_is_asked_for_again_with_fewer_pages():
    too_large = ResponseTooLargeError("too large", status_code=200, limit=C.MAX_REPLY_BYTES)
    script = FlowScript(too_large, too_large, reply(200, result_page([1, 2], total=2)))
    result = script.run(flows.get_result(ctx(), JOB))
    assert [page.page_number for page in result.pages] == [1, 2]
    calls = script.calls()
    assert [page_and_limit(call) for call in calls] == [
        (1, 1000),
        (1, 500),
        (1, 250),
    ]
    assert {call.body_limit for call in calls} == {C.MAX_REPLY_BYTES}


def test_fewer_pages_a_request_follow_the_servers_own_page_size():
    # The server holds 60 pages a request whatever is asked; its request 2 is too large:
    # pages 61-150 are asked for 30 at a time, from request 3 of that size on. Request 3
    # at the old size was already out (the window runs ahead): its answer is dropped.
    too_large = ResponseTooLargeError("too large", status_code=200, limit=C.MAX_REPLY_BYTES)

    def capped(numbers, total_pages):
        return reply(200, result_page(list(numbers), total=150, total_pages=total_pages))

    script = FlowScript(
        capped(range(1, 61), 3),
        too_large,
        capped(range(121, 151), 3),
        *[capped(range(start, start + 30), 5) for start in (61, 91, 121)],
    )
    result = script.run(flows.get_result(ctx(), JOB))
    assert [page.page_number for page in result.pages] == list(range(1, 151))
    assert [page_and_limit(call) for call in script.calls()] == [
        (1, 1000),
        (2, 1000),
        (3, 1000),
        (3, 30),
        (4, 30),
        (5, 30),
    ]


def test_a_page_too_large_alone_is_named_even_when_the_server_pages_one_by_one():
    # The server holds one page a request whatever is asked: request 2 is asked again
    # for one page, to name it (request 3 goes out with it each time, and is dropped).
    too_large = ResponseTooLargeError("too large", status_code=200, limit=C.MAX_REPLY_BYTES)
    first = reply(200, result_page([1], total=3, total_pages=3))
    third = reply(200, result_page([3], total=3, total_pages=3))
    script = FlowScript(first, too_large, third, too_large, third)
    with pytest.raises(ResponseTooLargeError, match=f"result page 2 of job {JOB} alone"):
        script.run(flows.get_result(ctx(), JOB))
    calls = [page_and_limit(call) for call in script.calls()]
    assert calls == [(1, 1000), (2, 1000), (3, 1000), (2, 1), (3, 1)]


def test_fewer_pages_a_request_keeps_windows_aligned_down_to_one():
    limits = [C.RESULT_PAGE_LIMIT]
    while limits[-1] > 1:
        limits.append(flows._fewer_pages(limits[-1]))
    assert limits == [1000, 500, 250, 125, 25, 5, 1]


def test_a_billion_result_pages_against_a_3_page_job_is_refused():
    script = FlowScript(reply(200, result_page([1, 2], total=3, total_pages=10**9)))
    with pytest.raises(UnexpectedResponseError, match="1000000000 result pages"):
        script.run(flows.get_result(ctx(), JOB))
    assert len(script.calls()) == 1


def test_paging_stops_on_a_page_that_adds_nothing():
    # No page count to judge by; every later answer repeats page 1: paging stops at the
    # first answer, with one window of requests out (RESULT_FETCH_CONCURRENCY in flight).
    window = C.RESULT_FETCH_CONCURRENCY
    script = FlowScript(
        reply(200, result_page([1], total_pages=5000)),
        *[reply(200, result_page([1], total_pages=5000)) for _ in range(window)],
    )
    with pytest.raises(UnexpectedResponseError, match="adds no new pages"):
        script.run(flows.get_result(ctx(), JOB))
    assert len(script.calls()) == 1 + window
    # Empty pages: request 2 of 5 adds nothing (requests 2..5 form one window).
    script = FlowScript(
        reply(200, result_page([], total_pages=5)), *[reply(200, result_page([]))] * 4
    )
    with pytest.raises(UnexpectedResponseError, match="adds no new pages"):
        script.run(flows.get_result(ctx(), JOB))
    assert len(script.calls()) == 5


# --- job ids and upload URLs from the service ----------------------------------------


@pytest.mark.parametrize("bad_id", ["..", "../../admin", "a/b", "a\x00b", "a\r\nX: y", "%2e%2e"])
def test_a_job_id_unsafe_as_a_path_segment_is_refused(bad_id):
    script = FlowScript(reply(200, json.dumps({"job_id": bad_id, "status": "pending"})))
    with pytest.raises(UnexpectedResponseError, match="not safe to use in a URL"):
        script.run(flows.process_url(ctx(), "https://x.example/a.pdf", None, SubmitOptions()))
    script = FlowScript(reply(200, ticket(["https://s.example/1"], job_id=bad_id)))
    with open_source(document(10), None) as source, pytest.raises(UnexpectedResponseError):
        script.run(flows.process_file(ctx(), source, SubmitOptions(), None))
    assert len(script.calls()) == 1  # nothing sent to the unsafe id


@pytest.mark.parametrize(
    "url",
    [
        "https://s.example:99999/p",
        "https://s.example:x/p",
        "https://s.example/p\x00",
        "https://s.example/\ud800",
    ],
)
def test_a_bad_upload_url_deletes_the_job_and_names_the_part(url):
    script = FlowScript(reply(200, ticket(["https://s.example/1", url])), reply(204))
    with open_source(document(20), None) as source, pytest.raises(UploadError) as info:
        script.run(flows.process_file(ctx(), source, SubmitOptions(), None))
    assert info.value.part_number == 2
    assert info.value.job_deleted is True
    assert [call.name for call in script.calls()] == [INITIATE.name, DELETE.name]


# --- interrupts and raising callbacks ------------------------------------------------


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, ValueError])
def test_an_interrupted_upload_deletes_the_job_then_reraises(interrupt):
    script = FlowScript(reply(200, ticket(["https://s.example/1"])), interrupt("stop"), reply(204))
    with open_source(document(10), None) as source, pytest.raises(interrupt) as info:
        script.run(flows.process_file(ctx(), source, SubmitOptions(), None))
    assert f"job {JOB} was deleted" in "".join(info.value.__notes__)
    delete = script.calls()[-1]
    assert delete.name == DELETE.name
    assert delete.timeout is not None and delete.timeout <= C.CLEANUP_TIMEOUT


def test_an_interrupted_upload_names_the_job_when_it_cannot_be_deleted():
    script = FlowScript(
        reply(200, ticket(["https://s.example/1"])), KeyboardInterrupt(), reply(503, b"{}")
    )
    with open_source(document(10), None) as source, pytest.raises(KeyboardInterrupt) as info:
        script.run(flows.process_file(ctx(), source, SubmitOptions(), None))
    assert f"delete_job({JOB!r})" in "".join(info.value.__notes__)
    assert len(script.calls()) == 2  # one attempt, no retries after an interrupt


# --- raw numbers out of range ---------------------------------------------------------


def test_400_digit_numbers_never_raise_overflow_error():
    huge = int("9" * 400)
    body = f'{{"id": "{JOB}", "status": "processing", "progress": {huge}, '
    body += f'"processed_pages": {huge}, "total_pages": 3}}'
    info = FlowScript(reply(200, body)).run(flows.get_status(ctx(), JOB))
    assert 0.0 <= info.progress <= 1.0
    assert info.processed_pages is None  # not a plausible count: unknown
    body = f'{{"job_id": "{JOB}", "status": "processing", "progress": 0.5, '
    body += f'"processed_pages": {huge}, "total_pages": 1e400}}'
    info = FlowScript(reply(202, body)).run(flows.result_or_status(ctx(), JOB))
    assert info.progress == 0.5
