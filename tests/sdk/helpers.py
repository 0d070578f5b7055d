"""Building blocks for the SDK tests: job ids, response bodies of both wire shapes
(docs/wire.md), and scripted handlers for pytest-httpserver.

Bodies in the service's shape are checked against openapi.yaml as they are built, so the
fake server speaks the contract; bodies in the reference's shape are what the published
API reference shows.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug import Request, Response

from tests.openapi_checks import check_response_body

JOB = "123e4567-e89b-12d3-a456-426614174000"
JOB2 = "9f0c3a52-7d41-4b6e-8e2a-0c5d1f2e3a4b"

API = "/api/v1"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=headers or {}, content_type="application/json"
    )


def text_response(text: str, status: int, content_type: str = "text/html") -> Response:
    return Response(text, status=status, content_type=content_type)


def pdf_bytes(size: int) -> bytes:
    """``size`` bytes that the SDK reads as a PDF: the ``%PDF-`` marker, then random bytes."""
    head = b"%PDF-1.7\n"
    assert size >= len(head)
    return head + os.urandom(size - len(head))


# --- bodies in the service's shape (validated against openapi.yaml) -------------------


def service_status(
    status: str,
    *,
    job_id: str = JOB,
    processed: int | None = None,
    total: int | None = None,
    error_message: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"id": job_id, "status": status, "file_name": "invoice.pdf"}
    if processed is not None:
        body["processed_pages"] = processed
    if total is not None:
        body["total_pages"] = total
    if error_message is not None:
        body["error_message"] = error_message
    check_response_body("getJobStatus", 200, body)
    return body


def service_result_status(status: str, *, job_id: str = JOB, **fields: Any) -> dict[str, Any]:
    """The result endpoint's 202 body (models.OCRStatusResponse)."""
    body = {"job_id": job_id, "status": status, **fields}
    check_response_body("getJobResult", 202, body)
    return body


def service_result(
    results: Iterable[tuple[int, Any]],
    *,
    job_id: str = JOB,
    status: str = "completed",
    result_format: str = "markdown",
    page: int = 1,
    limit: int = 100,
    total: int | None = None,
    total_pages: int = 1,
    credits_used: int = 3,
    model: str = "standard-v1",
) -> dict[str, Any]:
    pages = [
        {"id": f"page-{number}", "page_number": number, "result": result}
        for number, result in results
    ]
    body = {
        "job_id": job_id,
        "status": status,
        "file_name": "invoice.pdf",
        "model": model,
        "result_format": result_format,
        "credits_used": credits_used,
        "processed_pages": len(pages),
        "total_pages": total if total is not None else len(pages),
        "pages": pages,
        "pagination": {
            "page": page,
            "limit": limit,
            "total": total if total is not None else len(pages),
            "total_pages": total_pages,
        },
    }
    check_response_body("getJobResult", 200, body)
    return body


def service_error(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """``{"code", "error": {"message"}, "details"}`` (response.ErrorResponse)."""
    body: dict[str, Any] = {"code": code, "error": {"message": message}}
    if details is not None:
        body["details"] = details
    check_response_body("getJobStatus", 400, body)
    return body


# --- bodies in the published reference's shape ----------------------------------------


def reference_status(status: str, progress: float, *, job_id: str = JOB) -> dict[str, Any]:
    return {"job_id": job_id, "status": status, "progress": progress}


def reference_result(
    pages: Iterable[tuple[int, str | None, dict[str, Any] | None]],
    *,
    data: dict[str, Any] | None = None,
    credits_used: int = 2,
    seconds: float = 12.5,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "credits_used": credits_used,
        "processing_time_seconds": seconds,
        "pages": [{"page_number": n, "text": text, "data": d} for n, text, d in pages],
    }
    if data is not None:
        body["data"] = data
    return body


def reference_error(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """``{"error": {"code", "message", "details"}}``."""
    return {"error": {"code": code, "message": message, "details": details}}


# --- scripted handlers ------------------------------------------------------------------


class Script:
    """A handler answering each request with the next scripted response (the last repeats).

    Each entry is a Response or a callable ``(request) -> Response``. Requests are recorded
    as they arrive (before the answer), so tests can count requests still being served.
    """

    def __init__(self, *responses: Response | Callable[[Request], Response]) -> None:
        assert responses
        self._responses = list(responses)
        self._lock = threading.Lock()
        self.requests: list[Request] = []

    @property
    def count(self) -> int:
        return len(self.requests)

    def __call__(self, request: Request) -> Response:
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
        entry = self._responses[min(index, len(self._responses) - 1)]
        return entry(request) if callable(entry) and not isinstance(entry, Response) else entry


def slow(seconds: float, response: Response) -> Callable[[Request], Response]:
    """A response sent after ``seconds`` (to outlast a client's timeout)."""

    def answer(_request: Request) -> Response:
        time.sleep(seconds)
        return response

    return answer


def api_log(server: Any, method: str | None = None, path: str | None = None) -> list[Request]:
    """The requests the server answered, optionally only one method and path."""
    return [
        request
        for request, _response in server.log
        if (method is None or request.method == method) and (path is None or request.path == path)
    ]


def wait_for_log(server: Any, count: int, timeout: float = 5.0) -> None:
    """Wait until ``count`` requests were answered (a slow handler may still be sleeping)."""
    deadline = time.monotonic() + timeout
    while len(server.log) < count:
        assert time.monotonic() < deadline, f"only {len(server.log)} of {count} requests answered"
        time.sleep(0.01)


# --- a direct-upload service: initiate, presigned part URLs on the same server, complete ---


def split(total: int, sizes: list[int]) -> list[tuple[int, int]]:
    """Inclusive (start_byte, end_byte) ranges of ``sizes``, which must add up to ``total``."""
    assert sum(sizes) == total, (sizes, total)
    ranges, start = [], 0
    for size in sizes:
        ranges.append((start, start + size - 1))
        start += size
    return ranges


def etag_for(body: bytes) -> str:
    """An S3-style ETag: the MD5 hex digest, quotes included."""
    return '"' + hashlib.md5(body).hexdigest() + '"'


@dataclass
class UploadState:
    """What the fake storage and API saw during one direct upload."""

    ranges: list[tuple[int, int]]
    puts: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    etags: dict[int, str] = field(default_factory=dict)
    attempts: dict[int, int] = field(default_factory=dict)
    finish_order: list[int] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    initiates: list[dict[str, Any]] = field(default_factory=list)
    completes: list[dict[str, Any]] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def bodies(self, part_number: int) -> list[bytes]:
        return [body for number, body, _headers in self.puts if number == part_number]


def serve_upload(
    server: Any,
    ranges: list[tuple[int, int]],
    *,
    delays: dict[int, float] | None = None,
    failures: dict[int, list[int]] | None = None,
    urls: dict[int, str] | None = None,
    without_etag: frozenset[int] = frozenset(),
    complete_answer: Response | None = None,
    gate: int | None = None,
    job_id: str = JOB,
) -> UploadState:
    """Serve a direct upload whose initiate answers ``ranges`` as parts.

    Part ``n`` answers ``failures[n][k]`` on its k-th attempt while the list lasts, then
    200 with an ETag; each PUT is held ``delays[n]`` seconds; ``urls[n]`` replaces part
    ``n``'s upload URL; parts in ``without_etag`` answer 200 without an ETag;
    ``complete_answer`` replaces complete's answer. Concurrency is measured here, on the
    server side. With ``gate``, each PUT is held until ``gate`` PUTs (or all the parts
    not yet finished, if fewer) are in flight, at most 3 s: a client that sends that many
    at once is then seen to, whatever the machine's load.
    """
    state = UploadState(ranges=ranges)
    delays = delays or {}
    failures = failures or {}

    def initiate(request: Request) -> Response:
        wire = json.loads(request.get_data())
        state.initiates.append(wire)
        assert wire["file_size"] == ranges[-1][1] + 1
        parts = [
            {
                "part_number": number,
                "start_byte": start,
                "end_byte": end,
                "upload_url": (urls or {}).get(number)
                or server.url_for(
                    f"/storage/{job_id}/part-{number}"
                    f"?uploadId=u-789&partNumber={number}&X-Amz-Signature=sig{number}"
                ),
            }
            for number, (start, end) in enumerate(ranges, start=1)
        ]
        ticket = {
            "job_id": job_id,
            "upload_id": "u-789",
            "upload_type": "multipart",
            "chunk_size": 5242880,
            "total_chunks": len(parts),
            "parts": list(reversed(parts)),  # in no particular order
            "complete_url": f"/api/v1/ocr/uploads/{job_id}/complete",
        }
        check_response_body("directUpload", 200, ticket)
        return json_response(ticket)

    def put(request: Request) -> Response:
        number = int(request.args["partNumber"])
        assert request.args["X-Amz-Signature"] == f"sig{number}"
        body = request.get_data()
        with state.lock:
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
            attempt = state.attempts.get(number, 0)
            state.attempts[number] = attempt + 1
            state.puts.append((number, body, dict(request.headers)))
            state.lock.notify_all()
            if gate is not None:
                state.lock.wait_for(
                    lambda: state.in_flight >= min(gate, len(ranges) - len(state.finish_order)),
                    timeout=3.0,
                )
        try:
            time.sleep(delays.get(number, 0.0))
            scripted = failures.get(number, [])
            if attempt < len(scripted):
                return Response("<Error><Code>InternalError</Code></Error>", scripted[attempt])
            if number in without_etag:
                return Response("", 200)
            etag = etag_for(body)
            state.etags[number] = etag
            return Response("", 200, headers={"ETag": etag})
        finally:
            with state.lock:
                state.in_flight -= 1
                state.finish_order.append(number)
                state.lock.notify_all()

    def complete(request: Request) -> Response:
        state.completes.append(json.loads(request.get_data()))
        if complete_answer is not None:
            return complete_answer
        return json_response({"job_id": job_id, "status": "pending", "message": "started"})

    def delete(request: Request) -> Response:
        state.deletes.append(request.path)
        return json_response({"id": job_id, "status": "pending", "deleted_at": "2025-01-01"})

    server.expect_request(f"{API}/ocr/uploads/direct", method="POST").respond_with_handler(initiate)
    server.expect_request(re.compile(r"^/storage/"), method="PUT").respond_with_handler(put)
    server.expect_request(
        f"{API}/ocr/uploads/{job_id}/complete", method="POST"
    ).respond_with_handler(complete)
    server.expect_request(f"{API}/ocr/delete/{job_id}", method="DELETE").respond_with_handler(
        delete
    )
    return state
