"""Result replies bounded at a size a small worker holds, against a real local server:
a result whose replies are too large is asked for with fewer pages per request, every page
still arrives in order, and no reply is read past the bound. Both clients."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from leapocr_sdk import UnexpectedResponseError
from leapocr_sdk import _constants as C
from leapocr_sdk.errors import UnexpectedResponseError as ResponseTooLargeError
from tests.hardening.hostile import JOB, Handler, head

KIB = 1024


class BigResult:
    """Answers the result endpoint for one finished job whose page ``n`` holds
    ``sizes[n - 1]`` bytes of text. Each answer is written page by page (chunked); an
    answer the client hung up on before its end is recorded as cut."""

    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes
        self.seen: list[tuple[int, int, bool]] = []  # (page, limit, answered completely)
        self._lock = threading.Lock()

    def respond(self, handler: Handler) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        page, limit = int(query["page"][0]), int(query["limit"][0])
        count = len(self.sizes)
        window = range(min((page - 1) * limit, count), min(page * limit, count))
        pagination = {
            "page": page,
            "limit": limit,
            "total": count,
            "total_pages": math.ceil(count / limit),
        }
        opening = {"job_id": JOB, "status": "completed", "credits_used": count}
        opening |= {"total_pages": count, "pagination": pagination}

        def pieces() -> Iterator[bytes]:  # made as written: a refused reply costs little
            yield json.dumps(opening)[:-1].encode() + b', "pages": ['
            for index, n in enumerate(window):
                page = {"id": f"p{n}", "page_number": n + 1, "result": _text(n + 1, self.sizes[n])}
                yield (b", " if index else b"") + json.dumps(page).encode()
            yield b"]}"

        complete = True
        try:
            head(handler, 200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
            for piece in pieces():
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            handler.wfile.write(b"0\r\n\r\n")
            handler.wfile.flush()
        except OSError:  # the client stopped reading and hung up
            complete = False
        with self._lock:
            self.seen.append((page, limit, complete))


def _text(number: int, size: int) -> str:
    stem = f"page {number} "
    return stem + "x" * (size - len(stem))


def _check_pages(pages: list[Any], sizes: list[int]) -> None:
    assert [page.page_number for page in pages] == list(range(1, len(sizes) + 1))
    for number, (page, size) in enumerate(zip(pages, sizes, strict=True), start=1):
        assert page.text == _text(number, size)


def test_a_result_too_large_for_one_reply_is_fetched_with_fewer_pages_per_request(
    hostile, make_client
):
    # 100 pages of 512 KiB: 50 MiB in one reply, three times the bound for one reply.
    sizes = [512 * KIB] * 100
    result = BigResult(sizes)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    _check_pages(list(client.get_result(JOB).pages), sizes)
    # The page limit shrinks (keeping every window aligned) until a reply fits; every
    # reply over the bound was refused while reading: its server never finished writing.
    refused = [(page, limit) for page, limit, complete in result.seen if not complete]
    assert refused == [(1, 1000), (1, 500), (1, 250), (1, 125)]
    answered = sorted((page, limit) for page, limit, complete in result.seen if complete)
    assert answered == [(1, 25), (2, 25), (3, 25), (4, 25)]


def test_pages_fetched_with_fewer_pages_per_request_keep_their_order_across_windows(
    hostile, make_client
):
    # Small pages first, then large ones: the first reply fits, the second does not.
    sizes = [KIB] * 1000 + [512 * KIB] * 100
    result = BigResult(sizes)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    _check_pages(list(client.iter_pages(JOB)), sizes)
    refused = [(page, limit) for page, limit, complete in result.seen if not complete]
    # Pages 1,001-1,100 asked for 1,000, 500, 250, 125 then 25 at a time (requests 2,
    # 3, 5, 9 then 41-44 at those limits): the first 1,000 pages came in one reply.
    assert refused == [(2, 1000), (3, 500), (5, 250), (9, 125)]
    answered = sorted((page, limit) for page, limit, complete in result.seen if complete)
    assert answered == [(1, 1000), (41, 25), (42, 25), (43, 25), (44, 25)]


def test_a_single_page_larger_than_the_bound_is_a_clear_error(hostile, make_client):
    sizes = [KIB, KIB, C.MAX_REPLY_BYTES + KIB, KIB]
    result = BigResult(sizes)
    server = hostile(result.respond)
    client = make_client(base_url=server.base_url)
    with pytest.raises(ResponseTooLargeError) as info:
        client.get_result(JOB)
    assert isinstance(info.value, UnexpectedResponseError)
    message = str(info.value)
    assert f"result page 3 of job {JOB}" in message
    assert str(C.MAX_REPLY_BYTES) in message
    assert (3, 1) in [(page, limit) for page, limit, _ in result.seen]
