"""The soak: many jobs through one AsyncLeapOCR at once, while ~5 % of all requests fail
at random (seeded): 500/502/503/504, 429 with Retry-After, and connections dropped
mid-request on the routes that are safe to repeat (status, result, delete, models and
part uploads, where the drop comes half-way through the body).

Each job uploads its own PDF, waits, reads every page, checks the emulator received the
exact bytes and that every page's text is byte-identical to the source text, then deletes
the job. Nothing may be lost: every job ends with its pages, none is created twice.

``LEAPOCR_SOAK_JOBS`` sets the number of jobs (40 in the normal run; ``make soak`` runs 500).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest

from leapocr_sdk import AsyncLeapOCR
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from leapocr_sdk.testing.faults import Failure

JOBS = int(os.environ.get("LEAPOCR_SOAK_JOBS", "40"))
FAILURE_RATE = 0.05
SEED = 20_261_123
SAFE_TO_DROP = frozenset({"status", "result", "delete", "models", "upload_part"})
STATUSES = (500, 502, 503, 504, 429)


class RandomFaults:
    """Makes ``rate`` of all requests fail: one at a random place (seeded) in every run of
    ``1 / rate`` requests, so the rate holds for small soaks too.

    The emulator asks its ``faults`` for a drop when a request arrives and for a canned
    failure before handling it, both on the request's own thread; this wraps those two
    questions (queued faults still come first).
    """

    def __init__(self, emulator: LeapOCREmulator, rate: float, seed: int) -> None:
        self.faults = emulator.faults
        self.rate = rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.pending = threading.local()
        self.injected: Counter[str] = Counter()
        self.block: list[bool] = []
        self.requests = 0
        self._take_drop = self.faults.take_drop
        self._take_failure = self.faults.take_failure
        self.faults.take_drop = self.take_drop  # type: ignore[method-assign]
        self.faults.take_failure = self.take_failure  # type: ignore[method-assign]

    def take_drop(self, route: str) -> bool | None:
        queued = self._take_drop(route)
        self.pending.failure = None
        if queued is not None:
            return queued
        with self.lock:
            self.requests += 1
            if not self.block:  # one failure at a random place in every 1/rate requests
                size = round(1 / self.rate)
                self.block = [False] * size
                self.block[self.rng.randrange(size)] = True
            if not self.block.pop():
                return None
            drop = route in SAFE_TO_DROP and self.rng.random() < 0.25
            status = self.rng.choice(STATUSES)
            self.injected["drop" if drop else str(status)] += 1
        if drop:
            return False  # hang up before handling (mid-body for part uploads)
        headers = {"Retry-After": "1"} if status == 429 else {}
        self.pending.failure = Failure(status, None, "application/json", headers)
        return None

    def take_failure(self, route: str) -> Failure | None:
        failure: Failure | None = getattr(self.pending, "failure", None)
        self.pending.failure = None
        return failure or self._take_failure(route)

    def restore(self) -> None:
        self.faults.take_drop = self._take_drop  # type: ignore[method-assign]
        self.faults.take_failure = self._take_failure  # type: ignore[method-assign]


class RetryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.retries = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "; retry " in record.getMessage():
            self.retries += 1


def source_texts(index: int) -> list[str]:
    pages = 1 + index % 3
    return [
        f"Soak job {index:04d}, page {page} of {pages}\n"
        f"Invoice Number: INV-{index:04d}-{page}\nTotal: {index * 7 + page}.{index % 100:02d}"
        for page in range(1, pages + 1)
    ]


@pytest.mark.slow
@pytest.mark.deadline(90 + JOBS * 0.6)
def test_soak(
    emulator_factory: Callable[..., LeapOCREmulator], capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = emulator_factory(processing_seconds=(0.05, 0.4), seed=SEED, keep_files=True)
    chaos = RandomFaults(emulator, FAILURE_RATE, SEED)
    logger = logging.getLogger("leapocr_sdk")
    counter, previous_level = RetryCounter(), logger.level
    logger.addHandler(counter)
    logger.setLevel(logging.DEBUG)
    outcomes: dict[int, str] = {}

    async def one(client: AsyncLeapOCR, index: int) -> None:
        texts = source_texts(index)
        data = make_pdf(texts)
        try:
            job = await client.process_file(data, file_name=f"soak-{index:04d}.pdf")
            result = await client.wait_until_done(job.job_id, poll_interval=0.1, timeout=120)
            view = emulator.get_job(job.job_id)
            if view.file_bytes != data:
                outcomes[index] = "uploaded bytes differ"
            elif [page.text for page in result.pages] != texts:
                outcomes[index] = f"pages differ: {[p.text for p in result.pages]!r}"
            else:
                await client.delete_job(job.job_id)
                outcomes[index] = "ok"
        except Exception as exc:  # a lost job: recorded, reported below
            outcomes[index] = f"{type(exc).__name__}: {exc}"

    async def run() -> None:
        async with AsyncLeapOCR(
            api_key=emulator.api_key,
            base_url=emulator.base_url,
            max_retries=6,
            timeout=30.0,
            rng=random.Random(SEED),
        ) as client:
            await asyncio.gather(*(one(client, i) for i in range(JOBS)))

    started = time.monotonic()
    try:
        asyncio.run(run())
    finally:
        chaos.restore()
        logger.removeHandler(counter)
        logger.setLevel(previous_level)
    wall = time.monotonic() - started

    lost = {i: why for i, why in outcomes.items() if why != "ok"}
    injected = sum(chaos.injected.values())
    summary = (
        f"soak: {JOBS} jobs, {chaos.requests} requests, {injected} injected failures "
        f"({injected / max(chaos.requests, 1):.1%}: {dict(sorted(chaos.injected.items()))}), "
        f"{counter.retries} retries, wall {wall:.1f}s, lost {len(lost) + JOBS - len(outcomes)}"
    )
    with capsys.disabled():
        print("\n" + summary)
    assert len(outcomes) == JOBS
    assert lost == {}, f"{len(lost)} lost: {list(lost.items())[:5]}"
    jobs = emulator.jobs
    assert len(jobs) == JOBS, "a job was created twice (or not at all)"
    assert all(view.deleted_at is not None for view in jobs.values())
    assert emulator.key_leaks == 0
    if JOBS >= 40:
        assert injected > 0 and counter.retries >= injected  # every fault was retried
    assert abs(injected - chaos.requests * FAILURE_RATE) <= 1
