"""``BatchItem`` narrowing on its flags' truth, as mypy does it (``make typing``), never run.

mypy narrows a union of classes on the truth of a ``Literal`` attribute (``if item.ok:``);
pyright narrows only on the forms its documentation lists (``item.ok is True``, see
``check_public_types.py``), so its ``assert_type`` lines are mypy's alone: pyright reads
the whole folder (``make typing``) and checks this file for everything else.
"""

# pyright: reportAssertTypeFailure=false

from __future__ import annotations

from typing import assert_type

from leapocr_sdk import AsyncLeapOCR, DoneItem, JobResult, LeapOCR, LeapOCRError, SkippedItem


def blocking(client: LeapOCR) -> None:
    for item in client.process_many(["a.pdf"], journal="batch.sqlite"):
        if item.ok and not item.skipped:
            assert_type(item, DoneItem)
            assert_type(item.result, JobResult)
        elif item.ok:
            assert_type(item, SkippedItem)
        else:
            assert_type(item.error, LeapOCRError)
        if not item.ok:
            assert_type(item.error, LeapOCRError)
    for done in client.wait_many(["job-1"]):  # no journal: ok means a result
        if done.ok:
            assert_type(done.result, JobResult)
        else:
            assert_type(done.error, LeapOCRError)


async def concurrent(client: AsyncLeapOCR) -> None:
    async for item in client.process_many(["a.pdf"]):
        if item.ok and not item.skipped:
            assert_type(item.result, JobResult)
        if not item.ok:
            assert_type(item.error, LeapOCRError)
