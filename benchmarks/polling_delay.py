"""Detection delay on the emulator: how long after a job finishes ``wait_until_done`` returns.

``python benchmarks/polling_delay.py [--jobs N] [--seconds LOW HIGH] [--policy growing]``:
N jobs of 2-50 pages, each lasting LOW-HIGH seconds (the emulator's
``processing_seconds``, reported page by page), all waited on at once by one
``AsyncLeapOCR``. Prints one JSON object: median and p95 delay (seconds from the job's
``completed_at`` to the return) and requests per job.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
            submitted = await asyncio.gather(*(client.process_file(d) for d in documents))
            emulator.clear_requests()
            delays: list[float] = []

            async def wait(job_id: str) -> None:
                result = await client.wait_until_done(job_id)
                assert result.completed_at is not None
                delays.append(time.time() - result.completed_at.timestamp())

            await asyncio.gather(*(wait(job.job_id) for job in submitted))
            requests = sum(emulator.route_counts.values())
    ordered = sorted(delays)
    return {
        "jobs": jobs,
        "seconds": [low, high],
        "median_delay_s": statistics.median(ordered),
        "p95_delay_s": ordered[int(0.95 * (len(ordered) - 1))],
        "requests_per_job": requests / jobs,
    }


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
