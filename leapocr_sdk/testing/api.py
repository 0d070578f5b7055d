"""Routes of the emulator: the LeapOCR API under ``/api/v1`` and the upload storage.

Handlers take a parsed :class:`Request` and return a :class:`Reply`; the HTTP server in
``emulator.py`` does the I/O, faults and recording.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import ipaddress
import json
import math
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from posixpath import basename
from typing import Any
from urllib.parse import unquote, urlsplit

from .._contract import (
    CONTENT_TYPES,
    DEFAULT_FORMAT,
    DEFAULT_MODEL,
    DROPPED_FORMATS,
    FORMAT_MARKDOWN,
    FORMAT_STRUCTURED,
    FORMATS,
    LESS_CREDITS,
    MAX_FILE_NAME_LENGTH,
    MAX_FILE_SIZE,
    MAX_INSTRUCTION_LENGTH,
    MAX_URL_LENGTH,
    MULTIPART_THRESHOLD,
    PART_SIZE,
    RESULT_PAGE_LIMIT_DEFAULT,
)
from .faults import Faults
from .jobs import FINISHED, Job, JobStore, Model, Template, Upload, iso, template_slug_for

__all__ = ["API_PREFIX", "Api", "Reply", "Request", "SpooledBody", "error", "match"]

API_PREFIX = "/api/v1"
# The largest part the emulator hands out: one part below the multipart threshold.
MAX_PART_SIZE = max(MULTIPART_THRESHOLD - 1, PART_SIZE)

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


@dataclass(frozen=True)
class SpooledBody:
    """A storage PUT's body, written to a temporary file as it arrived."""

    path: str
    size: int
    etag: str  # the MD5 hex digest (or the emulator's cheaper stand-in, etag_mode="fast")


@dataclass
class Request:
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
class Reply:
    """An outgoing response."""

    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


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


def json_reply(payload: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(payload).encode())


def error_body(status: int, message: str, *, code: str | None = None, details: Any = None) -> bytes:
    """The service's error body: ``{"code", "error": {"message"}, "details"}``."""
    payload = {
        "code": code or ERROR_CODES.get(status, "SYSTEM_ERROR" if status >= 500 else "BAD_REQUEST"),
        "error": {"message": message},
        "details": details,
    }
    return json.dumps(payload).encode()


def error(status: int, message: str, *, code: str | None = None, details: Any = None) -> Reply:
    return Reply(status, error_body(status, message, code=code, details=details))


def s3_error(status: int, code: str, message: str) -> Reply:
    """An object-storage style XML error."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>\n"
    )
    return Reply(status, body.encode(), "application/xml")


class RateLimiter:
    """A fixed-window request counter."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._start = 0.0
        self._count = 0

    def _roll(self, now: float) -> None:
        if now >= self._start + self.window:
            self._start = now
            self._count = 0

    def _headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self._count)),
            "X-RateLimit-Reset": str(math.ceil(self._start + self.window)),
        }

    def consume(self) -> tuple[bool, dict[str, str]]:
        """Count a request: ``(allowed, headers)``; a refusal carries ``Retry-After``."""
        with self._lock:
            now = time.time()
            self._roll(now)
            if self._count >= self.limit:
                headers = self._headers()
                headers["Retry-After"] = str(max(1, math.ceil(self._start + self.window - now)))
                return False, headers
            self._count += 1
            return True, self._headers()

    def headers(self) -> dict[str, str]:
        with self._lock:
            self._roll(time.time())
            return self._headers()


# -- request validation --------------------------------------------------------------------

_FIELDS: dict[str, dict[str, Any]] = {
    "url": {"type": str, "max": MAX_URL_LENGTH},
    "file_name": {"type": str, "min": 1, "max": MAX_FILE_NAME_LENGTH},
    "content_type": {"type": str},
    "file_size": {"type": int, "minimum": 1, "maximum": MAX_FILE_SIZE},
    "format": {"type": str, "enum": FORMATS},
    "model": {"type": str},
    "instructions": {"type": str, "max": MAX_INSTRUCTION_LENGTH},
    "schema": {"type": dict},
    "template_slug": {"type": str},
    "extract_bounding_boxes": {"type": bool},
    "save_as_template": {"type": bool},
}
_TYPE_NAMES = {str: "a string", int: "an integer", dict: "an object", bool: "a boolean"}
_EXCLUDED_BY_TEMPLATE = ("format", "model", "schema", "instructions")


def _check(payload: Mapping[str, Any], required: tuple[str, ...]) -> Reply | None:
    """Check the fields of a submission body like the contract's schemas do."""
    for name in required:
        if payload.get(name) is None:
            return error(400, f"{name} is required", details={"field": name})
    for name, rules in _FIELDS.items():
        value = payload.get(name)
        if value is None:
            continue
        kind = rules["type"]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return error(400, f"{name} must be {_TYPE_NAMES[kind]}", details={"field": name})
        if isinstance(value, str) and not rules.get("min", 0) <= len(value) <= rules.get(
            "max", len(value)
        ):
            return error(400, f"{name} has an invalid length", details={"field": name})
        if isinstance(value, int) and not (
            rules.get("minimum", value) <= value <= rules.get("maximum", value)
        ):
            limits = f"{rules['minimum']}..{rules['maximum']}"
            return error(400, f"{name} must be within {limits}", details={"field": name})
        if name == "format" and value in DROPPED_FORMATS:
            return error(
                400,
                f"format {value} is no longer supported; use structured (one object for the "
                "document) or markdown",
                details={"field": name, "allowed_values": list(FORMATS)},
            )
        if "enum" in rules and value not in rules["enum"]:
            return error(
                400,
                f"{name} must be one of {', '.join(rules['enum'])}",
                details={"field": name, "allowed_values": list(rules["enum"])},
            )
    return None


def _parse_json(request: Request) -> dict[str, Any] | Reply:
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return error(400, "The request body is not valid JSON", code="BAD_REQUEST")
    if not isinstance(payload, dict):
        return error(400, "The request body must be a JSON object", code="BAD_REQUEST")
    return payload


class _DownloadError(Exception):
    """A URL job's document could not be downloaded; the message is the job's error."""


def _unquoted(etag: str) -> str:
    """An ETag without its surrounding quotes: storage accepts it either way."""
    if len(etag) >= 2 and etag.startswith('"') and etag.endswith('"'):
        return etag[1:-1]
    return etag


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Api:
    """The emulated service: authentication, rate limiting and the route handlers."""

    def __init__(
        self,
        *,
        store: JobStore,
        faults: Faults,
        api_key: str,
        rate_limit: int | None,
        rate_window: float,
        max_result_limit: int,
        upload_url_ttl: float,
        submit: Callable[[Callable[[], None]], None],
    ) -> None:
        self.store = store
        self.faults = faults
        self.api_key = api_key
        self.limiter = RateLimiter(rate_limit, rate_window) if rate_limit is not None else None
        self.max_result_limit = max_result_limit
        self.upload_url_ttl = upload_url_ttl
        self.submit = submit
        self.origin = ""  # set once the server is bound, e.g. http://127.0.0.1:8765
        self._secret = store.random_bytes(32)
        self._team_id = store.new_uuid()
        self._user_id = store.new_uuid()
        self._lock = threading.Lock()
        self.key_leaks = 0

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

    # -- submission -----------------------------------------------------------------------

    def _options(self, payload: Mapping[str, Any]) -> tuple[Model, dict[str, Any]] | Reply:
        """The job's model and options, following the service's rules (or the refusal)."""
        slug = payload.get("template_slug")
        boxes = bool(payload.get("extract_bounding_boxes"))
        if slug:
            clash = [name for name in _EXCLUDED_BY_TEMPLATE if payload.get(name)]
            if clash:
                return error(
                    400,
                    f"template_slug cannot be combined with {', '.join(clash)}: the template "
                    "sets them; send either template_slug or format (with model, schema, "
                    "instructions)",
                    details={"fields": ["template_slug", *clash]},
                )
            template = self.store.template(slug)
            if template is None:
                return error(
                    400,
                    f"Template {slug!r} not found",
                    details={"field": "template_slug"},
                )
            name = template.model or DEFAULT_MODEL
            options: dict[str, Any] = {
                "result_format": template.result_format,
                "schema": template.schema,
                "instructions": template.instructions,
                "template_slug": slug,
                "template_name": template.name,
                "extract_bounding_boxes": boxes or template.extract_bounding_boxes,
            }
        else:
            fmt = payload.get("format") or DEFAULT_FORMAT
            schema = payload.get("schema") or None
            if fmt == FORMAT_STRUCTURED and schema is None:
                return error(
                    400,
                    "The structured format needs a non-empty schema (or a template_slug)",
                    details={"field": "schema"},
                )
            if fmt == FORMAT_MARKDOWN and schema is not None:
                return error(
                    400,
                    "schema is only used by the structured format; send format structured",
                    details={"field": "schema"},
                )
            name = payload.get("model") or DEFAULT_MODEL
            options = {
                "result_format": fmt,
                "schema": schema,
                "instructions": payload.get("instructions") or None,
                "extract_bounding_boxes": boxes,
            }
        model = self.store.model(name)
        if model is None:
            known = [m.name for m in self.store.model_list()]
            return error(
                400,
                f"Unknown model {name!r}",
                details={"field": "model", "allowed_values": known},
            )
        if not self.store.can_afford(self.store.page_price(model, options)):
            return error(402, "Insufficient credits")
        return model, options

    def _save_template(self, job: Job, payload: Mapping[str, Any]) -> None:
        """``save_as_template``: keep the job's options as a template (not for template jobs)."""
        if not payload.get("save_as_template") or job.template_slug:
            return
        slug = template_slug_for(job.file_name, job.id)
        template = Template(
            slug=slug,
            name=job.file_name,
            result_format=job.result_format,
            schema=job.schema,
            instructions=job.instructions,
            model=job.model,
            extract_bounding_boxes=job.extract_bounding_boxes,
        )
        with self.store.lock:
            self.store.add_template(template)
            job.saved_template_slug = slug

    def submit_url(self, request: Request) -> Reply:
        payload = _parse_json(request)
        if isinstance(payload, Reply):
            return payload
        problem = _check(payload, ("url",))
        if problem:
            return problem
        url: str = payload["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return error(400, "url must be an absolute http(s) URL", details={"field": "url"})
        chosen = self._options(payload)
        if isinstance(chosen, Reply):
            return chosen
        model, options = chosen
        file_name = payload.get("file_name") or basename(parts.path) or "document.pdf"
        job = self.store.create(
            source="url", file_name=file_name, model=model, source_url=url, **options
        )
        self._save_template(job, payload)
        self.submit(lambda: self._fetch(job.id, url))
        created = iso(job.created_at)
        body = {"job_id": job.id, "status": "pending", "source_url": url, "created_at": created}
        return json_reply(body)

    def _fetch(self, job_id: str, url: str) -> None:
        """Download a URL job's document (on a worker thread) and read it."""
        import httpx  # a dependency of the SDK itself; imported lazily

        from .._tls import tls_context

        host = urlsplit(url).hostname or ""
        try:
            path = self.store.new_file()
        except OSError:
            return  # the emulator stopped meanwhile
        try:
            with (
                open(path, "wb") as spool,
                httpx.Client(
                    timeout=30.0,
                    follow_redirects=True,
                    trust_env=not _is_loopback(host),
                    verify=tls_context(),
                ) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code >= 400:
                    message = f"Failed to download the document: HTTP {response.status_code}"
                    raise _DownloadError(message)
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_FILE_SIZE:
                        raise _DownloadError(
                            f"The document is larger than {MAX_FILE_SIZE} bytes (1 GiB)"
                        )
                    spool.write(chunk)
        except Exception as exc:  # any failure to download fails the job, as the service does
            self.store.remove_file(path)
            failed = isinstance(exc, _DownloadError)
            self.store.fail(
                job_id, str(exc) if failed else f"Failed to download the document: {exc}"
            )
            return
        self.store.ingest(job_id, path)

    def initiate(self, request: Request) -> Reply:
        payload = _parse_json(request)
        if isinstance(payload, Reply):
            return payload
        problem = _check(payload, ("file_name", "content_type", "file_size"))
        if problem:
            return problem
        content_type = payload["content_type"].split(";")[0].strip().lower()
        if content_type not in CONTENT_TYPES:
            return error(
                400,
                f"content_type must be one of {', '.join(CONTENT_TYPES)}",
                details={"field": "content_type", "allowed_values": list(CONTENT_TYPES)},
            )
        chosen = self._options(payload)
        if isinstance(chosen, Reply):
            return chosen
        model, options = chosen
        size: int = payload["file_size"]
        chunk = size if size < MULTIPART_THRESHOLD else PART_SIZE
        ranges = [(start, min(start + chunk, size) - 1) for start in range(0, size, chunk)]
        now = time.time()
        # Whole seconds, like presigned URLs; never shorter than the TTL.
        expires = (
            int(now) - 1 if self.faults.issue_expired_urls else math.ceil(now + self.upload_url_ttl)
        )
        upload = Upload(self.store.new_uuid(), ranges, issued_at=now, expires_at=expires)
        job = self.store.create(
            source="upload",
            file_name=payload["file_name"],
            model=model,
            file_size=size,
            upload=upload,
            **options,
        )
        self._save_template(job, payload)
        parts = [
            {
                "part_number": number,
                "start_byte": start,
                "end_byte": end,
                "upload_url": self._part_url(upload, number),
            }
            for number, (start, end) in enumerate(ranges, start=1)
        ]
        body = {
            "job_id": job.id,
            "upload_id": upload.upload_id,
            "upload_type": "multipart",
            "chunk_size": chunk,
            "total_chunks": len(ranges),
            "parts": parts,
            "complete_url": f"{API_PREFIX}/ocr/uploads/{job.id}/complete",
            "expires_at": iso(expires),
        }
        return json_reply(body)

    # -- storage --------------------------------------------------------------------------

    def _signature(self, upload_id: str, part: str, expires: str) -> str:
        message = f"PUT\n{upload_id}\n{part}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _part_url(self, upload: Upload, number: int) -> str:
        expires = str(int(upload.expires_at))  # a whole number of seconds already
        signature = self._signature(upload.upload_id, str(number), expires)
        return (
            f"{self.origin}/storage/{upload.upload_id}/{number}"
            f"?X-Expires={expires}&X-Signature={signature}"
        )

    def upload_part(self, upload_id: str, part: str, request: Request) -> Reply:
        """``PUT`` of one part to a presigned URL; answers with the part's quoted ETag."""
        if "x-api-key" in request.headers:
            with self._lock:
                self.key_leaks += 1
            return s3_error(400, "InvalidRequest", "Upload URLs must not receive an X-API-Key")
        expires = request.query.get("X-Expires", "")
        signature = request.query.get("X-Signature", "")
        expected = self._signature(upload_id, part, expires)
        if not expires.isdigit() or not hmac.compare_digest(signature, expected):
            return s3_error(
                403, "SignatureDoesNotMatch", "The request signature does not match the URL"
            )
        job = self.store.job_for_upload(upload_id)
        if job is None or job.upload is None or job.deleted_at is not None:
            return s3_error(404, "NoSuchUpload", "The specified upload does not exist")
        upload = job.upload
        if time.time() > int(expires) or self.faults.url_expired(upload.issued_at):
            return s3_error(403, "AccessDenied", "Request has expired")
        number = int(part)
        start, end = upload.ranges[number - 1]
        size = end - start + 1
        if request.body_size < size:
            return s3_error(400, "IncompleteBody", f"Part {number} must be {size} bytes")
        if request.body_size > size:
            return s3_error(400, "EntityTooLarge", f"Part {number} must be {size} bytes")
        spooled = request.spooled
        if spooled is None:
            return s3_error(400, "IncompleteBody", f"Part {number} must be {size} bytes")
        etag = f'"{spooled.etag}"'
        with self.store.lock:
            if upload.completed_with is not None or job.deleted_at is not None:
                return s3_error(404, "NoSuchUpload", "The upload has already been completed")
            previous = upload.received.get(number)
            kept = self.store.new_file()
            os.replace(spooled.path, kept)  # the request's file is removed after the reply
            upload.received[number] = (etag, kept)
        if previous is not None:
            self.store.remove_file(previous[1])
        return Reply(200, b"", None, {"ETag": etag})

    def complete(self, job: Job, request: Request) -> Reply:
        payload = _parse_json(request)
        if isinstance(payload, Reply):
            return payload
        parts = payload.get("parts")
        if not isinstance(parts, list) or not parts:
            return error(400, "parts must be a non-empty array", details={"field": "parts"})
        given: list[tuple[int, str]] = []
        for item in parts:
            number = item.get("part_number") if isinstance(item, dict) else None
            etag = item.get("etag") if isinstance(item, dict) else None
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                return error(400, "part_number must be an integer >= 1", details={"field": "parts"})
            if not isinstance(etag, str) or not etag:
                return error(400, "etag must be a non-empty string", details={"field": "parts"})
            given.append((number, _unquoted(etag)))
        if job.upload is None:
            return error(409, "The job was not created by a direct upload", code="CONFLICT")
        upload = job.upload
        with self.store.lock:
            if job.deleted_at is not None:
                return error(404, f"Job {job.id} not found")
            job.complete_calls += 1
            if upload.completed_with is not None:
                if upload.completed_with == given:
                    return self._completed(job)
                return error(409, "The upload has already been completed", code="CONFLICT")
            problem = self._check_parts(upload, given)
            if problem:
                return problem
            if not self.store.can_afford(job.credits_per_page):
                return error(402, "Insufficient credits")
            refusal = self._reserve_single_part(job, upload, given)
            if refusal is not None:
                return refusal
            part_paths = [upload.received[number][1] for number, _ in given]
            upload.completed_with = given
            upload.received.clear()
        self.submit(lambda: self._assemble(job.id, part_paths))
        return self._completed(job)

    def _reserve_single_part(
        self, job: Job, upload: Upload, given: list[tuple[int, str]]
    ) -> Reply | None:
        """With a finite balance, a one-part document's pages are counted at ``complete``
        and its whole price reserved, or the job refused with 402 ``LESS_CREDITS`` (other
        documents are counted when read, and fail with that message)."""
        if not self.store.limited or len(given) != 1:
            return None
        pages = self.store.count_pages(upload.received[given[0][0]][1])
        refusal = None if pages is None else self.store.reserve(job, pages)
        return None if refusal is None else error(402, refusal)

    def _assemble(self, job_id: str, part_paths: list[str]) -> None:
        """Join the parts into one document file (off the request path) and read it."""
        try:
            path = part_paths[0] if len(part_paths) == 1 else self.store.new_file()
            if len(part_paths) > 1:
                with open(path, "wb") as document:
                    for part_path in part_paths:
                        with open(part_path, "rb") as part:
                            shutil.copyfileobj(part, document, 1024 * 1024)
                        self.store.remove_file(part_path)
        except OSError:
            if self.store.closed or self.store.removed(part_paths[0]):
                return  # the emulator stopped meanwhile and removed its files
            raise
        self.store.ingest(job_id, path)

    @staticmethod
    def _check_parts(upload: Upload, given: list[tuple[int, str]]) -> Reply | None:
        numbers = [number for number, _ in given]
        if numbers != sorted(set(numbers)):
            return error(
                400,
                "Parts must be listed once each, in ascending part_number order",
                details={"part_numbers": numbers},
            )
        total = len(upload.ranges)
        unknown = [n for n in numbers if n > total]
        if unknown:
            return error(400, f"Part {unknown[0]} is not part of this upload (it has {total})")
        missing = [n for n in range(1, total + 1) if n not in numbers]
        if missing:
            return error(
                400, f"Missing parts: {', '.join(map(str, missing))}", details={"missing": missing}
            )
        for number, etag in given:
            received = upload.received.get(number)
            if received is None:
                return error(
                    400, f"Part {number} was not uploaded", details={"part_number": number}
                )
            if _unquoted(received[0]) != etag:
                return error(
                    400,
                    f"The ETag of part {number} does not match the uploaded part",
                    details={"part_number": number, "etag": etag},
                )
        return None

    @staticmethod
    def _completed(job: Job) -> Reply:
        return json_reply(
            {
                "job_id": job.id,
                "status": "pending",
                "message": "Upload completed successfully, processing started",
                "created_at": iso(job.created_at),
            }
        )

    # -- reading --------------------------------------------------------------------------

    def _state(self, job: Job) -> tuple[str, str, int, float]:
        """``(shown status, real status, processed_pages, now)``, charging a completed job.

        The shown status is the real one unless a fault overrides it.
        """
        self.store.settle(job)
        now = self.store.clock()
        real, processed = job.progress(now)
        return self.faults.status_override(job.id) or real, real, processed, now

    def status(self, job: Job) -> Reply:
        with self.store.lock:
            status, _, processed, now = self._state(job)
            body: dict[str, Any] = {
                "id": job.id,
                "status": status,
                "file_name": job.file_name,
                "result_format": job.result_format,
                "processed_pages": processed,
                "total_pages": job.total_pages,
                "processing_time": job.processing_time(now),
                "error_message": job.error_message,
                "created_at": iso(job.created_at),
            }
            completed = job.completed_wall(now)
            if completed is not None:
                body["completed_at"] = iso(completed)
            if job.template_name is not None:
                body["template_name"] = job.template_name
            if job.deleted_at is not None:
                body["deleted_at"] = iso(job.deleted_at)
        return json_reply(body)

    def _page_query(self, request: Request) -> tuple[int, int] | Reply:
        values: list[int] = []
        limits = (("page", 1, None), ("limit", RESULT_PAGE_LIMIT_DEFAULT, self.max_result_limit))
        for name, default, highest in limits:
            raw = request.query.get(name, str(default))
            if not raw.isdigit() or int(raw) < 1 or (highest is not None and int(raw) > highest):
                allowed = f"1..{highest}" if highest else ">= 1"
                return error(
                    400,
                    f"{name} must be an integer {allowed}",
                    code="BAD_REQUEST",
                    details={"field": name},
                )
            values.append(int(raw))
        return values[0], values[1]

    def result(self, job: Job | None, request: Request) -> Reply:
        paging = self._page_query(request)
        if isinstance(paging, Reply):
            return paging
        if job is None:
            return error(404, "Job not found")
        page, limit = paging
        with self.store.lock:
            status, real, processed, now = self._state(job)
            # Only the requested window is touched: reading a result is O(pages), not O(pages²).
            results: list[Any] = []
            if job.deleted_at is not None:
                count = processed  # a deleted job's pages keep only their id and number
            elif status == "failed":
                count = 0
            elif status in FINISHED and real == "completed":
                results = job.results or []
                count = len(results)
            else:
                running: dict[str, Any] = {
                    "job_id": job.id,
                    "status": status,
                    "processed_pages": processed,
                    "total_pages": job.total_pages,
                    "result_format": job.result_format,
                }
                return json_reply(running, 202)
            window = range(min((page - 1) * limit, count), min(page * limit, count))
            body: dict[str, Any] = {
                "job_id": job.id,
                "status": status,
                "file_name": job.file_name,
                "model": job.model,
                "result_format": job.result_format,
                "credits_used": job.credits_used,
                "processed_pages": processed,
                "total_pages": job.total_pages,
                "created_at": iso(job.created_at),
                "completed_at": iso(job.completed_wall(now)),
                "pages": [self._page(job, i, results[i] if results else None) for i in window],
                "pagination": {
                    "page": page,
                    "limit": limit,
                    "total": count,
                    "total_pages": math.ceil(count / limit),
                },
            }
            if job.template_name is not None:
                body["template_name"] = job.template_name
            if status == "failed":
                body["error_message"] = job.error_message or "Processing failed"
            if job.deleted_at is not None:
                body["deleted_at"] = iso(job.deleted_at)
        return json_reply(body)

    @staticmethod
    def _page(job: Job, index: int, value: Any) -> dict[str, Any]:
        """One page of a result; a deleted job's pages keep only their id and number."""
        page: dict[str, Any] = {"id": job.page_ids[index], "page_number": index + 1}
        page["result"] = value
        if job.pages is None:
            return page
        content = job.pages[index]
        page["confidence"] = content.confidence
        if content.width is not None and content.height is not None:
            page["dimensions"] = {"width": content.width, "height": content.height}
        page["has_bounding_boxes"] = job.extract_bounding_boxes
        if job.extract_bounding_boxes:
            page["bounding_boxes"] = [box.to_json() for box in content.boxes]
        return page

    def delete(self, job: Job) -> Reply:
        with self.store.lock:
            if job.deleted_at is not None:
                return error(404, f"Job {job.id} does not exist or was already deleted")
            self.store.delete(job)
            status, processed = job.progress(self.store.clock())
            deleted = iso(job.deleted_at)
            slug = job.template_slug
            body = {
                "id": job.id,
                "status": status,
                "file_name": job.file_name,
                "file_size": job.file_size,
                "processed_pages": processed,
                "total_pages": job.total_pages,
                "credits_used": job.credits_used,
                "error_message": job.error_message,
                "template_id": str(uuid.uuid5(uuid.NAMESPACE_URL, slug)) if slug else "",
                "template_name": job.template_name or "",
                "team_id": self._team_id,
                "user_id": self._user_id,
                "metadata": {
                    "source": job.source,
                    "model": job.model,
                    "result_format": job.result_format,
                },
                "created_at": iso(job.created_at),
                "updated_at": deleted,
                "completed_at": iso(job.completed_wall(self.store.clock())),
                "deleted_at": deleted,
            }
        return json_reply(body)

    def health(self) -> Reply:
        """``GET /health`` (no API key): the service's ``health.HealthStatus``."""
        reader = importlib.util.find_spec("pypdf") is not None
        check = {
            "status": "healthy" if reader else "degraded",
            "message": "PDF text reader (pypdf) available" if reader else "pypdf is missing",
            "response_time": "0ms",
        }
        body = {
            "status": check["status"],
            "service": "leapocr-emulator",
            "version": "2026",
            "timestamp": iso(time.time()),
            "checks": {"documents": check},
            "summary": {"healthy": int(reader), "degraded": int(not reader), "down": 0, "total": 1},
        }
        return json_reply(body)

    def models(self) -> Reply:
        models = [
            {
                "name": m.name,
                "display_name": m.display_name,
                "description": m.description,
                "credits_per_page": m.credits_per_page,
                "surcharge_per_page": m.surcharge_per_page,
                "priority": m.priority,
            }
            for m in self.store.model_list()
        ]
        return json_reply({"models": models, "count": len(models)})
