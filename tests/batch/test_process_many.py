"""``process_many``, ``as_completed`` and ``wait_many``, sync and async, against the emulator."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import BatchEvent, BatchItem, RateLimitError, ValidationError
from leapocr_sdk._batch import Throttle
from leapocr_sdk._constants import THROTTLE_MIN_SPACING
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

FAST = {"poll_interval": 0.02}


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.05)


@pytest.fixture
def client(emu: LeapOCREmulator, make_client: Any) -> Any:
    return make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)


def documents(count: int) -> list[bytes]:
    return [make_pdf([f"document {n}"]) for n in range(count)]


def test_one_item_per_source_in_completion_order(emu: LeapOCREmulator, client: Any) -> None:
    sources: list[Any] = [*documents(6), b"%PDF-1.7 broken", "missing.pdf"]
    events: list[BatchEvent] = []
    items = list(client.process_many(sources, concurrency=8, on_event=events.append, **FAST))
    assert len(items) == len(sources)
    assert items[0].source == "missing.pdf"  # fails at once, before any job ends
    assert isinstance(items[0].error, ValidationError) and items[0].job_id is None
    by_source = {id(item.source): item for item in items}
    for n, source in enumerate(sources[:6]):
        item = by_source[id(source)]
        assert item.ok and item.result is not None and item.result.markdown == f"document {n}"
        assert item.credits == 1 and item.pages == 1 and item.job_id == item.result.job_id
    bad = by_source[id(sources[6])]
    assert not bad.ok and bad.job_id is not None and "could not be read" in str(bad.error)
    submitted = [e for e in events if e.kind == "submitted"]
    assert {e.job_id for e in submitted} == {item.job_id for item in items if item.job_id}
    assert any(e.kind == "uploading" and e.sent == e.total for e in events)
    assert any(e.kind == "waiting" and e.status is not None for e in events)
    assert len(submitted) == 7
    assert [e.kind for e in events].count("finished") == 8


def test_concurrency_is_bounded_and_used(emu: LeapOCREmulator, client: Any) -> None:
    running = peak = 0

    def count(event: BatchEvent) -> None:
        nonlocal running, peak
        running += {"submitted": 1, "finished": -1}.get(event.kind, 0)
        peak = max(peak, running)

    items = list(client.process_many(documents(12), concurrency=3, on_event=count, **FAST))
    assert all(item.ok for item in items) and len(items) == 12
    assert peak == 3


def test_sources_are_pulled_lazily(emu: LeapOCREmulator, client: Any) -> None:
    pulled = 0

    def endless() -> Iterator[bytes]:
        nonlocal pulled
        for n in itertools.count():
            pulled += 1
            yield make_pdf([f"document {n}"])

    batch = client.process_many(endless(), concurrency=4, **FAST)
    first = [item for item, _ in zip(batch, range(10), strict=False)]
    batch.close()
    assert all(item.ok for item in first)
    assert pulled <= 10 + 4 + 1
    time.sleep(0.2)  # requests sent before the close are answered
    submitted = emu.count("initiate")
    time.sleep(0.3)
    assert emu.count("initiate") == submitted <= 10 + 4  # closing the batch stopped it


def test_max_credits_stops_new_submissions(emu: LeapOCREmulator, client: Any) -> None:
    items = list(client.process_many(documents(10), concurrency=1, max_credits=3, **FAST))
    assert [item.credits for item in items] == [1, 1, 1]
    assert len(emu.jobs) == 3


@pytest.mark.parametrize(("count", "concurrency", "rate"), [(6, 6, 20), (3, 1, 5)])
def test_submit_rate_spaces_job_creations(
    emu: LeapOCREmulator, client: Any, count: int, concurrency: int, rate: float
) -> None:
    # With concurrency 1 the batch often waits for the throttle with nothing running.
    items = list(
        client.process_many(documents(count), concurrency=concurrency, submit_rate=rate, **FAST)
    )
    assert len(items) == count and all(item.ok for item in items)
    starts = sorted(r.started_at for r in emu.requests if r.route == "initiate")
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # 1/rate apart as sent; as received, one request's delay (a busy machine) can shorten
    # the next gap but never the whole span: unthrottled, the gaps would be milliseconds.
    assert starts[-1] - starts[0] >= 0.8 * (count - 1) / rate
    assert min(gaps) >= 0.5 / rate


def test_wait_many_and_as_completed(emu: LeapOCREmulator, client: Any) -> None:
    ids = [client.process(doc, wait=False).job_id for doc in documents(5)]
    items = client.wait_many(ids, **FAST)
    assert [item.job_id for item in items] == ids
    assert [item.result.markdown for item in items] == [f"document {n}" for n in range(5)]
    done = list(client.as_completed(reversed(ids), concurrency=2, **FAST))
    assert sorted(item.source for item in done) == sorted(ids)
    assert all(isinstance(item, BatchItem) and item.ok for item in done)
    mixed = client.wait_many([ids[0], "../etc/passwd"], **FAST)
    assert mixed[0].ok and isinstance(mixed[1].error, ValidationError)  # one bad id alone


def test_bad_arguments_fail_at_the_call(emu: LeapOCREmulator, client: Any) -> None:
    for wrong in (
        {"concurrency": 0},
        {"submit_rate": -1},
        {"max_credits": -5},
        {"file_name": "a.pdf"},
        {"model": "no such model!"},
        {"on_event": "print"},
    ):
        with pytest.raises(ValidationError):
            client.process_many(documents(1), **wrong)
    with pytest.raises(ValidationError, match="for one document use process"):
        client.process_many("invoice.pdf")
    assert emu.requests == []


def test_two_hundred_documents_with_five_percent_faults(emu: LeapOCREmulator, client: Any) -> None:
    emu.faults.fail_every("*", 503, every=20)
    sources = documents(200)
    items = list(client.process_many(sources, concurrency=64, **FAST))
    assert len(items) == 200
    assert [item.error for item in items if not item.ok] == []
    assert sorted(item.result.markdown for item in items) == sorted(
        f"document {n}" for n in range(200)
    )
    assert len(emu.jobs) == 200  # none submitted twice


def test_a_third_of_submissions_refused_with_429_slows_the_batch(
    emu: LeapOCREmulator, make_client: Any
) -> None:
    emu.faults.fail_every("initiate", 429, every=3, headers={"Retry-After": "0"})
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True, max_retries=1)
    events: list[BatchEvent] = []
    items = list(
        client.process_many(documents(200), concurrency=64, on_event=events.append, **FAST)
    )
    assert len(items) == 200
    assert [repr(item.error) for item in items if not item.ok] == []
    refused = [r for r in emu.requests if r.route == "initiate" and r.status == 429]
    assert len(refused) >= 66
    assert sum(event.kind == "throttled" for event in events) == len(refused)
    assert len(emu.jobs) == 200
    assert not any(isinstance(item.error, RateLimitError) for item in items)


def test_429_on_polls_slows_submissions_too(emu: LeapOCREmulator, client: Any) -> None:
    emu.faults.fail_every("result", 429, every=4, headers={"Retry-After": "0"})
    events: list[BatchEvent] = []
    items = list(client.process_many(documents(8), on_event=events.append, **FAST))
    assert len(items) == 8 and all(item.ok for item in items)
    assert any(event.kind == "throttled" for event in events)


def test_throttle_decisions() -> None:
    throttle = Throttle(submit_rate=10)
    assert throttle.delay(100.0) == 0
    throttle.started(100.0)
    assert throttle.delay(100.0) == pytest.approx(0.1)
    assert throttle.rate_limited(100.0, retry_after=2.0) == 2.0
    assert throttle.delay(100.0) == pytest.approx(2.0)
    throttle.started(102.0)
    assert throttle.delay(102.0) == pytest.approx(0.2)  # the spacing doubled
    throttle.succeeded()
    throttle.started(103.0)
    assert throttle.delay(103.0) == pytest.approx(0.1)  # and recovers to the cap's
    unlimited = Throttle(submit_rate=None)
    assert unlimited.rate_limited(0.0, retry_after=None) == THROTTLE_MIN_SPACING
    unlimited.succeeded()
    unlimited.started(1.0)
    assert unlimited.delay(1.0) == 0


def test_a_file_that_vanishes_fails_alone(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    paths = []
    for n in range(3):
        path = tmp_path / f"doc{n}.pdf"
        path.write_bytes(make_pdf([f"document {n}"]))
        paths.append(path)
    paths[1].unlink()
    items = {item.source: item for item in client.process_many(paths, **FAST)}
    assert items[paths[0]].ok and items[paths[2]].ok
    assert "file not found" in str(items[paths[1]].error)
