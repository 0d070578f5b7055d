"""The one retry policy: a pure function of (attempt, reply, deadline, clock, randomness).

API calls (``_flows.send``) and part uploads (``_flows.upload_part``) both ask
``next_delay`` whether and how long to wait; only the sleep differs between the sync and
async clients.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from . import _constants as C
from ._parsing import Reply, retry_after_seconds


def is_retryable_status(status_code: int) -> bool:
    """429 and 500/502/503/504 are worth another try; other errors are not."""
    return status_code in C.RETRYABLE_STATUS


def backoff_delay(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter for retry number ``attempt`` (0-based)."""
    base = min(C.BACKOFF_INITIAL * (2.0 ** min(attempt, 64)), C.BACKOFF_MAX)  # no overflow
    return base * (1.0 - C.BACKOFF_JITTER * rng.random())


def retry_delay(
    attempt: int, headers: Mapping[str, str], *, now: float, rng: random.Random
) -> float:
    """How long to wait before retrying a retryable reply.

    The server's own hint (``Retry-After``, else ``X-RateLimit-Reset``) wins, capped at
    ``RETRY_AFTER_MAX``; without one, exponential backoff with jitter.
    """
    suggested = retry_after_seconds(headers, now=now)
    if suggested is not None:
        return min(suggested, C.RETRY_AFTER_MAX)
    return backoff_delay(attempt, rng)


def next_delay(
    attempt: int,
    reply: Reply | None,
    deadline: float | None,
    *,
    max_retries: int,
    now: float,
    wall_now: float,
    rng: random.Random,
) -> float | None:
    """Seconds to wait before retry number ``attempt`` (0-based), or None to give up.

    ``reply`` is the last answer, or None when the request failed without one (a
    connection error). Gives up on a non-retryable status, after ``max_retries`` retries,
    and when the wait would end after ``deadline`` (a ``now``-clock time, or None): no
    sleep ever runs past the deadline of the operation it serves.
    """
    if attempt >= max_retries:
        return None
    if reply is None:
        delay = backoff_delay(attempt, rng)
    elif is_retryable_status(reply.status_code):
        delay = retry_delay(attempt, reply.headers, now=wall_now, rng=rng)
    else:
        return None
    if deadline is not None and now + delay >= deadline:
        return None
    return delay


def cut_by_deadline(attempt: int, reply: Reply | None, *, max_retries: int, past: bool) -> bool:
    """True when a failure ended an operation because of its deadline: the retry was not
    made for lack of time (or the deadline has ``past`` already), not for lack of tries."""
    retryable = reply is None or is_retryable_status(reply.status_code)
    return retryable and (attempt < max_retries or past)
