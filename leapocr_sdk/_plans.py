"""Every multi-step flow of the SDK, written once as a generator of steps.

``LeapOCR`` runs these with blocking I/O, ``AsyncLeapOCR`` with ``await``; nothing here
touches the network, a clock or a sleep directly, so each flow is tested without a server.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import assert_never
from urllib.parse import urlsplit

import attrs

from . import _constants as C
from . import _requests as requests
from ._parsing import (
    Reply,
    UploadPart,
    assemble_result,
    decode_object,
    error_from_reply,
    is_deleted,
    parse_health,
    parse_job,
    parse_models,
    parse_result_chunk,
    parse_status,
    parse_status_value,
    parse_upload_ticket,
    status_from_body,
)
from ._retry import backoff_delay, is_retryable_status, retry_delay
from ._sources import FileSource
from ._steps import Call, Parallel, Plan, PutPart, Sleep, UploadProgress
from ._validation import SubmitOptions, is_loopback_host
from .errors import (
    APIConnectionError,
    APIError,
    JobDeletedError,
    JobFailedError,
    JobNotReadyError,
    LeapOCRError,
    UploadError,
    WaitTimeoutError,
)
from .types import HealthStatus, Job, JobResult, JobStatus, JobStatusInfo, ModelInfo, PageResult

logger = logging.getLogger("leapocr_sdk")


@attrs.frozen
class Context:
    """What flows may consult: settings, a monotonic clock, the wall clock, randomness."""

    max_retries: int = C.DEFAULT_MAX_RETRIES
    upload_concurrency: int = C.DEFAULT_UPLOAD_CONCURRENCY
    allow_insecure_http: bool = False
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    rng: random.Random = attrs.field(factory=random.Random)


# --- one request, with retries -------------------------------------------------------


def send(ctx: Context, call: Call) -> Plan[Reply]:
    """Send ``call``, retrying 429/5xx and connection failures; return the last reply.

    A non-idempotent call (one that creates a job) is not retried once it may have
    reached the service (a read timeout, a connection dropped mid-answer).
    """
    attempt = 0
    while True:
        try:
            reply: Reply = yield call
        except APIConnectionError as exc:
            if exc.may_have_been_processed and not call.idempotent:
                raise type(exc)(
                    f"{exc}; not retried, because the request may have reached the service "
                    "and created a job: check before submitting again",
                    may_have_been_processed=True,
                ) from exc
            if attempt >= ctx.max_retries:
                raise
            delay = backoff_delay(attempt, ctx.rng)
            logger.debug("%s: %s; retry %d in %.2fs", call.name, exc, attempt + 1, delay)
        else:
            if not is_retryable_status(reply.status_code) or attempt >= ctx.max_retries:
                return reply
            delay = retry_delay(attempt, reply.headers, now=ctx.wall_clock(), rng=ctx.rng)
            logger.debug(
                "%s: HTTP %d; retry %d in %.2fs", call.name, reply.status_code, attempt + 1, delay
            )
        yield Sleep(delay)
        attempt += 1


def call_api(ctx: Context, call: Call) -> Plan[Reply]:
    """``send``, then raise the APIError subclass for any non-2xx reply."""
    reply = yield from send(ctx, call)
    if not 200 <= reply.status_code < 300:
        raise error_from_reply(reply)
    return reply


# --- submission ----------------------------------------------------------------------


def process_url(ctx: Context, url: str, file_name: str | None, options: SubmitOptions) -> Plan[Job]:
    reply = yield from call_api(ctx, requests.submit_url(url, file_name, options))
    return parse_job(reply)


def process_file(
    ctx: Context,
    source: FileSource,
    options: SubmitOptions,
    on_upload_progress: Callable[[int, int], object] | None,
) -> Plan[Job]:
    """Initiate a direct upload, PUT every part (several at once), then complete it.

    If a part cannot be uploaded, ``complete`` is not sent, the half-uploaded job is
    deleted (best effort) and UploadError says which part failed and why.
    """
    initiate = requests.initiate_upload(source.name, source.content_type, source.size, options)
    reply = yield from call_api(ctx, initiate)
    job_id = parse_job(reply).job_id
    try:
        ticket = parse_upload_ticket(reply, source.size)
        for part in ticket.parts:
            _check_upload_url(ctx, job_id, part)
    except LeapOCRError as exc:
        deleted = yield from discard_job(ctx, job_id)
        raise UploadError(
            f"cannot upload to job {job_id}: {exc}; {_fate(job_id, deleted)}",
            job_id=job_id,
            job_deleted=deleted,
        ) from exc

    progress = UploadProgress(source.size, on_upload_progress)
    uploads = tuple(upload_part(ctx, job_id, part, source, progress) for part in ticket.parts)
    try:
        etags: list[str] = yield Parallel(uploads, limit=ctx.upload_concurrency)
    except UploadError as exc:
        deleted = yield from discard_job(ctx, job_id)
        raise UploadError(
            f"{exc}; complete was not sent and {_fate(job_id, deleted)}",
            job_id=job_id,
            part_number=exc.part_number,
            status_code=exc.status_code,
            job_deleted=deleted,
        ) from exc

    numbered = [(part.part_number, etag) for part, etag in zip(ticket.parts, etags, strict=True)]
    try:
        reply = yield from call_api(ctx, requests.complete_upload(job_id, numbered))
    except APIConnectionError as exc:
        if exc.may_have_been_processed:
            exc.add_note(f"job {job_id} may have started: check it with get_status({job_id!r})")
            raise
        deleted = yield from discard_job(ctx, job_id)
        exc.add_note(f"the upload was not completed and {_fate(job_id, deleted)}")
        raise
    except APIError as exc:
        deleted = yield from discard_job(ctx, job_id)
        exc.add_note(f"the upload was not completed and {_fate(job_id, deleted)}")
        raise
    return _completed_job(reply, job_id)


def _completed_job(reply: Reply, job_id: str) -> Job:
    try:
        job = parse_job(reply)
    except LeapOCRError:  # complete answered 2xx: the job exists whatever the body says
        return Job(job_id=job_id, status=JobStatus.PENDING)
    return attrs.evolve(job, job_id=job_id)


def _fate(job_id: str, deleted: bool) -> str:
    if deleted:
        return f"job {job_id} was deleted"
    return f"job {job_id} could not be deleted: delete it with delete_job({job_id!r})"


def _check_upload_url(ctx: Context, job_id: str, part: UploadPart) -> None:
    parts = urlsplit(part.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UploadError(f"part {part.part_number} has no usable upload URL", job_id=job_id)
    if parts.scheme == "http" and not (ctx.allow_insecure_http or is_loopback_host(parts.hostname)):
        raise UploadError(
            f"part {part.part_number}'s upload URL is plain http to {parts.hostname}: refused "
            "(pass allow_insecure_http=True to allow it)",
            job_id=job_id,
            part_number=part.part_number,
        )


def upload_part(
    ctx: Context, job_id: str, part: UploadPart, source: FileSource, progress: UploadProgress
) -> Plan[str]:
    """PUT one part, retrying 429/5xx and connection failures; return its ETag as sent."""
    attempt = 0
    while True:
        status: int | None = None
        try:
            reply: Reply = yield PutPart(part, source, progress)
        except APIConnectionError as exc:
            reason = str(exc)
        else:
            status = reply.status_code
            if 200 <= status < 300:
                etag = reply.headers.get("etag")
                if not etag:
                    raise UploadError(
                        f"part {part.part_number} of job {job_id}: the upload URL returned no ETag",
                        job_id=job_id,
                        part_number=part.part_number,
                        status_code=status,
                    )
                return etag
            reason = f"HTTP {status}"
            if not is_retryable_status(status):
                hint = " (the URL may have expired: submit the file again)" if status == 403 else ""
                raise UploadError(
                    f"part {part.part_number} of job {job_id} was refused: {reason}{hint}",
                    job_id=job_id,
                    part_number=part.part_number,
                    status_code=status,
                )
        if attempt >= ctx.max_retries:
            raise UploadError(
                f"part {part.part_number} of job {job_id} failed after {attempt + 1} "
                f"attempts: {reason}",
                job_id=job_id,
                part_number=part.part_number,
                status_code=status,
            )
        progress.update(part.part_number, 0)
        delay = (
            retry_delay(attempt, reply.headers, now=ctx.wall_clock(), rng=ctx.rng)
            if status is not None
            else backoff_delay(attempt, ctx.rng)
        )
        logger.debug("part %d: %s; retry %d in %.2fs", part.part_number, reason, attempt + 1, delay)
        yield Sleep(delay)
        attempt += 1


def discard_job(ctx: Context, job_id: str) -> Plan[bool]:
    """Delete a job that cannot be completed; True when it is gone."""
    try:
        yield from call_api(ctx, requests.delete_job(job_id))
    except LeapOCRError as exc:
        logger.warning("could not delete half-uploaded job %s: %s", job_id, exc)
        return False
    return True


# --- status, result, waiting ---------------------------------------------------------


def get_status(ctx: Context, job_id: str) -> Plan[JobStatusInfo]:
    reply = yield from call_api(ctx, requests.get_status(job_id))
    return parse_status(reply, job_id)


def result_or_status(ctx: Context, job_id: str) -> Plan[JobResult | JobStatusInfo]:
    """The whole result (every page, in order) if the job is finished, else its status."""
    reply = yield from call_api(ctx, requests.get_result(job_id, 1, C.RESULT_PAGE_LIMIT))
    if reply.status_code == 202:
        body = decode_object(reply)
        if is_deleted(body):
            raise JobDeletedError(job_id)
        return status_from_body(body, job_id, reply)
    first = parse_result_chunk(reply)
    if is_deleted(first.body):
        raise JobDeletedError(job_id)
    status = parse_status_value(first.body.get("status") or JobStatus.COMPLETED.value, reply)
    if status not in (JobStatus.COMPLETED, JobStatus.PARTIALLY_DONE):
        return status_from_body(first.body, job_id, reply)
    pages: list[PageResult] = list(first.pages)
    for page in range(2, first.total_pages + 1):
        reply = yield from call_api(ctx, requests.get_result(job_id, page, C.RESULT_PAGE_LIMIT))
        if reply.status_code == 202:
            raise error_from_reply(reply)
        pages.extend(parse_result_chunk(reply).pages)
    return assemble_result(job_id, first, pages, reply)


def get_result(ctx: Context, job_id: str) -> Plan[JobResult]:
    outcome = yield from result_or_status(ctx, job_id)
    if isinstance(outcome, JobResult):
        return outcome
    if outcome.status is JobStatus.FAILED:
        raise JobFailedError(job_id, (yield from _failure_reason(ctx, outcome)))
    raise JobNotReadyError(job_id, outcome.status.value)


def _failure_reason(ctx: Context, info: JobStatusInfo) -> Plan[str | None]:
    if info.error_message:
        return info.error_message
    try:
        return (yield from get_status(ctx, info.job_id)).error_message
    except LeapOCRError:
        return None


def wait_until_done(
    ctx: Context,
    job_id: str,
    poll_interval: float,
    timeout: float,
    on_progress: Callable[[JobStatusInfo], object] | None,
    first_poll: float | None = None,
) -> Plan[JobResult]:
    """Poll until the job is finished, then return its whole result.

    Polls the result endpoint, which answers 202 with the status while the job runs and
    the result once it is done, so a finished job costs no extra request. The first poll
    waits until ``first_poll`` (a ``ctx.clock()`` time) when given; the interval then
    grows by ``POLL_GROWTH`` up to ``POLL_CAP_FACTOR`` x ``poll_interval``; every sleep
    is cut short so the wait never exceeds ``timeout``.
    """
    deadline = ctx.clock() + timeout
    if first_poll is not None and first_poll > ctx.clock():
        yield Sleep(min(first_poll, deadline) - ctx.clock())
    interval = poll_interval
    cap = poll_interval * C.POLL_CAP_FACTOR
    while True:
        outcome = yield from result_or_status(ctx, job_id)
        info = _as_status(outcome)
        if on_progress is not None:
            on_progress(info)
        if isinstance(outcome, JobResult):
            return outcome
        match info.status:
            case JobStatus.FAILED:
                raise JobFailedError(job_id, (yield from _failure_reason(ctx, info)))
            case JobStatus.PENDING | JobStatus.PROCESSING:
                pass
            case JobStatus.COMPLETED | JobStatus.PARTIALLY_DONE:
                pass  # finished but the result is not readable yet: poll again
            case _:
                assert_never(info.status)
        remaining = deadline - ctx.clock()
        if remaining <= 0:
            raise WaitTimeoutError(job_id, info, timeout)
        yield Sleep(min(interval, remaining))
        interval = min(interval * C.POLL_GROWTH, cap)


def _as_status(outcome: JobResult | JobStatusInfo) -> JobStatusInfo:
    if isinstance(outcome, JobStatusInfo):
        return outcome
    total = len(outcome.pages)
    return JobStatusInfo(
        job_id=outcome.job_id,
        status=outcome.status,
        progress=1.0,
        processed_pages=total,
        total_pages=total,
    )


# --- the rest ------------------------------------------------------------------------


def delete_job(ctx: Context, job_id: str) -> Plan[None]:
    yield from call_api(ctx, requests.delete_job(job_id))


def list_models(ctx: Context) -> Plan[list[ModelInfo]]:
    reply = yield from call_api(ctx, requests.list_models())
    return parse_models(reply)


def health(ctx: Context) -> Plan[HealthStatus]:
    """The service's health, asked once: a 503 with a health body is an answer, not an error
    to retry (a probe should say how the service is now)."""
    reply: Reply = yield requests.health()
    if reply.status_code not in (200, 503):
        raise error_from_reply(reply)
    return parse_health(reply)
