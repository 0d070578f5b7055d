"""The emulator's HTTP messages: a parsed request, a reply, and the error bodies it sends.

Handlers take a parsed :class:`HttpRequest` and return an :class:`HttpReply`; the HTTP
server (``server.py``) does the socket I/O, and ``emulator.py`` the faults and recording.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .._contract import LESS_CREDITS

__all__ = [
    "ERROR_CODES",
    "HttpReply",
    "HttpRequest",
    "SpooledBody",
    "error",
    "error_body",
    "json_reply",
    "s3_error",
]

# Error codes by status: the service's enum (_contract.ERROR_CODES) for every status,
# including those it does not document (405, 411, 413, 502, 503, 504).
ERROR_CODES = {
    400: "VALIDATION_ERROR",
    401: "AUTHENTICATION_ERROR",
    402: LESS_CREDITS,
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "BAD_REQUEST",
    409: "CONFLICT",
    411: "BAD_REQUEST",
    413: "VALIDATION_ERROR",
    429: "TOO_MANY_REQUESTS",
    500: "SYSTEM_ERROR",
    502: "SYSTEM_ERROR",
    503: "SYSTEM_ERROR",
    504: "SYSTEM_ERROR",
}


@dataclass(frozen=True)
class SpooledBody:
    """A storage PUT's body, written to a temporary file as it arrived."""

    path: str
    size: int
    etag: str  # the MD5 hex digest (or the emulator's cheaper stand-in, etag_mode="fast")


@dataclass
class HttpRequest:
    """An incoming request; header names are lower-case.

    Storage PUTs arrive in ``spooled`` (a temporary file), every other body in ``body``.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    spooled: SpooledBody | None = None

    @property
    def body_size(self) -> int:
        return self.spooled.size if self.spooled is not None else len(self.body)


@dataclass
class HttpReply:
    """An outgoing response."""

    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(payload: Any, status: int = 200) -> HttpReply:
    return HttpReply(status, json.dumps(payload).encode())


def error_body(status: int, message: str, *, code: str | None = None, details: Any = None) -> bytes:
    """The service's error body: ``{"code", "error": {"message"}, "details"}``."""
    payload = {
        "code": code or ERROR_CODES.get(status, "SYSTEM_ERROR" if status >= 500 else "BAD_REQUEST"),
        "error": {"message": message},
        "details": details,
    }
    return json.dumps(payload).encode()


def error(status: int, message: str, *, code: str | None = None, details: Any = None) -> HttpReply:
    return HttpReply(status, error_body(status, message, code=code, details=details))


def s3_error(status: int, code: str, message: str) -> HttpReply:
    """An object-storage style XML error."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>\n"
    )
    return HttpReply(status, body.encode(), "application/xml")
