"""Detection delay on the emulator: how long after a job finishes ``wait_until_done`` returns.

``python benchmarks/polling_delay.py [--jobs N] [--seconds LOW HIGH] [--policy growing]``:
N jobs of 2-50 pages, each lasting LOW-HIGH seconds (the emulator's
``processing_seconds``, reported page by page), all waited on at once by one
``AsyncLeapOCR``. Prints one JSON object: median and p95 delay (seconds from the job's
``completed_at`` to the return) and requests per job, and the same figures for a poller
asking every ``I`` s from each job's submission, ``I`` the longest interval that makes at
least as many requests per job (computed from each job's submission and end).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import time

from leapocr_sdk import AsyncLeapOCR, _flows
from leapocr_sdk._polling import PollSchedule
from leapocr_sdk.testing import LeapOCREmulator, make_pdf


async def measure(jobs: int, low: float, high: float, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    with LeapOCREmulator(api_key="k", processing_seconds=(low, high), seed=seed) as emulator:
        async with AsyncLeapOCR(api_key="k", base_url=emulator.base_url) as client:
            documents = [
                make_pdf([f"page {n}" for n in range(rng.randint(2, 50))]) for _ in range(jobs)
            ]
            submitted_at: dict[str, float] = {}

            async def submit(document: bytes) -> str:
                job = await client.process_file(document)
                submitted_at[job.job_id] = time.time()
                return job.job_id

            job_ids = await asyncio.gather(*(submit(d) for d in documents))
            emulator.clear_requests()
            delays: list[float] = []
            ends: list[float] = []  # seconds from each job's submission to its end

            async def wait(job_id: str) -> None:
                result = await client.wait_until_done(job_id)
                assert result.completed_at is not None
                delays.append(time.time() - result.completed_at.timestamp())
                ends.append(result.completed_at.timestamp() - submitted_at[job_id])

            await asyncio.gather(*(wait(job_id) for job_id in job_ids))
            requests = sum(emulator.route_counts.values())
    interval = matched_interval(ends, requests / jobs)
    theirs = [fixed(end, interval) for end in ends]
    return {
        "jobs": jobs,
        "seconds": [low, high],
        "median_delay_s": statistics.median(delays),
        "p95_delay_s": p95(delays),
        "requests_per_job": requests / jobs,
        "fixed_interval_s": interval,
        "fixed_median_delay_s": statistics.median(d for d, _ in theirs),
        "fixed_p95_delay_s": p95([d for d, _ in theirs]),
        "fixed_requests_per_job": statistics.fmean(n for _, n in theirs),
    }


def fixed(end: float, interval: float) -> tuple[float, int]:
    """(delay, requests) of a poller asking every ``interval`` s from the submission, for a
    job ending ``end`` s after it (request times left out)."""
    polls = max(1, math.ceil(end / interval - 1e-12))
    return polls * interval - end, polls


def matched_interval(ends: list[float], requests: float) -> float:
    """The longest fixed interval making at least ``requests`` polls per job on average."""
    low, high = 0.01, max(ends) + 1.0
    for _ in range(60):
        middle = (low + high) / 2
        enough = statistics.fmean(fixed(end, middle)[1] for end in ends) >= requests
        low, high = (middle, high) if enough else (low, middle)
    return low


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[round(0.95 * (len(ordered) - 1))]


class GrowingSchedule(PollSchedule):
    """The policy before 0.1 (sequential 250-page requests), for comparison: progress is ignored."""

    def observe(self, now: float, processed_pages: int, total_pages: int, *, started: bool) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--seconds", type=float, nargs=2, default=(5.0, 60.0))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--policy", choices=("predicted", "growing"), default="predicted")
    args = parser.parse_args()
    if args.policy == "growing":  # the schedule wait_until_done builds, swapped for this run
        _flows.PollSchedule = GrowingSchedule  # type: ignore[misc]
    print(json.dumps(asyncio.run(measure(args.jobs, *args.seconds, args.seed))))


if __name__ == "__main__":
    main()
