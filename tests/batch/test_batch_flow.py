"""The batch plan itself, driven by hand (no sockets, no threads): every source comes out
exactly once, whatever the order sub-flows finish in, and never more run than allowed."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leapocr_sdk import JobFailedError, LeapOCRError, ValidationError
from leapocr_sdk._batch import BatchFlows, BatchSettings, process_many
from leapocr_sdk._batch_items import BatchItem
from leapocr_sdk._flows import Context
from leapocr_sdk._steps import Emit, Finished, Flow, NextFinished, Sleep
from leapocr_sdk.types import Job, JobResult, JobStatus


def submit(source: int, hook: Any) -> Flow[Job]:
    yield Sleep(0)
    if source % 7 == 3:
        raise ValidationError(f"source {source} is refused")
    return Job(job_id=f"job-{source}", status=JobStatus.PENDING)


def wait(job_id: str, hook: Any) -> Flow[JobResult]:
    yield Sleep(0)
    if job_id.endswith("5"):
        raise JobFailedError(job_id, "unreadable")
    return JobResult(job_id, JobStatus.COMPLETED, 2, None, None, "markdown", (), None)


def drive(plan: Flow[None], rng: random.Random) -> tuple[list[BatchItem], int]:
    """Run ``plan``: sub-flows finish in a random order; returns the items and the peak
    number of sub-flows running at once."""
    items: list[BatchItem] = []
    peak = 0
    answer: Any = None
    while True:
        try:
            step = plan.send(answer)
        except StopIteration:
            return items, peak
        answer = None
        if isinstance(step, Emit):
            items.append(step.value)
        elif isinstance(step, NextFinished):
            for tag, flow in step.start:
                step.group.running[flow] = tag
            peak = max(peak, len(step.group))
            if step.group.running:
                flow = rng.choice(list(step.group.running))
                answer = _finish(flow, step.group.running.pop(flow))


def _finish(flow: Flow[Any], tag: Any) -> Finished:
    try:
        while True:
            flow.send(None)
    except StopIteration as stop:
        return Finished(tag, stop.value, None)
    except LeapOCRError as error:
        return Finished(tag, None, error)


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(0, 40),
    concurrency=st.integers(1, 6),
    seed=st.integers(0, 2**32),
)
def test_every_source_once_within_the_concurrency(count: int, concurrency: int, seed: int) -> None:
    flows = BatchFlows(submit=submit, wait=wait, delete=False)
    batch = BatchSettings(concurrency, None, None, False, None)
    items, peak = drive(
        process_many(Context(), iter(range(count)), flows, batch), random.Random(seed)
    )
    assert sorted(item.source for item in items) == list(range(count))
    assert peak <= concurrency
    for item in items:
        if item.source % 7 == 3:
            assert isinstance(item.error, ValidationError) and item.job_id is None
        elif str(item.source).endswith("5"):
            assert isinstance(item.error, JobFailedError) and item.job_id == f"job-{item.source}"
        else:
            assert item.ok and item.credits == 2 and item.result is not None


def test_max_credits_stops_pulling_sources() -> None:
    pulled: list[int] = []

    def sources() -> Any:
        for n in range(100):
            pulled.append(n)
            yield n * 14  # never refused, never failing

    flows = BatchFlows(submit=submit, wait=wait, delete=False)
    batch = BatchSettings(2, None, 5, False, None)
    items, _ = drive(process_many(Context(), sources(), flows, batch), random.Random(1))
    assert sum(item.credits for item in items) >= 5
    assert len(items) <= 4 and len(pulled) <= 5  # 3 items reach 5 credits; 1 more in flight
