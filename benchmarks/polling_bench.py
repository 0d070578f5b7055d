"""Detection delay of ``wait_until_done``'s polling against a fixed-interval poller that
spends the same number of requests per job.

``python benchmarks/polling_bench.py [--smoke]`` prints the rows as JSON.

What is measured
----------------
The detection delay of a job is the time from its real end to the poll that sees it
finished. Ours is the SDK's :class:`~leapocr_sdk._polling.PollSchedule`, driven exactly
as ``wait_until_done`` drives it for a job the client has just submitted: the first poll
one ``poll_interval`` (the default, 2 s) after the submission, then after every poll
``observe(now, processed_pages, total_pages, started=...)`` and a sleep of
``next_delay(now)``. The other contender polls every ``I`` seconds from the submission,
``I`` chosen as the longest interval at which it makes at least as many requests per job
as ours over the same jobs (so it never spends fewer requests than we do). Both see the
same jobs; each figure is ours / fixed, a median over rounds of different jobs, with its
spread (min-max).

The jobs
--------
Simulated in process on a virtual clock (no sleeping, no server): the figure is about
the schedule's decisions, which a virtual clock reproduces exactly, and hundreds of jobs
of 2-12 s on a real clock and a shared machine would add scheduling noise of the same
size as the delays measured. Each job, timed from its submission:

- lasts ``DURATION`` (2-12 s, uniform) in all;
- is ``pending`` for ``PENDING`` (5-25 %, uniform) of that (queue and reading the
  document), then processes ``PAGES`` (1-50, uniform) pages one after the other;
- each page takes the job's mean page time times a factor drawn from ``PAGE_NOISE``
  (0.5-1.5, uniform), so the pages done over time are a noisy staircase, not a line;
- every poll takes ``LATENCY`` (30 ms) and reports the state at the moment it is made.

The emulator (``leapocr_sdk.testing``) spends 10 % of a job pending and then makes even
pages; the jobs here are noisier than that on purpose, so the schedule is not tuned to
the emulator's straight lines.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import statistics
import sys
from dataclasses import dataclass
from typing import Any

from leapocr_sdk import _constants as C
from leapocr_sdk._polling import PollSchedule

DURATION = (2.0, 12.0)  # seconds from submission to the job's end
PENDING = (0.05, 0.25)  # share of the duration spent pending
PAGES = (1, 50)
PAGE_NOISE = (0.5, 1.5)  # each page's time, as a factor of the job's mean page time
LATENCY = 0.03  # seconds a poll takes
FLOOR = C.DEFAULT_POLL_INTERVAL

FIGURE = "polling detection delay vs fixed interval at equal requests"
BOUNDS = {"median": 0.6, "p95": 0.8}


@dataclass(frozen=True)
class Job:
    """One simulated job: its end and the times its pages were done (from submission)."""

    duration: float
    start: float  # the end of its pending time
    page_done: tuple[float, ...]

    @classmethod
    def draw(cls, rng: random.Random) -> Job:
        duration = rng.uniform(*DURATION)
        start = duration * rng.uniform(*PENDING)
        weights = [rng.uniform(*PAGE_NOISE) for _ in range(rng.randint(*PAGES))]
        scale = (duration - start) / sum(weights)
        done, t = [], start
        for weight in weights:
            t += weight * scale
            done.append(t)
        done[-1] = duration
        return cls(duration, start, tuple(done))

    def poll(self, t: float) -> tuple[bool, bool, int]:
        """(finished, started, processed_pages) seen by a poll made at ``t``."""
        if t >= self.duration:
            return True, True, len(self.page_done)
        return False, t >= self.start, bisect.bisect_right(self.page_done, t)


def ours(job: Job, floor: float = FLOOR) -> tuple[float, int]:
    """(detection delay, requests) of ``wait_until_done``'s schedule for ``job``."""
    schedule = PollSchedule(floor, since=0.0)  # submitted at 0, first polled one interval later
    t, polls = floor, 0
    while True:
        polls += 1
        finished, started, processed = job.poll(t)
        if finished:
            return t - job.duration, polls
        now = t + LATENCY
        schedule.observe(now, processed, len(job.page_done), started=started)
        delay = schedule.next_delay(now)
        assert floor * C.POLL_MIN_FACTOR - 1e-9 <= delay <= floor * C.POLL_CAP_FACTOR + 1e-9, delay
        t = now + delay


def fixed(job: Job, interval: float) -> tuple[float, int]:
    """(detection delay, requests) of a poller asking every ``interval`` s (plus latency)."""
    step = interval + LATENCY
    polls = max(1, math.ceil((job.duration - interval) / step - 1e-12) + 1)
    return interval + (polls - 1) * step - job.duration, polls


def matched_interval(jobs: list[Job], requests: float) -> float:
    """The longest fixed interval making at least ``requests`` polls per job on average."""
    low, high = 0.05, max(job.duration for job in jobs) + 1.0
    for _ in range(60):
        middle = (low + high) / 2
        spent = statistics.fmean(fixed(job, middle)[1] for job in jobs)
        low, high = (middle, high) if spent >= requests else (low, middle)
    return low


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[round(0.95 * (len(ordered) - 1))]


def one_round(seed: int, count: int) -> dict[str, Any]:
    rng = random.Random(seed)
    jobs = [Job.draw(rng) for _ in range(count)]
    mine = [ours(job) for job in jobs]
    our_requests = statistics.fmean(n for _, n in mine)
    interval = matched_interval(jobs, our_requests)
    theirs = [fixed(job, interval) for job in jobs]
    our_delays = [d for d, _ in mine]
    their_delays = [d for d, _ in theirs]
    return {
        "ours": {
            "median_s": statistics.median(our_delays),
            "p95_s": p95(our_delays),
            "requests_per_job": our_requests,
        },
        "fixed": {
            "interval_s": interval,
            "median_s": statistics.median(their_delays),
            "p95_s": p95(their_delays),
            "requests_per_job": statistics.fmean(n for _, n in theirs),
        },
    }


def measure(smoke: bool) -> list[dict[str, Any]]:
    rounds, count = (3, 40) if smoke else (7, 400)
    runs = [one_round(seed, count) for seed in range(1, rounds + 1)]
    rows = []
    for stat, key in (("median", "median_s"), ("p95", "p95_s")):
        ratios = [run["ours"][key] / run["fixed"][key] for run in runs]
        rows.append(
            {
                "figure": f"{FIGURE}: {stat}",
                "value": statistics.median(ratios),
                "bound": BOUNDS[stat],
                "better": "lower",
                "spread": [min(ratios), max(ratios)],
                "unit": "x",
                "detail": {
                    "how": "simulated jobs on a virtual clock, the SDK's PollSchedule as "
                    "wait_until_done drives it",
                    "rounds": rounds,
                    "jobs_per_round": count,
                    "poll_interval_s": FLOOR,
                    "jobs": {
                        "duration_s": list(DURATION),
                        "pending_share": list(PENDING),
                        "pages": list(PAGES),
                        "page_time_noise": list(PAGE_NOISE),
                        "latency_s": LATENCY,
                    },
                    "ours_s": statistics.median(run["ours"][key] for run in runs),
                    "fixed_s": statistics.median(run["fixed"][key] for run in runs),
                    "ours_requests_per_job": statistics.median(
                        run["ours"]["requests_per_job"] for run in runs
                    ),
                    "fixed_requests_per_job": statistics.median(
                        run["fixed"]["requests_per_job"] for run in runs
                    ),
                    "fixed_interval_s": statistics.median(
                        run["fixed"]["interval_s"] for run in runs
                    ),
                    "ratios": ratios,
                },
            }
        )
    return rows


if __name__ == "__main__":
    print(json.dumps(measure("--smoke" in sys.argv[1:]), indent=1))
