"""Every multi-step flow of the SDK, written once as a generator of steps.

``LeapOCR`` runs these with blocking I/O, ``AsyncLeapOCR`` with ``await``; nothing here
touches the network, a clock or a sleep directly, so each flow is tested without a server.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NoReturn, TypeVar, assert_never
from urllib.parse import urlsplit

import attrs

from . import _constants as C
from . import _requests as requests
from ._operations import COMPLETE, INITIATE, MODELS, SUBMIT_URL
from ._parsing import (
    Reply,
    ResultChunk,
    UploadPart,
    assemble_result,
    decode_json,
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
    request_id_of,
    status_from_body,
)
from ._polling import PollSchedule
from ._retry import cut_by_deadline, is_retryable_status, next_delay
from ._sources import FileSource
from ._steps import (
    AWAIT_SLOT,
    Call,
    Driver,
    Emit,
    Flow,
    NextInOrder,
    Notify,
    Parallel,
    PutPart,
    Sleep,
    StopStream,
    Stream,
    UploadProgress,
)
from ._validation import SubmitOptions, check_job_id, is_loopback_host
from .errors import (
    APIConnectionError,
    APIError,
    JobDeletedError,
    JobFailedError,
    JobNotReadyError,
    LeapOCRError,
    NotFoundError,
    ResponseTooLargeError,
    UnexpectedResponseError,
    UploadError,
    ValidationError,
    WaitTimeoutError,
)
from .types import HealthStatus, Job, JobResult, JobStatus, JobStatusInfo, ModelInfo, PageResult

T = TypeVar("T")
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
    # Added to a 404's message when the base URL looks wrong (no /api/v1): see base_url_hint.
    not_found_hint: str | None = None


# --- one request, with retries -------------------------------------------------------


class OutOfTime(Exception):
    """A retry was not made because its wait would pass the operation's deadline.

    ``error`` is the last failure (the last reply's APIError, or the connection error).
    Only flows given a ``deadline`` see it; each turns it into its own typed error.
    """

    def __init__(self, error: LeapOCRError) -> None:
        super().__init__(error)
        self.error = error


def _delay(ctx: Context, attempt: int, reply: Reply | None, deadline: float | None) -> float | None:
    return next_delay(
        attempt,
        reply,
        deadline,
        max_retries=ctx.max_retries,
        now=ctx.clock(),
        wall_now=ctx.wall_clock(),
        rng=ctx.rng,
    )


def send(ctx: Context, call: Call, deadline: float | None = None) -> Flow[Reply]:
    """Send ``call``, retrying 429/5xx and connection failures; return the last reply.

    A non-idempotent call (one that creates a job) is not retried once it may have
    reached the service (a read timeout, a connection dropped mid-answer). With a
    ``deadline`` (a ``ctx.clock()`` time), each request is bounded by the time left (at
    least ``DEADLINE_GRACE``) and a retry whose wait would pass it raises ``OutOfTime``.
    """
    attempt = 0
    while True:
        if deadline is not None:
            call = call._replace(timeout=max(deadline - ctx.clock(), C.DEADLINE_GRACE))
        failure: APIConnectionError | None = None
        try:
            reply: Reply | None = yield call._replace(attempt=attempt) if attempt else call
        except APIConnectionError as exc:
            if exc.may_have_been_processed and not call.idempotent:
                raise type(exc)(
                    f"{exc}; not retried, because the request may have reached the service "
                    "and created a job: check before submitting again",
                    may_have_been_processed=True,
                ) from exc
            reply, failure = None, exc
        else:
            assert reply is not None
            if reply.status_code < 300:  # an answer: nothing to retry, whatever the deadline
                return reply
        delay = _delay(ctx, attempt, reply, deadline)
        if delay is None:
            last: LeapOCRError | None = failure if reply is None else None
            if reply is not None and deadline is not None:
                failed = reply.status_code >= 300
                last = error_from_reply(reply, ctx.not_found_hint) if failed else None
            if (
                deadline is not None
                and last is not None
                and cut_by_deadline(
                    attempt, reply, max_retries=ctx.max_retries, past=ctx.clock() >= deadline
                )
            ):
                raise OutOfTime(last)
            if failure is not None:
                raise failure
            assert reply is not None
            return reply
        if logger.isEnabledFor(logging.INFO):  # no string built when logging is off
            what = str(failure) if reply is None else _status_text(reply)
            logger.info(
                "%s %s: %s; retry %d of %d in %.2fs",
                call.method,
                call.path,
                what,
                attempt + 1,
                ctx.max_retries,
                delay,
            )
        yield Sleep(delay)
        attempt += 1


# What a 404 means for a request that names no job (others: check the job id).
_WRONG_ADDRESS = f"the base URL does not lead to the API: check {C.BASE_URL_ENV} or base_url="
_NOT_FOUND_ADVICE = {
    SUBMIT_URL.name: _WRONG_ADDRESS,
    INITIATE.name: _WRONG_ADDRESS,
    MODELS.name: _WRONG_ADDRESS,
    COMPLETE.name: "the upload's job is gone (expired or deleted): submit the file again",
    "request": "check the path: it is relative to the base URL, e.g. /ocr/status/<job id>",
}


def _status_text(reply: Reply) -> str:
    if reply.status_code == 429:
        return "HTTP 429 (rate limited: backing off)"
    return f"HTTP {reply.status_code}"


def call_api(ctx: Context, call: Call, deadline: float | None = None) -> Flow[Reply]:
    """``send``, then raise the APIError subclass for any non-2xx reply."""
    reply = yield from send(ctx, call, deadline)
    if not 200 <= reply.status_code < 300:
        raise error_from_reply(reply, ctx.not_found_hint, _NOT_FOUND_ADVICE.get(call.name))
    return reply


def service_job_id(job_id: str, reply: Reply) -> str:
    """A job id from the service, used only if it is safe as one URL path segment."""
    try:
        return check_job_id(job_id)
    except ValidationError:
        raise UnexpectedResponseError(
            f"the service returned the job id {job_id[:200]!r}, which is not safe to use in a "
            "URL (letters, digits, '-' and '_' only): refused",
            status_code=reply.status_code,
        ) from None


# --- submission ----------------------------------------------------------------------


def process_url(ctx: Context, url: str, file_name: str | None, options: SubmitOptions) -> Flow[Job]:
    reply = yield from call_api(ctx, requests.submit_url(url, file_name, options))
    job = parse_job(reply)
    service_job_id(job.job_id, reply)
    logger.info("job %s submitted: the document at %s", job.job_id, urlsplit(url).hostname)
    return job


def process_file(
    ctx: Context,
    source: FileSource,
    options: SubmitOptions,
    on_upload_progress: Callable[[int, int], object] | None,
) -> Flow[Job]:
    """Initiate a direct upload, PUT every part (several at once), then complete it.

    If a part cannot be uploaded, ``complete`` is not sent, the half-uploaded job is
    deleted (best effort) and UploadError says which part failed and why. An interrupt
    (Ctrl-C, a cancelled task) or a raising ``on_upload_progress`` deletes the job too
    (one bounded attempt), then is re-raised with the job's fate in a note.
    """
    initiate = requests.initiate_upload(source.name, source.content_type, source.size, options)
    reply = yield from call_api(ctx, initiate)
    job_id = service_job_id(parse_job(reply).job_id, reply)
    try:
        ticket = parse_upload_ticket(reply, source.size)
        for part in ticket.parts:
            _check_upload_url(ctx, job_id, part)
        progress = UploadProgress(source.size, on_upload_progress)
        uploads = tuple(upload_part(ctx, job_id, part, source, progress) for part in ticket.parts)
        etags: list[str] = yield Parallel(uploads, limit=ctx.upload_concurrency)
    except LeapOCRError as exc:
        deleted = yield from discard_job(ctx, job_id)
        failed = exc if isinstance(exc, UploadError) else UploadError("")
        if failed.part_number is not None:
            message = f"{exc}; complete was not sent and {_fate(job_id, deleted)}"
        else:
            message = f"cannot upload to job {job_id}: {exc}; {_fate(job_id, deleted)}"
        raise UploadError(
            message,
            job_id=job_id,
            part_number=failed.part_number,
            status_code=failed.status_code,
            job_deleted=deleted,
        ) from exc
    except BaseException as exc:  # Ctrl-C, a cancelled task, a raising progress callback
        deleted = yield from discard_job(ctx, job_id, interrupted=True)
        exc.add_note(f"leapocr: the upload was interrupted and {_fate(job_id, deleted)}")
        raise

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
    job = _completed_job(reply, job_id)
    logger.info(
        "job %s submitted: %s, %d bytes in %d parts", job_id, source.name, source.size, len(etags)
    )
    return job


def _completed_job(reply: Reply, job_id: str) -> Job:
    try:
        job = parse_job(reply)
    except LeapOCRError:  # complete answered 2xx: the job exists whatever the body says
        return Job(job_id=job_id, status=JobStatus.PENDING, request_id=request_id_of(reply.headers))
    return attrs.evolve(job, job_id=job_id)


def _fate(job_id: str, deleted: bool) -> str:
    if deleted:
        return f"job {job_id} was deleted"
    return f"job {job_id} could not be deleted: delete it with delete_job({job_id!r})"


def _check_upload_url(ctx: Context, job_id: str, part: UploadPart) -> None:
    number = part.part_number
    try:
        if any(not "!" <= char <= "~" for char in part.url):  # NUL, spaces, surrogates...
            raise ValueError("it holds characters a URL cannot carry")
        parts = urlsplit(part.url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise UploadError(
            f"part {number}'s upload URL from the service is malformed: {exc}",
            job_id=job_id,
            part_number=number,
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UploadError(
            f"part {number} has no usable upload URL", job_id=job_id, part_number=number
        )
    if parts.scheme == "http" and not (ctx.allow_insecure_http or is_loopback_host(parts.hostname)):
        raise UploadError(
            f"part {part.part_number}'s upload URL is plain http to {parts.hostname}: refused "
            "(pass allow_insecure_http=True to allow it)",
            job_id=job_id,
            part_number=part.part_number,
        )


def upload_part(
    ctx: Context, job_id: str, part: UploadPart, source: FileSource, progress: UploadProgress
) -> Flow[str]:
    """PUT one part, retrying 429/5xx and connection failures; return its ETag as sent."""
    attempt = 0
    while True:
        status: int | None = None
        reply: Reply | None = None
        failure: APIConnectionError | None = None  # the cause of a give-up (a timeout...)
        try:
            reply = yield PutPart(part, source, progress, attempt)
        except APIConnectionError as exc:
            reason, failure = str(exc), exc
        else:
            assert reply is not None
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
        delay = _delay(ctx, attempt, reply, None)
        if delay is None:
            raise UploadError(
                f"part {part.part_number} of job {job_id} failed after {attempt + 1} "
                f"attempts: {reason}",
                job_id=job_id,
                part_number=part.part_number,
                status_code=status,
            ) from failure
        progress.update(part.part_number, 0)
        logger.info(
            "job %s part %d: %s; retry %d of %d in %.2fs",
            job_id,
            part.part_number,
            reason,
            attempt + 1,
            ctx.max_retries,
            delay,
        )
        yield Sleep(delay)
        attempt += 1


def discard_job(ctx: Context, job_id: str, *, interrupted: bool = False) -> Flow[bool]:
    """Delete a job that cannot be completed; True when it is gone (also when the service
    no longer knows it: a delete sent before, whose answer was not awaited).

    Bounded by ``CLEANUP_TIMEOUT``; after an interrupt, one attempt without retries.
    """
    if interrupted:
        ctx = attrs.evolve(ctx, max_retries=0)
    try:
        yield from call_api(ctx, requests.delete_job(job_id), ctx.clock() + C.CLEANUP_TIMEOUT)
    except NotFoundError:
        return True
    except (LeapOCRError, OutOfTime) as exc:
        logger.warning("could not delete half-uploaded job %s: %s", job_id, exc)
        return False
    return True


# --- status, result, waiting ---------------------------------------------------------


def get_status(ctx: Context, job_id: str) -> Flow[JobStatusInfo]:
    reply = yield from call_api(ctx, requests.get_status(job_id))
    return parse_status(reply, job_id)


def _fewer_pages(limit: int) -> int:
    """The page limit to ask with when a reply at ``limit`` pages was too large: the largest
    divisor of ``limit`` at most half of it, so each smaller window starts where a larger
    one did (1000: 500, 250, 125, 25, 5, 1). ``limit`` is above 1."""
    return next(smaller for smaller in range(limit // 2, 0, -1) if limit % smaller == 0)


def _result_reply(
    ctx: Context,
    job_id: str,
    page: int,
    limit: int,
    deadline: float | None,
    due: float | None = None,
) -> Flow[Reply]:
    """Result request ``page`` at ``limit`` pages a request. A reply over
    ``MAX_REPLY_BYTES`` raises ResponseTooLargeError (the caller asks with fewer pages);
    at one page a request it names that page.

    A 200 reply comes back unredacted (``Reply.scrub``): ``parse_result_chunk`` redacts all
    of it but the pages, and an error built from it redacts what it shows."""
    call = requests.get_result(job_id, page, limit)._replace(raw_success=True, due=due)
    try:
        return (yield from call_api(ctx, call, deadline))
    except ResponseTooLargeError as exc:
        if limit > 1:
            raise
        raise ResponseTooLargeError(
            f"result page {page} of job {job_id} alone is larger than {exc.limit} bytes, "
            "the most the SDK reads in one reply: refused",
            status_code=exc.status_code,
            limit=exc.limit,
        ) from None


def _plausible_requests(body: Mapping[str, Any]) -> int:
    """How many result requests a job can need at most: one per page of the document
    (each request must add a page; a server may cap the page size below ours)."""
    known = _counted_pages(body)
    known = known if known is not None else _count(body.get("total_pages"))
    if known is None:
        return C.MAX_RESULT_REQUESTS
    return max(1, known)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def result_or_status(
    ctx: Context, job_id: str, deadline: float | None = None, due: float | None = None
) -> Flow[JobResult | JobStatusInfo]:
    """The whole result (every page, in order) if the job is finished, else its status.
    ``due`` marks the first request as a poll (``Call.due``).

    Pages 2..N are fetched ``RESULT_FETCH_CONCURRENCY`` in flight (see ``_later_pages``).
    """
    first = yield from _first_result(ctx, job_id, deadline, due)
    if isinstance(first, JobStatusInfo):
        return first
    chunk, reply, limit = first
    pages: list[PageResult] = list(chunk.pages)
    rest = _later_pages(ctx, job_id, chunk, limit, deadline)
    last = yield from _collect(rest, pages.extend)
    return assemble_result(job_id, chunk, pages, last or reply)


def result_pages(ctx: Context, job_id: str) -> Flow[None]:
    """Emit every page of a finished job's result, in order, as its request answers;
    JobNotReadyError / JobFailedError as ``get_result``. Holds at most two windows of
    answers (``Stream``)."""
    first = yield from _first_result(ctx, job_id, None)
    if isinstance(first, JobStatusInfo):
        yield from _not_finished(ctx, first)
        return
    chunk, _, limit = first
    for page in chunk.pages:
        yield Emit(page)
    yield from _page_by_page(_later_pages(ctx, job_id, chunk, limit, None))


def _page_by_page(flow: Flow[T]) -> Flow[T]:
    """Run ``flow`` as part of this one, handing each page of the tuples it ``Emit``s on as
    an ``Emit`` of its own; what is thrown in at one (the caller stopped) goes to ``flow``."""
    driver = Driver(flow)
    while (step := driver.next_step()) is not None:
        if not isinstance(step, Emit):
            yield from driver.relay(step)
            continue
        for page in step.value:
            yield from driver.relay(Emit(page))
            if driver.error is not None:
                break  # the rest of the tuple is not handed on: the flow decides
    return driver.value


def _first_result(
    ctx: Context, job_id: str, deadline: float | None, due: float | None = None
) -> Flow[tuple[ResultChunk, Reply, int] | JobStatusInfo]:
    """The first result request: the first chunk, its reply and the page limit it was
    asked with if the job is finished, else its status.

    A reply too large for ``MAX_REPLY_BYTES`` is asked for again with fewer pages (see
    ``_fewer_pages``). Refuses (UnexpectedResponseError) a result that announces more
    requests than its page count allows.
    """
    limit = C.RESULT_PAGE_LIMIT
    while True:
        try:
            reply = yield from _result_reply(ctx, job_id, 1, limit, deadline, due)
            break
        except ResponseTooLargeError:
            if limit == 1:
                raise
            limit = _fewer_pages(limit)
            logger.debug("result of job %s: reply too large, now %d pages a request", job_id, limit)
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
    plausible = _plausible_requests(first.body)
    if first.total_pages > plausible:
        raise UnexpectedResponseError(
            f"the result of job {job_id} claims {first.total_pages} result pages, more than "
            f"its page count allows ({plausible}): refused",
            status_code=reply.status_code,
        )
    return first, reply, limit


def _later_pages(
    ctx: Context, job_id: str, first: ResultChunk, limit: int, deadline: float | None
) -> Flow[Reply | None]:
    """Fetch the result requests after the first (which asked for ``limit`` pages),
    ``RESULT_FETCH_CONCURRENCY`` in flight (the next goes out as soon as one is answered;
    see ``Stream``), and ``Emit`` the new pages of each request as one tuple, in order;
    returns the last reply (without its body).

    Each answer is checked before the next is taken, so paging that ends early leaves at
    most one window of requests out, and those are stopped (``StopStream``). Requests
    are numbered as the server pages (it may hold fewer pages a request than asked). A
    reply over ``MAX_REPLY_BYTES`` makes the rest be asked for again with fewer pages a
    request (``_fewer_pages`` of the server's page size, so the next request starts at the
    same page), down to one. Paging stops with UnexpectedResponseError when a request
    adds no new pages.
    """
    seen = {page.page_number for page in first.pages}
    last: Reply | None = None
    size = max(len(first.pages), 1)  # pages a request holds: the first is full if more follow
    requests_total, shrunk = first.total_pages, False
    number = 2
    while number <= requests_total:
        fetches = _result_chunks(ctx, job_id, range(number, requests_total + 1), limit, deadline)
        stream = Stream(fetches, C.RESULT_FETCH_CONCURRENCY)
        try:
            while number <= requests_total:
                try:
                    chunk, last = yield NextInOrder(stream)
                except ResponseTooLargeError:
                    if limit == 1:
                        raise  # one page alone is too large: named by _result_reply
                    smaller = _fewer_pages(size) if size > 1 else 1
                    pages_total = requests_total * size  # at most; fewer when counted
                    pages_total = min(pages_total, _counted_pages(first.body) or pages_total)
                    number = (number - 1) * size // smaller + 1
                    requests_total = -(-pages_total // smaller)
                    size = limit = smaller
                    shrunk = True
                    logger.debug(
                        "result of job %s: reply too large, now %d pages a request", job_id, limit
                    )
                    break  # the rest is asked for again by a new stream
                if shrunk and number > chunk.total_pages:
                    requests_total = chunk.total_pages  # the page count above was an upper bound
                    break
                numbers = [item.page_number for item in chunk.pages]
                new = chunk.pages
                if not seen.isdisjoint(numbers):
                    new = tuple(item for item in new if item.page_number not in seen)
                if not new:
                    raise UnexpectedResponseError(
                        f"result page {number} of job {job_id} adds no new pages: paging stopped",
                        status_code=last.status_code,
                    )
                seen.update(numbers)
                yield Emit(new)
                number += 1
        except GeneratorExit:
            stream.close()  # closed over its yield: stopped, not waited for
            raise
        finally:
            if not stream.closed:  # its threads end; requests still out (paging ended
                yield StopStream(stream, C.RESULT_STOP_WAIT)  # early) are stopped
    return last


def _result_chunks(
    ctx: Context, job_id: str, numbers: range, limit: int, deadline: float | None
) -> Iterator[Flow[tuple[ResultChunk, Reply]]]:
    """The flows of result requests ``numbers`` at ``limit`` pages, made as they start."""
    for number in numbers:
        yield _result_chunk(ctx, job_id, number, limit, deadline)


def _counted_pages(body: Mapping[str, Any]) -> int | None:
    """The result's page count as a reply states it (``pagination.total``), if it does."""
    pagination = body.get("pagination")
    return _count(pagination.get("total")) if isinstance(pagination, Mapping) else None


def _result_chunk(
    ctx: Context, job_id: str, page: int, limit: int, deadline: float | None
) -> Flow[tuple[ResultChunk, Reply]]:
    reply = yield from _result_reply(ctx, job_id, page, limit, deadline)
    if reply.status_code == 202:
        raise error_from_reply(reply, ctx.not_found_hint)
    # The body is parsed: a window of requests holds its pages, not its bytes as well.
    return parse_result_chunk(reply), Reply(reply.status_code, reply.headers, b"")


def _collect(flow: Flow[T], sink: Callable[[Any], object]) -> Flow[T]:
    """Run ``flow`` as part of this one, handing its ``Emit`` values to ``sink``."""
    driver = Driver(flow)
    while (step := driver.next_step()) is not None:
        if isinstance(step, Emit):
            sink(step.value)
        else:
            yield from driver.relay(step)
    return driver.value


def get_result(ctx: Context, job_id: str) -> Flow[JobResult]:
    outcome = yield from result_or_status(ctx, job_id)
    if isinstance(outcome, JobResult):
        return outcome
    return (yield from _not_finished(ctx, outcome))


def _not_finished(ctx: Context, info: JobStatusInfo) -> Flow[NoReturn]:
    if info.status is JobStatus.FAILED:
        raise JobFailedError(info.job_id, (yield from _failure_reason(ctx, info)))
    raise JobNotReadyError(info.job_id, info.status.value)


def _failure_reason(ctx: Context, info: JobStatusInfo) -> Flow[str | None]:
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
) -> Flow[JobResult]:
    """Poll until the job is finished, then return its whole result.

    Polls the result endpoint, which answers 202 with the status while the job runs and
    the result once it is done, so a finished job costs no extra request. The first poll
    waits until ``first_poll`` (a ``ctx.clock()`` time, one ``poll_interval`` after the
    submission) when given; then a ``PollSchedule`` predicts the end from the pages done
    so far and polls at it, never sooner than ``POLL_MIN_FACTOR`` x ``poll_interval`` (and
    sooner than ``poll_interval`` only when the predicted end is) nor later than
    ``POLL_CAP_FACTOR`` x ``poll_interval`` after the last poll (without progress to go
    on, the interval grows by ``POLL_GROWTH``); every sleep is cut short so the wait never
    exceeds ``timeout``.
    """
    deadline = ctx.clock() + timeout
    info: JobStatusInfo | None = None
    if first_poll is not None and first_poll > ctx.clock():
        yield Sleep(min(first_poll, deadline) - ctx.clock())
    since = None if first_poll is None else first_poll - poll_interval  # the submission
    schedule = PollSchedule(poll_interval, since=since)
    while True:
        yield AWAIT_SLOT  # queued for the client's in-flight cap before the poll is built
        try:
            predicted = schedule.estimate()  # the predicted end orders polls (``_pacing``)
            due = predicted[0] if predicted is not None else ctx.clock()
            outcome = yield from result_or_status(ctx, job_id, deadline, due)
        except OutOfTime as out:
            error = WaitTimeoutError(job_id, info, timeout)
            error.add_note(f"the last request failed with: {out.error}")
            raise error from out.error
        info = _as_status(outcome)
        if on_progress is not None:
            yield Notify(on_progress, info)
        if isinstance(outcome, JobResult):
            logger.info(
                "job %s finished %s: %d pages, %s credits",
                job_id,
                outcome.status.value,
                len(outcome.pages),
                "unknown" if outcome.credits_used is None else outcome.credits_used,
            )
            return outcome
        match info.status:
            case JobStatus.FAILED:
                reason = yield from _failure_reason(ctx, info)
                logger.info("job %s failed: %s", job_id, reason or "no reason given")
                raise JobFailedError(job_id, reason)
            case JobStatus.PENDING | JobStatus.PROCESSING:
                pass
            case JobStatus.COMPLETED | JobStatus.PARTIALLY_DONE:
                pass  # finished but the result is not readable yet: poll again
            case _:
                assert_never(info.status)
        now = ctx.clock()
        remaining = deadline - now
        if remaining <= 0:
            raise WaitTimeoutError(job_id, info, timeout)
        started = info.status is not JobStatus.PENDING
        schedule.observe(now, info.processed_pages or 0, info.total_pages or 0, started=started)
        yield Sleep(min(schedule.next_delay(now), remaining))


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
        request_id=outcome.request_id,
    )


# --- the rest ------------------------------------------------------------------------


def delete_job(ctx: Context, job_id: str) -> Flow[None]:
    yield from call_api(ctx, requests.delete_job(job_id))


def list_models(ctx: Context) -> Flow[list[ModelInfo]]:
    reply = yield from call_api(ctx, requests.list_models())
    return parse_models(reply)


def request(
    ctx: Context, method: str, path: str, params: Mapping[str, Any] | None, body: Any
) -> Flow[Any]:
    """One request to any path under the base URL: its decoded JSON, None for no body.

    Retried (429, 5xx, connection failures) only when the method is idempotent: a POST
    or PATCH is sent once.
    """
    idempotent = method in C.IDEMPOTENT_METHODS
    call = Call("request", method, path, params=params, json=body, idempotent=idempotent)
    reply = yield from call_api(ctx if idempotent else attrs.evolve(ctx, max_retries=0), call)
    if not reply.content.strip():
        return None
    return decode_json(reply)


def health(ctx: Context) -> Flow[HealthStatus]:
    """The service's health, asked once: a 503 with a health body is an answer, not an error
    to retry (a probe should say how the service is now)."""
    reply: Reply = yield requests.health()
    if reply.status_code not in (200, 503):
        raise error_from_reply(reply, ctx.not_found_hint)
    return parse_health(reply)
