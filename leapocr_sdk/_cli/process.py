"""``leapocr process``: submit many documents at once, wait, and save every result.

Inputs run through :meth:`AsyncLeapOCR.process_many`, at most ``concurrency`` at a time,
with a journal (by default in the ``--out`` directory) so that running the same command
again after a crash resumes: done documents are skipped, submitted ones waited on, and
none is paid for twice. Each input ends with its own exit code; one failing never stops
or loses the others.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._client import AsyncLeapOCR
from .._contract import SUPPORTED_EXTENSIONS, describe_file_types
from .._validation import SubmitOptions
from ..errors import CreditBudgetExceededError, LeapOCRError, ValidationError
from ..journal import Journal
from ..types import Job, JobResult
from .codes import EXIT_OK, exit_code_for
from .render import is_url, render, write_output
from .ui import Item, Reporter


@dataclass(frozen=True)
class ProcessOptions:
    """What ``process`` was asked to do, checked and ready."""

    submit: SubmitOptions
    out_dir: Path | None
    wait: bool
    delete: bool
    concurrency: int
    poll_interval: float
    timeout: float
    journal: Path | None = None
    retry_failed: bool = False
    pages: str | None = None
    max_credits: int | None = None
    submit_rate: float | None = None

    def submit_options(self) -> dict[str, Any]:
        """The processing options as the client's keywords."""
        options = self.submit._asdict()
        if self.pages is not None:
            options["pages"] = self.pages
        return options


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


def expand_sources(sources: list[str], *, recursive: bool) -> list[str]:
    """The inputs, each directory replaced by the supported documents in it (sorted)."""
    expanded: list[str] = []
    for source in sources:
        if is_url(source) or not os.path.isdir(source):
            expanded.append(source)
            continue
        found = sorted(_documents_in(Path(source), recursive=recursive))
        if not found:
            deeper = "" if recursive else " (add --recursive to look in its subdirectories)"
            raise ValidationError(
                f"no documents in directory {source!r}{deeper}: "
                f"expected {describe_file_types()} files ({', '.join(SUPPORTED_EXTENSIONS)})"
            )
        expanded.extend(str(path) for path in found)
    return expanded


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
    """Process every input, ``options.concurrency`` at a time; their exit codes, in order."""
    codes = [EXIT_OK] * len(items)
    sources = []
    for item in items:
        source = _Source(item.location or item.source)
        source.item = item
        sources.append(source)

    def on_event(event: Any) -> None:
        item = event.source.item
        if event.kind == "uploading":
            reporter.uploading(item, event.sent, event.total)
        elif event.kind == "submitted":
            reporter.submitted(item, event.job_id)
        elif event.kind == "waiting":
            reporter.waiting(item, event.status)

    journal = Journal(options.journal) if options.journal is not None else None
    seen: set[int] = set()
    try:
        batch = client.process_many(
            sources,
            concurrency=options.concurrency,
            journal=journal,
            retry_failed=options.retry_failed,
            max_credits=options.max_credits,
            submit_rate=options.submit_rate,
            on_event=on_event,
            poll_interval=options.poll_interval,
            timeout=options.timeout,
            **options.submit_options(),
        )
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
            if error is None:
                summary.done += 1
            else:
                summary.failed += 1
                codes[item.index] = exit_code_for(error)
                job_id = done.job_id or getattr(error, "job_id", None)
                reporter.failed(item, job_id, error, codes[item.index])
        for item in items:  # --max-credits stopped the batch before these: say so
            if item.index not in seen:
                error = CreditBudgetExceededError(None, 0)
                summary.failed += 1
                codes[item.index] = exit_code_for(error)
                reporter.failed(item, None, error, codes[item.index])
    finally:
        if journal is not None:
            journal.close()
    return codes


async def finish(
    client: AsyncLeapOCR,
    item: Item,
    result: JobResult,
    options: ProcessOptions,
    reporter: Reporter,
    journal: Journal | None,
) -> None:
    """Save a result (noting the file in the journal), then delete its job if asked."""
    output = save(item, result, options.out_dir, reporter)
    if journal is not None and output is not None:
        journal.set_outputs(result.job_id, [str(output.resolve())])
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
    return await client.process(
        item.location or item.source,
        wait=False,
        on_upload_progress=lambda sent, total: reporter.uploading(item, sent, total),
        **options.submit_options(),
    )


def save(item: Item, result: JobResult, out_dir: Path | None, reporter: Reporter) -> Path | None:
    """Write the result to ``out_dir`` (or hand it to the reporter for stdout)."""
    rendered = render(result)
    output = write_output(out_dir, item.stem, rendered) if out_dir is not None else None
    reporter.done(item, result, rendered, output)
    return output
