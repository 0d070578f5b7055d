"""``BatchItem`` narrowing on its flags compared with ``is``, the form pyright narrows (mypy
too): checked by both (``make typing``), never run.

Without a journal (and on ``as_completed`` / ``wait_many``) ``item.ok is True`` leaves a
``DoneItem``; with a journal, skipped items are excluded first (``item.skipped is True``).
"""

from __future__ import annotations

from typing import assert_type

from leapocr_sdk import (
    AsyncLeapOCR,
    DoneItem,
    FailedItem,
    Journal,
    LeapOCR,
    LeapOCRError,
    SkippedItem,
)


def blocking(client: LeapOCR, journal: Journal | None) -> None:
    for item in client.process_many(["a.pdf"], model="pro-v2"):  # no journal
        if item.ok is True:
            assert_type(item, DoneItem)
            assert_type(item.result.markdown, str)
        else:
            assert_type(item, FailedItem)
            assert_type(item.error, LeapOCRError)
    for kept in client.process_many(["a.pdf"], journal="batch.sqlite"):
        if kept.ok is True:  # a skipped source is ok too, without a result
            assert_type(kept, DoneItem | SkippedItem)
        if kept.skipped is True:
            continue
        if kept.ok is True:
            assert_type(kept.result.markdown, str)
        else:
            assert_type(kept.error, LeapOCRError)
    for maybe in client.process_many(["a.pdf"], journal=journal):  # maybe a journal
        if maybe.ok is True and maybe.skipped is False:
            assert_type(maybe.result.markdown, str)
    for done in client.as_completed(["job-1"]):
        if done.ok is True:
            assert_type(done.result.markdown, str)
    for done in client.wait_many(["job-1"]):
        if done.ok is False:
            assert_type(done.error, LeapOCRError)


async def concurrent(client: AsyncLeapOCR) -> None:
    async for item in client.process_many(["a.pdf"], timeout=60):  # no journal
        if item.ok is True:
            assert_type(item.result.markdown, str)
    async for kept in client.process_many(["a.pdf"], journal="batch.sqlite"):
        if kept.skipped is True:
            continue
        if kept.ok is True:
            assert_type(kept.result.markdown, str)
    async for done in client.as_completed(["job-1"]):
        if done.ok is True:
            assert_type(done.result.markdown, str)
    for done in await client.wait_many(["job-1"]):
        if done.ok is True:
            assert_type(done.result.markdown, str)
