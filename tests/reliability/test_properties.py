"""Property-based tests (hypothesis) of the SDK's pure parts.

- part planning: ``parse_upload_ticket`` accepts exactly the part lists that tile the file;
- backoff: ``_retry`` delays are bounded, non-negative and honour the server's hints;
- parsing: arbitrary bodies never raise anything but ``LeapOCRError``; valid bodies of
  both wire shapes (docs/wire.md) read back what they hold;
- the mutual-exclusion check of instruction / schema / template_slug;
- the flows: ``send`` never retries more than ``max_retries`` times and never sleeps a
  negative or unbounded time, whatever the replies.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
from collections.abc import Mapping
from email.utils import formatdate
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from leapocr_sdk import _constants as C
from leapocr_sdk import _flows as flows
from leapocr_sdk._contract import DEFAULT_MODEL
from leapocr_sdk._http import redact
from leapocr_sdk._parsing import (
    Reply,
    _page,
    _plain_page,
    assemble_result,
    decode_json,
    error_from_reply,
    parse_job,
    parse_models,
    parse_result_chunk,
    parse_status,
    parse_upload_ticket,
)
from leapocr_sdk._retry import backoff_delay, is_retryable_status, retry_delay
from leapocr_sdk._steps import Call, Sleep
from leapocr_sdk._validation import check_options
from leapocr_sdk.errors import (
    APIConnectionError,
    APIError,
    LeapOCRError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
    error_class_for,
)
from leapocr_sdk.types import JobStatus, OutputFormat

# 75 examples a test keeps the suite fast; LEAPOCR_PROPERTY_EXAMPLES=2000 digs deeper.
PROFILE = settings(
    max_examples=int(os.environ.get("LEAPOCR_PROPERTY_EXAMPLES", "75")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
KEYS = [
    "id",
    "job_id",
    "status",
    "progress",
    "processed_pages",
    "total_pages",
    "error_message",
    "error",
    "pages",
    "page_number",
    "result",
    "text",
    "data",
    "pagination",
    "credits_used",
    "parts",
    "part_number",
    "start_byte",
    "end_byte",
    "upload_url",
    "models",
    "name",
    "code",
    "message",
    "details",
    "model",
    "result_format",
    "processing_time_seconds",
]
# Objects using the SDK's own key names, so that the parsers' branches are reached.
SHAPED = st.recursive(
    JSON,
    lambda children: (
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6)
        | st.lists(children, max_size=3)
    ),
    max_leaves=25,
)


def reply(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Reply:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Reply(status, dict(headers or {}), content)


# --- part planning ------------------------------------------------------------------------


@st.composite
def tilings(draw: st.DrawFn) -> tuple[int, list[dict[str, Any]]]:
    """A file size and a list of parts that tile it exactly, in a random order."""
    size = draw(st.integers(min_value=1, max_value=10**9))
    cuts = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=size - 1), max_size=12))
        if size > 1
        else set()
    )
    bounds = [0, *cuts, size]
    numbers = list(range(1, len(bounds)))
    if draw(st.booleans()):  # part numbers need not be contiguous, only unique and >= 1
        numbers = sorted(
            draw(st.sets(st.integers(1, 10_000), min_size=len(numbers), max_size=len(numbers)))
        )
    parts = [
        {
            "part_number": number,
            "start_byte": start,
            "end_byte": end - 1,
            "upload_url": f"https://storage.example/u/{number}",
        }
        for number, start, end in zip(numbers, bounds[:-1], bounds[1:], strict=True)
    ]
    return size, draw(st.permutations(parts))


def tiles(size: int, parts: list[dict[str, Any]]) -> bool:
    """The oracle: do these parts (by part number) cover bytes 0..size-1 once each?"""
    try:
        ordered = sorted(parts, key=lambda p: p["part_number"])
    except TypeError:
        return False
    numbers = [p["part_number"] for p in ordered]
    if len(set(numbers)) != len(numbers) or any(
        isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in numbers
    ):
        return False
    expected = 0
    for part in ordered:
        start, end = part["start_byte"], part["end_byte"]
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            return False
        if start != expected or end < start:
            return False
        expected = end + 1
    return expected == size


@given(tilings())
@PROFILE
def test_part_planning_accepts_every_tiling(case: tuple[int, list[dict[str, Any]]]) -> None:
    size, parts = case
    ticket = parse_upload_ticket(reply({"job_id": "j1", "parts": parts}), size)
    assert [p.part_number for p in ticket.parts] == sorted(p["part_number"] for p in parts)
    assert sum(p.size for p in ticket.parts) == size
    assert ticket.parts[0].start == 0 and ticket.parts[-1].end == size - 1
    for before, after in zip(ticket.parts, ticket.parts[1:], strict=False):
        assert after.start == before.end + 1


MUTATIONS = ["gap", "overlap", "short", "long", "duplicate", "zero", "negative", "empty", "swap"]


@given(tilings(), st.sampled_from(MUTATIONS), st.data())
@PROFILE
def test_part_planning_rejects_gaps_and_overlaps(
    case: tuple[int, list[dict[str, Any]]], mutation: str, data: Any
) -> None:
    size, parts = case
    parts = [dict(p) for p in sorted(parts, key=lambda p: p["part_number"])]
    index = data.draw(st.integers(0, len(parts) - 1))
    part = parts[index]
    if mutation == "gap":
        part["start_byte"] += 1
    elif mutation == "overlap":
        assume(index > 0)
        part["start_byte"] -= 1
    elif mutation == "short":
        parts[-1]["end_byte"] -= 1
    elif mutation == "long":
        parts[-1]["end_byte"] += 1
    elif mutation == "duplicate":
        parts.append(dict(part))
    elif mutation == "zero":
        part["part_number"] = 0
    elif mutation == "negative":
        part["part_number"] = -part["part_number"]
    elif mutation == "empty":
        parts = []
    elif mutation == "swap":
        assume(len(parts) > 1 and parts[0]["end_byte"] != parts[1]["end_byte"])
        parts[0]["part_number"], parts[1]["part_number"] = (
            parts[1]["part_number"],
            parts[0]["part_number"],
        )
    assert not tiles(size, parts)
    with pytest.raises(UnexpectedResponseError):
        parse_upload_ticket(reply({"job_id": "j1", "parts": parts}), size)


PART_VALUE = st.one_of(
    st.integers(-3, 40), st.none(), st.booleans(), st.text(max_size=3), st.floats(-2, 40)
)
RAW_PART = st.fixed_dictionaries(
    {},
    optional={
        "part_number": PART_VALUE,
        "start_byte": PART_VALUE,
        "end_byte": PART_VALUE,
        "upload_url": st.sampled_from(["https://s.example/1", "", None, 5]),
    },
)


@given(st.integers(1, 40), st.lists(RAW_PART, max_size=5))
@PROFILE
def test_part_planning_matches_the_oracle_on_arbitrary_parts(
    size: int, raw: list[dict[str, Any]]
) -> None:
    """Arbitrary part lists: accepted exactly when the oracle says they tile the file."""
    well_typed = all(
        all(
            isinstance(p.get(k), int) and not isinstance(p.get(k), bool)
            for k in ("part_number", "start_byte", "end_byte")
        )
        and isinstance(p.get("upload_url"), str)
        and p["upload_url"]
        for p in raw
    )
    try:
        ticket = parse_upload_ticket(reply({"job_id": "j", "parts": raw}), size)
    except UnexpectedResponseError:
        accepted = False
    else:
        accepted = True
        assert sum(p.size for p in ticket.parts) == size
    if well_typed and raw:
        assert accepted == tiles(size, raw)
    elif accepted:  # loosely typed values (floats like 3.0, digit strings) must still tile
        assert len(ticket.parts) >= 1


# --- backoff --------------------------------------------------------------------------------

RANDOMS = st.integers(0, 2**32).map(random.Random)


@given(st.integers(0, 10_000), RANDOMS)
@PROFILE
def test_backoff_is_bounded_and_grows(attempt: int, rng: random.Random) -> None:
    delay = backoff_delay(attempt, rng)
    base = min(C.BACKOFF_INITIAL * 2.0 ** min(attempt, 60), C.BACKOFF_MAX)
    assert math.isfinite(delay)
    assert base * (1 - C.BACKOFF_JITTER) <= delay <= base <= C.BACKOFF_MAX


HEADER_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e999", "-0", " 3 ", "0x10", "1_000", ""]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**12), 10**12).map(str),
)


@given(
    st.integers(0, 50),
    st.dictionaries(
        st.sampled_from(["Retry-After", "retry-after", "X-RateLimit-Reset", "x-ratelimit-reset"]),
        HEADER_TEXT,
    ),
    st.floats(0, 4e9),
    RANDOMS,
)
@PROFILE
@example(0, {"Retry-After": "nan"}, 0.0, random.Random(1))  # was returned as nan
@example(0, {"X-RateLimit-Reset": "nan"}, 0.0, random.Random(1))
def test_retry_delay_never_negative_nor_unbounded(
    attempt: int, headers: dict[str, str], now: float, rng: random.Random
) -> None:
    delay = retry_delay(attempt, headers, now=now, rng=rng)
    assert math.isfinite(delay)
    assert 0.0 <= delay <= max(C.RETRY_AFTER_MAX, C.BACKOFF_MAX)


@given(st.floats(0, 10**7, allow_nan=False), st.integers(0, 20), RANDOMS)
@PROFILE
def test_retry_after_seconds_is_honoured_up_to_the_cap(
    seconds: float, attempt: int, rng: random.Random
) -> None:
    for value in (repr(seconds), str(int(seconds))):
        expected = min(float(value), C.RETRY_AFTER_MAX)
        assert retry_delay(attempt, {"Retry-After": value}, now=1e9, rng=rng) == expected


@given(st.integers(0, 10**6), st.floats(1.0e9, 3.0e9), RANDOMS)
@PROFILE
def test_retry_after_http_date_is_honoured(ahead: int, now: float, rng: random.Random) -> None:
    when = formatdate(math.floor(now) + ahead, usegmt=True)
    delay = retry_delay(0, {"Retry-After": when}, now=now, rng=rng)
    assert delay == pytest.approx(min(max(math.floor(now) + ahead - now, 0.0), 60.0), abs=1e-6)


@given(st.integers(0, 10**6), st.floats(1.0e9, 3.0e9), RANDOMS)
@PROFILE
def test_ratelimit_reset_is_honoured_alone_and_loses_to_retry_after(
    ahead: int, now: float, rng: random.Random
) -> None:
    reset = str(math.ceil(now) + ahead)
    alone = retry_delay(0, {"X-RateLimit-Reset": reset}, now=now, rng=rng)
    assert alone == pytest.approx(min(math.ceil(now) + ahead - now, C.RETRY_AFTER_MAX))
    relative = retry_delay(0, {"X-RateLimit-Reset": str(ahead)}, now=now, rng=rng)
    assert relative == min(float(ahead), C.RETRY_AFTER_MAX)
    both = {"X-RateLimit-Reset": reset, "Retry-After": "2"}
    assert retry_delay(0, both, now=now, rng=rng) == 2.0


@given(st.integers(100, 599))
def test_only_429_and_transient_5xx_are_retryable(status: int) -> None:
    assert is_retryable_status(status) == (status in (429, 500, 502, 503, 504))


@st.composite
def replies(draw: st.DrawFn) -> Reply | APIConnectionError:
    if draw(st.integers(0, 9)) == 0:
        return APIConnectionError("boom", may_have_been_processed=draw(st.booleans()))
    status = draw(st.sampled_from([200, 201, 202, 400, 401, 404, 429, 500, 502, 503, 504]))
    headers = draw(
        st.dictionaries(
            st.sampled_from(["Retry-After", "X-RateLimit-Reset"]), HEADER_TEXT, max_size=2
        )
    )
    return Reply(status, headers, b"{}")


@given(st.integers(0, 6), st.booleans(), st.lists(replies(), min_size=1, max_size=12), RANDOMS)
@PROFILE
def test_send_retries_at_most_max_retries_with_bounded_sleeps(
    max_retries: int,
    idempotent: bool,
    script: list[Reply | APIConnectionError],
    rng: random.Random,
) -> None:
    """Drive ``_flows.send`` by hand with scripted outcomes; count the attempts and sleeps."""
    ctx = flows.Context(max_retries=max_retries, rng=rng, wall_clock=lambda: 1.7e9)
    call = Call("op", "GET", "/x", idempotent=idempotent)
    flow = flows.send(ctx, call)
    attempts, sleeps = 0, []
    step = next(flow)
    outcome: Any = None
    try:
        while True:
            if isinstance(step, Sleep):
                sleeps.append(step.seconds)
                step = flow.send(None)
                continue
            assert step == call._replace(attempt=attempts)  # the same call, its retries counted
            outcome = script[min(attempts, len(script) - 1)]
            attempts += 1
            step = flow.throw(outcome) if isinstance(outcome, Exception) else flow.send(outcome)
    except StopIteration as stop:
        final: Any = stop.value
        assert final is outcome
        assert not is_retryable_status(final.status_code) or attempts == max_retries + 1
    except APIConnectionError as exc:
        assert exc is outcome or exc.__cause__ is outcome
        assert type(exc) is type(outcome)
        if exc.may_have_been_processed and not idempotent:
            assert attempts == 1 or script[attempts - 1] is outcome
            assert "not retried" in str(exc)
        else:
            assert attempts == max_retries + 1
    assert attempts <= max_retries + 1
    assert len(sleeps) == attempts - 1
    assert all(0 <= s <= max(C.RETRY_AFTER_MAX, C.BACKOFF_MAX) for s in sleeps)


# --- response parsing -------------------------------------------------------------------------

PARSERS = {
    "job": lambda r: parse_job(r),
    "ticket": lambda r: parse_upload_ticket(r, 1000),
    "status": lambda r: parse_status(r, "job-1"),
    "chunk": lambda r: parse_result_chunk(r),
    "result": lambda r: assemble_result("job-1", c := parse_result_chunk(r), list(c.pages), r),
    "models": lambda r: parse_models(r),
    "json": lambda r: decode_json(r),
}


@pytest.mark.parametrize("parser", sorted(PARSERS))
@given(body=st.one_of(SHAPED, st.binary(max_size=64)), status=st.integers(100, 599))
@PROFILE
@example(body=b"[" * 100_000, status=200)  # nesting deeper than the recursion limit
@example(body=b"\xff\xfe\x00garbage", status=200)
@example(body={"status": "paused"}, status=200)
@example(body={"pagination": {"total_pages": "9" * 5000}}, status=200)
def test_parsers_raise_only_leapocr_errors(parser: str, body: Any, status: int) -> None:
    with contextlib.suppress(LeapOCRError):
        PARSERS[parser](reply(body, status))


@given(
    body=st.one_of(SHAPED, st.binary(max_size=64)),
    status=st.integers(400, 599),
    headers=st.dictionaries(
        st.sampled_from(
            [
                "Retry-After",
                "X-RateLimit-Reset",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-Request-Id",
            ]
        ),
        HEADER_TEXT,
        max_size=3,
    ),
)
@PROFILE
@example(body=b"[" * 100_000, status=500, headers={})
def test_error_replies_always_become_the_right_api_error(
    body: Any, status: int, headers: dict[str, str]
) -> None:
    error = error_from_reply(reply(body, status, headers))
    assert isinstance(error, error_class_for(status))
    assert isinstance(error, APIError) and error.status_code == status
    assert str(error).startswith(f"HTTP {status}")
    if status == 429:
        assert isinstance(error, RateLimitError)
        assert error.retry_after is None or error.retry_after >= 0
    if status >= 500:
        assert isinstance(error, ServerError)


# Round trips: valid bodies of both wire shapes read back what they hold.

TEXT = st.text(max_size=40)
STATUS = st.sampled_from([s.value for s in JobStatus])
STRUCTURED = st.dictionaries(st.text(min_size=1, max_size=8), JSON, min_size=0, max_size=4)


@given(st.uuids().map(str), STATUS, st.integers(0, 500), st.integers(0, 500), TEXT)
@PROFILE
def test_status_round_trip_service_shape(
    job_id: str, status: str, processed: int, total: int, message: str
) -> None:
    body = {
        "id": job_id,
        "status": status,
        "processed_pages": processed,
        "total_pages": total,
        "error_message": message,
    }
    info = parse_status(reply(body), "other")
    assert (info.job_id, info.status.value) == (job_id, status)
    assert (info.processed_pages, info.total_pages) == (processed, total)
    assert info.error_message == (message or None)
    assert 0.0 <= info.progress <= 1.0
    if status in ("completed", "partially_done"):
        assert info.progress == 1.0
    elif total:
        assert info.progress == pytest.approx(min(processed / total, 1.0))


@given(st.uuids().map(str), STATUS, st.floats(0.0, 1.0))
@PROFILE
def test_status_round_trip_reference_shape(job_id: str, status: str, progress: float) -> None:
    info = parse_status(reply({"job_id": job_id, "status": status, "progress": progress}), "x")
    assert (info.job_id, info.status.value, info.progress) == (job_id, status, progress)


@given(
    st.lists(st.one_of(TEXT, STRUCTURED), min_size=0, max_size=6),
    st.integers(0, 10**6),
    st.sampled_from(["pro-v1", "standard-v1"]),
    st.permutations(range(6)),
)
@PROFILE
def test_result_round_trip_service_shape(
    results: list[Any], credits: int, model: str, order: list[int]
) -> None:
    pages = [{"id": f"p{i}", "page_number": i + 1, "result": r} for i, r in enumerate(results)]
    shuffled = [pages[i] for i in order if i < len(pages)]  # pages may arrive in any order
    body = {
        "job_id": "j",
        "status": "completed",
        "credits_used": credits,
        "model": model,
        "result_format": "markdown",
        "pages": shuffled,
        "pagination": {"page": 1, "limit": 250, "total": len(pages), "total_pages": 1},
    }
    chunk = parse_result_chunk(reply(body))
    result = assemble_result("j", chunk, list(chunk.pages), reply(body))
    assert [p.page_number for p in result.pages] == list(range(1, len(results) + 1))
    for page, raw in zip(result.pages, results, strict=True):
        assert page.result == raw
        assert page.text == (raw if isinstance(raw, str) else None)
        assert page.data == (raw if isinstance(raw, dict) else None)
    assert (result.credits_used, result.model) == (credits, model)
    first_data = next((r for r in results if isinstance(r, dict)), None)
    assert result.data == first_data


# A page field's value: the plain type the service sends, or anything else JSON can hold.
ODD_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    STRUCTURED,
    st.lists(STRUCTURED, max_size=2),
)
PAGE = st.fixed_dictionaries(
    {},
    optional={
        "id": ODD_VALUE,
        "page_number": st.one_of(st.integers(-3, 10**6), ODD_VALUE),
        "result": st.one_of(TEXT, STRUCTURED, ODD_VALUE),
        "confidence": st.one_of(st.floats(0, 1), ODD_VALUE),
        "dimensions": st.one_of(
            st.fixed_dictionaries({"width": st.integers(0, 5000), "height": ODD_VALUE}),
            ODD_VALUE,
        ),
        "has_bounding_boxes": ODD_VALUE,
        "bounding_boxes": ODD_VALUE,
        "text": ODD_VALUE,
        "data": ODD_VALUE,
    },
)


@given(PAGE, st.integers(1, 5))
@PROFILE
@example(
    {
        "id": "p",
        "page_number": 3,
        "result": "# Page",
        "confidence": 0.9,
        "dimensions": {"width": 1, "height": 2},
        "has_bounding_boxes": False,
    },
    1,
)
@example({"page_number": 2, "result": {"total": 1}, "confidence": 1}, 2)
def test_the_fast_page_reader_reads_what_the_liberal_one_reads(
    raw: dict[str, Any], index: int
) -> None:
    # The fast path takes only pages it reads exactly as the liberal reader does.
    fast = _plain_page(raw, {})
    if fast is not None:
        assert fast == _page(raw, index, reply({}))
    plain = {"page_number": 2, "result": "text", "confidence": 0.5, "has_bounding_boxes": None}
    assert _plain_page(plain, {}) == _page(plain, 1, reply({})) is not None  # the spec's shape


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ({"1": {}}, "pages are not a list"),
        ([{"page_number": 1, "result": "a"}, "b"], "a result page is not a JSON object"),
        ([[1, 2]], "a result page is not a JSON object"),
    ],
)
def test_a_result_of_the_wrong_shape_raises_a_clear_error(pages: Any, message: str) -> None:
    body = {"status": "completed", "pages": pages}
    with pytest.raises(UnexpectedResponseError, match=message):
        parse_result_chunk(reply(body))


def test_an_unredacted_result_reply_redacts_all_but_its_pages() -> None:
    key = "sk-live-0123456789"
    body = {
        "status": "completed",
        "file_name": f"{key}.pdf",
        "model": "MODEL",
        "pages": [{"page_number": 1, "result": f"my key is {key}"}],
        "pagination": {"total_pages": 1},
    }
    escaped = key.replace("-", "\\u002d").encode()  # the key JSON-escaped
    content = json.dumps(body).encode().replace(b"MODEL", escaped)
    scrubbed = Reply(200, {}, content, lambda data: redact(data, key))
    chunk = parse_result_chunk(scrubbed)
    assert key not in json.dumps(chunk.body) and "u002d" not in json.dumps(chunk.body)
    assert chunk.body["file_name"] == "<redacted>.pdf"
    assert chunk.pages[0].text == f"my key is {key}"  # the caller's own data, as sent
    result = assemble_result("j", chunk, list(chunk.pages), scrubbed)
    assert (result.file_name, result.model) == ("<redacted>.pdf", "<redacted>")
    with pytest.raises(UnexpectedResponseError) as info:
        parse_result_chunk(scrubbed._replace(content=b"<html>" + content))
    assert key not in str(info.value) and "<redacted>" in str(info.value)


@given(
    st.lists(st.tuples(TEXT, st.one_of(st.none(), STRUCTURED)), max_size=6),
    STRUCTURED,
    st.floats(0, 1e6),
)
@PROFILE
def test_result_round_trip_reference_shape(
    pages: list[tuple[str, dict[str, Any] | None]], data: dict[str, Any], seconds: float
) -> None:
    body = {
        "credits_used": 3,
        "processing_time_seconds": seconds,
        "data": data,
        "pages": [{"page_number": i + 1, "text": t, "data": d} for i, (t, d) in enumerate(pages)],
    }
    chunk = parse_result_chunk(reply(body))
    result = assemble_result("j", chunk, list(chunk.pages), reply(body))
    assert result.status is JobStatus.COMPLETED
    assert result.processing_time_seconds == seconds
    assert result.data == data
    for page, (text, page_data) in zip(result.pages, pages, strict=True):
        assert page.text == (text or None)
        assert page.data == page_data


@given(
    st.sampled_from([400, 401, 402, 403, 404, 409, 429, 500, 503]), TEXT, TEXT, JSON, st.booleans()
)
@PROFILE
def test_error_body_round_trip_both_shapes(
    status: int, code: str, message: str, details: Any, service_shape: bool
) -> None:
    if service_shape:
        body = {"code": code, "error": {"message": message}, "details": details}
    else:
        body = {"error": {"code": code, "message": message, "details": details}}
    error = error_from_reply(reply(body, status))
    assert error.code == (code or None)
    assert error.message == (message or f"the API answered {status} with no error message")
    assert error.details == details


# --- the 2026 option rule ------------------------------------------------------------------------

OPTION_VALUES = {
    "instruction": st.text(min_size=1, max_size=100).filter(str.strip),
    "schema": st.dictionaries(st.text(min_size=1, max_size=5), JSON, min_size=1, max_size=3),
    "template_slug": st.text(min_size=1, max_size=20).filter(str.strip),
}


@given(st.fixed_dictionaries({}, optional=OPTION_VALUES))
@PROFILE
def test_a_template_excludes_instruction_and_schema(given_options: dict[str, Any]) -> None:
    """A template carries its own schema and instruction; schema and instruction go together."""
    options = {"instruction": None, "schema": None, "template_slug": None, **given_options}
    if "template_slug" in given_options and len(given_options) > 1:
        with pytest.raises(ValidationError, match="template_slug cannot be combined with"):
            check_options(output_type=None, model=None, **options)
        return
    checked = check_options(output_type=None, model=None, **options)
    for name, value in given_options.items():
        assert getattr(checked, name) == value
    if "template_slug" in given_options:
        assert (checked.output_type, checked.model) == (None, None)
    else:
        wanted = OutputFormat.STRUCTURED if "schema" in given_options else OutputFormat.MARKDOWN
        assert (checked.output_type, checked.model) == (wanted, DEFAULT_MODEL)


@given(st.fixed_dictionaries({}, optional={k: JSON for k in OPTION_VALUES}))
@PROFILE
def test_option_checks_raise_only_validation_errors(options: dict[str, Any]) -> None:
    defaults = {"instruction": None, "schema": None, "template_slug": None}
    with contextlib.suppress(ValidationError):
        check_options(output_type=None, model=None, **{**defaults, **options})


@given(
    st.lists(
        st.sampled_from(["pending", "processing", "completed", "failed", "weird"]),
        min_size=1,
        max_size=30,
    )
)
@PROFILE
def test_wait_until_done_never_exceeds_its_timeout(statuses: list[str]) -> None:
    """Drive the polling flow with a fake clock: total sleep <= timeout, then a typed end."""
    now = [0.0]
    ctx = flows.Context(clock=lambda: now[0])
    flow = flows.wait_until_done(ctx, "job-1", 2.0, 30.0, None)
    step = next(flow)
    polls = 0
    slept = 0.0
    try:
        while True:
            if isinstance(step, Sleep):
                assert step.seconds > 0
                slept += step.seconds
                now[0] += step.seconds
                step = flow.send(None)
                continue
            status = statuses[min(polls, len(statuses) - 1)]
            polls += 1
            if status == "completed":
                body = {"status": "completed", "pages": [{"page_number": 1, "result": "x"}]}
                step = flow.send(reply(body, 200))
            else:
                step = flow.send(reply({"job_id": "job-1", "status": status}, 202))
    except StopIteration as stop:
        assert stop.value.pages[0].text == "x"
    except LeapOCRError as exc:
        assert type(exc).__name__ in (
            "WaitTimeoutError",
            "JobFailedError",
            "UnexpectedResponseError",
        )
    assert slept <= 30.0 + 1e-9
    assert polls <= 30
