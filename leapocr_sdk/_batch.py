"""Many documents: ``process`` (one, start to end) and ``process_many`` (a batch), as plans.

A batch is one scheduler plan. It pulls sources lazily (memory stays flat however many
there are), starts at most ``concurrency`` sub-flows (a submission, then a wait), and is
handed each sub-flow as it ends (``NextFinished``); it emits one ``BatchItem`` per source
(``Emit``), in completion order. One failure never stops the others.

Job creations are paced by a ``Throttle``: at most ``submit_rate`` per second, and every
429 a submission meets slows the whole batch (the pause the service asks for, and twice
the spacing between submissions, which shrinks again with each success).

With a journal (``journal.Journal``), each source's state is written as it changes, so a
batch run again after a crash never submits (and pays for) a document twice.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from . import _constants as C
from ._operations import COMPLETE, INITIATE, SUBMIT_URL
from ._parsing import Reply, parse_job, retry_after_seconds
from ._plans import Context, discard_job
from ._pricing import CreditBudget, Reservation
from ._sources import is_url as is_url  # re-exported for the clients
from ._steps import Call, Emit, FlowGroup, NextFinished, Plan, Sleep
from .errors import (
    APIConnectionError,
    CreditBudgetExceededError,
    JobFailedError,
    LeapOCRError,
    NotFoundError,
    NotResubmittedError,
    RateLimitError,
)
from .types import Job, JobResult, JobStatusInfo

if TYPE_CHECKING:
    from .journal import Journal

logger = logging.getLogger("leapocr_sdk")
T = TypeVar("T")


@attrs.frozen
class BatchItem:
    """One source of a batch, finished: its ``result`` or its ``error`` (never both).

    Attributes:
        source: the source as given (path, URL, bytes, file object), or the job id for
            ``as_completed`` / ``wait_many``.
        job_id: its job's id (None if no job was created).
        result: the ``JobResult`` when it succeeded in this run.
        error: the ``LeapOCRError`` when it failed (``JobFailedError``, ``UploadError``,
            ``NotResubmittedError``, ...).
        credits: credits this run spent on it (the service's ``credits_used``).
        estimated_credits: its price as estimated before it was submitted (pages x
            the price of a page), or None when that could not be known beforehand.
        skipped: True for a source a journal shows as done in an earlier run.
        outputs: for a skipped source, the paths recorded with ``Journal.set_outputs``.
    """

    source: Any
    job_id: str | None
    result: JobResult | None
    error: LeapOCRError | None
    credits: int = 0
    skipped: bool = False
    outputs: tuple[str, ...] = ()
    estimated_credits: int | None = None

    @property
    def ok(self) -> bool:
        """True when the source has a result now or was done in an earlier run."""
        return self.error is None

    @property
    def pages(self) -> int:
        """Pages processed in this run."""
        return len(self.result.pages) if self.result is not None else 0


class DoneItem(BatchItem):
    """A ``BatchItem`` processed in this run: its ``result`` is a ``JobResult``.

    Batches yield a ``DoneItem``, ``SkippedItem`` or ``FailedItem``, so a type checker
    narrows an item by its flags: after ``if item.ok and not item.skipped:`` (for
    ``as_completed`` / ``wait_many``: ``if item.ok:``) mypy knows ``item.result`` is a
    ``JobResult``; pyright narrows on ``item.ok is True and item.skipped is False``, and
    both on ``item.result is not None`` or ``isinstance(item, DoneItem)``.

    Attributes:
        result: the ``JobResult``.
        error: None.
        skipped: False.
    """

    result: JobResult
    error: None
    skipped: Literal[False]

    @property
    def ok(self) -> Literal[True]:
        """True: the source has its result."""
        return True


class SkippedItem(BatchItem):
    """A ``BatchItem`` a journal shows as done in an earlier run: no result in this one.

    Attributes:
        result: None (the result was saved by the earlier run; see ``outputs``).
        error: None.
        skipped: True.
    """

    result: None
    error: None
    skipped: Literal[True]

    @property
    def ok(self) -> Literal[True]:
        """True: the source was done in an earlier run."""
        return True


class FailedItem(BatchItem):
    """A ``BatchItem`` that failed: after ``if not item.ok:`` (mypy; pyright:
    ``item.ok is False``) a type checker knows ``item.error`` is a ``LeapOCRError``.

    Attributes:
        result: None.
        error: the ``LeapOCRError`` (``JobFailedError``, ``UploadError``,
            ``NotResubmittedError``, ...).
        skipped: False.
    """

    result: None
    error: LeapOCRError
    skipped: Literal[False]

    @property
    def ok(self) -> Literal[False]:
        """False: see ``error``."""
        return False


@attrs.frozen
class BatchEvent:
    """What ``process_many``'s ``on_event`` receives about one source.

    With the blocking client, events of documents in flight come from worker threads.

    Attributes:
        kind: ``uploading`` (``sent`` of ``total`` bytes uploaded), ``submitted`` (the job
            ``job_id`` started), ``waiting`` (the job's ``status`` at a poll),
            ``throttled`` (a submission met a 429 and the batch slows down: ``message``)
            or ``finished`` (its ``BatchItem`` is next; ``message``: the error, if any).
        source: the source as given.
        job_id: its job's id, once known.
        message: a sentence for ``throttled`` and failed ``finished`` events.
        status: the ``JobStatusInfo`` of a ``waiting`` event.
        sent: bytes uploaded so far (``uploading``).
        total: the document's size in bytes (``uploading``).
    """

    kind: str
    source: Any
    job_id: str | None = None
    message: str | None = None
    status: JobStatusInfo | None = None
    sent: int | None = None
    total: int | None = None


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
    submission: Plan[Job],
    wait: Callable[[str], Plan[JobResult]],
    delete: bool,
    handle: JobHandle,
) -> Plan[JobResult]:
    """Submit, wait, and delete the job afterwards when asked (also when the wait fails)."""
    job = yield from submission
    handle.job_id = job.job_id
    result = yield from wait_then_delete(ctx, job.job_id, wait, delete)
    handle.settled = True
    return result


def wait_then_delete(
    ctx: Context, job_id: str, wait: Callable[[str], Plan[JobResult]], delete: bool
) -> Plan[JobResult]:
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


def watched(
    plan: Plan[T],
    on_step: Callable[[Any], object],
    on_reply: Callable[[Call, Reply], object],
) -> Plan[T]:
    """``plan`` unchanged, each step shown to ``on_step`` before it is performed and each
    API reply to ``on_reply`` before the plan sees it."""
    result: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = plan.throw(error) if error is not None else plan.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        on_step(step)
        try:
            result, error = (yield step), None
        except LeapOCRError as exc:
            result, error = None, exc
        except BaseException:
            plan.close()
            raise
        if isinstance(step, Call) and isinstance(result, Reply):
            on_reply(step, result)


# --- a batch -------------------------------------------------------------------------


@attrs.frozen
class BatchFlows:
    """How the batch submits, waits on and deletes one job (made by the client)."""

    submit: Callable[[Any, UploadHook], Plan[Job]]
    wait: Callable[[str, StatusHook], Plan[JobResult]]
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
    job_id: str | None = None
    rate_limited: int = 0  # submissions refused with 429 after their retries (resubmitted)
    estimate: int | None = None  # its estimated price (None: unknown before it is sent)
    estimated: bool = False  # whether the estimate was asked
    reservation: Reservation | None = None  # its credits held in the budget


def process_many(
    ctx: Context,
    sources: Iterable[Any],
    flows: BatchFlows,
    settings: BatchSettings,
    journal: Journal | None = None,
) -> Plan[None]:
    """Emit one ``BatchItem`` per source as it finishes; see the module docstring.

    ``journal`` is a ``journal.Journal`` or None. With ``settings.max_credits``, a
    ``CreditBudget`` admits each source before it is submitted (``_pricing``): spent +
    reserved never passes the budget as far as estimates go; once a source does not
    fit, it is emitted with ``CreditBudgetExceededError`` and nothing more is submitted.
    """
    throttle = Throttle(settings.submit_rate)
    budget = CreditBudget(settings.max_credits)
    group = FlowGroup()
    pending: Iterator[Any] = iter(sources)
    queued: collections.deque[_Member] = collections.deque()  # to submit, before new ones
    follow_ups: list[tuple[Any, Plan[Any]]] = []
    exhausted = False

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

    def watch(member: _Member, plan: Plan[T]) -> Plan[T]:
        def on_step(step: Any) -> None:
            if isinstance(step, Call) and step.name in STARTS_A_JOB and journal and member.key:
                journal.sent(member.key)

        def on_reply(call: Call, reply: Reply) -> None:
            if reply.status_code == 429:
                hint = retry_after_seconds(reply.headers, now=ctx.wall_clock())
                pause = throttle.rate_limited(ctx.clock(), hint)
                logger.info("batch: HTTP 429 on %s; submissions paused for %.2fs", call.name, pause)
                event("throttled", member, f"HTTP 429: submissions paused for {pause:.2f}s")
            elif call.name == ISSUES_A_JOB_ID and reply.status_code < 300 and journal:
                with contextlib.suppress(LeapOCRError):  # the plan reports a bad answer
                    if member.key:
                        journal.job_issued(member.key, parse_job(reply).job_id)

        return watched(plan, on_step, on_reply)

    def submission(member: _Member) -> tuple[Any, Plan[Any]]:
        throttle.started(ctx.clock())
        return ("submitted", member), watch(member, flows.submit(member.source, uploading(member)))

    def waiting(member: _Member, job_id: str) -> tuple[Any, Plan[Any]]:
        member.job_id = job_id
        hook = polled(member)
        plan = wait_then_delete(ctx, job_id, lambda job: flows.wait(job, hook), flows.delete)
        return ("waited", member), watch(member, plan)  # its 429s slow submissions too

    try:
        while True:
            # Fill the free slots: follow-ups first, then queued and new sources.
            start, follow_ups = follow_ups, []
            timeout: float | None = None
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
                    decision = _decide(journal, member, settings.retry_failed)
                    if isinstance(decision, BatchItem):
                        yield Emit(decision)
                        continue
                    if isinstance(decision, str):
                        start.append(waiting(member, decision))
                        continue
                    queued.append(member)
                delay = throttle.delay(ctx.clock())
                if delay > 0:
                    timeout = delay
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
            (phase, member), value, error = finished
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
                    continue
            else:
                item = _after_wait(member, value, error, journal)
                budget.settle(member.reservation, item.credits)
            item = attrs.evolve(item, estimated_credits=member.estimate)
            event("finished", member, None if error is None else str(error))
            yield Emit(item)
            if journal is not None and member.key is not None and item.result is not None:
                journal.finished(member.key, item.job_id, item.credits, item.pages)
    finally:
        group.close()


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


def _decide(journal: Journal | None, member: _Member, retry_failed: bool) -> BatchItem | str | None:
    """What to do with a new source: a ``BatchItem`` to emit as is, a job id to wait on,
    or None to submit it."""
    if journal is None:
        return None
    entry = journal.lookup(member.source)
    if entry is None:
        return None  # not journaled (a file object), or unreadable: submit and see
    member.key = entry.key
    if entry.state == "done":
        return SkippedItem(
            member.source, entry.job_id, None, None, skipped=True, outputs=entry.outputs
        )
    if entry.state == "submitted" and entry.job_id:
        return entry.job_id
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
    job_id = getattr(error, "job_id", None)
    uncertain = isinstance(error, APIConnectionError) and error.may_have_been_processed
    # Uncertain: the row stays "sent" if the request that starts a job went out (the next
    # run reports it), else "submitting" (nothing was billed: the next run resends it).
    if journal is not None and key is not None and not uncertain:
        journal.failed(key, "failed", job_id, str(error))
    return FailedItem(member.source, job_id, None, error)


def _after_wait(
    member: _Member, result: JobResult | None, error: BaseException | None, journal: Journal | None
) -> BatchItem:
    if error is None:
        assert result is not None
        return DoneItem(
            member.source, member.job_id, result, None, credits=result.credits_used or 0
        )
    assert isinstance(error, LeapOCRError)
    if (
        journal is not None
        and member.key is not None
        and isinstance(error, JobFailedError | NotFoundError)
    ):
        journal.failed(member.key, "failed", member.job_id, str(error))
    # Anything else (a wait timeout, the network): the job stays journaled as submitted,
    # and the next run waits on it again instead of paying for it twice.
    return FailedItem(member.source, member.job_id, None, error)


# --- jobs submitted elsewhere --------------------------------------------------------


def as_completed(
    job_ids: Iterable[str], wait: Callable[[str, StatusHook], Plan[JobResult]], concurrency: int
) -> Plan[None]:
    """Emit a ``BatchItem`` (source: the job id) for each job as it finishes."""
    group = FlowGroup()
    pending = iter(job_ids)
    exhausted = False
    try:
        while True:
            start: list[tuple[Any, Plan[Any]]] = []
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


def _later(wait: Callable[[str, StatusHook], Plan[JobResult]], job_id: str) -> Plan[JobResult]:
    """The wait for ``job_id``, its arguments checked when it starts (inside the sub-flow)."""
    return (yield from wait(job_id, None))
