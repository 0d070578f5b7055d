"""The faults matrix: each row a fault injected in the emulator and the outcome it must
have, for LeapOCR and AsyncLeapOCR alike.

An outcome is either *recovered* (the call returns the right data) or a *typed error*
naming what happened (for uploads: which part, and ``complete`` never sent for a
half-uploaded file; checked in the emulator's request log). Every client has a small
per-request timeout, every row asserts its own time bound, and the watchdog of
``conftest.py`` turns any hang into a failure. Delays the SDK asks for are recorded, not
slept (``make_client``), except in the rows that need real time to pass.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import (
    APIConnectionError,
    APITimeoutError,
    JobFailedError,
    JobStatus,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
    UploadError,
)
from leapocr_sdk._contract import MODEL_CATALOGUE
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.reliability.conftest import CLIENT_TIMEOUT, DocumentServer, free_port

PART_SIZE = 5_242_880  # the emulator's part size for files of 50 MiB and more
BIG_SIZE = 50 * 1024 * 1024 + 1  # 11 parts: ten of 5 MiB and one of a single byte
RETRIES = 2  # max_retries of the clients in the rows that exhaust retries


@dataclass
class Scene:
    """What a row works with: the emulator, a client factory, documents."""

    emu: LeapOCREmulator
    build: Callable[..., Any]
    docs: DocumentServer
    big_pdf: Path
    flavor: str

    def client(self, **kwargs: Any) -> Any:
        return self.build(**kwargs)

    def pdf(self, tag: str, pages: int = 2) -> tuple[bytes, list[str]]:
        texts = [f"{tag} page {n}\nTotal: {n * 10}.00 EUR" for n in range(1, pages + 1)]
        return make_pdf(texts), texts

    def finished(self, client: Any, tag: str = "doc") -> tuple[str, list[str]]:
        """A job the emulator has finished processing.

        Submitted by another client: a client delays its first poll of a job it has just
        submitted itself, and the row's sleeps must be its retries only.
        """
        data, texts = self.pdf(tag)
        job = self.client().process_file(data)
        self.emu.wait_for_job(job.job_id)
        client.sleeps.clear()  # the row's own retries are counted from here
        return job.job_id, texts

    def routes(self, route: str) -> list[Any]:
        return [r for r in self.emu.requests if r.route == route]


def texts_of(result: Any) -> list[str | None]:
    return [page.text for page in result.pages]


def message(exc: BaseException) -> str:
    """The error's message with its notes, as a traceback shows them."""
    return "\n".join([str(exc), *getattr(exc, "__notes__", [])])


def backoff_ok(sleeps: list[float], count: int) -> None:
    """``count`` exponential backoff delays with jitter (0.5 s, 1 s, 2 s ... less 25 %)."""
    assert len(sleeps) == count, sleeps
    for attempt, delay in enumerate(sleeps):
        base = min(0.5 * 2**attempt, 8.0)
        assert base * 0.75 <= delay <= base, (attempt, delay)


# --- rows -------------------------------------------------------------------------------

ROWS: dict[str, tuple[str, str, Callable[[Scene], None]]] = {}


def row(fault: str, outcome: str) -> Callable[[Callable[[Scene], None]], Callable[[Scene], None]]:
    def register(fn: Callable[[Scene], None]) -> Callable[[Scene], None]:
        ROWS[fn.__name__] = (fault, outcome, fn)
        return fn

    return register


# 5xx bursts on every API route: recovered after two retries.


@row("503 x2 on POST /ocr/uploads/url", "recovered: job created once, pages as sent")
def burst_submit_url(s: Scene) -> None:
    client = s.client()
    data, texts = s.pdf("url")
    url = s.docs.add("burst.pdf", data)
    s.emu.faults.fail("submit_url", 503, count=2)
    job = client.process_url(url)
    backoff_ok(client.sleeps, 2)
    assert [r.status for r in s.routes("submit_url")] == [503, 503, 200]
    assert len(s.emu.jobs) == 1
    s.emu.wait_for_job(job.job_id)
    assert texts_of(client.wait_until_done(job.job_id)) == texts


@row("502 x2 on POST /ocr/uploads/direct", "recovered: one job, bytes intact")
def burst_initiate(s: Scene) -> None:
    client = s.client()
    data, _ = s.pdf("initiate")
    s.emu.faults.fail("initiate", 502, count=2)
    job = client.process_file(data)
    backoff_ok(client.sleeps, 2)
    assert [r.status for r in s.routes("initiate")] == [502, 502, 200]
    assert list(s.emu.jobs) == [job.job_id]
    assert s.emu.wait_for_job(job.job_id).file_bytes == data


@row("500 x2 on POST /ocr/uploads/{id}/complete", "recovered: completed once")
def burst_complete(s: Scene) -> None:
    client = s.client()
    data, _ = s.pdf("complete")
    s.emu.faults.fail("complete", 500, count=2)
    job = client.process_file(data)
    backoff_ok(client.sleeps, 2)
    assert [r.status for r in s.routes("complete")] == [500, 500, 200]
    view = s.emu.wait_for_job(job.job_id)
    assert view.complete_calls == 1 and view.file_bytes == data


@row("503 x2 on GET /ocr/status/{id}", "recovered: the job's status")
def burst_status(s: Scene) -> None:
    client = s.client()
    job_id, _ = s.finished(client)
    s.emu.faults.fail("status", 503, count=2)
    info = client.get_status(job_id)
    assert (info.job_id, info.status, info.progress) == (job_id, JobStatus.COMPLETED, 1.0)
    backoff_ok(client.sleeps, 2)


@row("504 x2 on GET /ocr/result/{id}", "recovered: every page")
def burst_result(s: Scene) -> None:
    client = s.client()
    job_id, texts = s.finished(client)
    s.emu.faults.fail("result", 504, count=2)
    assert texts_of(client.wait_until_done(job_id)) == texts
    backoff_ok(client.sleeps, 2)


@row("503 x2 on DELETE /ocr/delete/{id}", "recovered: the job is deleted")
def burst_delete(s: Scene) -> None:
    client = s.client()
    job_id, _ = s.finished(client)
    s.emu.faults.fail("delete", 503, count=2)
    assert client.delete_job(job_id) is None
    backoff_ok(client.sleeps, 2)
    assert s.emu.get_job(job_id).deleted_at is not None


@row("500 x2 on GET /ocr/models", "recovered: the model list")
def burst_models(s: Scene) -> None:
    client = s.client()
    s.emu.faults.fail("models", 500, count=2)
    names = [m.name for m in client.list_models()]
    assert names == [spec.name for spec in MODEL_CATALOGUE]
    backoff_ok(client.sleeps, 2)


@row("503 on GET /ocr/status/{id} more times than max_retries", "ServerError 503, no more tries")
def burst_status_exhausted(s: Scene) -> None:
    client = s.client(max_retries=RETRIES)
    job_id, _ = s.finished(client)
    s.emu.faults.fail("status", 503, count=RETRIES + 5)
    with pytest.raises(ServerError) as caught:
        client.get_status(job_id)
    assert caught.value.status_code == 503
    assert "HTTP 503" in str(caught.value) and "Injected failure" in str(caught.value)
    assert len(s.routes("status")) == RETRIES + 1


@row(
    "500 on complete more times than max_retries",
    "ServerError; the half-done job is deleted; complete never accepted",
)
def burst_complete_exhausted(s: Scene) -> None:
    client = s.client(max_retries=RETRIES)
    data, _ = s.pdf("complete-exhausted")
    s.emu.faults.fail("complete", 500, count=RETRIES + 1)
    with pytest.raises(ServerError) as caught:
        client.process_file(data)
    assert "the upload was not completed and job" in message(caught.value)
    assert [r.status for r in s.routes("complete")] == [500] * (RETRIES + 1)
    (job,) = s.emu.jobs.values()
    assert job.complete_calls == 0 and job.deleted_at is not None


# 429: the server's wait is honoured.


@row("429 with Retry-After: 3 on GET /ocr/status/{id}", "recovered after sleeping exactly 3 s")
def rate_limited_retry_after(s: Scene) -> None:
    client = s.client()
    job_id, _ = s.finished(client)
    s.emu.faults.fail("status", 429, headers={"Retry-After": "3"})
    assert client.get_status(job_id).status is JobStatus.COMPLETED
    assert client.sleeps == [3.0]


@row("429 with only X-RateLimit-Reset (now + 5 s)", "recovered after sleeping until the reset")
def rate_limited_reset_only(s: Scene) -> None:
    client = s.client()
    job_id, texts = s.finished(client)
    reset = int(time.time()) + 5
    headers = {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0",
               "X-RateLimit-Reset": str(reset)}  # fmt: skip
    s.emu.faults.fail("result", 429, headers=headers)
    assert texts_of(client.wait_until_done(job_id)) == texts
    (slept,) = client.sleeps
    assert 3.5 <= slept <= 5.0


@row("429 with Retry-After more times than max_retries", "RateLimitError with retry_after, limits")
def rate_limited_exhausted(s: Scene) -> None:
    client = s.client(max_retries=RETRIES)
    headers = {"Retry-After": "7", "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0"}
    s.emu.faults.fail("models", 429, count=RETRIES + 1, headers=headers)
    with pytest.raises(RateLimitError) as caught:
        client.list_models()
    error = caught.value
    assert (error.retry_after, error.limit, error.remaining) == (7.0, 10, 0)
    assert client.sleeps == [7.0] * RETRIES


@row("the emulator's own rate limiter (2 requests/s)", "paced: 3 calls pass, none refused")
def rate_limiter_real(s: Scene) -> None:
    emu = s.emu
    emu.stop()
    limited = LeapOCREmulator(api_key=emu.api_key, rate_limit=2, rate_window=1.0).start()
    try:
        client = s.client(base_url=limited.base_url, real_sleep=True, max_retries=4)
        started = time.monotonic()
        for _ in range(3):
            assert len(client.list_models()) == len(MODEL_CATALOGUE)
        statuses = [r.status for r in limited.requests]
        assert statuses == [200, 200, 200]  # the third waited for the reset the headers named
        assert time.monotonic() - started < 8
    finally:
        limited.stop()


# Uploads.


@row("connection dropped half-way through the PUT of the only part", "recovered: bytes intact")
def drop_mid_put(s: Scene) -> None:
    client = s.client()
    data, texts = s.pdf("drop")
    s.emu.faults.drop("upload_part")
    job = client.process_file(data)
    puts = s.routes("upload_part")
    assert [r.status for r in puts] == [None, 200]
    assert 0 < puts[0].body_size < len(data)  # the connection broke mid-body
    assert len(client.sleeps) == 1
    view = s.emu.wait_for_job(job.job_id)
    assert view.file_bytes == data and view.page_texts == tuple(texts)


@row(
    "connection dropped mid-PUT on every attempt",
    "UploadError naming part 1; complete not sent; job deleted",
)
def drop_mid_put_exhausted(s: Scene) -> None:
    client = s.client(max_retries=RETRIES)
    data, _ = s.pdf("drop-all")
    s.emu.faults.drop("upload_part", count=RETRIES + 1)
    with pytest.raises(UploadError) as caught:
        client.process_file(data)
    error = caught.value
    assert error.part_number == 1 and error.job_deleted
    assert re.search(
        rf"part 1 of job {error.job_id} failed after {RETRIES + 1} attempts", str(error)
    )
    assert "complete was not sent" in str(error)
    assert s.emu.count("complete") == 0
    assert error.job_id is not None and s.emu.get_job(error.job_id).deleted_at is not None


def _when_part_starts(part: int, action: Callable[[], None]) -> Callable[[int, int], None]:
    """An on_upload_progress callback running ``action`` once, as part ``part`` starts.

    With ``upload_concurrency=1`` the parts go one after the other, so a fault queued
    when part N's first bytes are read reaches part N and no other.
    """
    done = threading.Event()

    def progress(sent: int, total: int) -> None:
        if sent > (part - 1) * PART_SIZE and not done.is_set():
            done.set()
            action()

    return progress


@row("part 3 of 11: its upload URL answers 500 twice, then 200", "recovered: all 11 parts")
def part_500_twice(s: Scene) -> None:
    client = s.client(upload_concurrency=1)
    callback = _when_part_starts(3, lambda: s.emu.faults.fail("upload_part", 500, count=2))
    job = client.process_file(s.big_pdf, on_upload_progress=callback)
    parts = [(r.path.rsplit("/", 1)[1], r.status) for r in s.routes("upload_part")]
    assert parts[2:5] == [("3", 500), ("3", 500), ("3", 200)]
    assert sorted({p for p, status in parts if status == 200}, key=int) == [
        str(n) for n in range(1, 12)
    ]
    backoff_ok(client.sleeps, 2)
    (complete,) = s.routes("complete")
    assert complete.status == 200
    assert s.emu.wait_for_job(job.job_id).file_bytes == s.big_pdf.read_bytes()


@row(
    "part 3 of 11: 500 more times than max_retries",
    "UploadError naming part 3 and HTTP 500; parts 4-11 never sent; no complete",
)
def part_500_exhausted(s: Scene) -> None:
    client = s.client(upload_concurrency=1, max_retries=RETRIES)
    fault = lambda: s.emu.faults.fail("upload_part", 500, count=RETRIES + 1)  # noqa: E731
    with pytest.raises(UploadError) as caught:
        client.process_file(s.big_pdf, on_upload_progress=_when_part_starts(3, fault))
    error = caught.value
    assert (error.part_number, error.status_code) == (3, 500)
    assert f"part 3 of job {error.job_id} failed after {RETRIES + 1} attempts: HTTP 500" in str(
        error
    )
    assert [r.path.rsplit("/", 1)[1] for r in s.routes("upload_part")] == ["1", "2"] + ["3"] * (
        RETRIES + 1
    )
    assert s.emu.count("complete") == 0
    assert error.job_deleted and error.job_id is not None
    assert s.emu.get_job(error.job_id).deleted_at is not None


@row(
    "expired upload URL (403 AccessDenied) on the only part",
    "UploadError: part 1, 403, 'expired: submit the file again'; not retried; no complete",
)
def expired_url(s: Scene) -> None:
    client = s.client()
    data, _ = s.pdf("expired")
    s.emu.faults.issue_expired_urls = True
    with pytest.raises(UploadError) as caught:
        client.process_file(data)
    error = caught.value
    assert (error.part_number, error.status_code) == (1, 403)
    assert "the URL may have expired: submit the file again" in str(error)
    assert [r.status for r in s.routes("upload_part")] == [403]
    assert client.sleeps == [] and s.emu.count("complete") == 0
    assert error.job_deleted


@row("upload URLs expire while part 3 of 11 is being sent", "UploadError naming part 3, 403")
def expired_mid_upload(s: Scene) -> None:
    client = s.client(upload_concurrency=1)
    callback = _when_part_starts(3, s.emu.faults.expire_upload_urls)
    with pytest.raises(UploadError) as caught:
        client.process_file(s.big_pdf, on_upload_progress=callback)
    assert (caught.value.part_number, caught.value.status_code) == (3, 403)
    assert [r.status for r in s.routes("upload_part")] == [200, 200, 403]
    assert s.emu.count("complete") == 0


@row("one PUT of an 11-part upload dropped mid-body (4 parts at once)", "recovered: bytes intact")
def drop_one_of_many(s: Scene) -> None:
    client = s.client()
    s.emu.faults.drop("upload_part")
    job = client.process_file(s.big_pdf)
    statuses = [r.status for r in s.routes("upload_part")]
    assert statuses.count(None) == 1 and statuses.count(200) == 11
    (complete,) = s.routes("complete")
    assert complete.status == 200
    assert s.emu.wait_for_job(job.job_id).file_bytes == s.big_pdf.read_bytes()


@row("slow PUT (3 s) past the read timeout (0.5 s)", "recovered: the part is sent again")
def slow_put(s: Scene) -> None:
    client = s.client(timeout=0.5)
    data, texts = s.pdf("slow-put")
    s.emu.faults.slow("upload_part", 3.0)
    started = time.monotonic()
    job = client.process_file(data)
    assert time.monotonic() - started < 0.5 + 1.5
    assert len(client.sleeps) == 1
    assert s.emu.wait_for_job(job.job_id).page_texts == tuple(texts)


# Slow server, timeouts.


@row("GET status slower (3 s) than the read timeout (0.5 s), once", "recovered on the retry")
def slow_status_once(s: Scene) -> None:
    client = s.client(timeout=0.5)
    job_id, _ = s.finished(client)
    s.emu.faults.slow("status", 3.0)
    started = time.monotonic()
    assert client.get_status(job_id).status is JobStatus.COMPLETED
    assert time.monotonic() - started < 0.5 + 1.0
    backoff_ok(client.sleeps, 1)


@row("GET status slower than the read timeout on every try", "APITimeoutError, bounded in time")
def slow_status_always(s: Scene) -> None:
    client = s.client(timeout=0.5, max_retries=1)
    job_id, _ = s.finished(client)
    s.emu.faults.slow("status", 3.0, count=2)
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as caught:
        client.get_status(job_id)
    assert time.monotonic() - started < 2 * 0.5 + 1.5
    assert "no answer in time" in str(caught.value)
    assert len(client.sleeps) == 1


@row(
    "POST /ocr/uploads/url slower than the read timeout",
    "APITimeoutError, not retried (a job may exist): says to check before resubmitting",
)
def slow_submit(s: Scene) -> None:
    client = s.client(timeout=0.5)
    url = s.docs.add("slow.pdf", s.pdf("slow")[0])
    s.emu.faults.slow("submit_url", 0.8)
    with pytest.raises(APITimeoutError) as caught:
        client.process_url(url)
    assert caught.value.may_have_been_processed
    assert "check before submitting again" in message(caught.value)
    assert client.sleeps == []
    deadline = time.monotonic() + 5
    while s.emu.count("submit_url") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert s.emu.count("submit_url") == 1  # the job was created once, never twice


@row("connection dropped after POST /ocr/uploads/url was handled", "APIConnectionError, no retry")
def drop_after_submit(s: Scene) -> None:
    client = s.client()
    url = s.docs.add("dropped.pdf", s.pdf("dropped")[0])
    s.emu.faults.drop("submit_url", after_handling=True)
    with pytest.raises(APIConnectionError) as caught:
        client.process_url(url)
    assert caught.value.may_have_been_processed
    assert "not retried" in message(caught.value)
    assert s.emu.count("submit_url") == 1 and len(s.emu.jobs) == 1


@row("connection dropped on GET status", "recovered on the retry")
def drop_status(s: Scene) -> None:
    client = s.client()
    job_id, _ = s.finished(client)
    s.emu.faults.drop("status")
    assert client.get_status(job_id).job_id == job_id
    assert len(client.sleeps) == 1


# Bodies the SDK cannot read.


@row("200 with an HTML page on GET status", "UnexpectedResponseError quoting the body; no retry")
def non_json_status(s: Scene) -> None:
    client = s.client()
    job_id, _ = s.finished(client)
    s.emu.faults.malformed("status", kind="non_json")
    with pytest.raises(UnexpectedResponseError) as caught:
        client.get_status(job_id)
    assert "expected a JSON body, got '<html><body><h1>502 Bad Gateway" in str(caught.value)
    assert s.emu.count("status") == 1


@row("200 with truncated JSON on GET result while waiting", "UnexpectedResponseError")
def truncated_result(s: Scene) -> None:
    client = s.client()
    job_id, _ = s.finished(client)
    s.emu.faults.malformed("result", kind="truncated")
    with pytest.raises(UnexpectedResponseError, match="expected a JSON body"):
        client.wait_until_done(job_id)


@row("200 with an HTML page on upload initiation", "UnexpectedResponseError; no PUT, no complete")
def non_json_initiate(s: Scene) -> None:
    client = s.client()
    s.emu.faults.malformed("initiate", kind="non_json")
    with pytest.raises(UnexpectedResponseError, match="expected a JSON body"):
        client.process_file(s.pdf("garbled")[0])
    assert s.emu.count("upload_part") == 0 and s.emu.count("complete") == 0


@row("200 with truncated JSON on complete", "recovered: the job (complete answered 2xx)")
def truncated_complete(s: Scene) -> None:
    client = s.client()
    data, texts = s.pdf("truncated-complete")
    s.emu.faults.malformed("complete", kind="truncated")
    job = client.process_file(data)
    assert job.job_id in s.emu.jobs
    assert s.emu.wait_for_job(job.job_id).page_texts == tuple(texts)


@row("200 with an HTML page on GET models", "UnexpectedResponseError")
def non_json_models(s: Scene) -> None:
    client = s.client()
    s.emu.faults.malformed("models", kind="non_json")
    with pytest.raises(UnexpectedResponseError, match="expected a JSON body"):
        client.list_models()


# Job states.


@row("an unknown job status ('paused')", "UnexpectedResponseError naming it, at once (no hang)")
def unknown_status(s: Scene) -> None:
    client = s.client()
    job_id, _ = s.finished(client)
    s.emu.faults.override_status(job_id, "paused")
    with pytest.raises(UnexpectedResponseError, match="unknown job status 'paused'"):
        client.get_status(job_id)
    with pytest.raises(UnexpectedResponseError, match="a newer leapocr-sdk may understand it"):
        client.wait_until_done(job_id, timeout=5.0)
    assert client.sleeps == []


@row("a job that fails (a broken PDF)", "JobFailedError with the service's reason")
def failed_job(s: Scene) -> None:
    client = s.client()
    job = client.process_file(b"%PDF-1.7 %%EOF, broken inside", file_name="broken.pdf")
    with pytest.raises(JobFailedError) as caught:
        client.wait_until_done(job.job_id, poll_interval=0.05, timeout=10.0)
    assert caught.value.job_id == job.job_id
    reason = caught.value.error_message
    assert reason is not None and reason.startswith("The PDF could not be read")
    assert f"job {job.job_id} failed: {reason}" == str(caught.value)


@row("a URL job whose document is missing (404)", "JobFailedError: 'Failed to download ... 404'")
def failed_url_job(s: Scene) -> None:
    client = s.client()
    job = client.process_url(s.docs.origin + "/missing.pdf")
    with pytest.raises(JobFailedError, match=r"Failed to download the document: HTTP 404"):
        client.wait_until_done(job.job_id, poll_interval=0.05, timeout=10.0)


@row(
    "the emulator stopped during polling and restarted on the same port",
    "recovered: the wait goes on through the outage and returns every page",
)
def restart_during_polling(s: Scene) -> None:
    s.emu.stop()
    port = free_port()
    emu = LeapOCREmulator(api_key=s.emu.api_key, port=port, processing_seconds=0.6).start()
    outage: list[float] = []
    try:

        def on_progress(info: Any) -> None:
            if not outage:  # first poll: the job is still running; take the service down
                outage.append(time.monotonic())
                sleeps.clear()  # count the sleeps of the outage only
                emu.stop()

        sleeps: list[float] = []

        def sleeper(seconds: float) -> None:
            sleeps.append(seconds)
            if outage and len(outage) == 1 and len(sleeps) >= 2:
                outage.append(time.monotonic())  # a poll has failed meanwhile: back up
                emu.start()
            time.sleep(min(seconds, 0.05))

        async def async_sleeper(seconds: float) -> None:
            sleeper(seconds)

        client = s.client(
            base_url=emu.base_url,
            sleep=sleeper if s.flavor == "sync" else async_sleeper,
            max_retries=3,
        )
        data, texts = s.pdf("restart", pages=3)
        job = client.process_file(data)
        deadline = time.monotonic() + 5  # the document is read before the outage
        while emu.get_job(job.job_id).page_texts is None and time.monotonic() < deadline:
            time.sleep(0.01)
        result = client.wait_until_done(
            job.job_id, poll_interval=0.05, timeout=20.0, on_progress=on_progress
        )
        assert texts_of(result) == texts
        assert emu.port == port and len(outage) == 2
        assert any(delay >= 0.375 for delay in sleeps)  # a retry after a failed poll
    finally:
        emu.stop()


# --- the test -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "eleven-parts.pdf"
    path.write_bytes(make_pdf(["a large document"], pad_to=BIG_SIZE))
    return path


@pytest.mark.deadline(45)
@pytest.mark.parametrize("name", list(ROWS))
def test_fault(
    name: str,
    emulator: LeapOCREmulator,
    make_client: Callable[..., Any],
    doc_server: DocumentServer,
    big_pdf: Path,
    flavor: str,
) -> None:
    base_url = emulator.base_url

    def build(**kwargs: Any) -> Any:
        kwargs.setdefault("base_url", base_url)
        kwargs.setdefault("timeout", CLIENT_TIMEOUT)
        return make_client(**kwargs)

    scene = Scene(emulator, build, doc_server, big_pdf, flavor)
    started = time.monotonic()
    ROWS[name][2](scene)
    assert time.monotonic() - started < 30
    assert emulator.key_leaks == 0


def test_matrix_is_documented() -> None:
    """Every row states its fault and its outcome (the README's table is built from these)."""
    assert len(ROWS) >= 30
    for fault, outcome, _fn in ROWS.values():
        assert fault and outcome


if __name__ == "__main__":  # print the matrix as a markdown table
    print("| fault | outcome |\n|---|---|")
    for fault, outcome, _fn in ROWS.values():
        print(f"| {fault} | {outcome} |")
