"""The poll policy (``_polling.PollSchedule``) on scripted progress series: pure Python,
a fake clock (the sum of the sleeps it asked for), no server.

Each series says what a poll made at time ``t`` (seconds from the submission) sees:
whether the job is finished, whether it has started, and its pages done. The schedule is
driven as ``wait_until_done`` drives it for a job it has just submitted (first poll one
interval after the submission, ``since`` the submission)."""

from __future__ import annotations

import bisect
import importlib.util
import itertools
import math
import random
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from leapocr_sdk import _constants as C
from leapocr_sdk._polling import PollSchedule

FLOOR = C.DEFAULT_POLL_INTERVAL
SHORTEST = FLOOR * C.POLL_MIN_FACTOR
CAP = FLOOR * C.POLL_CAP_FACTOR
LATENCY = 0.03

Series = Callable[[float], tuple[bool, bool, int]]  # t -> (finished, started, pages done)


def staircase(start: float, page_times: list[float]) -> tuple[Series, float]:
    """A job pending until ``start``, then pages taking ``page_times`` each; its end."""
    done, t = [], start
    for seconds in page_times:
        t += seconds
        done.append(t)

    def series(at: float) -> tuple[bool, bool, int]:
        if at >= done[-1]:
            return True, True, len(done)
        return False, at >= start, bisect.bisect_right(done, at)

    return series, done[-1]


def drive(series: Series, total: int, floor: float = FLOOR, limit: int = 200) -> list[float]:
    """The times of every poll until the one that sees the job finished; every sleep is
    checked against the documented bounds."""
    schedule = PollSchedule(floor, since=0.0)
    t, polls = floor, []
    for _ in range(limit):
        polls.append(t)
        finished, started, processed = series(t)
        if finished:
            return polls
        now = t + LATENCY
        schedule.observe(now, processed, total, started=started)
        delay = schedule.next_delay(now)
        assert floor * C.POLL_MIN_FACTOR - 1e-9 <= delay <= floor * C.POLL_CAP_FACTOR + 1e-9
        t = now + delay
    raise AssertionError(f"not seen finished after {limit} polls: {polls[-5:]}")


def fixed_polls(end: float, interval: float) -> int:
    """Requests of a poller asking every ``interval`` (plus latency) from the submission."""
    return max(1, math.ceil((end - interval) / (interval + LATENCY) - 1e-12) + 1)


def fixed_delay(end: float, interval: float) -> float:
    return interval + (fixed_polls(end, interval) - 1) * (interval + LATENCY) - end


# --- scripted series ----------------------------------------------------------------------


def test_steady_progress_is_caught_soon_after_its_end():
    series, end = staircase(1.0, [0.5] * 20)  # 20 pages, one every half second: ends at 11
    polls = drive(series, 20)
    assert polls[-1] - end < FLOOR / 2  # a fixed 2 s interval: 1 s on average
    assert len(polls) <= 5
    assert polls[-2] < end  # the poll before the last one did not pass the end


def test_an_unsure_prediction_is_approached_before_it_is_aimed_at():
    schedule = PollSchedule(FLOOR, since=0.0)
    schedule.observe(2.0, 1, 20, started=True)
    schedule.observe(4.0, 2, 20, started=True)  # one page in 2 s: ends near 39 s, unsure
    estimate = schedule.estimate()
    assert estimate is not None
    end, spread = estimate
    assert end == pytest.approx(4.0 + 17.5 * 2.0)
    assert spread is not None and spread > FLOOR
    assert schedule.next_delay(4.0) == pytest.approx(CAP)  # far: at most the cap
    schedule.observe(16.0, 12, 20, started=True)  # 11 pages in 14 s since the first poll
    end, spread = schedule.estimate() or (0.0, None)
    assert end == pytest.approx(16.0 + 7.5 * 14.0 / 11)
    assert spread is not None and spread > FLOOR / 2
    # two standard deviations before the end (later than halfway there)
    assert schedule.next_delay(16.0) == pytest.approx(end - 16.0 - 2 * spread)
    schedule.observe(24.0, 18, 20, started=True)  # sure now: aim at the end itself
    end, spread = schedule.estimate() or (0.0, None)
    assert spread is not None and spread < FLOOR / 2
    assert schedule.next_delay(24.0) == pytest.approx(end - 24.0)


def test_an_early_poll_is_followed_by_a_quick_one():
    series, end = staircase(0.5, [0.2] * 30)  # ends at 6.5
    schedule = PollSchedule(FLOOR, since=0.0)
    for t in (2.0, 4.0):
        _, started, processed = series(t)
        schedule.observe(t, processed, 30, started=started)
    schedule.observe(6.3, series(6.3)[2], 30, started=True)  # 29 of 30: a fifth of a second left
    delay = schedule.next_delay(6.3)
    assert SHORTEST <= delay < FLOOR
    assert 6.3 + delay >= end - 0.2


def test_a_job_nearly_done_at_its_first_poll_is_polled_before_one_interval():
    schedule = PollSchedule(FLOOR, since=0.0)
    schedule.observe(2.0, 8, 10, started=True)  # 8 pages in 2 s at most: 2.5 left at most
    delay = schedule.next_delay(2.0)
    assert SHORTEST <= delay <= 2.5 * 2.0 / 8.5 + 1e-9


def test_a_first_poll_without_a_known_submission_measures_the_rate_first():
    schedule = PollSchedule(FLOOR)
    schedule.observe(2.0, 8, 10, started=True)
    assert schedule.estimate() is None
    assert schedule.next_delay(2.0) == pytest.approx(FLOOR)


def test_a_stalled_count_falls_back_to_a_growing_interval_and_still_ends():
    # 5 pages, the fourth stalls for 20 s: the prediction runs out, the interval grows
    series, end = staircase(0.5, [0.5, 0.5, 0.5, 20.0, 0.5])
    polls = drive(series, 5)
    gaps = [b - a - LATENCY for a, b in itertools.pairwise(polls)]
    assert max(gaps) <= CAP + 1e-9
    assert polls[-1] - end <= CAP
    assert len(polls) <= 12


def test_no_progress_reported_falls_back_to_a_growing_interval():
    schedule = PollSchedule(1.0)
    sleeps = []
    for n in range(12):
        schedule.observe(float(n), 0, 0, started=False)
        sleeps.append(schedule.next_delay(float(n)))
    assert sleeps[:3] == pytest.approx([1.0, C.POLL_GROWTH, C.POLL_GROWTH**2])
    assert max(sleeps) == pytest.approx(C.POLL_CAP_FACTOR)


@pytest.mark.parametrize("end", [2.5, 5.0, 9.0, 30.0])
def test_one_page_jobs_are_polled_like_jobs_without_progress(end):
    series, _ = staircase(0.2 * end, [0.8 * end])
    polls = drive(series, 1)
    gaps = [round(b - a - LATENCY, 6) for a, b in itertools.pairwise(polls)]
    growing = [min(FLOOR * C.POLL_GROWTH**n, CAP) for n in range(len(gaps))]
    assert gaps == pytest.approx(growing)


def test_bursty_progress_stays_within_bounds_and_is_caught():
    # 40 pages done in bursts of ten, each burst after a 2 s pause
    series, end = staircase(0.3, ([2.0] + [0.01] * 9) * 4)
    polls = drive(series, 40)
    assert polls[-1] - end <= FLOOR


def test_a_changed_page_count_starts_the_estimate_over():
    schedule = PollSchedule(1.0)
    for t in (1.0, 2.0, 3.0):
        schedule.observe(t, int(t) * 2, 10, started=True)
    assert schedule.estimate() is not None
    schedule.observe(4.0, 8, 40, started=True)
    assert schedule.estimate() is None


def test_a_count_that_goes_back_starts_the_estimate_over():
    schedule = PollSchedule(1.0)
    schedule.observe(1.0, 2, 10, started=True)
    schedule.observe(2.0, 6, 10, started=True)
    schedule.observe(3.0, 1, 10, started=True)
    assert schedule.estimate() is None
    schedule.observe(4.0, 3, 10, started=True)
    estimate = schedule.estimate()
    assert estimate is not None and estimate[0] == pytest.approx(4.0 + 6.5 * 0.5)


def test_every_sleep_keeps_to_its_bounds_over_random_series():
    rng = random.Random(5)
    for _ in range(300):
        pages = rng.randint(1, 60)
        page_times = [rng.uniform(0.0, 3.0) * rng.choice([0.1, 1.0, 5.0]) for _ in range(pages)]
        series, _ = staircase(rng.uniform(0.0, 10.0), page_times)
        drive(series, pages, floor=rng.choice([0.5, 2.0, 5.0]), limit=1000)


# --- against a fixed interval at equal requests -------------------------------------------


def noisy_jobs(seed: int, count: int) -> list[tuple[Series, float, int]]:
    """Jobs of 2-12 s, 5-25 % pending, 1-50 pages each 0.5-1.5x the mean page time."""
    rng = random.Random(seed)
    jobs = []
    for _ in range(count):
        end, pages = rng.uniform(2.0, 12.0), rng.randint(1, 50)
        start = end * rng.uniform(0.05, 0.25)
        weights = [rng.uniform(0.5, 1.5) for _ in range(pages)]
        scale = (end - start) / sum(weights)
        series, real_end = staircase(start, [w * scale for w in weights])
        jobs.append((series, real_end, pages))
    return jobs


@pytest.mark.parametrize("seed", [1, 2])
def test_detection_delay_beats_a_fixed_interval_spending_as_many_requests(seed):
    jobs = noisy_jobs(seed, 300)
    ours = []
    for series, end, pages in jobs:
        polls = drive(series, pages)
        ours.append((polls[-1] - end, len(polls)))
    requests = statistics.fmean(n for _, n in ours)
    low, high = 0.05, 20.0  # the longest interval that spends at least as many requests
    for _ in range(50):
        middle = (low + high) / 2
        spent = statistics.fmean(fixed_polls(end, middle) for _, end, _ in jobs)
        low, high = (middle, high) if spent >= requests else (low, middle)
    theirs = [fixed_delay(end, low) for _, end, _ in jobs]
    assert statistics.fmean(fixed_polls(end, low) for _, end, _ in jobs) >= requests
    mine = sorted(d for d, _ in ours)
    assert all(d >= 0 for d in mine)
    assert statistics.median(mine) <= 0.6 * statistics.median(theirs)
    p95 = round(0.95 * (len(jobs) - 1))
    assert mine[p95] <= 0.8 * sorted(theirs)[p95]


def test_the_benchmark_rows_keep_their_contract():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "polling_bench.py"
    spec = importlib.util.spec_from_file_location("polling_bench", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclass looks its module up there
    try:
        spec.loader.exec_module(bench)
    finally:
        del sys.modules[spec.name]
    rows = bench.measure(smoke=True)
    assert [row["figure"].rsplit(": ", 1)[1] for row in rows] == ["median", "p95"]
    for row in rows:
        assert set(row) == {"figure", "value", "bound", "better", "spread", "unit", "detail"}
        assert row["better"] == "lower" and row["unit"] == "x"
        assert row["spread"][0] <= row["value"] <= row["spread"][1]
        detail = row["detail"]
        assert detail["fixed_requests_per_job"] >= detail["ours_requests_per_job"] > 1
