"""Client-wide pacing: when may the next API request go, from the rate-limit headers seen.

Pure: no I/O, no clock of its own, no locks. The runners hold one :class:`Pacer` per
client (shared by its ``with_options`` copies), ask it before every API request (not the
part uploads, which go to storage) and tell it how each one ended; the blocking runner
calls it under a lock, the async one from its event loop. Every time is a reading of the
runner's one local clock (``now``, ``sent``, ``received``).

What it relies on (docs/wire.md, "Rate limits")
-----------------------------------------------
Every ``/api/v1`` answer carries ``X-RateLimit-Limit`` (requests a window allows),
``X-RateLimit-Remaining`` (left in the window once this request is counted) and
``X-RateLimit-Reset`` (when the window ends: Unix seconds, or seconds from now when
small); the window is fixed: once it ends, the next request starts a new one with the
whole ``Limit``. Refused requests (429) spend nothing. The ``Date`` header is the
server's clock, so a ``Reset`` is never read against a local clock that runs ahead by
more than ``Date``'s one-second resolution can tell.

How it decides
--------------
- The budget left is the lowest ``Remaining`` the current window has answered (the
  latest request the server counted), minus the requests sent and not yet answered
  (``in_flight``) and those answered without the headers (``lost``: they may have been
  counted). Both are counted against the budget even when the server counted them
  already: never too much, at the price of a little waiting.
- An answer of an older window (a smaller ``Reset``) changes nothing; one of a newer
  window starts it. Once the local clock passes the window's ``Reset`` (on the server's
  clock, read conservatively: see ``_Offset``), the budget is the whole ``Limit`` again,
  less what is in flight, until the new window's first answer says more.
- Until the first answer, one request at a time. A server that answers without the
  headers is not paced (the 429 retry remains).
- When the budget is shorter than the requests waiting, the best ranked go first (see
  :func:`rank`): everything that moves a document forward (submissions, the reads of
  finished results) before polls, and among polls the job predicted to finish soonest.
"""

from __future__ import annotations

import email.utils
import itertools
import math
from collections.abc import Mapping
from typing import NamedTuple

__all__ = ["Pacer", "Ticket", "rank"]

# A ``Reset`` below this is seconds from now, not a Unix time (as ``retry_after_seconds``).
_RELATIVE_RESET = 1_000_000_000

_FIRST, _POLL = 0, 1


class Ticket(NamedTuple):
    """A request waiting for its turn; lower sorts first."""

    tier: int  # 0: moves a document forward; 1: a poll
    due: float  # a poll's predicted end (the flow's clock); 0 for the others
    order: int  # first come, first served among equals


def rank(name: str, due: float | None) -> tuple[int, float]:
    """The tier and due of a request: polls (``due`` given, or a ``status`` call) come
    after every other request, nearer predicted ends first; a ``status`` call without a
    prediction comes last."""
    if due is not None:
        return _POLL, due
    if name == "status":
        return _POLL, math.inf
    return _FIRST, 0.0


class _Offset:
    """Bounds on (server's Unix time - local clock), from the ``Date`` of each answer.

    ``Date`` is the server's time in whole seconds, taken between our send and receipt:
    ``Date <= local + offset < Date + 1`` for some local time in ``[sent, received]``.
    Each answer narrows the bounds; bounds that stop overlapping (a clock jumped) start
    over. The local Unix time is trusted while it lies within them (they cannot tell a
    clock apart that is off by less than about a second); outside them, the lower bound
    is used (a reset read later, never sooner).
    """

    def __init__(self) -> None:
        self.low = -math.inf
        self.high = math.inf

    def observe(self, date: float, sent: float, received: float) -> None:
        low, high = date - received, date + 1.0 - sent
        if max(low, self.low) > min(high, self.high):
            self.low, self.high = low, high
        else:
            self.low, self.high = max(low, self.low), min(high, self.high)

    def pick(self, local: float) -> float:
        """The offset to read a Reset with, given the local clock's own (``local``)."""
        if math.isinf(self.low) or self.low <= local <= self.high:
            return local
        return self.low


class _Window(NamedTuple):
    limit: int | None
    remaining: int  # the lowest Remaining answered in this window
    reset_key: float  # Reset as sent (Unix seconds), or the local time it means
    reset_at: float  # the local-clock time the window ends (read late, never early)
    ended: bool = False  # it ended: ``remaining`` is the whole limit, its end unknown


class Pacer:
    """The request budget of one client, from the ``X-RateLimit-*`` headers it was answered."""

    def __init__(self) -> None:
        self._window: _Window | None = None
        self._limit: int | None = None  # the latest Limit answered
        self._in_flight = 0
        self._lost = 0
        self._heard = False  # an answer came (with or without the headers)
        self._offset = _Offset()
        self._waiting: set[Ticket] = set()
        self._order = itertools.count()

    # -- waiting ----------------------------------------------------------------------------

    def enter(self, name: str, due: float | None = None) -> Ticket:
        """Queue a request (``Call.name``, a poll's predicted end) for its turn."""
        tier, when = rank(name, due)
        ticket = Ticket(tier, when, next(self._order))
        self._waiting.add(ticket)
        return ticket

    def go_now(self, now: float) -> bool:
        """True: a request may go at once, counted as sent (nothing is queued and the
        budget allows one: what ``enter`` then ``admit`` decide, without a ticket).
        False: it must queue with ``enter``."""
        if self._waiting:
            return False
        available = self.available(now)
        if available is not None and available <= 0:
            return False
        self._in_flight += 1
        return True

    @property
    def queued(self) -> bool:
        """Requests are waiting for their turn (an answer or a leaver may let one go)."""
        return bool(self._waiting)

    def leave(self, ticket: Ticket) -> None:
        """A queued request gave up (cancelled, its client closed, the batch stopped)."""
        self._waiting.discard(ticket)

    def admit(self, ticket: Ticket, now: float, *, force: bool = False) -> float | None:
        """0.0: ``ticket`` may go now (it is counted as sent and leaves the queue).

        Otherwise the seconds until the window ends (then ask again), or None when it
        must wait for an answer or another request's turn (ask again on any change).
        ``force`` lets it go whatever the budget (its wait reached the call's timeout:
        the server decides, and a 429 is retried as ever).
        """
        available = self.available(now)
        if (
            force
            or available is None
            or sum(1 for other in self._waiting if other < ticket) < available
        ):
            self._waiting.discard(ticket)
            self._in_flight += 1
            return 0.0
        window = self._window
        if window is not None and available <= 0 and window.reset_at > now:
            return window.reset_at - now
        return None

    def withdraw(self) -> None:
        """An admitted request was not sent after all (cancelled, or its client closed,
        while it waited for the async client's in-flight cap)."""
        self._in_flight = max(0, self._in_flight - 1)

    def available(self, now: float) -> int | None:
        """Requests that may be sent now without being refused; None: not limited."""
        window = self._window
        if window is None:  # one request at a time until the first answer says more
            return None if self._heard else 1 - self._in_flight
        if now >= window.reset_at:  # the window ended: a new one starts with our next request
            if window.limit is None:
                return None
            self._window = window = window._replace(
                remaining=window.limit, reset_at=math.inf, ended=True
            )
            self._lost = 0
        return window.remaining - self._in_flight - self._lost

    # -- answers ----------------------------------------------------------------------------

    def answered(
        self, headers: Mapping[str, str] | None, *, sent: float, received: float, wall: float
    ) -> None:
        """An admitted request ended: with an answer's ``headers``, or None when none came
        (a connection failure). ``sent`` and ``received`` are local-clock times; ``wall``
        is the local Unix time at ``received`` (used only when no ``Date`` ever came)."""
        self._in_flight = max(0, self._in_flight - 1)
        if headers is None:
            self._count_lost()
            return
        self._heard = True
        wanted = _wanted(headers)
        date = _date(wanted.get("date"))
        if date is not None:
            self._offset.observe(date, sent, received)
        limit = _whole(wanted.get("x-ratelimit-limit"))
        remaining = _whole(wanted.get("x-ratelimit-remaining"))
        reset = _number(wanted.get("x-ratelimit-reset"))
        if limit is not None:
            self._limit = limit
        if remaining is None or reset is None:
            self._count_lost()  # counted perhaps, but not said
            return
        if reset < _RELATIVE_RESET:  # seconds from the server's now: at most from ours
            key = reset_at = received + reset
        else:
            key = reset
            reset_at = reset - self._offset.pick(wall - received)
        window = self._window
        if window is None or key > window.reset_key + _same_window(reset):
            self._window = _Window(self._limit, remaining, key, reset_at)
            self._lost = 0
        elif not window.ended and key >= window.reset_key - _same_window(reset):
            lowest = min(window.remaining, remaining)
            if reset < _RELATIVE_RESET:  # the later reading: never early
                reset_at = max(reset_at, window.reset_at)
            self._window = window._replace(limit=self._limit, remaining=lowest, reset_at=reset_at)
        # else: an answer of a window that has ended since: it says nothing of this one

    def _count_lost(self) -> None:
        # Only while the window's end is known, so that a wait always has an end.
        if self._window is not None and not self._window.ended:
            self._lost += 1


def _same_window(reset: float) -> float:
    # A relative Reset read at two receipts differs by the time between them.
    return 1.0 if reset < _RELATIVE_RESET else 0.0


_WANTED = frozenset(("date", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"))
_WANTED_RAW = frozenset(name.encode() for name in _WANTED)


def _wanted(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers pacing reads, by lower-case name, in one pass over an answer's headers
    (httpx's ``Headers.get`` scans them all once a name); only those are decoded."""
    raw = getattr(headers, "raw", None)  # httpx.Headers: (name, value) bytes pairs
    if raw is not None:
        return {
            lowered.decode("latin-1"): value.decode("latin-1")
            for name, value in raw
            if (lowered := name.lower()) in _WANTED_RAW
        }
    return {name.lower(): value for name, value in headers.items() if name.lower() in _WANTED}


def _number(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


def _whole(raw: str | None) -> int | None:
    value = _number(raw)
    return None if value is None else int(value)


_last_date: tuple[str, float | None] = ("", None)  # a Date changes once a second: parse it once


def _date(raw: str | None) -> float | None:
    global _last_date
    if not raw:
        return None
    seen, value = _last_date
    if raw == seen:
        return value
    try:
        value = email.utils.parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError):
        value = None
    _last_date = (raw, value)
    return value
