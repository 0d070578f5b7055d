"""What a batch hands its caller: a ``BatchItem`` per source (``DoneItem`` or
``FailedItem``, and with a journal ``SkippedItem``, so a type checker narrows it by its
flags) and the ``BatchEvent``s of ``process_many``'s ``on_event``."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from .errors import LeapOCRError
from .types import JobResult, JobStatusInfo


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
        skipped: True for a source a journal shows as done in an earlier run, or as
            held by another run (``held_by``).
        outputs: for a skipped source, the paths recorded with ``Journal.set_outputs``.
        held_by: for a source another run of the same journal is processing now (an
            overlapping run), who holds it: not submitted twice; run again once that
            run ended (a run that died gives its sources up when its lease runs out).
    """

    source: Any
    job_id: str | None
    result: JobResult | None
    error: LeapOCRError | None
    credits: int = 0
    skipped: bool = False
    outputs: tuple[str, ...] = ()
    held_by: str | None = None
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

    Batches yield a ``DoneItem`` or a ``FailedItem`` (``process_many`` with a ``journal``
    also a ``SkippedItem``: ``ok``, without a result), so a type checker narrows an item
    by its flags: after ``if item.ok:`` mypy knows ``item.result`` is a ``JobResult``
    (with a journal, once ``if item.skipped: continue`` has excluded skipped items).
    pyright narrows only on flags compared with ``is``: ``item.ok is True`` (with a
    journal, after ``item.skipped is True``). Both narrow on ``item.result is not None``
    and ``isinstance(item, DoneItem)``.

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
    """A ``BatchItem`` a journal shows as done in an earlier run, or as held by another
    run now (``held_by``): no result in this one.

    Attributes:
        result: None (the result was saved by the earlier run, see ``outputs``; or is
            the other run's to save).
        error: None.
        skipped: True.
    """

    result: None
    error: None
    skipped: Literal[True]

    @property
    def ok(self) -> Literal[True]:
        """True: the source was done in an earlier run (or is another run's)."""
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
            ``throttled`` (a submission met a 429 and the batch slows down: ``message``),
            ``finished`` (its ``BatchItem`` is next; ``message``: the error, if any),
            ``held`` (another run of the journal holds it: ``message`` says who) or
            ``stopped`` (the batch was stopped early and left the job ``job_id`` on the
            service, kept for the next run or not deleted: ``message`` says which and
            how to collect or delete it).
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
