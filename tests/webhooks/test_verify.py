"""Signature verification and event parsing, against the official JS SDK's test vector."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.datastructures import Headers as StarletteHeaders
from werkzeug.datastructures import Headers as WerkzeugHeaders

import leapocr_sdk
from leapocr_sdk import LeapOCRError, WebhookVerificationError
from leapocr_sdk.webhooks import (
    MAX_PAYLOAD_DEPTH,
    JobCompleted,
    JobCreated,
    JobFailed,
    JobStarted,
    UnknownEvent,
    construct_event,
    sign,
    verify_signature,
)

# The published vector of the official JS SDK (LeapOCR/leapocr-js,
# packages/sdk/tests/unit/webhooks.test.ts): payload, secret, timestamp, signature.
VECTOR_BODY = (
    b'{"event_type":"webhook.test","event_id":"evt_123","timestamp":"2024-01-01T00:00:00Z",'
    b'"message":"This is a test webhook event"}'
)
VECTOR_SECRET = "my-secret-key"
VECTOR_TIMESTAMP = "1704067200"
VECTOR_SIGNATURE = "51033b9251a1db2003caf73152dc990d20c3efd8c97d176603de1dc034aa1bc1"
VECTOR_NOW = 1704067200.0


def reason_of(body: bytes | str, **kwargs: Any) -> str:
    arguments: dict[str, Any] = {
        "signature": VECTOR_SIGNATURE,
        "timestamp": VECTOR_TIMESTAMP,
        "secret": VECTOR_SECRET,
        "now": VECTOR_NOW,
        **kwargs,
    }
    with pytest.raises(WebhookVerificationError) as caught:
        verify_signature(body, **arguments)
    assert isinstance(caught.value, LeapOCRError)
    assert str(caught.value)  # says what was wrong
    return caught.value.reason


def test_the_js_sdk_vector_verifies_as_bytes_and_as_text() -> None:
    for body in (VECTOR_BODY, VECTOR_BODY.decode()):
        verify_signature(  # raises unless the signature verifies
            body,
            signature=VECTOR_SIGNATURE,
            timestamp=VECTOR_TIMESTAMP,
            secret=VECTOR_SECRET,
            now=VECTOR_NOW,
        )
    assert sign(VECTOR_BODY, timestamp=1704067200, secret=VECTOR_SECRET) == VECTOR_SIGNATURE


def test_the_vector_is_an_unknown_event_not_an_error() -> None:
    headers = {"X-Webhook-Signature": VECTOR_SIGNATURE, "X-Webhook-Timestamp": VECTOR_TIMESTAMP}
    event = construct_event(VECTOR_BODY, headers, VECTOR_SECRET, now=VECTOR_NOW)
    assert isinstance(event, UnknownEvent)
    assert event.event_type == "webhook.test"
    assert event.event_id == "evt_123"
    assert event.timestamp == datetime(2024, 1, 1, tzinfo=UTC)
    assert event.job_id is None
    assert event.raw["message"] == "This is a test webhook event"


@pytest.mark.parametrize("index", [0, 40, len(VECTOR_BODY) - 1])
def test_a_one_byte_change_to_the_body_is_a_mismatch(index: int) -> None:
    changed = bytearray(VECTOR_BODY)
    changed[index] ^= 0x01
    assert reason_of(bytes(changed)) == "signature_mismatch"
    assert reason_of(VECTOR_BODY + b" ") == "signature_mismatch"  # e.g. re-serialised JSON


def test_a_one_byte_change_to_the_timestamp_is_a_mismatch() -> None:
    assert reason_of(VECTOR_BODY, timestamp="1704067201") == "signature_mismatch"
    assert reason_of(VECTOR_BODY, timestamp="1704067100") == "signature_mismatch"


@pytest.mark.parametrize("index", [0, 31, 63])
def test_a_one_byte_change_to_the_signature_is_a_mismatch(index: int) -> None:
    digit = VECTOR_SIGNATURE[index]
    other = "0" if digit != "0" else "1"
    changed = VECTOR_SIGNATURE[:index] + other + VECTOR_SIGNATURE[index + 1 :]
    assert reason_of(VECTOR_BODY, signature=changed) == "signature_mismatch"


def test_upper_case_hex_is_accepted() -> None:
    verify_signature(
        VECTOR_BODY,
        signature=VECTOR_SIGNATURE.upper(),
        timestamp=VECTOR_TIMESTAMP,
        secret=VECTOR_SECRET,
        now=VECTOR_NOW,
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"signature": None}, "missing_signature"),
        ({"signature": ""}, "missing_signature"),
        ({"timestamp": None}, "missing_timestamp"),
        ({"timestamp": ""}, "missing_timestamp"),
        ({"signature": "invalid-signature"}, "malformed_signature"),
        ({"signature": VECTOR_SIGNATURE[:-1]}, "malformed_signature"),
        ({"signature": "sha256=" + VECTOR_SIGNATURE}, "malformed_signature"),
        ({"timestamp": "2024-01-01T00:00:00Z"}, "malformed_timestamp"),
        ({"timestamp": "-1704067200"}, "malformed_timestamp"),
        ({"secret": ""}, "missing_secret"),
        ({"secret": []}, "missing_secret"),
        ({"secret": "wrong-secret"}, "signature_mismatch"),
    ],
)
def test_each_check_says_which_failed(changes: dict[str, Any], reason: str) -> None:
    assert reason_of(VECTOR_BODY, **changes) == reason


def test_several_secrets_any_one_matches() -> None:
    cases: list[Sequence[str | bytes]] = [
        ["old-secret", VECTOR_SECRET],
        (VECTOR_SECRET.encode(), "new-secret"),
        [b"x", "y", VECTOR_SECRET],
    ]
    for secrets in cases:
        verify_signature(
            VECTOR_BODY,
            signature=VECTOR_SIGNATURE,
            timestamp=VECTOR_TIMESTAMP,
            secret=secrets,
            now=VECTOR_NOW,
        )
    assert reason_of(VECTOR_BODY, secret=["old-secret", "new-secret"]) == "signature_mismatch"


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(0, True), (300, True), (-300, True), (301, False), (-301, False), (86_400, False)],
)
def test_tolerance_refuses_old_and_future_deliveries(offset: int, accepted: bool) -> None:
    now = VECTOR_NOW + offset
    if accepted:
        verify_signature(
            VECTOR_BODY,
            signature=VECTOR_SIGNATURE,
            timestamp=VECTOR_TIMESTAMP,
            secret=VECTOR_SECRET,
            now=now,
        )
    else:
        assert reason_of(VECTOR_BODY, now=now) == "timestamp_outside_tolerance"


def test_a_custom_tolerance() -> None:
    assert reason_of(VECTOR_BODY, now=VECTOR_NOW + 61, tolerance=60) == (
        "timestamp_outside_tolerance"
    )
    verify_signature(
        VECTOR_BODY,
        signature=VECTOR_SIGNATURE,
        timestamp=VECTOR_TIMESTAMP,
        secret=VECTOR_SECRET,
        now=VECTOR_NOW + 3600,
        tolerance=3600,
    )


def test_a_replayed_delivery_is_refused_without_now() -> None:
    """The vector was signed in 2024: replayed today, it is refused (the real clock)."""
    headers = {"X-Webhook-Signature": VECTOR_SIGNATURE, "X-Webhook-Timestamp": VECTOR_TIMESTAMP}
    with pytest.raises(WebhookVerificationError) as caught:
        construct_event(VECTOR_BODY, headers, VECTOR_SECRET)
    assert caught.value.reason == "timestamp_outside_tolerance"
    assert "replay" in str(caught.value)


def _headers_variants() -> list[Any]:
    pairs = [("x-webhook-signature", VECTOR_SIGNATURE), ("X-WEBHOOK-TIMESTAMP", VECTOR_TIMESTAMP)]
    return [
        dict(pairs),
        {"X-Webhook-Signature": VECTOR_SIGNATURE, "x-Webhook-timestamp": VECTOR_TIMESTAMP},
        StarletteHeaders(raw=[(k.lower().encode(), v.encode()) for k, v in pairs]),
        WerkzeugHeaders(pairs),
    ]


@pytest.mark.parametrize(
    "headers", _headers_variants(), ids=["dict", "mixed", "starlette", "flask"]
)
def test_headers_are_read_case_insensitively_from_any_mapping(headers: Any) -> None:
    event = construct_event(VECTOR_BODY, headers, VECTOR_SECRET, now=VECTOR_NOW)
    assert event.event_id == "evt_123"


def test_missing_headers_in_construct_event() -> None:
    with pytest.raises(WebhookVerificationError) as caught:
        construct_event(VECTOR_BODY, {"X-Webhook-Timestamp": VECTOR_TIMESTAMP}, VECTOR_SECRET)
    assert caught.value.reason == "missing_signature"
    with pytest.raises(WebhookVerificationError) as caught:
        construct_event(VECTOR_BODY, {"X-Webhook-Signature": VECTOR_SIGNATURE}, VECTOR_SECRET)
    assert caught.value.reason == "missing_timestamp"


# -- typed events -----------------------------------------------------------------------------

NOW = 1_796_000_000
IDS = {"user_id": "u-1", "team_id": "t-1", "organization_id": "o-1"}


def signed(payload: dict[str, Any], secret: str = "s3cret") -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    headers = {
        "X-Webhook-Timestamp": str(NOW),
        "X-Webhook-Signature": sign(body, timestamp=NOW, secret=secret),
    }
    return body, headers


def event_of(payload: dict[str, Any]) -> Any:
    body, headers = signed(payload)
    return construct_event(body, headers, "s3cret", now=NOW)


def base(event_type: str, status: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "event_id": f"evt_{event_type}",
        "timestamp": "2026-11-30T04:00:00.123Z",
        "job_id": "job-1",
        "status": status,
        **IDS,
        **fields,
    }


def test_job_events_are_typed() -> None:
    created = event_of(base("job.created", "pending", file_name="a.pdf", model="standard-v2"))
    assert isinstance(created, JobCreated)
    assert (created.job_id, created.status, created.file_name) == ("job-1", "pending", "a.pdf")
    assert (created.user_id, created.team_id, created.organization_id) == ("u-1", "t-1", "o-1")
    assert created.timestamp == datetime(2026, 11, 30, 4, 0, 0, 123000, tzinfo=UTC)

    started = event_of(base("job.started", "processing", total_pages=3))
    assert isinstance(started, JobStarted)
    assert started.total_pages == 3

    completed = event_of(
        base(
            "job.completed",
            "completed",
            total_pages=3,
            processed_pages=3,
            credits_used=9,
            processing_time=12.5,
            completed_at="2026-11-30T04:00:12Z",
            result_format="markdown",
        )
    )
    assert isinstance(completed, JobCompleted)
    assert (completed.total_pages, completed.processed_pages, completed.credits_used) == (3, 3, 9)
    assert completed.processing_time == 12.5
    assert completed.completed_at == datetime(2026, 11, 30, 4, 0, 12, tzinfo=UTC)
    assert completed.result_format == "markdown"

    failed = event_of(base("job.failed", "failed", error_message="not a PDF"))
    assert isinstance(failed, JobFailed)
    assert failed.error_message == "not a PDF"
    assert failed.raw["error_message"] == "not a PDF"


def test_fields_of_the_wrong_type_or_absent_are_none() -> None:
    completed = event_of(
        base("job.completed", "completed", credits_used="9", total_pages=True, completed_at="x")
    )
    assert isinstance(completed, JobCompleted)
    assert (completed.credits_used, completed.total_pages, completed.completed_at) == (
        None,
        None,
        None,
    )
    assert completed.processing_time is None


def test_unknown_event_types_are_never_an_error() -> None:
    event = event_of(base("job.archived", "completed", anything={"new": 1}))
    assert isinstance(event, UnknownEvent)
    assert (event.event_type, event.job_id, event.status) == ("job.archived", "job-1", "completed")
    assert event.raw["anything"] == {"new": 1}


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2],
        {"event_type": "job.created", "timestamp": "2026-11-30T04:00:00Z", "job_id": "j"},
        {"event_type": "job.created", "event_id": "e", "timestamp": "yesterday", "job_id": "j"},
        {"event_type": "job.created", "event_id": "e", "timestamp": "2026-11-30T04:00:00Z"},
    ],
)
def test_a_signed_body_that_is_not_an_event(payload: Any) -> None:
    with pytest.raises(WebhookVerificationError) as caught:
        event_of(payload)
    assert caught.value.reason == "malformed_payload"


def signed_bytes(body: bytes) -> dict[str, str]:
    return {
        "X-Webhook-Timestamp": str(NOW),
        "X-Webhook-Signature": sign(body, timestamp=NOW, secret="k"),
    }


@pytest.mark.parametrize("depth", [100_000, MAX_PAYLOAD_DEPTH + 1])
@pytest.mark.parametrize(("opening", "closing"), [(b"[", b"]"), (b'{"a":', b"}")])
def test_a_signed_body_nested_too_deep_is_refused(
    depth: int, opening: bytes, closing: bytes
) -> None:
    body = opening * depth + b"1" + closing * depth
    with pytest.raises(WebhookVerificationError) as caught:
        construct_event(body, signed_bytes(body), "k", now=NOW)
    assert caught.value.reason == "payload_too_deep"
    assert str(MAX_PAYLOAD_DEPTH) in str(caught.value)


def test_an_event_nested_up_to_the_limit_is_read() -> None:
    # The event object is level 1: its field holds MAX_PAYLOAD_DEPTH - 1 more levels.
    inner: Any = 1
    for _ in range(MAX_PAYLOAD_DEPTH - 1):
        inner = [inner]
    event = event_of(base("job.completed", "completed", extra=inner))
    assert isinstance(event, JobCompleted)
    assert event.raw["extra"] == inner


def test_not_json_at_all() -> None:
    body = b"<html>"
    headers = {
        "X-Webhook-Timestamp": str(NOW),
        "X-Webhook-Signature": sign(body, timestamp=NOW, secret="k"),
    }
    with pytest.raises(WebhookVerificationError) as caught:
        construct_event(body, headers, "k", now=NOW)
    assert caught.value.reason == "malformed_payload"


def test_the_same_event_delivered_twice_is_recognisable_by_event_id() -> None:
    payload = base("job.completed", "completed")
    body, headers = signed(payload)
    first = construct_event(body, headers, "s3cret", now=NOW)
    # A retry is signed afresh: a new timestamp and signature, the same body.
    later = NOW + 30
    retry_headers = {
        "X-Webhook-Timestamp": str(later),
        "X-Webhook-Signature": sign(body, timestamp=later, secret="s3cret"),
    }
    second = construct_event(body, retry_headers, "s3cret", now=later)
    assert first.event_id == second.event_id == "evt_job.completed"
    assert first == second  # equal events: a set of seen ids (or the events) de-duplicates
    seen = {event.event_id for event in (first, second)}
    assert len(seen) == 1


def test_exported_from_the_package() -> None:
    assert leapocr_sdk.WebhookVerificationError is WebhookVerificationError
    assert "WebhookVerificationError" in leapocr_sdk.__all__
