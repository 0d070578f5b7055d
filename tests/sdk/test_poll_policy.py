"""The poll policy (``_polling.PollSchedule``) against a model of jobs: pure Python, an
injected clock, no server. The polling targets (detection delay, requests per job) are
checked against the policy the SDK had before (an interval growing by POLL_GROWTH up to
POLL_CAP_FACTOR x poll_interval)."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable

import pytest

from leapocr_sdk import _constants as C
from leapocr_sdk._polling import PollSchedule

FLOOR = C.DEFAULT_POLL_INTERVAL
PENDING_FRACTION = 0.1  # as the emulator: a job spends this share of its time pending


class ModelJob:
    """A job of ``pages`` pages lasting ``duration`` s: pending, then page by page, each
    page taking 0.9-1.1x the mean (the emulator's pages are even; with 0.5-1.5x the
    policy still halves today's delays: median 0.32x, p95 0.46x)."""

    def __init__(self, rng: random.Random, duration: float, pages: int) -> None:
        self.duration, self.pages = duration, pages
        self.start = duration * PENDING_FRACTION
        weights = [rng.uniform(0.9, 1.1) for _ in range(pages)]
        scale = (duration - self.start) / sum(weights)
        self.page_done: list[float] = []
        t = self.start
        for weight in weights:
            t += weight * scale
            self.page_done.append(t)
        self.page_done[-1] = duration

    def poll(self, t: float) -> tuple[bool, bool, int]:
        """(finished, started, processed_pages) at time ``t``."""
        if t >= self.duration:
            return True, True, self.pages
        done = sum(1 for when in self.page_done if when <= t)
        return False, t >= self.start, done


def today(floor: float) -> Callable[[float, bool, int, int], float]:
    """The growing-interval policy the SDK had before, as a function of each poll."""
    state = {"interval": floor}

    def next_sleep(now: float, started: bool, processed: int, total: int) -> float:
        delay = state["interval"]
        state["interval"] = min(delay * C.POLL_GROWTH, floor * C.POLL_CAP_FACTOR)
        return delay

    return next_sleep


def predicted(floor: float) -> Callable[[float, bool, int, int], float]:
    schedule = PollSchedule(floor)

    def next_sleep(now: float, started: bool, processed: int, total: int) -> float:
        schedule.observe(now, processed, total, started=started)
        return schedule.next_delay(now)

    return next_sleep


def simulate(make_policy, jobs: list[ModelJob], latency: float = 0.01):
    """Per job: (seconds from completion to the poll that saw it, polls made)."""
    delays, requests = [], []
    for job in jobs:
        policy = make_policy(FLOOR)
        t, polls = FLOOR, 0  # the first poll comes one interval after the submission
        while True:
            polls += 1
            finished, started, processed = job.poll(t)
            if finished:
                break
            t += latency
            sleep = policy(t, started, processed, job.pages)
            assert sleep >= FLOOR - 1e-9 or sleep == pytest.approx(FLOOR)
            assert sleep <= FLOOR * C.POLL_CAP_FACTOR + 1e-9
            t += sleep
        delays.append(t - job.duration)
        requests.append(polls)
    return delays, requests


def mix(seed: int, count: int, pages: tuple[int, int] = (2, 50)) -> list[ModelJob]:
    rng = random.Random(seed)
    return [ModelJob(rng, rng.uniform(5, 60), rng.randint(*pages)) for _ in range(count)]


def summary(delays: list[float], requests: list[int]) -> tuple[float, float, float]:
    ordered = sorted(delays)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return statistics.median(ordered), p95, statistics.fmean(requests)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_predicted_polls_meet_the_targets_against_todays_policy(seed):
    jobs = mix(seed, 400)
    old_median, old_p95, old_requests = summary(*simulate(today, jobs))
    new_median, new_p95, new_requests = summary(*simulate(predicted, jobs))
    assert new_median <= 0.3 * old_median, (new_median, old_median)
    assert new_p95 <= 0.4 * old_p95, (new_p95, old_p95)
    assert new_requests <= old_requests, (new_requests, old_requests)


def test_jobs_of_few_pages_are_not_worse_than_today():
    jobs = mix(7, 300, pages=(1, 5))
    old_median, old_p95, old_requests = summary(*simulate(today, jobs))
    new_median, new_p95, new_requests = summary(*simulate(predicted, jobs))
    assert new_median <= old_median and new_p95 <= old_p95
    assert new_requests <= old_requests * 1.25


def test_no_progress_reported_falls_back_to_a_growing_interval():
    schedule = PollSchedule(1.0)
    sleeps = []
    for n in range(12):
        schedule.observe(float(n), 0, 0, started=False)
        sleeps.append(schedule.next_delay(float(n)))
    assert sleeps[:3] == pytest.approx([1.0, C.POLL_GROWTH, C.POLL_GROWTH**2])
    assert max(sleeps) == pytest.approx(C.POLL_CAP_FACTOR)


def test_steady_progress_predicts_the_end():
    schedule = PollSchedule(2.0)  # a job starting at t=1 doing one page a second, 20 pages
    for t in (2.0, 4.0, 6.0):
        schedule.observe(t, int(t - 1), 20, started=True)
    window = schedule.window()
    assert window is not None
    earliest, latest = window
    assert earliest <= 21.0 <= latest
    assert schedule.next_delay(6.0) == pytest.approx(8.0)  # the cap: an intermediate poll
    schedule.observe(14.0, 13, 20, started=True)
    assert 14.0 + schedule.next_delay(14.0) == pytest.approx(21.0, abs=1.0)


def test_a_changed_page_count_starts_the_estimate_over():
    schedule = PollSchedule(1.0)
    for t in (1.0, 2.0, 3.0):
        schedule.observe(t, int(t) * 2, 10, started=True)
    assert schedule.window() is not None
    schedule.observe(4.0, 8, 40, started=True)
    assert schedule.window() is None
