"""The emulator's HTTP/1.1 server: connections, reading and spooling bodies, sending replies.

``LeapOCREmulator`` (``emulator.py``) decides what to answer; this module does the socket I/O.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import logging
import socket
import socketserver
import threading
import zlib
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .messages import Reply, SpooledBody, error_body
from .uploads import MAX_PART_SIZE

if TYPE_CHECKING:
    from .emulator import LeapOCREmulator

logger = logging.getLogger("leapocr_sdk.testing")

_MAX_API_BODY = 10 * 1024 * 1024
_MAX_PART_BODY = MAX_PART_SIZE + 1024
_SPOOL_CHUNK = 1024 * 1024


def _fast_etag(size: int, first: bytes, last: bytes) -> str:
    """32 hex digits from the size and a CRC-32 of the first and of the last chunk read:
    the shape of an MD5 at a fraction of its cost, for speed runs (``etag_mode="fast"``)."""
    return f"{size:016x}{zlib.crc32(first):08x}{zlib.crc32(last):08x}"


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], emulator: LeapOCREmulator) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection error from %s", client_address, exc_info=True)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LeapOCR-Emulator"
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections are closed after this
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)

    def do_GET(self) -> None:
        self.server.emulator._serve(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # -- I/O helpers used by the emulator ------------------------------------------------

    def read_body(self, limit: int) -> bytes | Reply:
        """Read an API request's body, or return the reply refusing it (then close)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return b""
        try:
            length = int(length_header)
        except ValueError:
            self.close_connection = True
            return Reply(400, error_body(400, "Invalid Content-Length", code="BAD_REQUEST"))
        if length > limit:
            self.close_connection = True
            return Reply(413, error_body(413, "The request body is too large"))
        return self.rfile.read(length)

    def spool_body(
        self, limit: int, new_file: Callable[[], str], *, fast_etag: bool = False
    ) -> SpooledBody | Reply | None:
        """Write a storage PUT's body to a new temporary file as it arrives, with its ETag.

        The ETag is the body's MD5, or with ``fast_etag`` a cheap stand-in of the same
        shape (``_fast_etag``). None when there is no body; a Reply refusing it otherwise
        (then close).
        """
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return Reply(
                411, b"<Error><Code>MissingContentLength</Code></Error>", "application/xml"
            )
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            return None
        if not length_header.isdigit():
            self.close_connection = True
            return Reply(400, error_body(400, "Invalid Content-Length", code="BAD_REQUEST"))
        remaining = int(length_header)
        if remaining > limit:
            self.close_connection = True
            return Reply(413, error_body(413, "The request body is too large"))
        path = new_file()
        digest = hashlib.md5(usedforsecurity=False)
        first = last = b""
        size = 0
        with open(path, "wb") as spool:
            while remaining:
                chunk = self.rfile.read(min(remaining, _SPOOL_CHUNK))
                if not chunk:
                    break  # the client hung up: the part is short
                if fast_etag:
                    first, last = first or chunk, chunk
                else:
                    digest.update(chunk)
                spool.write(chunk)
                size += len(chunk)
                remaining -= len(chunk)
        etag = _fast_etag(size, first, last) if fast_etag else digest.hexdigest()
        return SpooledBody(path, size, etag)

    def _read_chunked(self, limit: int) -> bytes | Reply:
        data = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(data)
            data += self.rfile.read(size)
            self.rfile.readline()
            if len(data) > limit:
                self.close_connection = True
                return Reply(413, error_body(413, "The request body is too large"))

    def send(self, reply: Reply) -> None:
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [
            f"HTTP/1.1 {reply.status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {formatdate(usegmt=True)}",
            f"Content-Length: {len(reply.body)}",
        ]
        if reply.content_type:
            lines.append(f"Content-Type: {reply.content_type}")
        lines += [f"{name}: {value}" for name, value in reply.headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        body = b"" if self.command == "HEAD" else reply.body
        try:
            self.wfile.write(head + body)
        except OSError:
            self.close_connection = True

    def drop(self) -> None:
        """Close the connection without answering."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
