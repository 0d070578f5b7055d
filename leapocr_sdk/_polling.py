"""When to poll a running job next: a pure policy fed by what each poll said.

No clock, no I/O: ``wait_until_done`` (in ``_flows``) tells a :class:`PollSchedule` the
time and the job's ``processed_pages`` / ``total_pages`` after every poll, and sleeps for
what ``next_delay`` answers. ``tests/sdk/test_poll_policy.py`` runs it against a model of
jobs (5-60 s, 2-50 pages) beside the older growing interval.

How it predicts
---------------
A job is modelled as starting to process at an unknown time ``a`` and finishing one page
every ``b`` seconds, so page ``k`` is done at ``a + k*b`` and the job at ``a + total*b``.
Each poll at time ``t`` that saw ``p`` pages done says ``a + p*b <= t < a + (p+1)*b``
(a ``pending`` job: ``t < a``). Any two polls bound ``b`` from both sides; together they
give the earliest and the latest time the job can finish. The next poll goes to the
latest (or, while that window is wide, to its middle, so the poll narrows it), never
sooner than ``floor`` (the caller's ``poll_interval``) after the last poll and never
later than ``cap``. Until two polls bound ``b`` (a job still pending, or of very few
pages), it falls back to polling every ``floor`` x ``POLL_GROWTH`` ** n, up to ``cap``.
"""

from __future__ import annotations

import math

from . import _constants as C

_PENDING = -1  # the "pages done" index of a job that has not started processing


class PollSchedule:
    """The next sleep of one wait, from the polls seen so far (times from one clock)."""

    def __init__(self, floor: float, cap: float | None = None) -> None:
        self.floor = floor
        self.cap = max(floor, cap if cap is not None else floor * C.POLL_CAP_FACTOR)
        self._fallback = floor
        self._seen: list[tuple[float, int]] = []  # (time, pages done or _PENDING)
        self._total = 0
        self._b_low = 0.0  # seconds per page, bounds from the polls seen
        self._b_high = math.inf

    def observe(self, now: float, processed_pages: int, total_pages: int, *, started: bool) -> None:
        """Record one poll: ``started`` is False while the job is still pending."""
        if total_pages <= 0 or total_pages != self._total:
            self._seen.clear()  # an unknown or changed page count: start over
            self._b_low, self._b_high = 0.0, math.inf
            self._total = max(0, total_pages)
        done = min(max(processed_pages, 0), max(self._total - 1, 0)) if started else _PENDING
        for then, before in self._seen:
            if done <= before:
                continue
            gap = now - then
            if before != _PENDING:
                self._b_low = max(self._b_low, gap / (done - before + 1))
            if done - before > 1 and done != _PENDING:
                self._b_high = min(self._b_high, gap / (done - before - 1))
        self._seen.append((now, done))

    def window(self) -> tuple[float, float] | None:
        """The earliest and latest completion times the polls allow, if they bound them."""
        if not self._seen or math.isinf(self._b_high) or self._total <= 0:
            return None
        low, high, total = self._b_low, max(self._b_low, self._b_high), self._total
        earliest = max(t + (total - done - 1) * low for t, done in self._seen)
        started = [t + (total - done) * high for t, done in self._seen if done != _PENDING]
        if not started:
            return None
        latest = min(started)
        return earliest, max(earliest, latest)

    def next_delay(self, now: float) -> float:
        """Seconds to sleep before the next poll (the caller cuts it at its deadline)."""
        window = self.window()
        if window is None:
            delay = self._fallback
            self._fallback = min(self._fallback * C.POLL_GROWTH, self.cap)
            return delay
        earliest, latest = window
        target = latest if latest - earliest <= self.floor else (earliest + latest) / 2
        wait = target - now
        if wait > self.cap:  # an intermediate poll, leaving room for one more before target
            return min(self.cap, max(self.floor, wait - self.floor))
        return min(max(wait, self.floor), self.cap)
