"""Many documents: ``process`` (one, start to end) and ``process_many`` (a batch), as flows.

A batch is one scheduler flow. It pulls sources lazily (memory stays flat however many
there are), starts at most ``concurrency`` sub-flows (a submission, then a wait), and is
handed each sub-flow as it ends (``NextFinished``); it emits one ``BatchItem`` per source
(``Emit``), in completion order. One failure never stops the others.

Job creations are paced by a ``Throttle``: at most ``submit_rate`` per second, and every
429 a submission meets slows the whole batch (the pause the service asks for, and twice
the spacing between submissions, which shrinks again with each success).

With a journal (``journal.Journal``), each source's state is written as it changes, so a
batch run again after a crash, or alongside another run, never submits (and pays for) a
document twice; each source is claimed (a lease) before its job is created.

Stopped early, the flow is handed the stop (never closed over): see ``process_many``
and ``_batch_stop``. With a journal a job is deleted (``delete``) only once its result was
handed out and recorded.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from . import _constants as C
from . import _requests as requests
from ._batch_items import BatchEvent, BatchItem, DoneItem, FailedItem, SkippedItem
from ._batch_stop import stop_batch
from ._flows import Context, _completed_job, call_api, discard_job
from ._operations import COMPLETE, DELETE, INITIATE, SUBMIT_URL
from ._parsing import Reply, parse_job, retry_after_seconds
from ._pricing import CreditBudget, Reservation
from ._steps import Call, Driver, Emit, Finished, Flow, FlowGroup, NextFinished, Sleep
from .errors import (
    APIConnectionError,
    ConflictError,
    CreditBudgetExceededError,
    JobDeletedError,
    JobFailedError,
    JournalError,
    LeapOCRError,
    NotFoundError,
    NotResubmittedError,
    RateLimitError,
    UnexpectedResponseError,
    ValidationError,
)
from .types import Job, JobResult, JobStatusInfo

if TYPE_CHECKING:
    from .journal import Journal

logger = logging.getLogger("leapocr_sdk")
T = TypeVar("T")


UploadHook = Callable[[int, int], object] | None
StatusHook = Callable[[JobStatusInfo], object] | None


# --- one document, start to end ------------------------------------------------------


class JobHandle:
    """The job a ``process`` flow created, for clean-up when the flow is cancelled."""

    def __init__(self) -> None:
        self.job_id: str | None = None
        self.settled = False  # the flow itself finished, deleted or gave up the job

    @property
    def needs_delete(self) -> bool:
        return self.job_id is not None and not self.settled


def process(
    ctx: Context,
    submission: Flow[Job],
    wait: Callable[[str], Flow[JobResult]],
    delete: bool,
    handle: JobHandle,
) -> Flow[JobResult]:
    """Submit, wait, and delete the job afterwards when asked (also when the wait fails)."""
    job = yield from submission
    handle.job_id = job.job_id
    result = yield from wait_then_delete(ctx, job.job_id, wait, delete)
    handle.settled = True
    return result


def wait_then_delete(
    ctx: Context, job_id: str, wait: Callable[[str], Flow[JobResult]], delete: bool
) -> Flow[JobResult]:
    try:
        result = yield from wait(job_id)
    except LeapOCRError as exc:
        if delete:
            deleted = yield from discard_job(ctx, job_id)
            exc.add_note(f"job {job_id} was deleted" if deleted else f"job {job_id} was kept")
        raise
    if delete:
        yield from discard_job(ctx, job_id)  # the result is in hand: a failed delete is logged
    return result


# --- pacing --------------------------------------------------------------------------


class Throttle:
    """When the batch may create its next job: a rate cap and adaptive back-off on 429.

    Thread-safe: sub-flows report 429s from the sync runner's worker threads.
    """

    def __init__(self, submit_rate: float | None) -> None:
        self._base = 1.0 / submit_rate if submit_rate else 0.0
        self._spacing = self._base
        self._next_at = 0.0
        self._calm_until = 0.0
        self._lock = threading.Lock()

    def delay(self, now: float) -> float:
        """Seconds until the next submission may start (0: now)."""
        with self._lock:
            return max(0.0, self._next_at - now)

    def started(self, now: float) -> None:
        with self._lock:
            self._next_at = max(self._next_at, now) + self._spacing

    def succeeded(self) -> None:
        with self._lock:
            spacing = self._spacing * C.THROTTLE_RECOVERY
            self._spacing = (
                self._base if spacing <= max(self._base, C.THROTTLE_MIN_SPACING) else spacing
            )

    def rate_limited(self, now: float, retry_after: float | None) -> float:
        """Slow down after a 429; returns the pause before the next submission.

        The spacing doubles at most once per spacing window: a burst of 429s answering
        requests sent together counts as one signal.
        """
        with self._lock:
            if now >= self._calm_until:
                spacing = max(self._spacing * 2.0, C.THROTTLE_MIN_SPACING)
                self._spacing = min(spacing, C.THROTTLE_MAX_SPACING)
                self._calm_until = now + self._spacing
            pause = self._spacing if retry_after is None else retry_after
            pause = min(pause, C.RETRY_AFTER_MAX)
            self._next_at = max(self._next_at, now + pause)
            return pause


# The requests that start (and bill) a job; before one is sent, a submission cut short
# cannot have cost anything and is safe to send again.
STARTS_A_JOB = frozenset({SUBMIT_URL.name, COMPLETE.name})
ISSUES_A_JOB_ID = INITIATE.name
DELETES_A_JOB = DELETE.name


def watched(
    flow: Flow[T],
    on_step: Callable[[Any], object],
    on_reply: Callable[[Call, Reply], object],
) -> Flow[T]:
    """``flow`` unchanged, each step shown to ``on_step`` before it is performed and each
    API reply to ``on_reply`` before the flow sees it.

    A step's failure, an interrupt or a cancellation is thrown into ``flow`` (which
    cleans up); so is an SDK error of ``on_step`` (the step is then not performed) or
    of ``on_reply`` (the flow does not see the reply).
    """
    driver = Driver(flow)
    while (step := driver.next_step()) is not None:
        try:
            on_step(step)
        except LeapOCRError as exc:  # a journal that cannot record it: not sent
            driver.error = exc
            continue
        yield from driver.relay(step)  # a failure is the flow's to decide (and clean up)
        if isinstance(step, Call) and isinstance(driver.result, Reply):
            try:
                on_reply(step, driver.result)
            except LeapOCRError as exc:  # a journal that cannot record it: the flow cleans up
                driver.result, driver.error = None, exc
    return driver.value


# --- a batch -------------------------------------------------------------------------


@attrs.frozen
class BatchFlows:
    """How the batch submits, waits on and deletes one job (made by the client)."""

    submit: Callable[[Any, UploadHook], Flow[Job]]
    wait: Callable[[str, StatusHook], Flow[JobResult]]
    delete: bool
    # max_credits: a source's estimated price before it is submitted (None: unknown),
    # and the price of one of its pages (None: set by the service).
    estimate: Callable[[Any], int | None] = lambda source: None
    price: int | None = None


@attrs.frozen
class BatchSettings:
    concurrency: int
    submit_rate: float | None
    max_credits: int | None
    retry_failed: bool
    on_event: Callable[[BatchEvent], object] | None


@attrs.define
class _Member:
    """One source in flight: what it is, its journal key, its job once it has one."""

    source: Any
    key: str | None = None
    job_id: str | None = None  # the job started (its submission answered)
    issued: str | None = None  # the job id ``initiate`` returned (before it started)
    completing: bool = False  # the request that starts the job was sent
    deleted: bool = False  # its job was deleted (by its own clean-up or the batch)
    stale: str | None = None  # a half-uploaded job of an earlier run, deleted first
    resume: tuple[str, list[tuple[int, str]]] | None = None  # an earlier run's complete
    rate_limited: int = 0  # submissions refused with 429 after their retries (resubmitted)
    duplicates: list[Any] = attrs.Factory(list)  # the same document given again
    estimate: int | None = None  # its estimated price (None: unknown before it is sent)
    estimated: bool = False  # whether the estimate was asked
    reservation: Reservation | None = None  # its credits held in the budget


def process_many(
    ctx: Context,
    sources: Iterable[Any],
    flows: BatchFlows,
    settings: BatchSettings,
    journal: Journal | None = None,
) -> Flow[None]:
    """Emit one ``BatchItem`` per source as it finishes; see the module docstring.

    ``journal`` is a ``journal.Journal`` or None. With ``settings.max_credits``, a
    ``CreditBudget`` admits each source before it is submitted (``_pricing``): spent +
    reserved never passes the budget as far as estimates go; once a source does not
    fit, it is emitted with ``CreditBudgetExceededError`` and nothing more is submitted.

    Stopped early (the caller's stop, ``CallerStopped``, an interrupt, a cancellation, a
    ``JournalError``...), the flow stops its documents in flight (``StopGroup``: each
    deletes its own half-uploaded job), deletes the jobs it must (``stop_batch``), names
    every job it leaves on the service, then re-raises.
    """
    throttle = Throttle(settings.submit_rate)
    budget = CreditBudget(settings.max_credits)
    group = FlowGroup()
    pending: Iterator[Any] = iter(sources)
    queued: collections.deque[_Member] = collections.deque()  # to submit, before new ones
    follow_ups: list[tuple[Any, Flow[Any]]] = []
    in_batch: dict[str, _Member] = {}  # journaled sources of this batch not yet emitted
    emitted: _Member | None = None  # its item was handed out; done once the loop goes on
    start: list[tuple[Any, Flow[Any]]] = []
    exhausted = False
    renewed = ctx.clock()
    # With a journal, a job is deleted only once its result was handed out and recorded
    # (a later run could not collect a result deleted before it was saved).
    delete_in_wait = flows.delete and journal is None

    def event(kind: str, member: _Member, message: str | None = None, **facts: Any) -> None:
        if settings.on_event is not None:
            settings.on_event(BatchEvent(kind, member.source, member.job_id, message, **facts))

    def uploading(member: _Member) -> UploadHook:
        if settings.on_event is None:
            return None
        return lambda sent, total: event("uploading", member, sent=sent, total=total)

    def polled(member: _Member) -> StatusHook:
        def hook(info: JobStatusInfo) -> None:
            budget.learn_pages(member.reservation, info.total_pages or None)
            event("waiting", member, status=info)

        if settings.on_event is None and settings.max_credits is None:
            return None
        return hook

    def watch(member: _Member, flow: Flow[T]) -> Flow[T]:
        def on_step(step: Any) -> None:
            if isinstance(step, Call) and step.name in STARTS_A_JOB:
                if journal is not None and member.key:
                    journal.sent(member.key, _parts_of(step))
                member.completing = True

        def on_reply(call: Call, reply: Reply) -> None:
            if reply.status_code == 429:
                hint = retry_after_seconds(reply.headers, now=ctx.wall_clock())
                pause = throttle.rate_limited(ctx.clock(), hint)
                logger.info("batch: HTTP 429 on %s; submissions paused for %.2fs", call.name, pause)
                event("throttled", member, f"HTTP 429: submissions paused for {pause:.2f}s")
            elif call.name == ISSUES_A_JOB_ID and reply.status_code < 300:
                with contextlib.suppress(LeapOCRError):  # the flow reports a bad answer
                    member.issued = parse_job(reply).job_id
                if member.issued and journal is not None and member.key:
                    journal.job_issued(member.key, member.issued)
            elif call.name == DELETES_A_JOB and reply.status_code < 300:
                member.deleted = True

        return watched(flow, on_step, on_reply)

    def submission(member: _Member) -> tuple[Any, Flow[Any]]:
        throttle.started(ctx.clock())
        flow = _submit_flow(ctx, member, flows.submit(member.source, uploading(member)))
        return ("submitted", member), watch(member, flow)

    def waiting(member: _Member, job_id: str) -> tuple[Any, Flow[Any]]:
        member.job_id = job_id
        hook = polled(member)
        flow = wait_then_delete(ctx, job_id, lambda job: flows.wait(job, hook), delete_in_wait)
        return ("waited", member), watch(member, flow)  # its 429s slow submissions too

    def deleting(member: _Member, job_id: str) -> tuple[Any, Flow[Any]]:
        return ("deleted", member), watch(member, discard_job(ctx, job_id))

    def emit(member: _Member, item: BatchItem) -> Flow[None]:
        """Hand out ``item`` (and one per duplicate of its source); record it once the
        caller's loop goes on, then delete its job when asked."""
        nonlocal emitted
        event("finished", member, None if item.error is None else str(item.error))
        emitted = member
        yield Emit(item)
        for duplicate in member.duplicates:
            yield Emit(attrs.evolve(item, source=duplicate, credits=0))
        if member.key is not None:
            in_batch.pop(member.key, None)
        if journal is not None and member.key is not None and item.result is not None:
            # Still ``emitted`` while the journal records it: a journal that fails here
            # stops the batch, and ``stop_batch`` must know this job (to delete or name it).
            saved = journal.finished(member.key, item.job_id, item.credits, item.pages)
            if saved and flows.delete and item.job_id and not member.deleted:
                follow_ups.append(deleting(member, item.job_id))
        emitted = None

    handling: Finished | None = None  # a sub-flow's end being recorded (not emitted yet)
    try:
        while True:
            handling = None
            if journal is not None and ctx.clock() - renewed >= C.JOURNAL_LEASE_RENEW:
                journal.renew()
                renewed = ctx.clock()
            # Fill the free slots: follow-ups first, then queued and new sources.
            start, follow_ups = follow_ups, []
            timeout: float | None = None if journal is None else C.JOURNAL_LEASE_RENEW
            budget_left = budget.is_open()
            while budget_left and len(group) + len(start) < settings.concurrency:
                if not queued:
                    if exhausted:
                        break
                    try:
                        source = next(pending)
                    except StopIteration:
                        exhausted = True
                        break
                    member = _Member(source)
                    decision = _decide(journal, member, settings.retry_failed, in_batch)
                    if isinstance(decision, BatchItem):
                        if decision.held_by is not None:
                            event("held", member, decision.held_by)
                        yield Emit(decision)
                        continue
                    if decision is _DUPLICATE:
                        continue
                    if member.key is not None:
                        in_batch[member.key] = member
                    if isinstance(decision, str):
                        start.append(waiting(member, decision))
                        continue
                    queued.append(member)
                delay = throttle.delay(ctx.clock())
                if delay > 0:
                    timeout = delay if timeout is None else min(timeout, delay)
                    break
                verdict = _admit(budget, queued[0], flows)
                if verdict == CreditBudget.WAIT:
                    break  # an unknown price is in flight: wait for it to finish
                member = queued.popleft()
                if verdict == CreditBudget.REFUSE:
                    refused = _refused(member, budget)
                    event("finished", member, str(refused.error))
                    yield Emit(refused)
                    budget_left = False
                    break
                if journal is not None and member.key is not None:
                    journal.submitting(member.key)
                start.append(submission(member))
            if not start and not group:
                if not budget.is_open() or (exhausted and not queued):
                    while queued:  # taken from the sources, never submitted: said so
                        member = queued.popleft()
                        refused = _refused(member, budget)
                        event("finished", member, str(refused.error))
                        yield Emit(refused)
                    return
                if timeout is not None:  # nothing runs: just wait for the throttle
                    yield Sleep(timeout)
                    continue
            finished = yield NextFinished(group, tuple(start), timeout)
            if finished is None:
                continue
            handling = finished
            (phase, member), value, error = finished
            if phase == "deleted":
                continue  # a failed delete is logged (the result is saved)
            if phase == "submitted":
                item = _after_submission(member, value, error, journal, throttle, queued)
                if item is not None:  # no job (nothing to pay), or maybe one: its estimate
                    held = member.estimate if _may_have_started(error) else None
                    budget.settle(member.reservation, held or 0)
                    member.reservation = None
                if item is None:
                    if error is None:
                        member.job_id = value.job_id
                        event("submitted", member)
                        follow_ups.append(waiting(member, value.job_id))
                    elif member.issued and not member.deleted and not member.completing:
                        follow_ups.append(deleting(member, member.issued))
                    continue
            else:
                item = _after_wait(member, value, error, journal, queued)
                if item is None:
                    continue  # its job is gone with its result unsaved: submitted again
                budget.settle(member.reservation, item.credits)
            item = attrs.evolve(item, estimated_credits=member.estimate)
            handling = None
            yield from emit(member, item)
    except BaseException as stop:
        handed = list(group.running.values())
        not_started = [
            (tag, flow) for tag, flow in [*start, *follow_ups] if not any(t is tag for t in handed)
        ]
        for _, flow in not_started:
            flow.close()  # never started: their members are accounted for in stop_batch
        yield from stop_batch(
            ctx,
            stop,
            group,
            [] if handling is None else [handling],
            [tag for tag, _ in not_started],
            emitted,
            flows.delete,
            journal,
            settings.on_event,
        )
        raise
    finally:
        group.close()
        if journal is not None:
            with contextlib.suppress(JournalError):
                journal.release()  # the run ends: another may take what is left


_DUPLICATE = object()


def _submit_flow(ctx: Context, member: _Member, submit: Flow[Job]) -> Flow[Job]:
    """A source's submission; first, what an earlier run left: its half-uploaded job is
    deleted, or its upload's ``complete`` (journaled with its parts) is sent again."""
    if member.resume is not None:
        job_id, parts = member.resume
        member.issued = job_id
        try:
            reply = yield from call_api(ctx, requests.complete_upload(job_id, parts))
        except (NotFoundError, ConflictError, UnexpectedResponseError):
            yield from discard_job(ctx, job_id)  # gone, or not completable: start afresh
        else:
            return _completed_job(reply, job_id)
        member.issued, member.completing = None, False
    if member.stale is not None:
        yield from discard_job(ctx, member.stale)
    member.deleted = False  # what was deleted is the earlier run's job, not this one's
    return (yield from submit)


def _parts_of(call: Call) -> str | None:
    """The parts a ``complete`` call sends, as JSON (journaled: a later run resends it)."""
    if call.name != COMPLETE.name or not isinstance(call.json, dict):
        return None
    return json.dumps(call.json.get("parts"))


def _admit(budget: CreditBudget, member: _Member, flows: BatchFlows) -> str:
    """The budget's verdict on submitting ``member`` (its estimate is asked once: it is
    reported on its item, with or without a budget)."""
    if member.reservation is not None:  # resubmitted after a 429: already reserved
        return CreditBudget.ADMIT
    if not member.estimated and flows.price is not None:
        member.estimate = flows.estimate(member.source)
        member.estimated = True
    verdict, member.reservation = budget.admit(member.estimate, flows.price)
    return verdict


def _refused(member: _Member, budget: CreditBudget) -> FailedItem:
    error = CreditBudgetExceededError(member.estimate, max(0, budget.remaining or 0))
    return FailedItem(member.source, None, None, error, estimated_credits=member.estimate)


def _may_have_started(error: BaseException | None) -> bool:
    """Whether a failed submission may still have created (and be billing) a job."""
    return isinstance(error, APIConnectionError) and error.may_have_been_processed


def _decide(
    journal: Journal | None, member: _Member, retry_failed: bool, in_batch: dict[str, _Member]
) -> BatchItem | str | object | None:
    """What to do with a new source: a ``BatchItem`` to emit as is, a job id to wait on,
    ``_DUPLICATE`` (the same document is in flight in this batch), or None to submit it."""
    if journal is None:
        return None
    entry = journal.claim(member.source)
    if entry is None:
        return None  # not journaled (a file object), or unreadable: submit and see
    if entry.key in in_batch:
        in_batch[entry.key].duplicates.append(member.source)
        return _DUPLICATE
    member.key = entry.key
    if entry.held_by is not None:
        return SkippedItem(
            member.source, entry.job_id, None, None, skipped=True, held_by=entry.held_by
        )
    if entry.state == "done":
        return SkippedItem(
            member.source, entry.job_id, None, None, skipped=True, outputs=entry.outputs
        )
    if entry.state == "submitted" and entry.job_id:
        return entry.job_id
    if entry.state == "submitting" and entry.job_id:
        member.stale = entry.job_id  # half-uploaded by a run that was killed
        return None
    if entry.state == "sent" and entry.job_id and entry.parts is not None:
        member.resume = (entry.job_id, entry.parts)  # killed during complete: send it again
        return None
    if entry.state in ("failed", "sent") and not retry_failed:
        return FailedItem(member.source, entry.job_id, None, NotResubmittedError(entry.describe()))
    return None


def _after_submission(
    member: _Member,
    job: Job | None,
    error: BaseException | None,
    journal: Journal | None,
    throttle: Throttle,
    queued: collections.deque[_Member],
) -> BatchItem | None:
    """Record a submission's outcome; the item to emit when it failed for good."""
    key = member.key
    if error is None:
        assert job is not None
        throttle.succeeded()
        if journal is not None and key is not None:
            journal.submitted(key, job.job_id)
        return None
    if isinstance(error, RateLimitError) and member.rate_limited < C.BATCH_RATE_LIMIT_RESUBMITS:
        member.rate_limited += 1  # a 429 created no job: submit it again, after the pause
        queued.append(member)
        return None
    assert isinstance(error, LeapOCRError)
    if isinstance(error, JournalError):
        raise error
    job_id = getattr(error, "job_id", None) or member.issued
    uncertain = isinstance(error, APIConnectionError) and error.may_have_been_processed
    # Uncertain: the row stays "sent" if the request that starts a job went out (the next
    # run reports it), else "submitting" (nothing was billed: the next run resends it).
    if journal is not None and key is not None and not uncertain:
        if isinstance(error, ValidationError) and member.issued is None:
            journal.refused(key)  # refused here, before any request: checked again next run
        else:
            journal.failed(key, "failed", job_id, str(error))
    return FailedItem(member.source, job_id, None, error)


def _after_wait(
    member: _Member,
    result: JobResult | None,
    error: BaseException | None,
    journal: Journal | None,
    queued: collections.deque[_Member],
) -> BatchItem | None:
    if error is None:
        assert result is not None
        return DoneItem(
            member.source, member.job_id, result, None, credits=result.credits_used or 0
        )
    assert isinstance(error, LeapOCRError)
    if journal is not None and member.key is not None:
        if isinstance(error, JobDeletedError | NotFoundError) and not member.deleted:
            # An earlier run's job, gone before its result was saved: the result is lost,
            # so the document is submitted again (the only way to have it).
            member.job_id = None
            queued.append(member)
            return None
        if isinstance(error, JobFailedError):
            journal.failed(member.key, "failed", member.job_id, str(error))
    # Anything else (a wait timeout, the network): the job stays journaled as submitted,
    # and the next run waits on it again instead of paying for it twice.
    return FailedItem(member.source, member.job_id, None, error)


# --- jobs submitted elsewhere --------------------------------------------------------


def as_completed(
    job_ids: Iterable[str], wait: Callable[[str, StatusHook], Flow[JobResult]], concurrency: int
) -> Flow[None]:
    """Emit a ``BatchItem`` (source: the job id) for each job as it finishes."""
    group = FlowGroup()
    pending = iter(job_ids)
    exhausted = False
    try:
        while True:
            start: list[tuple[Any, Flow[Any]]] = []
            while not exhausted and len(group) + len(start) < concurrency:
                job_id = next(pending, None)
                if job_id is None:
                    exhausted = True
                else:
                    start.append((job_id, _later(wait, job_id)))
            if not start and not group:
                return
            finished = yield NextFinished(group, tuple(start), None)
            if finished is not None:
                job_id, result, error = finished  # a bad job id is its item's error
                if error is None:
                    credits = result.credits_used or 0
                    yield Emit(DoneItem(job_id, job_id, result, None, credits=credits))
                else:
                    yield Emit(FailedItem(job_id, job_id, None, error))
    finally:
        group.close()


def _later(wait: Callable[[str, StatusHook], Flow[JobResult]], job_id: str) -> Flow[JobResult]:
    """The wait for ``job_id``, its arguments checked when it starts (inside the sub-flow)."""
    return (yield from wait(job_id, None))
