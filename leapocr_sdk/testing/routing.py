"""The emulator's routes: which handler answers a method and path, after the API key
and the rate limit are checked."""

from __future__ import annotations

import hmac
import re
from urllib.parse import unquote

from .messages import Reply, Request, error
from .rendering import Rendering
from .service import API_PREFIX
from .submissions import Submissions

__all__ = ["API_PREFIX", "Api", "match"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ROUTES: list[tuple[str, str, re.Pattern[str]]] = [
    ("submit_url", "POST", re.compile(r"^/api/v1/ocr/uploads/url$")),
    ("initiate", "POST", re.compile(r"^/api/v1/ocr/uploads/direct$")),
    ("complete", "POST", re.compile(r"^/api/v1/ocr/uploads/(?P<job_id>[^/]+)/complete$")),
    ("status", "GET", re.compile(r"^/api/v1/ocr/status/(?P<job_id>[^/]+)$")),
    ("result", "GET", re.compile(r"^/api/v1/ocr/result/(?P<job_id>[^/]+)$")),
    ("delete", "DELETE", re.compile(r"^/api/v1/ocr/delete/(?P<job_id>[^/]+)$")),
    ("models", "GET", re.compile(r"^/api/v1/ocr/models$")),
    ("health", "GET", re.compile(r"^(/api/v1)?/health$")),
    ("upload_part", "PUT", re.compile(r"^/storage/(?P<upload_id>[^/]+)/(?P<part>[^/]+)$")),
]


def match(method: str, path: str) -> tuple[str, dict[str, str], bool]:
    """``(route name, path parameters, method allowed)``; route ``unknown`` if none matches."""
    for name, route_method, pattern in _ROUTES:
        found = pattern.match(path)
        if found:
            return (
                name,
                {k: unquote(v) for k, v in found.groupdict().items()},
                method == route_method,
            )
    return "unknown", {}, False


class Api(Submissions, Rendering):
    """The emulated service: authentication, rate limiting and the route handlers."""

    # -- entry point ----------------------------------------------------------------------

    def handle(self, route: str, params: dict[str, str], allowed: bool, request: Request) -> Reply:
        if route == "upload_part" and allowed:
            return self.upload_part(params["upload_id"], params["part"], request)
        if route == "health" and allowed:
            return self.health()
        if not request.path.startswith(API_PREFIX + "/"):
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
        if route == "unknown":
            return error(404, f"No route for {request.method} {request.path}")
        if not allowed:
            return error(405, f"{request.method} is not allowed on {request.path}")
        if route == "submit_url":
            return self.submit_url(request)
        if route == "initiate":
            return self.initiate(request)
        if route == "models":
            return self.models()
        job_id = params["job_id"]
        if not _UUID.match(job_id):
            return error(400, f"Invalid job ID {job_id!r}", code="BAD_REQUEST")
        job = self.store.get(job_id)
        if route == "result":
            return self.result(job, request)
        if job is None:
            return error(404, f"Job {job_id} not found")
        if route == "complete":
            return self.complete(job, request)
        if route == "status":
            return self.status(job)
        return self.delete(job)

    def rate_headers(self) -> dict[str, str]:
        return self.limiter.headers() if self.limiter is not None else {}
