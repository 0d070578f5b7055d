"""Every ``BatchItem`` a batch yields is a ``DoneItem``, ``SkippedItem`` or ``FailedItem``
whose flags say which (what type checkers narrow on), sync and async, against the emulator."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import (
    BatchItem,
    DoneItem,
    FailedItem,
    JobFailedError,
    JobResult,
    LeapOCRError,
    SkippedItem,
)
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

FAST = {"poll_interval": 0.02}


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.02)


@pytest.fixture
def client(emu: LeapOCREmulator, make_client: Any) -> Any:
    return make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)


def check_kind(item: BatchItem) -> None:
    """The item's class matches its flags and fields, and survives pickling."""
    assert isinstance(item, BatchItem)
    if isinstance(item, DoneItem):
        assert item.ok is True and item.skipped is False
        assert isinstance(item.result, JobResult) and item.error is None
    elif isinstance(item, SkippedItem):
        assert item.ok is True and item.skipped is True
        assert item.result is None and item.error is None
    else:
        assert isinstance(item, FailedItem)
        assert item.ok is False and item.skipped is False
        assert item.result is None and isinstance(item.error, LeapOCRError)
    copy = pickle.loads(pickle.dumps(item))
    assert type(copy) is type(item) and copy.ok is item.ok and copy.job_id == item.job_id


def test_a_batch_yields_done_failed_then_skipped_items(client: Any, tmp_path: Path) -> None:
    good = tmp_path / "good.pdf"
    good.write_bytes(make_pdf(["fine"]))
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 but broken inside")
    journal = str(tmp_path / "batch.sqlite")

    first = {
        Path(i.source).name: i for i in client.process_many([good, bad], journal=journal, **FAST)
    }
    for item in first.values():
        check_kind(item)
    assert type(first["good.pdf"]) is DoneItem and first["good.pdf"].result.markdown == "fine"
    assert type(first["bad.pdf"]) is FailedItem
    assert isinstance(first["bad.pdf"].error, JobFailedError)

    again = {
        Path(i.source).name: i for i in client.process_many([good, bad], journal=journal, **FAST)
    }
    for item in again.values():
        check_kind(item)
    assert type(again["good.pdf"]) is SkippedItem  # done in the first run
    assert type(again["bad.pdf"]) is FailedItem  # not resubmitted without retry_failed


def test_jobs_waited_on_are_done_or_failed(emu: LeapOCREmulator, client: Any) -> None:
    good = client.process(make_pdf(["fine"]), wait=False)
    bad = client.process(b"%PDF-1.7 but broken inside", wait=False)
    items = client.wait_many([good.job_id, bad.job_id, "no-such-job"], **FAST)
    for item in items:
        check_kind(item)
    assert [type(item) for item in items] == [DoneItem, FailedItem, FailedItem]
    streamed = list(client.as_completed([good.job_id], **FAST))
    assert [type(item) for item in streamed] == [DoneItem]
