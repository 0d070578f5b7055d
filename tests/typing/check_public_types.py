"""What a type checker knows of the public API: checked by ``mypy --strict`` and ``pyright``
(``make typing``; ``tests/test_public_types.py``), never run.

``assert_type`` fails type checking when an expression's type is not the one written.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import assert_type

from leapocr_sdk import (
    AsyncLeapOCR,
    BatchItem,
    DocumentOptions,
    DoneItem,
    FailedItem,
    Job,
    JobOptions,
    JobResult,
    JobStatusInfo,
    Journal,
    LeapOCR,
    LeapOCRError,
    Model,
    OutputFormat,
    SkippedItem,
)

# What process_many yields when a journal may skip sources.
BatchItems = DoneItem | SkippedItem | FailedItem


def progress(info: JobStatusInfo) -> None:
    print(info.status)


def blocking(client: LeapOCR, journal: Journal | None) -> None:
    assert_type(client.process("invoice.pdf"), JobResult)
    assert_type(client.process("invoice.pdf", wait=False), Job)
    assert_type(
        client.process(
            "invoice.pdf",
            delete=True,
            file_name="invoice.pdf",
            output_type=OutputFormat.STRUCTURED,
            model=Model.PRO_V2,
            schema={"type": "object"},
            extract_bounding_boxes=True,
            poll_interval=0.5,
            timeout=60,
            on_progress=progress,
            on_upload_progress=lambda sent, total: None,
        ),
        JobResult,
    )
    options: JobOptions = {"model": "pro-v2", "timeout": 30.0}
    # Without a journal nothing is skipped: every item is done or failed.
    for item in client.process_many(Path("scans").glob("*.pdf"), concurrency=4, **options):
        assert_type(item, DoneItem | FailedItem)
        if item.result is not None:
            assert_type(item.result, JobResult)
        elif item.error is not None:
            assert_type(item.error, LeapOCRError)
        assert isinstance(item, BatchItem)  # every item is a BatchItem
    # With one, a source done in an earlier run (or held by another run) is skipped.
    for kept in client.process_many(["a.pdf"], journal="batch.sqlite", **options):
        assert_type(kept, DoneItem | SkippedItem | FailedItem)
        # Both checkers narrow the item on its flags compared with `is`:
        if kept.ok is True and kept.skipped is False:
            assert_type(kept, DoneItem)
            assert_type(kept.result, JobResult)
        if kept.ok is False:
            assert_type(kept.error, LeapOCRError)
        if isinstance(kept, SkippedItem):
            assert_type(kept.result, None)
    assert_type(client.process_many(["a.pdf"], journal=journal), Iterator[BatchItems])
    assert_type(client.process_many(["a.pdf"], journal=Path("b.sqlite")), Iterator[BatchItems])
    assert_type(client.process_many(["a.pdf"], journal=None), Iterator[DoneItem | FailedItem])
    for done in client.as_completed(["job-1", "job-2"]):
        if done.ok is True:
            assert_type(done.result, JobResult)
    one: DocumentOptions = {"file_name": "scan.pdf", "model": Model.STANDARD_V2}
    assert_type(client.process(b"%PDF-1.7", **one), JobResult)
    assert_type(
        client.process_file("invoice.pdf", model="pro-v2", extract_bounding_boxes=True), Job
    )
    assert_type(client.wait_many(["job-1"]), list[DoneItem | FailedItem])


async def concurrent(client: AsyncLeapOCR, journal: Journal | None) -> None:
    assert_type(await client.process("invoice.pdf"), JobResult)
    assert_type(await client.process("invoice.pdf", wait=False, model=Model.PRO_V2), Job)
    async for item in client.process_many(["a.pdf", "https://example.com/b.pdf"], timeout=5):
        assert_type(item, DoneItem | FailedItem)
        if item.result is not None:
            assert_type(item.result.markdown, str)
    async for skippable in client.process_many(["a.pdf"], journal="b.sqlite", timeout=5):
        assert_type(skippable, DoneItem | SkippedItem | FailedItem)
    assert_type(client.process_many(["a.pdf"], journal=journal), AsyncIterator[BatchItems])
    async for page in client.iter_pages("job-1"):
        assert_type(page.page_number, int)
