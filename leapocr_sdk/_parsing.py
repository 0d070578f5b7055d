"""Reading the API's replies. Pure: bytes, headers and status codes in, SDK types out.

Both wire shapes (docs/wire.md) are accepted: the service spec's (``id``, ``processed_pages``,
``pages[].result``, ``{"code", "error": {"message"}}``) and the published reference's
(``job_id``, ``progress``, ``pages[].text|data``, ``{"error": {"code", "message"}}``).
"""

from __future__ import annotations

import email.utils
import json
import math
import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

import httpx

from .errors import (
    APIError,
    NotFoundError,
    RateLimitError,
    UnexpectedResponseError,
    error_class_for,
)
from .types import (
    BoundingBox,
    BoxBounds,
    HealthStatus,
    Job,
    JobResult,
    JobStatus,
    JobStatusInfo,
    ModelInfo,
    PageDimensions,
    PageResult,
)


class Reply(NamedTuple):
    """An HTTP answer reduced to what parsing needs (never a live response).

    ``content`` has the API key redacted, unless ``scrub`` is set: then it is the body as
    sent (a successful result reply, whose pages are the caller's own data and too large
    to search on every read), and ``scrub`` redacts the key from any bytes of it before
    they reach an error, a log or anything but the result's pages (``redacted``).
    """

    status_code: int
    headers: Mapping[str, str]
    content: bytes
    scrub: Callable[[bytes], bytes] | None = None

    def __repr__(self) -> str:
        content = self.content if self.scrub is None else self.scrub(self.content)
        return (
            f"Reply(status_code={self.status_code!r}, headers={self.headers!r}, "
            f"content={content!r})"
        )


def redacted(reply: Reply) -> Reply:
    """``reply`` with the key redacted from its whole body (as it is when ``scrub`` is None)."""
    if reply.scrub is None:
        return reply
    return Reply(reply.status_code, reply.headers, reply.scrub(reply.content))


class UploadPart(NamedTuple):
    """One presigned part: bytes ``start``..``end`` (inclusive) go to ``url``."""

    part_number: int
    start: int
    end: int
    url: str

    @property
    def size(self) -> int:
        return self.end - self.start + 1


class UploadTicket(NamedTuple):
    """The answer to an upload initiation: the new job and where its parts go."""

    job_id: str
    parts: tuple[UploadPart, ...]


class ResultChunk(NamedTuple):
    """One response of the paginated result endpoint."""

    body: Mapping[str, Any]
    pages: tuple[PageResult, ...]
    total_pages: int  # pagination pages (1 when the response is not paginated)


def decode_json(reply: Reply) -> Any:
    """The reply's JSON body, or an UnexpectedResponseError naming what came instead."""
    try:
        return json.loads(reply.content)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        snippet = redacted(reply).content[:200].decode("utf-8", "replace")
        raise UnexpectedResponseError(
            f"expected a JSON body, got {snippet!r}",
            status_code=reply.status_code,
            request_id=request_id_of(reply.headers),
        ) from None


def decode_object(reply: Reply) -> Mapping[str, Any]:
    """The reply's body, which must be a JSON object."""
    body = decode_json(reply)
    if not isinstance(body, Mapping):
        raise _unexpected(reply, f"expected a JSON object, got {type(body).__name__}")
    return body


def _unexpected(reply: Reply, message: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(
        message, status_code=reply.status_code, request_id=request_id_of(reply.headers)
    )


_REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "cf-ray")
_REQUEST_ID_RAW = tuple(name.encode() for name in _REQUEST_ID_HEADERS)


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The service's id of the request an answer answers (the first of the usual
    headers that is set), or None."""
    if isinstance(headers, httpx.Headers):
        # One pass over the raw pairs (``Headers.get`` scans them all for each name):
        # the same value ``get`` gives, a repeated header's values joined by ", ".
        found = [
            (lowered, value)
            for name, value in headers.raw
            if (lowered := name.lower()) in _REQUEST_ID_RAW
        ]
        for wanted in _REQUEST_ID_RAW if found else ():
            values = [value.decode(headers.encoding) for name, value in found if name == wanted]
            if values and (joined := ", ".join(values)):
                return joined
        return None
    for name in _REQUEST_ID_HEADERS:
        value = _header(headers, name)
        if value:
            return value
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and not isinstance(headers, httpx.Headers):  # a plain dict: case-sensitive
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value


def error_from_reply(
    reply: Reply, not_found_hint: str | None = None, what_to_check: str | None = None
) -> APIError:
    """The APIError subclass for an error reply, reading either error-body shape.

    ``not_found_hint`` is added to a 404's message (the client's base URL looks wrong);
    ``what_to_check`` replaces a 404's usual advice (check the job id) for a request that
    names no job."""
    code: str | None = None
    message: str | None = None
    details: Any = None
    try:
        body = json.loads(reply.content) if reply.content else None
    except (ValueError, RecursionError):
        body = None
        text = reply.content[:300].decode("utf-8", "replace").strip()
        message = text or None
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            message = _str(error.get("message"))
            code = _str(error.get("code"))
            details = error.get("details")
        elif isinstance(error, str):
            message = error
        code = _str(body.get("code")) or code
        message = message or _str(body.get("message"))
        if details is None:
            details = body.get("details")
    cls = error_class_for(reply.status_code, code)
    message = message or f"the API answered {reply.status_code} with no error message"
    if cls is NotFoundError and not_found_hint:
        message = f"{message}; {not_found_hint}"
    request_id = request_id_of(reply.headers)
    if cls is RateLimitError:
        return RateLimitError(
            message,
            status_code=reply.status_code,
            code=code,
            details=details,
            request_id=request_id,
            retry_after=retry_after_seconds(reply.headers, now=None),
            limit=_int(_header(reply.headers, "x-ratelimit-limit")),
            remaining=_int(_header(reply.headers, "x-ratelimit-remaining")),
            reset=_float(_header(reply.headers, "x-ratelimit-reset")),
        )
    error = cls(
        message, status_code=reply.status_code, code=code, details=details, request_id=request_id
    )
    if cls is NotFoundError and what_to_check:
        error._hint = what_to_check
        error.args = (error._describe(),)
    return error


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None) -> float | None:
    """The server's suggested wait: ``Retry-After`` (seconds or HTTP date), else
    ``X-RateLimit-Reset`` (Unix time, or seconds when small). ``now`` is the wall clock;
    without it only relative values are read."""
    retry_after = _header(headers, "retry-after")
    if retry_after:
        seconds = _float(retry_after)
        if seconds is not None and math.isfinite(seconds):
            return max(seconds, 0.0)
        if now is not None:
            try:
                when = email.utils.parsedate_to_datetime(retry_after).timestamp()
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(when - now, 0.0)
    reset = _float(_header(headers, "x-ratelimit-reset"))
    if reset is not None and math.isfinite(reset):
        if reset < 1_000_000_000:  # a delay, not a timestamp
            return max(reset, 0.0)
        if now is not None:
            return max(reset - now, 0.0)
    return None


_STATUSES = {status.value: status for status in JobStatus}


def parse_status_value(raw: object, reply: Reply) -> JobStatus:
    if isinstance(raw, str):
        if (status := _STATUSES.get(raw)) is not None:  # as the service spells it
            return status
        try:
            return JobStatus(raw.strip().lower())
        except ValueError:
            pass
    raise _unexpected(
        reply,
        f"unknown job status {raw!r} (known: {', '.join(s.value for s in JobStatus)}); "
        "a newer leapocr-sdk may understand it",
    )


def parse_job(reply: Reply) -> Job:
    """A submission's answer: the new job's id and status."""
    body = decode_object(reply)
    job_id = _str(body.get("job_id")) or _str(body.get("id"))
    if not job_id:
        raise _unexpected(reply, "the submission's answer has no job_id")
    raw_status = body.get("status")
    status = JobStatus.PENDING if raw_status is None else parse_status_value(raw_status, reply)
    return Job(job_id=job_id, status=status, request_id=request_id_of(reply.headers))


def parse_upload_ticket(reply: Reply, file_size: int) -> UploadTicket:
    """An upload initiation's answer. Its parts must tile the file exactly."""
    body = decode_object(reply)
    job_id = _str(body.get("job_id"))
    if not job_id:
        raise _unexpected(reply, "the upload initiation's answer has no job_id")
    raw_parts = body.get("parts")
    if not isinstance(raw_parts, list) or not raw_parts:
        raise _unexpected(reply, f"upload initiation for job {job_id} returned no parts")
    whole_file = len(raw_parts) == 1  # a single part may leave out its byte range
    parts: list[UploadPart] = []
    for raw in raw_parts:
        if not isinstance(raw, Mapping):
            raise _unexpected(reply, "an upload part is not a JSON object")
        number, start, end = (_int(raw.get(k)) for k in ("part_number", "start_byte", "end_byte"))
        url = _str(raw.get("upload_url"))
        if number is None or url is None:
            raise _unexpected(reply, "an upload part lacks part_number or upload_url")
        if number < 1:
            raise _unexpected(reply, f"upload part number {number} is not a positive integer")
        if start is None and end is None and whole_file:
            start, end = 0, file_size - 1
        if start is None or end is None:
            raise _unexpected(reply, f"upload part {number} lacks start_byte or end_byte")
        parts.append(UploadPart(number, start, end, url))
    parts.sort(key=lambda part: part.part_number)
    expected = 0
    for part in parts:
        if part.start != expected or part.end < part.start:
            raise _unexpected(
                reply,
                f"upload part {part.part_number} covers bytes {part.start}..{part.end}, "
                f"expected it to start at byte {expected}",
            )
        expected = part.end + 1
    if expected != file_size or len({p.part_number for p in parts}) != len(parts):
        raise _unexpected(reply, f"upload parts cover {expected} bytes of a {file_size}-byte file")
    return UploadTicket(job_id=job_id, parts=tuple(parts))


def parse_status(reply: Reply, job_id: str) -> JobStatusInfo:
    """A status answer (status endpoint, or the result endpoint's 202)."""
    return status_from_body(decode_object(reply), job_id, reply)


def status_from_body(body: Mapping[str, Any], job_id: str, reply: Reply) -> JobStatusInfo:
    status = parse_status_value(body.get("status"), reply)
    processed = _int(body.get("processed_pages"))
    total = _int(body.get("total_pages"))
    progress = _float(body.get("progress"))
    if progress is None or not math.isfinite(progress):
        if status in (JobStatus.COMPLETED, JobStatus.PARTIALLY_DONE):
            progress = 1.0
        elif processed is not None and total:
            progress = processed / total
        else:
            progress = 0.0
    elif progress > 1.0 and progress <= 100.0:  # a percentage
        progress /= 100.0
    return JobStatusInfo(
        job_id=_str(body.get("id")) or _str(body.get("job_id")) or job_id,
        status=status,
        progress=min(max(progress, 0.0), 1.0),
        processed_pages=processed,
        total_pages=total,
        error_message=_str(body.get("error_message")) or _str(body.get("error")),
        file_name=_str(body.get("file_name")),
        result_format=_str(body.get("result_format")),
        template_name=_str(body.get("template_name")),
        processing_time_seconds=_processing_time(body),
        created_at=_time(body.get("created_at")),
        completed_at=_time(body.get("completed_at")),
        deleted_at=_time(body.get("deleted_at")),
        request_id=request_id_of(reply.headers),
    )


def is_deleted(body: Mapping[str, Any]) -> bool:
    """True when a status or result body describes a deleted (redacted) job."""
    return body.get("deleted_at") not in (None, "")


def parse_result_chunk(reply: Reply) -> ResultChunk:
    """One 200 answer of the result endpoint.

    Its pages are the caller's data, read as sent; everything else in the body (the job's
    fields, which may reach errors and logs) is read with the key redacted when the reply
    was not (``Reply.scrub``).
    """
    body = decode_object(reply)
    raw_pages = body.get("pages") or []
    sizes: dict[tuple[int, int], PageDimensions] = {}  # pages of one size share one
    try:
        if not isinstance(raw_pages, list):
            raise _unexpected(reply, "the result's pages are not a list")
        pages = tuple(
            _plain_page(raw, sizes) or _page(raw, index, reply)
            for index, raw in enumerate(raw_pages, 1)
        )
    except UnexpectedResponseError:
        body = raw_pages = {}  # the body as sent is no local of a traceback's frame
        raise
    if reply.scrub is not None:
        body = _scrubbed_fields(body, reply.scrub)
    pagination = body.get("pagination")
    total_pages = 1
    if isinstance(pagination, Mapping):
        total_pages = max(_int(pagination.get("total_pages")) or 1, 1)
    return ResultChunk(body=body, pages=pages, total_pages=total_pages)


def _scrubbed_fields(body: Mapping[str, Any], scrub: Callable[[bytes], bytes]) -> dict[str, Any]:
    """A result body's fields but its pages, with the key redacted (they are small)."""
    fields = {name: value for name, value in body.items() if name != "pages"}
    return json.loads(scrub(json.dumps(fields).encode()))  # type: ignore[no-any-return]


_PAGE_NUMBER = operator.attrgetter("page_number")  # a sort key without a Python call a page
_PLAIN_PAGE_FIELDS = frozenset(
    ("id", "page_number", "result", "confidence", "dimensions", "has_bounding_boxes")
)
_INF = math.inf


def _plain_page(raw: object, sizes: dict[tuple[int, int], PageDimensions]) -> PageResult | None:
    """The common page, read fast: a dict of the service spec's fields with their plain
    types (a positive ``page_number``, a string or object ``result``, a finite float
    ``confidence``, whole-number ``dimensions``, no boxes). None for anything else, which
    ``_page`` reads (liberally, or with a clear error). ``sizes`` holds the dimensions
    made so far, to share."""
    if type(raw) is not dict or not _PLAIN_PAGE_FIELDS.issuperset(raw):
        return None
    get = raw.get
    number = get("page_number")
    if type(number) is not int or not 0 < number < _INT_LIMIT:
        return None
    result = get("result")
    if type(result) is str:
        text, data = result, None
    elif type(result) is dict:
        text, data = None, dict(result)
    else:
        return None
    confidence = get("confidence")
    if confidence is not None and (type(confidence) is not float or not -_INF < confidence < _INF):
        return None  # NaN fails the comparison too; an integer goes the liberal way
    has_boxes = get("has_bounding_boxes")
    if has_boxes is not None and type(has_boxes) is not bool:
        return None
    dimensions = get("dimensions")
    if dimensions is not None:
        if type(dimensions) is not dict:
            return None
        width, height = dimensions.get("width"), dimensions.get("height")
        if type(width) is not int or type(height) is not int:
            return None
        dimensions = sizes.get((width, height))
        if dimensions is None:
            if not (-_INT_LIMIT <= width < _INT_LIMIT and -_INT_LIMIT <= height < _INT_LIMIT):
                return None
            dimensions = sizes[width, height] = PageDimensions(width=width, height=height)
    return PageResult(number, text, data, result, confidence, dimensions, None, has_boxes)


def _page(raw: object, index: int, reply: Reply) -> PageResult:
    if not isinstance(raw, Mapping):
        raise _unexpected(reply, "a result page is not a JSON object")
    number = _int(raw.get("page_number")) or index
    if "result" in raw:
        result = raw.get("result")
        text = result if isinstance(result, str) else _str(raw.get("text"))
        data = dict(result) if isinstance(result, Mapping) else _dict(raw.get("data"))
    else:
        text, data = _str(raw.get("text")), _dict(raw.get("data"))
        result = text if text is not None else raw.get("data")
    confidence = _float(raw.get("confidence"))
    has_boxes = raw.get("has_bounding_boxes")
    return PageResult(
        page_number=number,
        text=text,
        data=data,
        result=result,
        confidence=confidence if confidence is not None and math.isfinite(confidence) else None,
        dimensions=_dimensions(raw.get("dimensions")),
        bounding_boxes=_boxes(raw.get("bounding_boxes")),
        has_bounding_boxes=has_boxes if isinstance(has_boxes, bool) else None,
    )


def _dimensions(raw: object) -> PageDimensions | None:
    if not isinstance(raw, Mapping):
        return None
    width, height = _int(raw.get("width")), _int(raw.get("height"))
    if width is None or height is None:
        return None
    return PageDimensions(width=width, height=height)


def _boxes(raw: object) -> tuple[BoundingBox, ...] | None:
    if not isinstance(raw, list):
        return None
    boxes = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue  # liberal: a malformed block is skipped, the page still reads
        bounds = item.get("bounds")
        box_bounds = None
        if isinstance(bounds, Mapping):
            x, y, w, h = (_int(bounds.get(k)) for k in ("x", "y", "width", "height"))
            if x is not None and y is not None and w is not None and h is not None:
                box_bounds = BoxBounds(x=x, y=y, width=w, height=h)
        boxes.append(
            BoundingBox(
                bounds=box_bounds,
                text=_str(item.get("text")),
                type=_str(item.get("type")),
                metadata=item.get("metadata"),
            )
        )
    return tuple(boxes)


def assemble_result(
    job_id: str, first: ResultChunk, pages: list[PageResult], reply: Reply
) -> JobResult:
    """The whole result: the first answer's fields and every page in page order."""
    body = first.body
    status = parse_status_value(body.get("status") or "completed", reply)
    ordered = sorted({page.page_number: page for page in pages}.values(), key=_PAGE_NUMBER)
    data = _dict(body.get("data"))
    if data is None:
        data = next((page.data for page in ordered if page.data is not None), None)
    return JobResult(
        job_id=_str(body.get("job_id")) or _str(body.get("id")) or job_id,
        status=status,
        credits_used=_int(body.get("credits_used")),
        processing_time_seconds=_processing_time(body),
        model=_str(body.get("model")),
        result_format=_str(body.get("result_format")) or _str(body.get("format")),
        pages=tuple(ordered),
        data=data,
        file_name=_str(body.get("file_name")),
        template_name=_str(body.get("template_name")),
        total_pages=_int(body.get("total_pages")),
        created_at=_time(body.get("created_at")),
        completed_at=_time(body.get("completed_at")),
        request_id=request_id_of(reply.headers),
    )


def _processing_time(body: Mapping[str, Any]) -> float | None:
    seconds = _float(body.get("processing_time_seconds"))
    return seconds if seconds is not None else _float(body.get("processing_time"))


def _time(value: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 time as an aware datetime (UTC when the zone is missing)."""
    if value is None or not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())  # the usual forms, fast
    except ValueError:
        from dateutil.parser import isoparse  # the rest (24:00, ...): loaded on first use

        try:
            when = isoparse(value.strip())
        except (ValueError, OverflowError):
            return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def parse_health(reply: Reply) -> HealthStatus:
    """``GET /health``: 200 when healthy, 503 (same body) when a component is down."""
    body = decode_object(reply)
    status = _str(body.get("status")) or ("healthy" if reply.status_code == 200 else "unhealthy")
    checks = body.get("checks")
    return HealthStatus(
        status=status,
        healthy=reply.status_code == 200 and status.lower() in ("healthy", "ok", "up"),
        version=_str(body.get("version")),
        checks=dict(checks) if isinstance(checks, Mapping) else {},
        raw=dict(body),
    )


def parse_models(reply: Reply) -> list[ModelInfo]:
    """The models list: ``{"models": [...]}`` or a bare list."""
    body = decode_json(reply)
    raw_models = body.get("models") if isinstance(body, Mapping) else body
    if not isinstance(raw_models, list):
        raise _unexpected(reply, "the models answer has no list of models")
    models: list[ModelInfo] = []
    for raw in raw_models:
        if not isinstance(raw, Mapping) or not _str(raw.get("name")):
            raise _unexpected(reply, "a model entry has no name")
        name = str(raw["name"])
        models.append(
            ModelInfo(
                name=name,
                display_name=_str(raw.get("display_name")) or name,
                credits_per_page=_int(raw.get("credits_per_page")) or 0,
                description=_str(raw.get("description")) or "",
                surcharge_per_page=_int(raw.get("surcharge_per_page")) or 0,
            )
        )
    return models


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


_INT_LIMIT = 2**63  # a count beyond this is no count: unknown


def _int(value: object) -> int | None:
    """An integer field, or None when absent, malformed or out of any plausible range."""
    if type(value) is int:  # the usual: one test (a bool is not ``int`` itself)
        return value if -_INT_LIMIT <= value < _INT_LIMIT else None
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            return None
    return number if number is not None and -_INT_LIMIT <= number < _INT_LIMIT else None


def _float(value: object) -> float | None:
    """A number field, or None; a raw integer too large for a float is None, never an
    OverflowError."""
    if value is None or isinstance(value, bool):
        return None
    if type(value) is float:  # the usual: as it is
        return value
    try:
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
    except (ValueError, OverflowError):
        return None
    return None


def _dict(value: object) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, Mapping) else None
