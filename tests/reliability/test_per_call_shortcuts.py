"""The per-call short cuts of a request decide exactly what the general code decides.

Every API request goes through a few steps that a blocking client shared by many threads
pays for on every call: redacting the key from the reply, finding its request id, asking
the pacer for a turn, reading the pacing headers. Each has a cheap path for the usual
case; these properties (hypothesis) hold each against the general code it stands for:

- ``redact``: the same bytes as the key's full pattern, whatever the body holds (the
  key in any case, JSON-escaped, percent-encoded, a mix, cut short, or nothing of it);
- ``request_id_of`` on ``httpx.Headers``: what ``Headers.get`` gives for the first
  request-id header set (repeated headers joined, empty ones skipped, any case);
- ``Pacer.go_now``: the decision and the state of ``enter`` then ``admit`` whenever
  nothing is queued, over any series of rate-limit answers;
- ``_wanted``: the pacing headers by lower-case name, as read one by one.
"""

from __future__ import annotations

import os
from email.utils import formatdate

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leapocr_sdk import _requests as requests
from leapocr_sdk._http import _key_pattern, redact
from leapocr_sdk._pacing import Pacer, _wanted
from leapocr_sdk._parsing import request_id_of

PROFILE = settings(
    max_examples=int(os.environ.get("LEAPOCR_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

KEYS = st.text(
    alphabet=st.sampled_from("abcXYZ019-_.%\\é"), min_size=1, max_size=12
) | st.sampled_from(["sk-live-0123456789abcdef", "lo_Key-42"])


@st.composite
def bodies(draw: st.DrawFn, key: str) -> bytes:
    """Bytes around forms of ``key``: as sent (any case), escaped per character, cut."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["noise", "key", "mixed", "cut", "json"]))
        if kind == "noise":
            parts.append(draw(st.binary(max_size=20)))
        elif kind == "json":
            parts.append(draw(st.sampled_from([b'{"a": "b"}', b'"\\"q\\""', b"50%", b"\\n"])))
        else:
            chars = list(key)
            if kind == "cut":
                chars = chars[: draw(st.integers(0, max(0, len(chars) - 1)))]
            out = b""
            for char in chars:
                form = "plain" if kind == "key" else draw(st.sampled_from(["plain", "pct", "u"]))
                code = ord(char)
                if form == "pct":
                    out += (b"%%%02x" % code) if code < 256 else char.encode()
                elif form == "u":
                    out += b"\\u%04x" % code
                else:
                    raw = char.encode()
                    out += raw.upper() if draw(st.booleans()) else raw
            parts.append(out)
    return b"".join(parts)


@PROFILE
@given(st.data(), KEYS)
def test_redact_matches_the_full_pattern(data: st.DataObject, key: str) -> None:
    content = data.draw(bodies(key))
    assert redact(content, key) == _key_pattern(key).sub(b"<redacted>", content)


def test_redact_finds_the_key_in_any_case_without_escapes() -> None:
    assert redact(b'{"k": "SK-Live-1"}', "sk-live-1") == b'{"k": "<redacted>"}'
    assert redact(b'{"k": "sk%2Dlive-1"}', "sk-live-1") == b'{"k": "<redacted>"}'
    assert redact(b'{"k": "sk\\u002dlive-1"}', "sk-live-1") == b'{"k": "<redacted>"}'
    assert redact(b'{"k": "nothing"}', "sk-live-1") == b'{"k": "nothing"}'


ID_NAMES = ["x-request-id", "request-id", "x-amzn-requestid", "cf-ray"]
HEADER_NAMES = st.sampled_from([*ID_NAMES, "date", "content-type", "x-other"]).map(
    lambda name: "".join(c.upper() if i % 2 else c for i, c in enumerate(name))
) | st.sampled_from(ID_NAMES)
HEADER_VALUES = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
    max_size=8,
).map(lambda text: text.strip())


@PROFILE
@given(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8))
def test_request_id_of_headers_is_what_get_gives(pairs: list[tuple[str, str]]) -> None:
    headers = httpx.Headers([(name.encode(), value.encode("latin-1")) for name, value in pairs])
    expected = next((value for name in ID_NAMES if (value := headers.get(name))), None)
    assert request_id_of(headers) == expected
    assert request_id_of(dict(headers.items())) == expected  # a plain mapping: the same


def answers() -> st.SearchStrategy[dict[str, str] | None]:
    limits = st.fixed_dictionaries(
        {},
        optional={
            "X-RateLimit-Limit": st.integers(0, 5).map(str),
            "X-RateLimit-Remaining": st.integers(0, 5).map(str),
            "X-RateLimit-Reset": st.sampled_from(["2", "30", "1790000010", "1790000100"]),
            "Date": st.sampled_from([formatdate(1_790_000_000.0 + s, usegmt=True) for s in (0, 5)]),
        },
    )
    return st.none() | limits


@PROFILE
@given(st.lists(st.tuples(st.sampled_from(["go", "answer"]), answers()), max_size=30))
def test_go_now_decides_as_enter_then_admit_when_nothing_waits(
    script: list[tuple[str, dict[str, str] | None]],
) -> None:
    fast, general = Pacer(), Pacer()
    now = 0.0
    for action, headers in script:
        now += 0.5
        if action == "go":
            admitted = fast.go_now(now)
            assert admitted == (general.admit(general.enter("status"), now) == 0.0)
            if not admitted:  # it would queue: the general pacer's ticket leaves again
                general.leave(next(iter(general._waiting)))
            assert not fast.queued and not general.queued
        else:
            for pacer in (fast, general):
                pacer.answered(headers, sent=now - 0.1, received=now, wall=1_790_000_000 + now)
        assert fast.available(now) == general.available(now)
        assert fast._in_flight == general._in_flight


def test_go_now_leaves_the_turn_to_queued_requests() -> None:
    pacer = Pacer()
    assert pacer.go_now(0.0)  # the first request, before any answer: one at a time
    assert not pacer.go_now(0.0)
    ticket = pacer.enter("submit_url")
    assert pacer.queued
    pacer.answered({}, sent=0.0, received=0.1, wall=1_790_000_000.0)  # not paced from now on
    assert not pacer.go_now(0.2)  # someone waits: it goes first, in its turn
    assert pacer.admit(ticket, 0.2) == 0.0
    assert not pacer.queued and pacer.go_now(0.3)


@PROFILE
@given(
    st.lists(
        st.tuples(HEADER_NAMES | st.sampled_from(["X-RATELIMIT-RESET", "Date"]), HEADER_VALUES)
    )
)
def test_pacing_headers_read_in_one_pass(pairs: list[tuple[str, str]]) -> None:
    headers = httpx.Headers([(name.encode(), value.encode("latin-1")) for name, value in pairs])
    wanted = ("date", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
    last = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in headers.raw}
    assert _wanted(headers) == {name: last[name] for name in wanted if name in last}


def test_a_status_call_is_built_once_per_job_and_never_changes() -> None:
    first = requests.get_status("job-1")
    assert requests.get_status("job-1") is first
    assert (first.method, first.path, first.params, first.json) == (
        "GET",
        "/ocr/status/job-1",
        None,
        None,
    )
    assert requests.get_status("job-2").path == "/ocr/status/job-2"
