"""``leapocr process``: submit many documents at once, wait, and save every result.

Inputs run through :meth:`AsyncLeapOCR.process_many`, at most ``concurrency`` at a time,
with a journal (by default in the ``--out`` directory) so that running the same command
again after a crash resumes: done documents are skipped, submitted ones waited on, and
none is paid for twice. Each input ends with its own exit code; one failing never stops
or loses the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import warnings
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .._base_client import batch_settings
from .._batch_stop import STOPPED_EARLY
from .._client import AsyncLeapOCR
from .._contract import SUPPORTED_EXTENSIONS, describe_file_types
from .._sources import is_url
from .._validation import CheckedOptions
from ..errors import CreditBudgetExceededError, LeapOCRError, ValidationError
from ..journal import Journal
from ..types import Job, JobResult
from .codes import EXIT_OK, exit_code_for
from .inputs import STDIN
from .render import (
    ResultNotWritten,
    output_parts,
    render,
    shared_outputs,
    write_output,
)
from .ui import Item, Reporter

SETTLE_SECONDS = 10.0
"""How long an interrupted ``process`` spends deleting its running jobs (``--delete``)."""


@dataclass(frozen=True)
class ProcessOptions:
    """What ``process`` was asked to do, checked and ready: ``document``, how each
    document is submitted and waited on; the rest, what the run does with them."""

    document: CheckedOptions
    out_dir: Path | None
    wait: bool
    delete: bool
    concurrency: int
    journal: Path | None = None
    retry_failed: bool = False
    max_credits: int | None = None
    submit_rate: float | None = None


@dataclass
class Summary:
    """What a ``process`` run did, for its last line."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    pages: int = 0
    credits: int = 0
    estimated: int = 0  # the documents' estimated prices, where they were known
    started: float = field(default_factory=time.monotonic)

    def line(self, dot: str = "·") -> str:
        seconds = time.monotonic() - self.started
        counts = f"{self.done} ok, {self.failed} failed"
        if self.skipped:
            counts += f", {self.skipped} done earlier"
        credits = f"{self.credits} credits (estimated {self.estimated})"
        return f"{counts} {dot} {self.pages} pages {dot} {credits} {dot} {seconds:.1f} s"

    def fields(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "failed": self.failed,
            "skipped": self.skipped,
            "pages": self.pages,
            "credits": self.credits,
            "estimated_credits": self.estimated,
            "seconds": round(time.monotonic() - self.started, 3),
        }


def expand_sources(sources: list[str], *, recursive: bool) -> list[tuple[str, tuple[str, ...]]]:
    """The inputs, each directory replaced by the supported documents in it (sorted); each
    with where its result goes under ``--out`` (``render.output_parts``)."""
    expanded: list[tuple[str, tuple[str, ...]]] = []
    for source in sources:
        if source == STDIN:
            expanded.append((source, ("stdin",)))
            continue
        if is_url(source) or not os.path.isdir(source):
            expanded.append((source, output_parts(source)))
            continue
        found = sorted(_documents_in(Path(source), recursive=recursive))
        if not found:
            deeper = "" if recursive else " (add --recursive to look in its subdirectories)"
            raise ValidationError(
                f"no documents in directory {source!r}{deeper}: "
                f"expected {describe_file_types()} files ({', '.join(SUPPORTED_EXTENSIONS)})"
            )
        expanded.extend((str(path), output_parts(str(path), source)) for path in found)
    return expanded


def check_outputs(inputs: list[tuple[str, tuple[str, ...]]], out_dir: Path, extension: str) -> None:
    """Refuse inputs whose results would be written to one file (before any request)."""
    shared = shared_outputs(inputs)
    if not shared:
        return
    clashes = "; ".join(
        f"{str(out_dir / (name + extension))!r} from " + " and ".join(map(repr, sources))
        for name, sources in shared.items()
    )
    raise ValidationError(
        f"several inputs would be written to the same file under --out: {clashes}. Rename "
        "one, give the folder that holds them with --recursive (results then mirror its "
        "tree), or process them with separate --out directories"
    )


def _documents_in(directory: Path, *, recursive: bool) -> list[Path]:
    candidates = directory.rglob("*") if recursive else directory.iterdir()
    return [
        path
        for path in candidates
        if path.suffix.lower() in SUPPORTED_EXTENSIONS
        and path.is_file()
        and not path.name.startswith(".")
    ]


class _Source(str):
    """An input as given (a path or URL), carrying its ``Item``: inputs may repeat."""

    item: Item


async def process_batch(
    client: AsyncLeapOCR,
    items: list[Item],
    options: ProcessOptions,
    reporter: Reporter,
    summary: Summary,
) -> list[int]:
    """Process every input, ``options.concurrency`` at a time; their exit codes, in order.

    Cancelled (Ctrl-C, SIGTERM, a closed stdout: see ``signals``), it stops the batch (the
    client deletes half-uploaded jobs), then settles the jobs still running: see
    :func:`settle_running`.
    """
    codes = [EXIT_OK] * len(items)
    sources = []
    for item in items:
        source = _Source(item.location or item.source)
        source.item = item
        sources.append(source)
    running: dict[str, Item] = {}  # jobs started and not yet settled by this run

    def on_event(event: Any) -> None:
        item = event.source.item
        if event.kind in ("submitted", "waiting", "stopped") and event.job_id:
            running.setdefault(event.job_id, item)  # stopped: left by the batch, settled here
        elif event.kind == "finished" and event.message is not None and event.job_id:
            running.pop(event.job_id, None)  # failed: kept, and named in its error
        if event.kind == "uploading":
            reporter.uploading(item, event.sent, event.total)
        elif event.kind == "submitted":
            reporter.submitted(item, event.job_id)
        elif event.kind == "waiting":
            reporter.waiting(item, event.status)

    journal = Journal(options.journal) if options.journal is not None else None
    seen: set[int] = set()
    try:
        settings = batch_settings(
            concurrency=options.concurrency,
            submit_rate=options.submit_rate,
            max_credits=options.max_credits,
            retry_failed=options.retry_failed,
            on_event=on_event,
        )
        batch = client._process_many(sources, options.document, settings, journal=journal)
        try:
            async with _jobs_named_here(), _closing(batch):
                async for done in batch:
                    item = done.source.item
                    seen.add(item.index)
                    if done.skipped:
                        summary.skipped += 1
                        reporter.skipped(item, done.job_id, done.outputs)
                        continue
                    error: LeapOCRError | OSError | None = done.error
                    if done.result is not None:
                        summary.estimated += done.estimated_credits or 0
                        summary.pages += done.pages
                        summary.credits += done.credits
                        try:
                            await finish(client, item, done.result, options, reporter, journal)
                        except (LeapOCRError, OSError) as exc:
                            error = exc
                        running.pop(done.result.job_id, None)
                    if error is None:
                        summary.done += 1
                    else:
                        summary.failed += 1
                        codes[item.index] = exit_code_for(error)
                        job_id = done.job_id or getattr(error, "job_id", None)
                        reporter.failed(item, job_id, error, codes[item.index])
        except asyncio.CancelledError:
            await settle_running(client, running, options, reporter, journal is not None)
            raise
        for item in items:  # --max-credits stopped the batch before these: say so
            if item.index not in seen:
                unsent = CreditBudgetExceededError(None, 0)
                summary.failed += 1
                codes[item.index] = exit_code_for(unsent)
                reporter.failed(item, None, unsent, codes[item.index])
    finally:
        if journal is not None:
            journal.close()
    return codes


@contextlib.asynccontextmanager
async def _closing(batch: AsyncIterator[Any]) -> AsyncIterator[None]:
    """Close the batch when the loop ends, also by cancellation (the client cleans up)."""
    try:
        yield
    finally:
        if isinstance(batch, AsyncGenerator):
            await batch.aclose()


@contextlib.asynccontextmanager
async def _jobs_named_here() -> AsyncIterator[None]:
    """Silence the library's warning (and log record) naming the jobs a stopped batch
    leaves: the command names each of them itself, in a ``kept`` event or a line (its
    ``stopped`` events feed ``running``), and stderr stays one event a line."""

    def not_stopped_early(record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(STOPPED_EARLY)

    logger = logging.getLogger("leapocr_sdk")
    logger.addFilter(not_stopped_early)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=STOPPED_EARLY)
            yield
    finally:
        logger.removeFilter(not_stopped_early)


async def settle_running(
    client: AsyncLeapOCR,
    running: dict[str, Item],
    options: ProcessOptions,
    reporter: Reporter,
    journaled: bool,
) -> None:
    """After an interruption, what becomes of the jobs still running; each one is named.

    With ``--delete`` and no journal they are deleted (at most ``SETTLE_SECONDS``); with a
    journal they are kept for the next run of the same command, which collects them
    without paying again; otherwise they are left, each with the command that fetches it.
    """
    task = asyncio.current_task()
    stopped_twice = task is not None and task.cancelling() > 1  # cut the clean-up short
    try:
        if options.delete and not journaled and not stopped_twice:
            await _delete_all(client, running, reporter)
    finally:
        for job_id, item in running.items():
            if journaled:
                then = " and delete it" if options.delete else ""
                message = f"kept: run the same command again to collect its result{then}"
            elif options.delete:
                message = "could not be deleted: delete it with `leapocr delete JOB_ID`"
            else:
                message = "left running: fetch its result later with `leapocr result JOB_ID`"
            reporter.kept(item, job_id, message.replace("JOB_ID", job_id))


async def _delete_all(client: AsyncLeapOCR, running: dict[str, Item], reporter: Reporter) -> None:
    """Delete the jobs in ``running`` together; those deleted leave it."""

    async def delete(job_id: str, item: Item) -> None:
        with contextlib.suppress(LeapOCRError):  # it stays in ``running``: named
            await client.delete_job(job_id)
            del running[job_id]
            reporter.deleted(item, job_id)

    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SETTLE_SECONDS):
            await asyncio.gather(*(delete(job_id, item) for job_id, item in list(running.items())))


async def finish(
    client: AsyncLeapOCR,
    item: Item,
    result: JobResult,
    options: ProcessOptions,
    reporter: Reporter,
    journal: Journal | None,
) -> None:
    """Save a result (noting the file in the journal), then delete its job if asked.

    A result that cannot be written is that input's failure (``ResultNotWritten``): its
    job is kept, and the journal keeps the source ``submitted`` (not ``done``), so the
    next run of the same command fetches the result again without paying for it again.
    A saved result's source is journaled ``done`` before its job is deleted: a run killed
    in between leaves a done source, not a deleted job the next run would pay for again.
    """
    try:
        output = save(item, result, options.out_dir, reporter)
    except ResultNotWritten as exc:
        if journal is not None:
            exc.hint = "its job is kept: run the same command again to write it"
            journal.not_saved(result.job_id, str(exc))
        raise
    if journal is not None and output is not None:
        journal.set_outputs(result.job_id, [str(output.resolve())])
    if journal is not None and options.delete:
        entry = journal.lookup(item.location or item.source)  # the batch's own row
        if entry is not None and entry.job_id == result.job_id:
            journal.finished(entry.key, result.job_id, result.credits_used or 0, len(result.pages))
    if options.delete:
        await client.delete_job(result.job_id)
        reporter.deleted(item, result.job_id)


async def submit_all(
    client: AsyncLeapOCR, items: list[Item], options: ProcessOptions, reporter: Reporter
) -> list[int]:
    """``--no-wait``: submit every input, ``options.concurrency`` at a time; exit codes."""
    limit = asyncio.Semaphore(options.concurrency)

    async def bounded(item: Item) -> int:
        async with limit:
            try:
                job = await submit(client, item, options, reporter)
            except (LeapOCRError, OSError) as error:
                code = exit_code_for(error)
                reporter.failed(item, getattr(error, "job_id", None), error, code)
                return code
            reporter.submitted(item, job.job_id)
            return EXIT_OK

    return list(await asyncio.gather(*(bounded(item) for item in items)))


async def submit(
    client: AsyncLeapOCR, item: Item, options: ProcessOptions, reporter: Reporter
) -> Job:
    """A URL goes to process_url, anything else is uploaded from disk."""
    upload = options.document._replace(
        on_upload_progress=lambda sent, total: reporter.uploading(item, sent, total)
    )
    job = await client._process(item.location or item.source, upload, wait=False)
    return cast("Job", job)  # wait=False: the submitted job


def save(item: Item, result: JobResult, out_dir: Path | None, reporter: Reporter) -> Path | None:
    """Write the result to ``out_dir`` (or hand it to the reporter for stdout)."""
    rendered = render(result)
    output = (
        write_output(out_dir, item.output, rendered, result.job_id) if out_dir is not None else None
    )
    reporter.done(item, result, rendered, output)
    return output
