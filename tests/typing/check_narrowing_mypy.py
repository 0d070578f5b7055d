"""``BatchItem`` narrowing on its flags' truth, as mypy does it (``make typing``), never run.

mypy narrows a union of classes on the truth of a ``Literal`` attribute: ``if item.ok:``
leaves a ``DoneItem`` wherever no item can be skipped (``process_many`` without a
journal, ``as_completed``, ``wait_many``); with a journal, skipped items (``ok`` without a
result) are excluded first. pyright narrows only on flags compared with ``is``
(``check_narrowing_pyright.py``), so this file's ``assert_type`` and ``None`` checks are
mypy's alone: pyright reads the whole folder (``make typing``) and checks this file for
everything else.
"""

# pyright: reportAssertTypeFailure=false, reportOptionalMemberAccess=false

from __future__ import annotations

from typing import assert_type

from leapocr_sdk import (
    AsyncLeapOCR,
    DoneItem,
    FailedItem,
    JobResult,
    Journal,
    LeapOCR,
    LeapOCRError,
    SkippedItem,
)


def blocking(client: LeapOCR, journal: Journal | None) -> None:
    for item in client.process_many(["a.pdf"], model="pro-v2"):  # no journal
        if item.ok:
            assert_type(item, DoneItem)
            assert_type(item.result.markdown, str)
        else:
            assert_type(item, FailedItem)
            assert_type(item.error, LeapOCRError)
    for kept in client.process_many(["a.pdf"], journal="batch.sqlite"):
        if kept.ok:  # a skipped source is ok too, without a result
            assert_type(kept, DoneItem | SkippedItem)
            assert_type(kept.result, JobResult | None)
        if kept.skipped:
            continue
        if kept.ok:
            assert_type(kept, DoneItem)
            assert_type(kept.result.markdown, str)
        else:
            assert_type(kept.error, LeapOCRError)
    for maybe in client.process_many(["a.pdf"], journal=journal):  # maybe a journal
        if maybe.ok and not maybe.skipped:
            assert_type(maybe.result.markdown, str)
        elif maybe.ok:
            assert_type(maybe, SkippedItem)
        else:
            assert_type(maybe.error, LeapOCRError)
    for done in client.as_completed(["job-1"]):
        if done.ok:
            assert_type(done.result.markdown, str)
        else:
            assert_type(done.error, LeapOCRError)
    for done in client.wait_many(["job-1"]):
        if done.ok:
            assert_type(done.result.markdown, str)
        if not done.ok:
            assert_type(done.error, LeapOCRError)


async def concurrent(client: AsyncLeapOCR, journal: Journal | None) -> None:
    async for item in client.process_many(["a.pdf"], timeout=60):  # no journal
        if item.ok:
            assert_type(item.result.markdown, str)
        else:
            assert_type(item.error, LeapOCRError)
    async for kept in client.process_many(["a.pdf"], journal="batch.sqlite"):
        if kept.ok:
            assert_type(kept.result, JobResult | None)
        if kept.skipped:
            continue
        if kept.ok:
            assert_type(kept.result.markdown, str)
    async for maybe in client.process_many(["a.pdf"], journal=journal):
        if not maybe.skipped and maybe.ok:
            assert_type(maybe.result.markdown, str)
    async for done in client.as_completed(["job-1"]):
        if done.ok:
            assert_type(done.result.markdown, str)
    for done in await client.wait_many(["job-1"]):
        if done.ok:
            assert_type(done.result.markdown, str)
        else:
            assert_type(done.error, LeapOCRError)
