"""The emulated service's state: its key, rate limiter, job store, faults and signing secret.

The route handlers (``checks.py``, ``uploads.py``, ``submissions.py``, ``rendering.py``)
are methods of classes built on :class:`Service`; ``routing.py`` joins them into ``Api``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from .downloads import Downloads
from .faults import Faults
from .jobs import JobStore

__all__ = ["RateLimiter", "Service"]


class RateLimiter:
    """A fixed-window request counter."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._lock = threading.Lock()
        self._start = 0.0
        self._count = 0

    def _roll(self, now: float) -> None:
        if now >= self._start + self.window:
            self._start = now
            self._count = 0

    def _headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.limit - self._count)),
            "X-RateLimit-Reset": str(math.ceil(self._start + self.window)),
        }

    def consume(self) -> tuple[bool, dict[str, str]]:
        """Count a request: ``(allowed, headers)``; a refusal carries ``Retry-After``."""
        with self._lock:
            now = time.time()
            self._roll(now)
            if self._count >= self.limit:
                headers = self._headers()
                headers["Retry-After"] = str(max(1, math.ceil(self._start + self.window - now)))
                return False, headers
            self._count += 1
            return True, self._headers()

    def headers(self) -> dict[str, str]:
        with self._lock:
            self._roll(time.time())
            return self._headers()


class Service:
    """What every route handler shares: the store, faults, key, rate limiter and limits."""

    def __init__(
        self,
        *,
        store: JobStore,
        faults: Faults,
        api_key: str,
        rate_limit: int | None,
        rate_window: float,
        max_result_limit: int,
        upload_url_ttl: float,
        submit: Callable[[Callable[[], None]], None],
    ) -> None:
        self.store = store
        self.faults = faults
        self.api_key = api_key
        self.limiter = RateLimiter(rate_limit, rate_window) if rate_limit is not None else None
        self.max_result_limit = max_result_limit
        self.upload_url_ttl = upload_url_ttl
        self.submit = submit
        self.downloads = Downloads()
        self.origin = ""  # set once the server is bound, e.g. http://127.0.0.1:8765
        self._secret = store.random_bytes(32)
        self._team_id = store.new_uuid()
        self._user_id = store.new_uuid()
        self._lock = threading.Lock()
        self.key_leaks = 0
