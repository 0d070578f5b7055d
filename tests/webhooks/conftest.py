"""A local webhook receiver built on ``construct_event``, for the emulator's deliveries."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from leapocr_sdk.webhooks import WebhookEvent, WebhookVerificationError, construct_event


class Receiver:
    """Verifies each POST with ``construct_event``; answers 204, 400 when refused, or 500
    for the first ``fail_first`` deliveries (to exercise retries)."""

    def __init__(self, secret: str = "", fail_first: int = 0) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.events: list[WebhookEvent] = []
        self.refused: list[str] = []
        self.user_agents: list[str] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.receive(body, self.headers)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def receive(self, body: bytes, headers: Any) -> int:
        with self.lock:
            self.user_agents.append(headers.get("User-Agent", ""))
            if self.fail_first > 0:
                self.fail_first -= 1
                return 500
            try:
                event = construct_event(body, headers, self.secret)
            except WebhookVerificationError as refused:
                self.refused.append(refused.reason)
                return 400
            self.events.append(event)
            return 204

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., Receiver]]:
    started: list[Receiver] = []

    def make(**kwargs: Any) -> Receiver:
        receiver = Receiver(**kwargs)
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.close()


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until ``condition()`` is truthy; its value, or AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
