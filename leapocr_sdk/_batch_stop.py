"""A batch stopped early (``break``, an error in the caller's loop, Ctrl-C, a cancelled
task, a closed client): its sub-flows stopped, the jobs it must delete deleted, and every
job it leaves named (a warning, the error's notes, a ``stopped`` event, the journal).

The batch's scheduling is in ``_batch``; this is what it does on its way out.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _constants as C
from ._batch_items import BatchEvent
from ._flows import Context, discard_job
from ._steps import CallerStopped, Finished, Flow, FlowGroup, Parallel, StopGroup
from .errors import JournalError
from .types import Job

if TYPE_CHECKING:
    from ._batch import _Member
    from .journal import Journal

logger = logging.getLogger("leapocr_sdk")

# How the warning (and log record) naming the jobs a stopped batch leaves begins.
STOPPED_EARLY = "leapocr: the batch was stopped early"


def stop_batch(
    ctx: Context,
    stop: BaseException,
    group: FlowGroup,
    ended: list[Finished],
    not_started: list[Any],
    emitted: _Member | None,
    delete: bool,
    journal: Journal | None,
    on_event: Callable[[BatchEvent], object] | None,
) -> Flow[None]:
    """Clean up a batch stopped early; see ``process_many``.

    Half-uploaded jobs (``complete`` never sent) are deleted. A job that started, or may
    have: with a usable journal it is kept (it is journaled; the next run waits on it
    and deletes it once its result is saved, with ``delete``); without one it is deleted
    with ``delete``, else left. Every job left is named in a warning, in the error's
    notes, in a ``stopped`` event and in the journal.
    """
    stopped, abandoned = yield StopGroup(group, C.BATCH_STOP_WAIT)
    stopped = [*ended, *stopped]  # ``ended``: a sub-flow that ended as the batch stopped
    usable = journal is not None and not isinstance(stop, JournalError)
    to_delete: list[tuple[_Member, str]] = []
    kept: list[tuple[_Member, str]] = []
    left: list[tuple[_Member, str]] = []

    def started(member: _Member, job_id: str) -> None:
        if any(job_id == named for _, named in kept + left + to_delete):
            return  # met twice (e.g. handed out and still being waited on): named once
        if usable:
            kept.append((member, job_id))
        elif delete:
            to_delete.append((member, job_id))
        else:
            left.append((member, job_id))

    for (phase, member), value, _error in stopped:
        if phase == "submitted" and isinstance(value, Job):
            member.job_id = value.job_id
            if usable and member.key is not None:
                with contextlib.suppress(JournalError):
                    journal.submitted(member.key, value.job_id)  # type: ignore[union-attr]
            started(member, value.job_id)
        elif phase == "submitted" and member.issued and not member.deleted:
            if member.completing:
                started(member, member.issued)  # complete went out: it may have started
            else:
                to_delete.append((member, member.issued))
        elif phase in ("waited", "deleted") and member.job_id and not member.deleted:
            if phase == "deleted":
                to_delete.append((member, member.job_id))
            else:
                started(member, member.job_id)
    for phase, member in not_started:
        if phase == "waited" and member.job_id:
            started(member, member.job_id)
        elif phase == "deleted" and member.job_id and not member.deleted:
            to_delete.append((member, member.job_id))
    if emitted is not None and emitted.job_id and not emitted.deleted:
        started(emitted, emitted.job_id)  # handed out, but the caller did not go on
    unsure = [
        (member, member.job_id or member.issued or "?")
        for phase, member in abandoned
        if (member.job_id or member.issued) and not member.deleted
    ]
    to_delete = list({job_id: (member, job_id) for member, job_id in to_delete}.values())
    discards = tuple(discard_job(ctx, job_id, interrupted=True) for _, job_id in to_delete)
    outcomes: list[bool] = (yield Parallel(discards, limit=len(discards))) if discards else []
    failed = [pair for pair, ok in zip(to_delete, outcomes, strict=True) if not ok]

    lines = []
    if kept:
        lines.append(
            f"{len(kept)} job(s) kept for the next run (recorded in the journal "
            f"{str(getattr(journal, 'path', ''))!r}; run the same process_many(..., "
            "journal=...) or `leapocr process` command again to collect them): "
            + ", ".join(job_id for _, job_id in kept)
        )
    if left:
        lines.append(
            f"{len(left)} job(s) still on the service (collect them with "
            "client.get_result(job_id) or `leapocr result JOB_ID`; delete them with "
            "client.delete_job(job_id)): " + ", ".join(job_id for _, job_id in left)
        )
    if failed or unsure:
        lines.append(
            f"{len(failed) + len(unsure)} job(s) could not be deleted or stopped in time "
            "(delete them with client.delete_job(job_id) or `leapocr delete JOB_ID`): "
            + ", ".join(job_id for _, job_id in failed + unsure)
        )
    for member, job_id in failed + unsure:
        if usable and member.key is not None:
            with contextlib.suppress(JournalError):  # the next run deletes it
                journal.failed(member.key, "submitting", job_id, "not deleted when stopped")  # type: ignore[union-attr]
    if not lines:
        return
    message = f"{STOPPED_EARLY}; " + "; ".join(lines)
    if on_event is not None:
        for member, job_id in kept + left + failed + unsure:
            with contextlib.suppress(Exception):
                on_event(BatchEvent("stopped", member.source, job_id, message))
    if not isinstance(stop, CallerStopped):
        stop.add_note(message)
    logger.warning("%s", message)
    warnings.warn(message, UserWarning, stacklevel=2)
