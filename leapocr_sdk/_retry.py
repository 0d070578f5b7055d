"""Retry decisions: pure functions of (attempt, reply headers, clock, randomness).

Only the sleep differs between the sync and async clients; what to wait is decided here.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from . import _constants as C
from ._parsing import retry_after_seconds


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
