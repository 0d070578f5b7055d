"""The emulator's routes: which handler answers a method and path, after the API key
and the rate limit are checked.

The routes are the operations of ``leapocr_sdk._operations``, matched by their method and
path template; a route's name is the operation's.
"""

from __future__ import annotations

import hmac
import re
from urllib.parse import unquote

from .._operations import (
    API_ROOT,
    COMPLETE,
    HEALTH,
    INITIATE,
    MODELS,
    OPERATIONS,
    RESULT,
    STATUS,
    SUBMIT_URL,
    UPLOAD_PART,
    Operation,
)
from .faults import UNKNOWN
from .messages import HttpReply, HttpRequest, error
from .rendering import Rendering
from .submissions import Submissions

__all__ = ["UNKNOWN", "Api", "match"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _pattern(operation: Operation) -> re.Pattern[str]:
    """The operation's path template as a pattern: each ``{name}`` one path segment."""
    pieces = re.split(r"\{(\w+)\}", operation.path)
    path = "".join(
        re.escape(piece) if literal else f"(?P<{piece}>[^/]+)"
        for literal, piece in zip((True, False) * len(pieces), pieces, strict=False)
    )
    if operation is UPLOAD_PART:
        root = ""  # storage, not the API
    elif operation is HEALTH:
        root = f"(?:{re.escape(API_ROOT)})?"  # at the origin too, as the service answers it
    else:
        root = re.escape(API_ROOT)
    return re.compile(f"^{root}{path}$")


_ROUTES = [(operation, _pattern(operation)) for operation in OPERATIONS]


def match(method: str, path: str) -> tuple[str, dict[str, str], bool]:
    """``(route name, path parameters, method allowed)``; route ``unknown`` if none matches."""
    for operation, pattern in _ROUTES:
        found = pattern.match(path)
        if found:
            return (
                operation.name,
                {k: unquote(v) for k, v in found.groupdict().items()},
                method == operation.method,
            )
    return UNKNOWN, {}, False


class Api(Submissions, Rendering):
    """The emulated service: authentication, rate limiting and the route handlers."""

    # -- entry point ----------------------------------------------------------------------

    def handle(
        self, route: str, params: dict[str, str], allowed: bool, request: HttpRequest
    ) -> HttpReply:
        if route == UPLOAD_PART.name and allowed:
            return self.upload_part(params["upload_id"], params["part_number"], request)
        if route == HEALTH.name and allowed:
            return self.health()
        if not request.path.startswith(API_ROOT + "/"):
            return error(404, f"No route for {request.method} {request.path}")
        key = request.headers.get("x-api-key")
        if not key or not hmac.compare_digest(key.encode(), self.api_key.encode()):
            return error(401, "Missing or invalid API key")
        if self.limiter is not None:
            ok, headers = self.limiter.consume()
            if not ok:
                reply = error(429, "Rate limit exceeded, retry later", code="TOO_MANY_REQUESTS")
                reply.headers.update(headers)
                return reply
        if route == UNKNOWN:
            return error(404, f"No route for {request.method} {request.path}")
        if not allowed:
            return error(405, f"{request.method} is not allowed on {request.path}")
        if route == SUBMIT_URL.name:
            return self.submit_url(request)
        if route == INITIATE.name:
            return self.initiate(request)
        if route == MODELS.name:
            return self.models()
        job_id = params["job_id"]
        if not _UUID.match(job_id):
            return error(400, f"Invalid job ID {job_id!r}", code="BAD_REQUEST")
        job = self.store.get(job_id)
        if route == RESULT.name:
            return self.result(job, request)
        if job is None:
            return error(404, f"Job {job_id} not found")
        if route == COMPLETE.name:
            return self.complete(job, request)
        if route == STATUS.name:
            return self.status(job)
        return self.delete(job)

    def rate_headers(self) -> dict[str, str]:
        return self.limiter.headers() if self.limiter is not None else {}
