"""When to poll a running job next: a pure policy fed by what each poll said.

No clock, no I/O: ``wait_until_done`` (in ``_flows``) tells a :class:`PollSchedule` the
time and the job's ``processed_pages`` / ``total_pages`` after every poll, and sleeps for
what ``next_delay`` answers. ``benchmarks/polling_bench.py`` measures it against a
fixed-interval poller spending the same requests per job; ``tests/sdk/test_poll_policy.py``
runs it on scripted progress series.

The model of a job
------------------
A job waits (``pending``) for an unknown time, then processes its pages one after the
other and finishes when the last is done. Its pages take about the same time each, but
not exactly: each page's time is assumed to vary by about ``PAGE_SPREAD`` (a standard
deviation of 30 %) around the job's mean, independently. Nothing is assumed about how
long a job waits or how long a page takes: both are learnt from the polls. A poll sees
whole pages only, so a count of pages done is up to one page behind the work done.

How it predicts
---------------
From the first poll that saw the job processing, ``(t0, p0)``, and the latest, ``(t1,
p1)``, with ``p1 > p0``: a page takes ``b = (t1 - t0) / (p1 - p0)`` and the job ends at
about ``t1 + (total - p1 - 0.5) * b`` (half a page is on average done already). Its
standard deviation adds the rate's error (two page counts' rounding, ``PHASE_SD`` pages,
and the noise of the ``p1 - p0`` pages measured) and the noise of the pages left.

- The next poll goes to that predicted end: a poll a little early costs one request and
  is followed by another one soon (the count then says exactly how little is left); a
  poll late costs all its lateness. While the prediction is uncertain (a standard
  deviation above ``REFINE`` x ``floor``), the next poll goes two standard deviations
  before it, or halfway there if that is later, so that it measures more pages and the
  one after aims better.
- With one poll only, which saw ``p1 >= 1`` pages done, and a time the job is known to
  have been waiting then (``since``, its submission, or a poll that saw it pending), a
  page takes at most about ``(t1 - since) / (p1 + 0.5)``: the next poll goes to the end
  that gives, if it is sooner than ``floor``, else one ``floor`` later to measure the
  rate.
- Without progress to go on (a pending job, a count that did not move, a job of one
  page, an unknown page count), the interval starts at ``floor`` and grows by
  ``POLL_GROWTH`` a poll up to ``cap``.

Every sleep is at least ``floor`` x ``POLL_MIN_FACTOR`` (a predicted end may be sooner
than ``floor``) and at most ``cap`` (``floor`` x ``POLL_CAP_FACTOR``); when the predicted
end is further than ``cap``, the poll goes at least ``floor`` before it, leaving room for
one more before the end. Jobs of one to a few pages give little to predict
from; they are polled about as often as before, not better.
"""

from __future__ import annotations

import math

from . import _constants as C

PAGE_SPREAD = 0.3  # standard deviation of one page's time, as a share of the mean page
PHASE_SD = math.sqrt(1 / 6)  # pages: the difference of two counts' unseen partial pages
PAGE_PHASE_SD = math.sqrt(1 / 12)  # pages: one count's unseen partial page
REFINE = 0.5  # a prediction less sure than this x floor (one sd) is approached first


class PollSchedule:
    """The next sleep of one wait, from the polls seen so far (times from one clock).

    ``since`` is a time the job was known to be waiting (its submission), if any.
    """

    __slots__ = (
        "_fallback",
        "_first",
        "_last",
        "_total",
        "_waiting_at",
        "cap",
        "floor",
        "shortest",
    )

    def __init__(self, floor: float, cap: float | None = None, since: float | None = None) -> None:
        self.floor = floor
        self.cap = max(floor, cap if cap is not None else floor * C.POLL_CAP_FACTOR)
        self.shortest = floor * C.POLL_MIN_FACTOR
        self._fallback = floor
        self._total = 0
        self._waiting_at = since  # the latest time the job was seen (or known) pending
        self._first: tuple[float, int] | None = None  # (time, pages done) once processing
        self._last: tuple[float, int] | None = None

    def observe(self, now: float, processed_pages: int, total_pages: int, *, started: bool) -> None:
        """Record one poll: ``started`` is False while the job is still pending."""
        if total_pages <= 0 or total_pages != self._total:
            self._first = self._last = None  # an unknown or changed page count: start over
            self._total = max(0, total_pages)
        if not started:
            self._waiting_at = now
            return
        done = min(max(processed_pages, 0), max(self._total - 1, 0))
        if self._last is not None and done < self._last[1]:
            self._first = None  # the count went back (the job restarted): measure again
        if self._first is None:
            self._first = (now, done)
        self._last = (now, done)

    def estimate(self) -> tuple[float, float | None] | None:
        """The predicted end and its standard deviation (None: an upper bound from one
        poll), or None when the polls say nothing about it yet."""
        if self._first is None or self._last is None or self._total <= 0:
            return None
        (t0, p0), (t1, p1) = self._first, self._last
        left = self._total - p1 - 0.5
        if p1 > p0:
            measured = p1 - p0
            b = (t1 - t0) / measured
            rate_error = math.sqrt((PHASE_SD / measured) ** 2 + PAGE_SPREAD**2 / measured)
            spread = math.sqrt((left * rate_error) ** 2 + left * PAGE_SPREAD**2 + PAGE_PHASE_SD**2)
            return t1 + left * b, spread * b
        if t1 == t0 and p1 >= 1 and self._waiting_at is not None and self._waiting_at < t1:
            return t1 + left * (t1 - self._waiting_at) / (p1 + 0.5), None
        return None

    def next_delay(self, now: float) -> float:
        """Seconds to sleep before the next poll (the caller cuts it at its deadline)."""
        estimate = self.estimate()
        if estimate is None:
            delay = self._fallback
            self._fallback = min(self._fallback * C.POLL_GROWTH, self.cap)
            return delay
        end, spread = estimate
        wait = end - now
        if spread is None:  # one poll: its latest end if sooner, else measure the rate
            wait = min(wait, self.floor)
        elif spread > REFINE * self.floor and wait > self.floor:
            wait = max(self.floor, wait / 2, wait - 2 * spread)
        if wait > self.cap:  # an intermediate poll, leaving room for one more before the end
            wait = max(self.floor, wait - self.floor)
        return min(max(wait, self.shortest), self.cap)
