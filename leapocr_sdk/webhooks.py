"""Verify and parse LeapOCR's signed webhook events (standard library only).

LeapOCR POSTs a JSON event to a team's webhook URL as each job moves: ``job.created``,
``job.started``, ``job.completed``, ``job.failed``. Each delivery carries two headers:

- ``X-Webhook-Timestamp``: Unix seconds when it was signed;
- ``X-Webhook-Signature``: lowercase hex HMAC-SHA256(secret, ``"<timestamp>.<raw body>"``).

In a receiver, hand the **raw body bytes** (never re-serialised JSON) and the request's
headers to :func:`construct_event`::

    event = construct_event(await request.body(), request.headers, secret)
    if isinstance(event, JobCompleted):
        ...

It refuses, with :class:`WebhookVerificationError` (answer 400), a delivery whose
signature does not match any of the secrets, or whose timestamp is more than
``tolerance`` seconds away from now: a captured delivery cannot be replayed later.
Inside the tolerance the same event can still arrive twice (the service retries
deliveries that were not answered 2xx): de-duplicate by ``event.event_id``.

The service's docs page also names an ``X-R2-Signature`` header (hex HMAC of the body,
no timestamp). In the service's spec that header belongs to its *inbound*
``POST /webhooks/r2-upload-notification`` (storage telling the service an upload is
done), not to the job events a team receives, and it would carry no replay
protection; this module therefore offers no helper for it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from .errors import WebhookVerificationError

__all__ = [
    "DEFAULT_TOLERANCE",
    "MAX_PAYLOAD_DEPTH",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "USER_AGENT",
    "JobCompleted",
    "JobCreated",
    "JobFailed",
    "JobStarted",
    "UnknownEvent",
    "WebhookEvent",
    "WebhookVerificationError",
    "construct_event",
    "parse_event",
    "sign",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Webhook-Signature"
TIMESTAMP_HEADER = "X-Webhook-Timestamp"
USER_AGENT = "LeapOCR-Webhook/1.0"
DEFAULT_TOLERANCE = 300  # seconds between signing and verifying, either way
# Levels of nesting a signed body may have (the event object is level 1; events use 2 or
# 3): a deeper body is refused with reason ``payload_too_deep`` before it reaches a
# recursive parser or printer.
MAX_PAYLOAD_DEPTH = 64

Secret = str | bytes
Secrets = Secret | Sequence[Secret]
Reason = Literal[
    "missing_secret",
    "missing_signature",
    "missing_timestamp",
    "malformed_signature",
    "malformed_timestamp",
    "signature_mismatch",
    "timestamp_outside_tolerance",
    "malformed_payload",
    "payload_too_deep",
]

_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")


class Headers(Protocol):
    """Anything with ``items()``: a dict, or Starlette, Django, Flask/Werkzeug headers."""

    def items(self) -> Any: ...


def sign(body: bytes | str, *, timestamp: int | str, secret: Secret) -> str:
    """The ``X-Webhook-Signature`` of ``body`` signed at ``timestamp`` (for senders, tests).

    Args:
        body: the request body, exactly as it will be sent.
        timestamp: the Unix time in seconds sent as ``X-Webhook-Timestamp``.
        secret: the subscription's signing secret.

    Returns:
        The hex HMAC-SHA256 of ``"<timestamp>.<body>"``.

    Example:
        ```python
        now = int(time.time())
        headers = {"X-Webhook-Timestamp": str(now),
                   "X-Webhook-Signature": sign(body, timestamp=now, secret=secret)}
        ```
    """
    return hmac.new(
        _bytes(secret), _signed_payload(body, str(timestamp)), hashlib.sha256
    ).hexdigest()


def verify_signature(
    body: bytes | str,
    *,
    signature: str | None,
    timestamp: str | int | None,
    secret: Secrets,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Check a delivery's signature and age (constant-time); the check alone, no parsing.

    Args:
        body: the raw request body exactly as received (not parsed and re-serialised).
        signature: the ``X-Webhook-Signature`` header's value.
        timestamp: the ``X-Webhook-Timestamp`` header's value (Unix seconds).
        secret: one secret or several (during a rotation, the old and the new one):
            any match is accepted.
        tolerance: refuse deliveries signed more than this many seconds before or after
            ``now`` (default 300: replays are refused).
        now: the current Unix time (default: the clock).

    Raises:
        WebhookVerificationError: a check failed; its ``reason`` says which
            (``missing_signature``, ``missing_timestamp``, ``malformed_signature``,
            ``malformed_timestamp``, ``signature_mismatch``,
            ``timestamp_outside_tolerance``, ``missing_secret``). Answer it with 400.
    """
    secrets_ = _secret_list(secret)
    if not signature:
        raise WebhookVerificationError(
            "missing_signature", f"the request has no {SIGNATURE_HEADER} header"
        )
    if timestamp is None or timestamp == "":
        raise WebhookVerificationError(
            "missing_timestamp", f"the request has no {TIMESTAMP_HEADER} header"
        )
    signature = signature.strip()
    if not _HEX_SHA256.fullmatch(signature):
        raise WebhookVerificationError(
            "malformed_signature",
            f"{SIGNATURE_HEADER} is not 64 hex digits (an HMAC-SHA256): "
            "is this request from LeapOCR?",
        )
    stamp = str(timestamp).strip()
    if not _UNIX_SECONDS.fullmatch(stamp):
        raise WebhookVerificationError(
            "malformed_timestamp", f"{TIMESTAMP_HEADER} is not a Unix time in seconds"
        )
    payload = _signed_payload(body, stamp)
    given = signature.lower().encode("ascii")
    matched = False
    for key in secrets_:  # try every secret: no early exit that would time the match
        expected = hmac.new(key, payload, hashlib.sha256).hexdigest().encode("ascii")
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        raise WebhookVerificationError(
            "signature_mismatch",
            "the signature does not match the body: check the webhook secret, and pass the "
            "raw request body (not parsed and re-serialised JSON)",
        )
    age = (time.time() if now is None else now) - int(stamp)
    if abs(age) > tolerance:
        raise WebhookVerificationError(
            "timestamp_outside_tolerance",
            f"the delivery was signed {abs(age):.0f} s {'ago' if age > 0 else 'in the future'}, "
            f"more than the {tolerance:g} s tolerance: a replay, or a clock out of sync",
        )


def construct_event(
    body: bytes | str,
    headers: Headers | Mapping[str, str],
    secret: Secrets,
    tolerance: float = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> WebhookEvent:
    """Verify a delivery (see ``verify_signature``) and parse it into a typed event.

    Args:
        body: the raw request body exactly as received (not parsed and re-serialised).
        headers: the request's headers, any mapping (a dict, or FastAPI/Starlette, Flask,
            Django ``request.headers``); names are matched without regard to case.
        secret: one secret or several (during a rotation): any match is accepted.
        tolerance: refuse deliveries signed more than this many seconds away (default 300).
        now: the current Unix time (default: the clock).

    Returns:
        A ``JobCreated``, ``JobStarted``, ``JobCompleted`` or ``JobFailed``; an
        ``UnknownEvent`` for a type this version does not know (never an error).

    Raises:
        WebhookVerificationError: the signature or timestamp failed a check, or the signed
            body is not an event or is nested more than ``MAX_PAYLOAD_DEPTH`` levels deep
            (``reason`` says which). Answer it with 400.

    Example:
        ```python
        event = construct_event(await request.body(), request.headers, SECRET)
        if isinstance(event, JobCompleted):
            result = client.get_result(event.job_id)
        ```
    """
    found = _find_headers(headers)
    verify_signature(
        body,
        signature=found.get(SIGNATURE_HEADER.lower()),
        timestamp=found.get(TIMESTAMP_HEADER.lower()),
        secret=secret,
        tolerance=tolerance,
        now=now,
    )
    too_deep = WebhookVerificationError(
        "payload_too_deep",
        f"the signed body is nested more than {MAX_PAYLOAD_DEPTH} levels deep: not an event",
    )
    try:
        data = json.loads(body)
    except RecursionError:  # deeper than the parser goes (thousands of levels)
        raise too_deep from None
    except ValueError:
        data = None
    if _nested_deeper(data, MAX_PAYLOAD_DEPTH):
        raise too_deep
    if not isinstance(data, dict):
        raise WebhookVerificationError("malformed_payload", "the signed body is not a JSON object")
    return parse_event(data)


# -- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class WebhookEvent:
    """What every event has. Fields the body lacks are None.

    Attributes:
        event_id: the event's id: the same for every retried delivery of it (skip the
            ids you have handled).
        event_type: e.g. ``job.completed``.
        timestamp: when the event happened (timezone-aware).
        user_id: the user the job belongs to.
        team_id: the team the job belongs to.
        organization_id: the organisation the job belongs to.
        raw: the whole JSON body, for fields not typed here.
    """

    event_id: str
    event_type: str
    timestamp: datetime
    user_id: str | None = None
    team_id: str | None = None
    organization_id: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class _JobEvent(WebhookEvent):
    """What every job event has (besides the fields of ``WebhookEvent``).

    Attributes:
        job_id: the job's id.
        status: the job's status when the event happened.
        file_name: the document's name.
        model: the job's model.
        result_format: ``markdown`` or ``structured``.
        total_pages: pages in the document (``job.started``, ``completed``, ``failed``).
        processed_pages: pages processed (``job.completed``, ``job.failed``).
    """

    job_id: str
    status: str
    file_name: str | None = None
    model: str | None = None
    result_format: str | None = None


@dataclass(frozen=True, kw_only=True)
class JobCreated(_JobEvent):
    """``job.created``: the job exists; its document is not read yet."""


@dataclass(frozen=True, kw_only=True)
class JobStarted(_JobEvent):
    """``job.started``: processing began."""

    total_pages: int | None = None


@dataclass(frozen=True, kw_only=True)
class JobCompleted(_JobEvent):
    """``job.completed``: the result can be fetched (``client.get_result(event.job_id)``).

    Attributes:
        credits_used: credits the job cost.
        processing_time: seconds of processing.
        completed_at: when it finished (timezone-aware).
    """

    total_pages: int | None = None
    processed_pages: int | None = None
    credits_used: int | None = None
    processing_time: float | None = None
    completed_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class JobFailed(_JobEvent):
    """``job.failed``: the job ended without a result.

    Attributes:
        error_message: why it failed.
    """

    error_message: str | None = None
    total_pages: int | None = None
    processed_pages: int | None = None


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(WebhookEvent):
    """An event type this version of the SDK does not know (the service may add types).

    Attributes:
        job_id: the body's ``job_id``, if any.
        status: the body's ``status``, if any.
    """

    job_id: str | None = None
    status: str | None = None


_JOB_EVENTS: dict[str, type[_JobEvent]] = {
    "job.created": JobCreated,
    "job.started": JobStarted,
    "job.completed": JobCompleted,
    "job.failed": JobFailed,
}


def parse_event(data: dict[str, Any]) -> WebhookEvent:
    """A typed event from an event body you already trust; it checks no signature.

    Args:
        data: the parsed JSON body (e.g. one ``construct_event`` verified, or one fetched
            from the API).

    Returns:
        The typed event, ``UnknownEvent`` for an unknown type.

    Raises:
        WebhookVerificationError: the body lacks ``event_id``, ``event_type``, a valid
            ``timestamp``, or a job event's ``job_id`` (reason ``malformed_payload``).
    """
    event_id, event_type = data.get("event_id"), data.get("event_type")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise WebhookVerificationError(
            "malformed_payload", "the event has no event_id or event_type"
        )
    stamp = _datetime(data.get("timestamp"))
    if stamp is None:
        raise WebhookVerificationError(
            "malformed_payload", "the event's timestamp is not an RFC 3339 time"
        )
    common: dict[str, Any] = {
        "event_id": event_id,
        "event_type": event_type,
        "timestamp": stamp,
        "user_id": _str(data.get("user_id")),
        "team_id": _str(data.get("team_id")),
        "organization_id": _str(data.get("organization_id")),
        "raw": data,
    }
    kind = _JOB_EVENTS.get(event_type)
    if kind is None:
        return UnknownEvent(
            **common, job_id=_str(data.get("job_id")), status=_str(data.get("status"))
        )
    job_id = _str(data.get("job_id"))
    if job_id is None:
        raise WebhookVerificationError("malformed_payload", f"the {event_type} event has no job_id")
    typed: dict[str, Callable[[Any], Any]] = {
        "file_name": _str,
        "model": _str,
        "result_format": _str,
        "total_pages": _int,
        "processed_pages": _int,
        "credits_used": _int,
        "processing_time": _float,
        "completed_at": _datetime,
        "error_message": _str,
    }
    names = kind.__dataclass_fields__
    extra = {name: read(data.get(name)) for name, read in typed.items() if name in names}
    return kind(**common, job_id=job_id, status=_str(data.get("status")) or "", **extra)


# -- helpers --------------------------------------------------------------------------------


def _nested_deeper(data: Any, limit: int) -> bool:
    """Whether ``data`` (parsed JSON) has a list or object more than ``limit`` levels down
    (the outermost is level 1); walked without recursion."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children)
    return False


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _signed_payload(body: bytes | str, timestamp: str) -> bytes:
    return timestamp.encode("ascii") + b"." + _bytes(body)


def _secret_list(secret: Secrets) -> list[bytes]:
    candidates = [secret] if isinstance(secret, str | bytes) else list(secret)
    keys = [_bytes(each) for each in candidates if each]
    if not keys:
        raise WebhookVerificationError(
            "missing_secret",
            "no webhook secret given: pass the secret shown for the subscription in the dashboard",
        )
    return keys


def _find_headers(headers: Headers | Mapping[str, str]) -> dict[str, str]:
    wanted = {SIGNATURE_HEADER.lower(), TIMESTAMP_HEADER.lower()}
    found: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).lower()
        if key in wanted:
            found.setdefault(key, value.decode("latin-1") if isinstance(value, bytes) else value)
    return found


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _datetime(value: Any) -> datetime | None:
    """An aware datetime from RFC 3339 text (a time without offset is taken as UTC)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
