"""Result requests 2..N as a stream, against a real local server: at most
``RESULT_FETCH_CONCURRENCY`` out at once, the next sent as soon as one is answered (at most
twice ``RESULT_FETCH_CONCURRENCY`` out or answered ahead of an older one, and none while
the flow is not waiting for an answer), pages handed on in page order whatever order the
replies arrive in, and requests still out when paging ends early (a page that adds
nothing, a reply too large, a caller who stops, a cancelled task) stopped: the server sees
each of them answered or hung up on, and no request of the client runs on. Both clients."""

from __future__ import annotations

import asyncio
import json
import math
import select
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from leapocr_sdk import AsyncLeapOCR, ConfigurationError, LeapOCR, UnexpectedResponseError
from leapocr_sdk import _constants as C
from leapocr_sdk._requests import get_result
from leapocr_sdk._runners import _own_pool
from leapocr_sdk._steps import NextInOrder, StopStream, Stream
from tests.conftest import API_KEY, AsyncBridge
from tests.hardening.hostile import JOB, Handler, head

KIB = 1024
WINDOW = C.RESULT_FETCH_CONCURRENCY


class PagedResult:
    """Answers the result endpoint for one finished job of ``len(sizes)`` pages, holding
    at most ``cap`` pages a request whatever is asked. Request ``n`` is answered after
    ``delay(n)`` seconds; a client that hangs up meanwhile is noticed at once (the
    request is recorded as hung up on). ``repeat`` answers page 1 to every request (a
    server whose later pages add nothing).

    Records each request as ``(page, limit)`` when it arrives and, when it ends, in
    ``answered`` or ``hung_up``; ``most_at_once`` is the most requests open at once."""

    def __init__(
        self,
        sizes: list[int],
        cap: int,
        delay: Callable[[int], float] = lambda n: 0.0,
        repeat: bool = False,
    ) -> None:
        self.sizes, self.cap, self.delay, self.repeat = sizes, cap, delay, repeat
        self.arrived: list[tuple[int, int]] = []
        self.answered: list[tuple[int, int]] = []
        self.hung_up: list[tuple[int, int]] = []
        self.open = self.most_at_once = 0
        self._lock = threading.Lock()

    def respond(self, handler: Handler) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        request = (int(query["page"][0]), int(query["limit"][0]))
        with self._lock:
            self.arrived.append(request)
            self.open += 1
            self.most_at_once = max(self.most_at_once, self.open)
        done = self.answered
        try:
            if not self._wait(handler, self.delay(request[0])) or not self._write(
                handler, *request
            ):
                done = self.hung_up
        finally:
            with self._lock:
                self.open -= 1
                done.append(request)

    @staticmethod
    def _wait(handler: Handler, seconds: float) -> bool:
        """Wait ``seconds``; False as soon as the client hangs up."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            readable, _, _ = select.select([handler.connection], [], [], min(left, 0.01))
            if readable and not handler.connection.recv(1, 2):  # MSG_PEEK: b"" at EOF
                return False
        return True

    def _write(self, handler: Handler, page: int, limit: int) -> bool:
        count, size = len(self.sizes), min(limit, self.cap)
        numbers = range(1, 2) if self.repeat else range((page - 1) * size + 1, page * size + 1)
        pagination = {"page": page, "limit": size, "total": count}
        pagination["total_pages"] = math.ceil(count / size)
        body: dict[str, Any] = {"job_id": JOB, "status": "completed", "pagination": pagination}
        body["pages"] = [
            {"id": f"p{n}", "page_number": n, "result": text(n, self.sizes[n - 1])}
            for n in numbers
            if n <= count
        ]
        data = json.dumps(body).encode()
        try:
            head(
                handler, 200, {"Content-Type": "application/json", "Content-Length": str(len(data))}
            )
            handler.wfile.write(data)
            handler.wfile.flush()
        except OSError:  # the client stopped reading and hung up
            return False
        return True

    def settled(self, within: float = 5.0) -> bool:
        """Every request that arrived has ended (answered or hung up on), within ``within``
        seconds: none is left open by the client."""
        end = time.monotonic() + within
        while time.monotonic() < end:
            with self._lock:
                if self.open == 0 and len(self.answered) + len(self.hung_up) == len(self.arrived):
                    return True
            time.sleep(0.01)
        return False


def text(number: int, size: int = 40) -> str:
    stem = f"page {number} "
    return stem + "x" * max(0, size - len(stem))


def no_stream_left(client: Any) -> bool:
    """No request of ``client`` runs on: no task pending on its event loop (async client,
    as the tests' bridge runs it), no stream thread alive (blocking client)."""
    bridge = getattr(client, "_client", None)
    if isinstance(bridge, AsyncBridge):
        return not asyncio.all_tasks(bridge._loop)
    end = time.monotonic() + 2.0  # a pool's threads end just after their last task
    while time.monotonic() < end:
        if not any(t.name.startswith("leapocr-stream") for t in threading.enumerate()):
            return True
        time.sleep(0.01)
    return False


def hold(client: Any, done: Callable[[], bool], within: float = 5.0) -> bool:
    """Wait until ``done()`` (at most ``within`` seconds) as a caller busy with a page
    does: the async client's event loop runs meanwhile, as in an ``async for`` body that
    awaits; the blocking client's stream threads run on their own."""
    bridge = getattr(client, "_client", None)

    async def wait() -> bool:
        end = time.monotonic() + within
        while not done():
            if time.monotonic() >= end:
                return False
            await asyncio.sleep(0.01)
        return True

    if isinstance(bridge, AsyncBridge):
        return bridge._loop.run_until_complete(wait())
    return asyncio.run(wait())


def test_pages_come_in_page_order_when_replies_arrive_out_of_order(hostile, make_client):
    # 60 pages, 5 a request: requests 2..12. The earlier of requests 2..9 (the first
    # window), the later its reply, so the replies arrive out of order.
    result = PagedResult([40] * 60, cap=5, delay=lambda n: 0.25 * (10 - n) if n < 10 else 0.0)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    pages = client.get_result(JOB).pages
    assert [page.page_number for page in pages] == list(range(1, 61))
    assert [page.text for page in pages] == [text(n) for n in range(1, 61)]
    assert result.settled()  # the server records an answer after the client may have read it
    later = [page for page, _ in result.answered if page > 1]
    assert sorted(later) == list(range(2, 13)) and later != sorted(later)
    assert result.most_at_once <= WINDOW
    # The same pages, one by one.
    assert [page.page_number for page in client.iter_pages(JOB)] == list(range(1, 61))
    assert result.settled() and no_stream_left(client)


def test_a_request_goes_out_as_soon_as_the_oldest_is_answered(hostile, make_client):
    # Request 2 answers at once, 3..9 late: request 10 must not wait for them.
    result = PagedResult([40] * 100, cap=10, delay=lambda n: 2.0 if 3 <= n <= 9 else 0.0)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    assert [page.page_number for page in client.get_result(JOB).pages] == list(range(1, 101))
    assert [page for page, _ in result.answered].index(10) == 2  # before 3..9 were answered
    assert result.most_at_once <= WINDOW


def test_a_slow_answer_holds_up_no_other_request(hostile, make_client):
    # Request 2 answers after 3 s, the others at once: while it is out, requests 3..17
    # are answered (the slots it does not hold keep working) and wait for it, parsed;
    # request 18 goes out only once request 2 is handed on (at most two windows out or
    # answered ahead of an older one). Seen by the server 1.5 s in.
    result = PagedResult([40] * 300, cap=10, delay=lambda n: 3.0 if n == 2 else 0.0)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    seen: list[tuple[list[int], list[int]]] = []

    def look() -> None:
        with result._lock:
            seen.append(([p for p, _ in result.arrived], [p for p, _ in result.answered]))

    timer = threading.Timer(1.5, look)
    timer.start()
    try:
        pages = client.get_result(JOB).pages
    finally:
        timer.join()
    assert [page.page_number for page in pages] == list(range(1, 301))
    arrived, answered = seen[0]
    assert sorted(arrived) == list(range(1, 2 + 2 * WINDOW))  # 1, 2 and 2 * WINDOW - 1 more
    assert sorted(answered) == [1, *range(3, 2 + 2 * WINDOW)]
    assert result.settled()
    assert result.most_at_once <= WINDOW
    assert sorted(page for page, _ in result.answered) == list(range(1, 31))


def test_a_server_whose_pages_add_nothing_is_stopped_within_one_window(hostile, make_client):
    # It claims 1,000 requests, each repeating page 1 after a while: paging stops at the
    # first later answer, with at most one window out (those are stopped) and at most one
    # window answered ahead of it.
    result = PagedResult([40] * 1000, cap=1, delay=lambda n: 0.0 if n == 1 else 0.05, repeat=True)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    with pytest.raises(UnexpectedResponseError, match="adds no new pages"):
        client.get_result(JOB)
    assert 2 <= len(result.arrived) <= 1 + 2 * WINDOW
    assert result.settled() and no_stream_left(client)
    with pytest.raises(UnexpectedResponseError, match="adds no new pages"):
        list(client.iter_pages(JOB))
    assert len(result.arrived) <= 2 * (1 + 2 * WINDOW)
    assert result.settled() and no_stream_left(client)


def test_a_reply_too_large_mid_stream_restarts_at_the_same_page_with_fewer(hostile, make_client):
    # 10 pages a request; pages 41-50 (request 5) hold 20 MiB, over the bound, while
    # requests 2..9 are out. Requests from 5 on are asked again 5 pages at a time, from
    # request 9 of that size (page 41).
    sizes = [KIB] * 40 + [2 * 1024 * KIB] * 10 + [KIB] * 50
    result = PagedResult(sizes, cap=10, delay=lambda n: 0.02)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    pages = client.get_result(JOB).pages
    assert [page.page_number for page in pages] == list(range(1, 101))
    assert [page.text for page in pages] == [text(n, sizes[n - 1]) for n in range(1, 101)]
    assert result.settled()  # the server records an answer after the client may have read it
    assert (5, 1000) in result.arrived  # refused while read (the server may have sent it all)
    assert sorted(page for page, limit in result.arrived if limit == 5) == list(range(9, 21))
    assert sorted(page for page, limit in result.answered if limit == 5) == list(range(9, 21))
    assert result.most_at_once <= WINDOW
    assert result.settled() and no_stream_left(client)


def test_a_caller_who_stops_mid_stream_leaves_no_request_running(hostile, make_client):
    # Requests 3..12 take long; the caller stops after the first page of request 2.
    result = PagedResult([40] * 120, cap=10, delay=lambda n: 20.0 if n >= 3 else 0.0)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    started = time.monotonic()
    pages = client.iter_pages(JOB)
    for page in pages:
        if page.page_number == 11:
            break
    pages.close()
    assert time.monotonic() - started < 10  # stopped, not waited for (20 s)
    assert 2 <= len(result.arrived) <= 1 + WINDOW  # the flow never asked for answer 3
    assert result.settled() and no_stream_left(client)
    assert all(page >= 3 for page, _ in result.hung_up)


def test_a_caller_busy_with_a_page_holds_the_stream_to_one_window(hostile, make_client):
    # Request 2 answers at once, 3..9 after 20 s. The caller takes the first page of
    # request 2 and stays busy with it: requests 3..9 go out, and no later one until the
    # flow asks for the next answer (the caller's next page), though request 2's slot is
    # free meanwhile. So when the caller stops there, one window is out, not more.
    result = PagedResult([40] * 120, cap=10, delay=lambda n: 20.0 if n >= 3 else 0.0)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    pages = client.iter_pages(JOB)
    for page in pages:
        if page.page_number == 11:
            break
    assert hold(client, lambda: len(result.arrived) >= 1 + WINDOW)  # 3..9 are out
    assert not hold(client, lambda: len(result.arrived) > 1 + WINDOW, within=0.5)
    pages.close()
    assert sorted(page for page, _ in result.arrived) == list(range(1, 2 + WINDOW))
    assert result.settled() and no_stream_left(client)
    assert sorted(page for page, _ in result.hung_up) == list(range(3, 2 + WINDOW))


def test_a_stopped_stream_waits_only_for_the_requests_it_started(hostile):
    # The blocking runner, one worker for three result requests: request 1 answers at
    # once, request 2 only after 20 s, and request 3 waits for the worker when the flow
    # stops the stream. The stop hangs up on request 2, drops request 3 unsent and returns
    # once request 2 has ended, not at the end of its 30 s bound: a request the pool
    # dropped before it started is not waited for.
    result = PagedResult([40] * 30, cap=10, delay=lambda n: 20.0 if n == 2 else 0.0)
    server = hostile(result.respond)

    def fetch(page: int) -> Any:
        return (yield get_result(JOB, page, 10))

    def plan() -> Any:
        stream = Stream(iter([fetch(1), fetch(2), fetch(3)]), 3)
        _own_pool(stream, 1, "leapocr-stream")  # one worker thread
        first = yield NextInOrder(stream)
        yield StopStream(stream, 30.0)
        return first

    with LeapOCR(api_key=API_KEY, base_url=server.base_url) as client:
        started = time.monotonic()
        first = client._runner.run(plan())
        assert time.monotonic() - started < 10  # request 2 is hung up on at once (20 s)
    assert first.status_code == 200
    assert result.settled() and no_stream_left(None)
    assert [page for page, _ in result.answered] == [1]
    assert all(page == 2 for page, _ in result.hung_up)  # if the worker took it up in time


def test_a_cancelled_async_get_result_leaves_no_request_running(hostile):
    result = PagedResult([40] * 120, cap=10, delay=lambda n: 20.0 if n >= 3 else 0.0)
    server = hostile(result.respond)

    async def main() -> None:
        async with AsyncLeapOCR(api_key=API_KEY, base_url=server.base_url) as client:
            task = asyncio.ensure_future(client.get_result(JOB))
            while len(result.arrived) < 2 + WINDOW:  # noqa: ASYNC110 - request 2 answered, 3..10 out
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(main())
    assert len(result.arrived) == 2 + WINDOW
    assert result.settled()
    assert sorted(page for page, _ in result.hung_up) == list(range(3, 3 + WINDOW))


def test_closing_the_blocking_client_mid_stream_ends_its_requests(hostile):
    result = PagedResult([40] * 120, cap=10, delay=lambda n: 20.0 if n >= 3 else 0.0)
    server = hostile(result.respond)
    client = LeapOCR(api_key=API_KEY, base_url=server.base_url)

    def close_when_all_are_out() -> None:
        while len(result.arrived) < 2 + WINDOW:  # request 2 answered, 3..10 out
            time.sleep(0.01)
        client.close()

    closer = threading.Thread(target=close_when_all_are_out)
    closer.start()
    started = time.monotonic()
    try:
        with pytest.raises(ConfigurationError, match="closed"):
            client.get_result(JOB)
    finally:
        closer.join()
    assert time.monotonic() - started < 10  # ended by the close, not by the replies (20 s)
    assert result.settled() and no_stream_left(None)
    assert sorted(page for page, _ in result.hung_up) == list(range(3, 3 + WINDOW))
