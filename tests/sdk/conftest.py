"""Fixtures of the SDK tests on top of tests/conftest.py.

- ``threaded_api`` / ``threaded_base_url``: the same checks on a *threaded* pytest-httpserver
  (the shared one serves one request at a time), for concurrent part uploads and for
  handlers that outlast a client's timeout.
- ``dropping_server``: a raw socket server that reads each request and hangs up without
  answering (a connection lost after the request was sent).
- ``dead_url``: a base URL where nothing listens.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer

from tests.conftest import check_log
from tests.openapi_checks import API_PREFIX


@pytest.fixture(scope="session")
def _threaded_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def threaded_api(_threaded_server: HTTPServer) -> Iterator[HTTPServer]:
    server = _threaded_server
    server.clear()
    yield server
    try:
        check_log(server)
        server.check_assertions()
        server.check_handler_errors()
    finally:
        server.clear()


@pytest.fixture
def threaded_base_url(threaded_api: HTTPServer) -> str:
    return str(threaded_api.url_for(API_PREFIX))


class DroppingServer:
    """Accepts connections, reads one request head, closes without answering."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.requests: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2.0)
                data = b""
                try:
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                if data:
                    self.requests.append(data)

    def request_lines(self) -> list[str]:
        return [raw.split(b"\r\n", 1)[0].decode() for raw in self.requests]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


@pytest.fixture
def dropping_server() -> Iterator[DroppingServer]:
    server = DroppingServer()
    yield server
    server.close()


@pytest.fixture
def dead_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"
