"""The emulator's webhook deliveries: signed job events POSTed as its jobs move.

The job store computes a job's state lazily from a clock, so a watcher thread looks at
the jobs every few milliseconds and emits, once each and in order, ``job.created``,
``job.started`` (a job that finishes between two looks still gets it, first) and
``job.completed`` or ``job.failed``. Deleted jobs emit nothing more.

A delivery thread POSTs each event, signed as the service signs them (see
``leapocr_sdk.webhooks``), to every subscription that asked for its type. An answer
other than 2xx, or no answer, is retried after ``RETRY_DELAYS`` (each attempt is signed
afresh, with the same body and ``event_id``); then it is given up. Every attempt is
recorded as a :class:`WebhookDelivery`. Deliveries of one subscription arrive in the
order of their first attempt; a retried one may arrive after later events, as with the
service.
"""

from __future__ import annotations

import heapq
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, USER_AGENT, sign
from .jobs import JobStore, JobView, iso

__all__ = ["RETRY_DELAYS", "WEBHOOK_EVENTS", "WebhookDelivery", "WebhookDispatcher"]

WEBHOOK_EVENTS = ("job.created", "job.started", "job.completed", "job.failed")
RETRY_DELAYS = (0.05, 0.15, 0.45)  # seconds before attempts 2, 3, 4 (then dropped): test-sized
DELIVERY_TIMEOUT = 5.0  # seconds a receiver has to answer one attempt
WATCH_INTERVAL = 0.02  # seconds between two looks at the jobs


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook delivery attempt, as ``emu.webhook_deliveries`` lists them.

    Attributes:
        event_type: e.g. ``job.completed``.
        event_id: the event's id (the same for each retry of it).
        job_id: the job's id.
        url: where it was posted.
        attempt: 1 for the first attempt.
        status_code: the receiver's answer; None when no answer came (see ``error``).
        error: why no answer came.
        at: the Unix time the attempt ended.
    """

    event_type: str
    event_id: str
    job_id: str
    url: str
    attempt: int
    status_code: int | None
    error: str | None
    at: float  # Unix time the attempt ended

    @property
    def ok(self) -> bool:
        """True when the receiver answered 2xx."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class _Subscription:
    url: str
    events: frozenset[str]
    secret: str


@dataclass(frozen=True)
class _Event:
    event_type: str
    event_id: str
    job_id: str
    body: bytes


class WebhookDispatcher:
    """Subscriptions, the watcher of job transitions and the delivery queue."""

    def __init__(self, store: JobStore, *, retry_delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        self._store = store
        self._retry_delays = retry_delays
        self.user_id, self.team_id, self.organization_id = (str(uuid.uuid4()) for _ in range(3))
        self._subscriptions: list[_Subscription] = []
        self._emitted: dict[str, set[str]] = {}  # job id -> event types emitted
        self._finished: set[str] = set()
        self._deliveries: list[WebhookDelivery] = []
        self._queue: list[tuple[float, int, int, _Subscription, _Event]] = []
        self._sequence = 0
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        # No proxy from the environment: deliveries go straight to the receiver.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def add(self, url: str, events: Iterable[str], secret: str | None) -> str:
        """Subscribe ``url`` to ``events``; returns the signing secret (``start`` delivers)."""
        chosen = frozenset(events)
        unknown = chosen - set(WEBHOOK_EVENTS)
        if not chosen or unknown:
            raise ValueError(
                f"events must be some of {', '.join(WEBHOOK_EVENTS)}; got {sorted(chosen)}"
            )
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the webhook URL must be http(s): {url!r}")
        secret = secret or "whsec_" + secrets.token_hex(24)
        with self._lock:
            self._subscriptions.append(_Subscription(url, chosen, secret))
        return secret

    def deliveries(self) -> list[WebhookDelivery]:
        """A copy of the delivery attempts so far, oldest first."""
        with self._lock:
            return list(self._deliveries)

    # -- threads ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the watcher and the delivery thread (once there is a subscription)."""
        with self._lock:
            if self._threads or not self._subscriptions:
                return
            self._stopping.clear()
            self._threads = [
                threading.Thread(target=self._watch, name="leapocr-webhook-watch", daemon=True),
                threading.Thread(target=self._deliver, name="leapocr-webhook-send", daemon=True),
            ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stop both threads; deliveries still queued are dropped."""
        self._stopping.set()
        with self._lock:
            threads, self._threads = self._threads, []
            self._queue.clear()
            self._lock.notify_all()
        for thread in threads:
            thread.join(timeout=DELIVERY_TIMEOUT + 1)

    # -- watching jobs ------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_INTERVAL):
            with self._store.lock:
                views = [
                    self._store.view(job)
                    for job_id, job in self._store.jobs.items()
                    if job_id not in self._finished
                ]
            for view in views:
                for event_type in self._transitions(view):
                    self._emit(event_type, view)

    def _transitions(self, view: JobView) -> list[str]:
        """Event types ``view`` has reached that were not emitted yet, in order."""
        emitted = self._emitted.setdefault(view.id, set())
        reached = ["job.created"]
        if view.deleted_at is not None:
            self._finished.add(view.id)
        elif view.status == "failed":
            reached.append("job.failed")
        elif view.status != "pending" or view.processed_pages:
            reached.append("job.started")
            if view.status in ("completed", "partially_done"):
                reached.append("job.completed")
        if reached[-1] in ("job.completed", "job.failed"):
            self._finished.add(view.id)
        new = [event_type for event_type in reached if event_type not in emitted]
        emitted.update(new)
        return new

    def _emit(self, event_type: str, view: JobView) -> None:
        event_id = "evt_" + uuid.uuid4().hex
        event = _Event(event_type, event_id, view.id, self._body(event_type, event_id, view))
        with self._lock:
            for subscription in self._subscriptions:
                if event_type in subscription.events:
                    self._push(time.monotonic(), 1, subscription, event)

    def _body(self, event_type: str, event_id: str, view: JobView) -> bytes:
        status = {"job.created": "pending", "job.started": "processing"}.get(event_type)
        data: dict[str, Any] = {
            "event_type": event_type,
            "event_id": event_id,
            "timestamp": iso(time.time()),
            "job_id": view.id,
            "user_id": self.user_id,
            "team_id": self.team_id,
            "organization_id": self.organization_id,
            "status": status or view.status,
            "file_name": view.file_name,
            "model": view.model,
            "result_format": view.result_format,
            "created_at": iso(view.created_at),
        }
        if event_type != "job.created":
            data["total_pages"] = view.total_pages
        if event_type == "job.completed":
            data.update(
                processed_pages=view.processed_pages,
                credits_used=view.credits_used,
                processing_time=round(view.processing_seconds, 3),
                completed_at=iso(time.time()),
            )
        if event_type == "job.failed":
            data.update(processed_pages=view.processed_pages, error_message=view.error_message)
        return json.dumps(data, separators=(",", ":")).encode("utf-8")

    # -- delivering ---------------------------------------------------------------------

    def _push(self, due: float, attempt: int, subscription: _Subscription, event: _Event) -> None:
        self._sequence += 1
        heapq.heappush(self._queue, (due, self._sequence, attempt, subscription, event))
        self._lock.notify_all()

    def _deliver(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if not self._queue:
                    self._lock.wait(0.5)
                    continue
                due = self._queue[0][0]
                wait = due - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                _, _, attempt, subscription, event = heapq.heappop(self._queue)
            status, error = self._post(subscription, event)
            record = WebhookDelivery(
                event.event_type,
                event.event_id,
                event.job_id,
                subscription.url,
                attempt,
                status,
                error,
                time.time(),
            )
            with self._lock:
                self._deliveries.append(record)
                if not record.ok and attempt <= len(self._retry_delays):
                    delay = self._retry_delays[attempt - 1]
                    self._push(time.monotonic() + delay, attempt + 1, subscription, event)

    def _post(self, subscription: _Subscription, event: _Event) -> tuple[int | None, str | None]:
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 (http(s) only, checked in add)
            subscription.url,
            data=event.body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(event.body, timestamp=timestamp, secret=subscription.secret),
            },
        )
        try:
            with self._opener.open(request, timeout=DELIVERY_TIMEOUT) as response:
                response.read()
                return int(response.status), None
        except urllib.error.HTTPError as refused:
            refused.close()
            return int(refused.code), None
        except (OSError, ValueError) as failure:
            return None, f"{type(failure).__name__}: {failure}"
