"""``leapocr process``: submit many documents at once, wait, and save every result.

Inputs run concurrently on one :class:`AsyncLeapOCR`, at most ``concurrency`` at a time.
Each input ends with its own exit code; one failing never stops or loses the others.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from .._client import AsyncLeapOCR
from .._validation import SubmitOptions
from ..errors import LeapOCRError
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


async def process_all(
    client: AsyncLeapOCR, items: list[Item], options: ProcessOptions, reporter: Reporter
) -> list[int]:
    """Process every input, ``options.concurrency`` at a time; their exit codes, in order."""
    limit = asyncio.Semaphore(options.concurrency)

    async def bounded(item: Item) -> int:
        async with limit:
            return await process_one(client, item, options, reporter)

    return list(await asyncio.gather(*(bounded(item) for item in items)))


async def process_one(
    client: AsyncLeapOCR, item: Item, options: ProcessOptions, reporter: Reporter
) -> int:
    """Submit one input, wait for it, save its result, delete the job if asked."""
    job_id: str | None = None
    try:
        job = await submit(client, item, options, reporter)
        job_id = job.job_id
        reporter.submitted(item, job_id)
        if not options.wait:
            return EXIT_OK
        result = await client.wait_until_done(
            job_id,
            poll_interval=options.poll_interval,
            timeout=options.timeout,
            on_progress=lambda info: reporter.waiting(item, info),
        )
        save(item, result, options.out_dir, reporter)
        if options.delete:
            await client.delete_job(job_id)
            reporter.deleted(item, job_id)
    except (LeapOCRError, OSError) as error:
        code = exit_code_for(error)
        reporter.failed(item, job_id or getattr(error, "job_id", None), error, code)
        return code
    return EXIT_OK


async def submit(
    client: AsyncLeapOCR, item: Item, options: ProcessOptions, reporter: Reporter
) -> Job:
    """A URL goes to process_url, anything else is uploaded from disk."""
    if is_url(item.source):
        return await client.process_url(item.source, **options.submit._asdict())
    return await client.process_file(
        item.source,
        **options.submit._asdict(),
        on_upload_progress=lambda sent, total: reporter.uploading(item, sent, total),
    )


def save(item: Item, result: JobResult, out_dir: Path | None, reporter: Reporter) -> None:
    """Write the result to ``out_dir`` (or hand it to the reporter for stdout)."""
    rendered = render(result)
    output = write_output(out_dir, item.stem, rendered) if out_dir is not None else None
    reporter.done(item, result, rendered, output)
