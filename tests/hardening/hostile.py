"""Hostile local servers for the hardening tests: a real HTTP server on
127.0.0.1 whose answers are written byte by byte by the test, and a small direct-upload
service that records what it saw.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

JOB = "123e4567-e89b-12d3-a456-426614174000"

Handler = http.server.BaseHTTPRequestHandler


class HostileServer:
    """``respond(handler)`` writes each answer itself (``handler.wfile``); every request's
    method and path are recorded in ``requests``. Connections close after each answer."""

    def __init__(self, respond: Callable[[Handler], None]) -> None:
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        outer = self

        class _Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one_request(self) -> None:
                try:
                    super().handle_one_request()
                except OSError:  # the client went away mid-answer: that is the point
                    self.close_connection = True

            def _any(self) -> None:
                with outer._lock:
                    outer.requests.append((self.command, self.path))
                self.close_connection = True
                respond(self)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.origin + "/api/v1"

    def methods(self, method: str) -> list[str]:
        with self._lock:
            return [path for seen, path in self.requests if seen == method]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def head(handler: Handler, status: int, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.flush()


def send_json(handler: Handler, body: Any, status: int = 200) -> None:
    data = json.dumps(body).encode()
    head(handler, status, {"Content-Type": "application/json", "Content-Length": str(len(data))})
    handler.wfile.write(data)


def trickle(handler: Handler, body: bytes, *, every: float, for_at_most: float) -> None:
    """Send ``body`` one byte per ``every`` seconds, then (after ``for_at_most``) the rest
    at once: a client without a whole-request bound gets a good answer, late."""
    head(handler, 200, {"Content-Type": "application/json", "Content-Length": str(len(body))})
    stop = time.monotonic() + for_at_most
    for index in range(len(body)):
        if time.monotonic() > stop:
            handler.wfile.write(body[index:])
            return
        handler.wfile.write(body[index : index + 1])
        handler.wfile.flush()
        time.sleep(every)


def trickle_everything(handler: Handler, body: bytes, *, every: float, for_at_most: float) -> None:
    """The whole answer, status line and headers included, one byte per ``every`` seconds
    (the rest at once after ``for_at_most``)."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
    raw = head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    stop = time.monotonic() + for_at_most
    for index in range(len(raw)):
        if time.monotonic() > stop:
            handler.wfile.write(raw[index:])
            return
        handler.wfile.write(raw[index : index + 1])
        handler.wfile.flush()
        time.sleep(every)


def read_body(handler: Handler) -> bytes:
    """The request body; a short body (the client gave up mid-part) is returned as is."""
    length = int(handler.headers.get("Content-Length") or 0)
    data = b""
    try:
        while len(data) < length:
            chunk = handler.rfile.read(min(65536, length - len(data)))
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data


class UploadService:
    """Initiate answers ``len(sizes)`` parts whose URLs point back here; each PUT is held
    ``part_delay`` seconds, then answered with an ETag; complete and delete answer 200."""

    def __init__(
        self, sizes: list[int], *, part_delay: float = 0.0, urls: dict[int, str] | None = None
    ) -> None:
        self.sizes = sizes
        self.part_delay = part_delay
        self.urls = urls or {}
        self.puts_started = 0
        self.lock = threading.Lock()
        self.server = HostileServer(self.respond)

    def respond(self, handler: Handler) -> None:
        path = handler.path
        if handler.command == "POST" and path.endswith("/ocr/uploads/direct"):
            read_body(handler)
            parts, start = [], 0
            for number, size in enumerate(self.sizes, start=1):
                url = self.urls.get(number) or f"{self.server.origin}/storage/part-{number}"
                parts.append(
                    {"part_number": number, "start_byte": start, "end_byte": start + size - 1}
                    | {"upload_url": url}
                )
                start += size
            send_json(handler, {"job_id": JOB, "parts": parts})
        elif handler.command == "PUT":
            with self.lock:
                self.puts_started += 1
            read_body(handler)
            time.sleep(self.part_delay)
            head(handler, 200, {"ETag": '"e"', "Content-Length": "0"})
        elif handler.command == "DELETE":
            send_json(handler, {"success": True})
        else:
            send_json(handler, {"job_id": JOB, "status": "pending"})

    @property
    def deletes(self) -> list[str]:
        return self.server.methods("DELETE")


class NeverReads:
    """A storage host that accepts connections and never reads a byte from them: a client
    writing a request body stalls once the (small) socket buffers are full."""

    def __init__(self) -> None:
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # inherited
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)
            self.accepted += 1

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._listener.close()
        for connection in self._held:
            connection.close()


class DivertingProxy:
    """Forwards every request to an emulator and hands back its answer, except that the
    upload URLs it hands out point at ``storage`` (another origin) instead of itself."""

    def __init__(self, emulator_origin: str, storage_origin: str) -> None:
        self.emulator_origin = emulator_origin
        self.storage_origin = storage_origin
        self._client = httpx.Client(timeout=30)
        self.server = HostileServer(self.respond)

    def respond(self, handler: Handler) -> None:
        body = read_body(handler)
        skip = {"host", "content-length", "connection", "accept-encoding"}
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in skip}
        reply = self._client.request(
            handler.command, self.emulator_origin + handler.path, headers=headers, content=body
        )
        content = reply.content
        if handler.command == "POST" and handler.path.endswith("/ocr/uploads/direct"):
            content = content.replace(self.emulator_origin.encode(), self.storage_origin.encode())
        head(
            handler,
            reply.status_code,
            {
                "Content-Type": reply.headers.get("content-type", "application/json"),
                "Content-Length": str(len(content)),
            },
        )
        handler.wfile.write(content)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def stop(self) -> None:
        self.server.stop()
        self._client.close()
