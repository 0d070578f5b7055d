"""Fixtures of the reliability tests (faults, soak, bad input, keys and hosts).

- every test runs under a watchdog (``SIGALRM``): a hang fails the test instead of
  stalling the run; ``@pytest.mark.deadline(seconds)`` changes the default 60 s;
- ``emulator``: a started ``LeapOCREmulator`` expecting the tests' API key, stopped after
  the test; ``emulator_factory(**kwargs)`` for custom ones;
- ``emu_client(**kwargs)``: a client of the test's flavour (sync / async, see
  ``tests/conftest.py``) pointed at the emulator, with a small per-request timeout;
- ``doc_server``: a local HTTP server for documents (``add(name, data) -> url``) that
  records every request it receives (the "other host" of the redirect tests);
- ``files``: bad and good inputs on disk (a missing path, a directory, a zero-byte file,
  a sparse file over 100 MiB, an unreadable file, a small PDF).
"""

from __future__ import annotations

import functools
import os
import random
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk._contract import MAX_FILE_SIZE
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.conftest import API_KEY

DEFAULT_DEADLINE = 60.0
CLIENT_TIMEOUT = 2.0  # per-request timeout of the clients under fault injection


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "deadline(seconds): fail the test if it runs longer")
    config.addinivalue_line("markers", "slow: a test of more than a few seconds")


@pytest.fixture(autouse=True)
def _watchdog(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that runs past its deadline (a hang) instead of stalling the run."""
    marker = request.node.get_closest_marker("deadline")
    limit = float(marker.args[0]) if marker else DEFAULT_DEADLINE
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"the test ran past its {limit:g}s deadline: something hangs")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def emulator_factory(
    leapocr_emulator_factory: Callable[..., LeapOCREmulator],
) -> Callable[..., LeapOCREmulator]:
    """The plugin's factory, with the test key, 0.05 s jobs and seed 5 unless given."""
    return functools.partial(
        leapocr_emulator_factory, api_key=API_KEY, processing_seconds=0.05, seed=5
    )


@pytest.fixture
def emulator(emulator_factory: Callable[..., LeapOCREmulator]) -> LeapOCREmulator:
    return emulator_factory()


@pytest.fixture
def emu_client(emulator: LeapOCREmulator, make_client: Callable[..., Any]) -> Callable[..., Any]:
    """``emu_client(**kwargs)``: a client of the test's flavour on ``emulator``."""

    def build(**kwargs: Any) -> Any:
        kwargs.setdefault("base_url", emulator.base_url)
        kwargs.setdefault("timeout", CLIENT_TIMEOUT)
        return make_client(**kwargs)

    return build


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DocumentServer:
    """Serves registered documents on 127.0.0.1 and records every request's headers."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.redirects: dict[str, tuple[int, str]] = {}  # path -> (status, Location)
        self.received: list[tuple[str, str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.received.append((self.command, self.path, headers))
                path = self.path.split("?")[0]
                if path in owner.redirects:
                    status, location = owner.redirects[path]
                    self.send_response(status)
                    self.send_header("Location", location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = owner.documents.get(path)
                status = 200 if data is not None else 404
                body = data if data is not None else b"not found"
                self.send_response(status)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, name: str, data: bytes) -> str:
        self.documents["/" + name] = data
        return f"{self.origin}/{name}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def doc_server() -> Iterator[DocumentServer]:
    server = DocumentServer()
    yield server
    server.stop()


class Files:
    """Paths of good and bad inputs under one temporary directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pdf = root / "good.pdf"
        self.pdf.write_bytes(make_pdf(["a good page"]))
        self.missing = root / "nothing-here.pdf"
        self.directory = root / "a-directory.pdf"
        self.directory.mkdir()
        self.empty = root / "empty.pdf"
        self.empty.write_bytes(b"")
        self.huge = root / "huge.pdf"  # a PDF's first bytes, then sparse: no disk space used
        with open(self.huge, "wb") as handle:
            handle.write(b"%PDF-1.7\n")
            handle.truncate(MAX_FILE_SIZE + 1)
        self.text = root / "notes.pdf"  # text, whatever its name says
        self.text.write_text("Invoice 42\nTotal: 10.00 EUR\n" * 50)
        self.noise = root / "noise.pdf"  # random bytes (fixed seed)
        self.noise.write_bytes(random.Random(5).randbytes(4096))
        self.unreadable = root / "unreadable.pdf"
        self.unreadable.write_bytes(make_pdf(["secret"]))
        os.chmod(self.unreadable, 0)


@pytest.fixture
def files(tmp_path: Path) -> Iterator[Files]:
    made = Files(tmp_path)
    yield made
    os.chmod(made.unreadable, 0o600)
