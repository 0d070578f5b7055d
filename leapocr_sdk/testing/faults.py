"""Fault injection for the emulator: failures, dropped connections, latency, bad bodies.

Every method is thread-safe and may be called while requests are in flight. Route names
are the operations' (``leapocr_sdk._operations``): ``submit_url``, ``initiate``,
``complete``, ``status``, ``result``, ``delete``, ``models``, ``health``, ``upload_part``
(storage PUTs), and ``unknown`` (no route matched) and ``*`` (any route; a fault queued
for a specific route is used first).
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from .._operations import OPERATIONS

__all__ = ["ROUTES", "UNKNOWN", "Failure", "Faults"]

# The route of a request no operation matches.
UNKNOWN = "unknown"
# The route names: the operations' (leapocr_sdk._operations) and ``unknown``.
ROUTES = frozenset([*(operation.name for operation in OPERATIONS), UNKNOWN])
MalformedKind = Literal["truncated", "non_json"]
_Fault = TypeVar("_Fault")


@dataclass(frozen=True)
class Failure:
    """A canned response that replaces a request's real handling."""

    status: int
    body: bytes | None = None  # None: the service's error body for ``status``
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


def _check_route(route: str) -> str:
    if route != "*" and route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; expected one of {sorted(ROUTES)} or '*'")
    return route


def _check_count(count: int) -> int:
    if count < 1:
        raise ValueError("count must be at least 1")
    return count


class Faults:
    """Queued, one-shot faults per route plus standing latency and URL-expiry settings.

    Reach it as ``emu.faults``. The ``take_*`` methods, ``latency``, ``status_override``
    and ``url_expired`` are what the emulator's server consumes; tests call the others.

    Example:
        ```python
        emu.faults.fail("status", 503, count=2)  # the next two polls fail
        emu.faults.drop("upload_part")  # a connection cut mid-upload
        emu.faults.fail("submit_url", 429, headers={"Retry-After": "1"})
        ```
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: defaultdict[str, deque[Failure]] = defaultdict(deque)
        self._drops: defaultdict[str, deque[bool]] = defaultdict(deque)
        self._slow: defaultdict[str, deque[float]] = defaultdict(deque)
        self._malformed: defaultdict[str, deque[MalformedKind]] = defaultdict(deque)
        self._latency: dict[str, float] = {}
        self._periodic: dict[str, tuple[int, Failure]] = {}
        self._seen: defaultdict[str, int] = defaultdict(int)
        self._status_overrides: dict[str, str] = {}
        self._urls_expired_at: float | None = None
        self._issue_expired_urls = False

    # -- configuring -------------------------------------------------------------------

    def fail(
        self,
        route: str,
        status: int,
        *,
        count: int = 1,
        body: Mapping[str, Any] | bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
    ) -> None:
        """Answer the next ``count`` requests of ``route`` with ``status`` without handling them.

        Args:
            route: a route name (``status``, ``upload_part``, ...) or ``*`` for any.
            status: the HTTP status to answer.
            count: how many requests.
            body: the body (default: the service's error body for the status); a mapping
                is sent as JSON, ``str`` / ``bytes`` as is.
            headers: headers to add (e.g. ``Retry-After``).
            content_type: the body's type (default: by the body's kind).

        Raises:
            ValueError: an unknown route, or ``count`` < 1.
        """
        if isinstance(body, Mapping):
            raw: bytes | None = json.dumps(body).encode()
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = body
        if content_type is None:
            content_type = "text/plain" if isinstance(body, str | bytes) else "application/json"
        self._queue(
            self._failures, route, Failure(status, raw, content_type, dict(headers or {})), count
        )

    def fail_every(
        self, route: str, status: int, *, every: int, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer every ``every``-th request of ``route`` with ``status``, until ``reset``.

        The body is the service's error body; queued one-shot faults (``fail``) are used
        first.

        Args:
            route: a route name (``status``, ``upload_part``, ...) or ``*`` for any.
            status: the HTTP status to answer.
            every: fail one request in this many (``every=20`` fails 5 %).
            headers: headers to add.

        Raises:
            ValueError: an unknown route, or ``every`` < 1.
        """
        failure = Failure(status, None, "application/json", dict(headers or {}))
        with self._lock:
            self._periodic[_check_route(route)] = (_check_count(every), failure)

    def drop(self, route: str, *, count: int = 1, after_handling: bool = False) -> None:
        """Close the connection of the next ``count`` requests of ``route`` without answering.

        Args:
            route: a route name (``status``, ``upload_part``, ...) or ``*`` for any.
            count: how many requests.
            after_handling: False (default): the request is not handled (for
                ``upload_part`` the socket closes half-way through the body); True: the
                request takes effect and only the response is lost.

        Raises:
            ValueError: an unknown route, or ``count`` < 1.
        """
        self._queue(self._drops, route, after_handling, count)

    def slow(self, route: str, seconds: float, *, count: int = 1) -> None:
        """Sleep ``seconds`` before answering the next ``count`` requests of ``route``.

        Args:
            route: a route name (``status``, ``upload_part``, ...) or ``*`` for any.
            seconds: the delay.
            count: how many requests.

        Raises:
            ValueError: an unknown route, or ``count`` < 1.
        """
        self._queue(self._slow, route, float(seconds), count)

    def malformed(self, route: str, *, count: int = 1, kind: MalformedKind = "truncated") -> None:
        """Answer the next ``count`` requests of ``route`` with 200 and a broken body.

        The request is handled normally; only the response body is replaced.

        Args:
            route: a route name (``status``, ``upload_part``, ...) or ``*`` for any.
            count: how many requests.
            kind: ``truncated`` keeps the first half of the real JSON body; ``non_json``
                sends an HTML page.

        Raises:
            ValueError: an unknown route or kind, or ``count`` < 1.
        """
        if kind not in ("truncated", "non_json"):
            raise ValueError("kind must be 'truncated' or 'non_json'")
        self._queue(self._malformed, route, kind, count)

    def set_latency(self, seconds: float, route: str | None = None) -> None:
        """Add ``seconds`` before every request of a route, until ``reset``.

        Args:
            seconds: the added latency.
            route: a route name; None: every route.
        """
        with self._lock:
            self._latency[_check_route(route) if route else "*"] = float(seconds)

    def override_status(self, job_id: str, status: str | None) -> None:
        """Report another status for a job, e.g. a value the SDK does not know.

        Args:
            job_id: the job's id.
            status: any string; None restores the real status.
        """
        with self._lock:
            if status is None:
                self._status_overrides.pop(job_id.lower(), None)
            else:
                self._status_overrides[job_id.lower()] = status

    def expire_upload_urls(self) -> None:
        """Make every upload URL issued so far answer 403 (expired)."""
        with self._lock:
            self._urls_expired_at = time.time()

    @property
    def issue_expired_urls(self) -> bool:
        """When true, new direct uploads get URLs that have already expired."""
        with self._lock:
            return self._issue_expired_urls

    @issue_expired_urls.setter
    def issue_expired_urls(self, value: bool) -> None:
        with self._lock:
            self._issue_expired_urls = bool(value)

    def reset(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._failures.clear()
            self._drops.clear()
            self._slow.clear()
            self._malformed.clear()
            self._latency.clear()
            self._periodic.clear()
            self._seen.clear()
            self._status_overrides.clear()
            self._urls_expired_at = None
            self._issue_expired_urls = False

    def _queue(
        self, queues: defaultdict[str, deque[_Fault]], route: str, fault: _Fault, count: int
    ) -> None:
        """Queue ``count`` copies of a one-shot fault for ``route`` (checked first)."""
        route, count = _check_route(route), _check_count(count)
        with self._lock:
            queues[route].extend([fault] * count)

    # -- consuming (used by the server) --------------------------------------------------

    @staticmethod
    def _take(queues: Mapping[str, deque[_Fault]], route: str) -> _Fault | None:
        """The next fault queued for ``route``, else for ``*`` (call with the lock held)."""
        for key in (route, "*"):
            queue = queues.get(key)
            if queue:
                return queue.popleft()
        return None

    def _take_locked(self, queues: Mapping[str, deque[_Fault]], route: str) -> _Fault | None:
        with self._lock:
            return self._take(queues, route)

    def take_failure(self, route: str) -> Failure | None:
        """Consume the canned answer due for a request of ``route`` (server side).

        Args:
            route: the request's route name.

        Returns:
            The ``Failure`` to answer with, or None to handle the request.
        """
        with self._lock:
            failure = self._take(self._failures, route)
            if failure is not None:
                return failure
            for key in (route, "*"):
                if key in self._periodic:
                    every, periodic = self._periodic[key]
                    self._seen[key] += 1
                    if self._seen[key] % every == 0:
                        return periodic
                    return None
            return None

    def take_drop(self, route: str) -> bool | None:
        """Consume the drop due for a request of ``route`` (server side).

        Args:
            route: the request's route name.

        Returns:
            None: no drop; False: drop before handling; True: drop after handling.
        """
        return self._take_locked(self._drops, route)

    def take_slow(self, route: str) -> float:
        """Consume the delay due for a request of ``route`` (server side).

        Args:
            route: the request's route name.

        Returns:
            Seconds to sleep before answering (0.0: none).
        """
        return self._take_locked(self._slow, route) or 0.0

    def take_malformed(self, route: str) -> MalformedKind | None:
        """Consume the broken body due for a request of ``route`` (server side).

        Args:
            route: the request's route name.

        Returns:
            ``truncated``, ``non_json``, or None for a normal body.
        """
        return self._take_locked(self._malformed, route)

    def latency(self, route: str) -> float:
        """The standing latency of ``route`` (server side).

        Args:
            route: the request's route name.

        Returns:
            Seconds to add before answering.
        """
        with self._lock:
            return self._latency.get(route, self._latency.get("*", 0.0))

    def status_override(self, job_id: str) -> str | None:
        """The status ``override_status`` set for a job (server side).

        Args:
            job_id: the job's id.

        Returns:
            The status to report, or None for the real one.
        """
        with self._lock:
            return self._status_overrides.get(job_id.lower())

    def url_expired(self, issued_at: float) -> bool:
        """Whether ``expire_upload_urls`` expired an upload URL (server side).

        Args:
            issued_at: when the URL was issued (Unix time).

        Returns:
            True when it counts as expired.
        """
        with self._lock:
            return self._urls_expired_at is not None and issued_at <= self._urls_expired_at
