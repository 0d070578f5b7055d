"""The emulator's HTTP/1.1 server: connections, reading and spooling bodies, sending replies.

``LeapOCREmulator`` (``emulator.py``) decides what to answer; this module does the socket I/O.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import http.server
import logging
import re
import socket
import socketserver
import threading
import zlib
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .messages import HttpReply, SpooledBody, error_body
from .uploads import MAX_PART_SIZE

if TYPE_CHECKING:
    from .emulator import LeapOCREmulator

logger = logging.getLogger("leapocr_sdk.testing")

MAX_API_BODY = 10 * 1024 * 1024
MAX_PART_BODY = MAX_PART_SIZE + 1024
_SPOOL_CHUNK = 1024 * 1024
# A chunked body's framing lines (size line, trailer) are as long as a header line may be,
# and its trailers as many as its headers (http.server's own bounds).
_MAX_LINE = 65536
_MAX_TRAILERS = 100
_MAX_HEADERS = 100  # http.server's bound too
_FAST_VERSIONS = ("HTTP/1.1", "HTTP/1.0")
_HEADER_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]*")  # what the email parser takes for one
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]+")
_DIGITS = re.compile(r"[0-9]+")


class BodyError(Exception):
    """A request body the emulator refuses to read: ``status`` and what was wrong."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def declared_length(values: list[str] | None) -> int | None:
    """The body length the ``Content-Length`` header(s) declare; None without one.

    Raises:
        BodyError: not one run of ASCII digits (``-1``, ``abc``, ``+5``, ``1_0``, a
            non-ASCII digit), or several headers that disagree.
    """
    if not values:
        return None
    distinct = {value.strip() for value in values}
    if len(distinct) > 1:
        raise BodyError(400, "Invalid Content-Length: the request declares different lengths")
    (value,) = distinct
    if not _DIGITS.fullmatch(value):
        raise BodyError(400, f"Invalid Content-Length {value!r}: send the body's size in bytes")
    return int(value)


def _fast_etag(size: int, first: bytes, last: bytes) -> str:
    """32 hex digits from the size and a CRC-32 of the first and of the last chunk read:
    the shape of an MD5 at a fraction of its cost, for speed runs (``etag_mode="fast"``)."""
    return f"{size:016x}{zlib.crc32(first):08x}{zlib.crc32(last):08x}"


class EmulatorServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], emulator: LeapOCREmulator) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection error from %s", client_address, exc_info=True)


class _HeaderError(Exception):
    """A header block http.server refuses with 431; ``args``: its message, explanation."""


class RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LeapOCR-Emulator"
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections are closed after this
    server: EmulatorServer
    raw_requestline: bytes  # set by http.server before parse_request
    fields: dict[str, str]  # the headers by lower-case name (the last of a repeated one)

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

    def parse_request(self) -> bool:
        """http.server's ``parse_request`` with its common case (``METHOD target HTTP/1.x``)
        read without the email parser, several times cheaper; any other request line goes
        to http.server's own. The same answers: 431 for a header line over 64 KiB or
        more than 100 headers, keep-alive and ``Expect: 100-continue`` as it does them."""
        requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = requestline.split()
        if len(words) != 3 or words[2] not in _FAST_VERSIONS:
            parsed = super().parse_request()
            if parsed:
                self.fields = {name.lower(): value for name, value in self.headers.items()}
            return parsed
        self.requestline = requestline
        self.command, self.path, self.request_version = words
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")  # as http.server reduces it
        try:
            fields = self._read_headers()
        except _HeaderError as refusal:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, *refusal.args)
            return False
        self.headers = http.client.HTTPMessage()
        for name, value in fields:
            self.headers.set_raw(name, value)
        self.fields = {name.lower(): value for name, value in fields}
        connection = self.headers.get("Connection", "").lower()
        if self.request_version == "HTTP/1.1":
            self.close_connection = connection == "close"
            if self.headers.get("Expect", "").lower() == "100-continue":
                return self.handle_expect_100()
        else:
            self.close_connection = connection != "keep-alive"
        return True

    def _read_headers(self) -> list[tuple[str, str]]:
        """The header block, as the email parser reads it: names as sent, values without
        the leading blanks and line end, a folded line joined to its header, and nothing
        from a line that is not a header on (up to the blank line ending the block).

        Raises:
            _HeaderError: a line over 64 KiB, or more than 100 header lines.
        """
        fields: list[list[str]] = []
        lines = 0
        broken = False
        while True:
            raw = self.rfile.readline(_MAX_LINE + 1)
            if len(raw) > _MAX_LINE:
                raise _HeaderError(
                    "Line too long", f"got more than {_MAX_LINE} bytes when reading header line"
                )
            if raw in (b"\r\n", b"\n", b""):
                break
            lines += 1
            if lines > _MAX_HEADERS:
                raise _HeaderError("Too many headers", f"got more than {_MAX_HEADERS} headers")
            line = raw.decode("iso-8859-1")
            if broken:
                continue
            if line[0] in " \t" and fields:  # a folded line continues the header before it
                fields[-1][1] += line
                continue
            name, colon, value = line.partition(":")
            if not colon or not _HEADER_NAME.fullmatch(name):
                broken = True  # the email parser takes the rest of the block as a body
                continue
            fields.append([name, value.lstrip(" \t")])
        return [(name, value.rstrip("\r\n")) for name, value in fields]

    def do_GET(self) -> None:
        self.server.emulator._serve(self)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # -- I/O helpers used by the emulator ------------------------------------------------

    def read_body(self, limit: int) -> bytes | HttpReply:
        """Read an API request's body, or return the reply refusing it (then close).

        A body is refused before it is read: a ``Content-Length`` that is not a size
        (400), a declared length over ``limit`` (413), and with chunked transfer coding
        a malformed size line or trailer (400) or a chunk that would take the body over
        ``limit`` (413, from the chunk's size line).
        """
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked(limit)
            length = declared_length(self.headers.get_all("Content-Length"))
            if length is None:
                return b""
            if length > limit:
                raise BodyError(413, "The request body is too large")
        except BodyError as refusal:
            return self.refuse(refusal)
        return self.rfile.read(length)

    def refuse(self, refusal: BodyError) -> HttpReply:
        """The reply refusing a body; the connection is closed after it (what follows
        on it can't be framed)."""
        self.close_connection = True
        code = "BAD_REQUEST" if refusal.status == 400 else None
        return HttpReply(refusal.status, error_body(refusal.status, refusal.message, code=code))

    def spool_body(
        self, limit: int, new_file: Callable[[], str], *, fast_etag: bool = False
    ) -> SpooledBody | HttpReply | None:
        """Write a storage PUT's body to a new temporary file as it arrives, with its ETag.

        The ETag is the body's MD5, or with ``fast_etag`` a cheap stand-in of the same
        shape (``_fast_etag``). None when there is no body; an HttpReply refusing it otherwise
        (then close).
        """
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return HttpReply(
                411, b"<Error><Code>MissingContentLength</Code></Error>", "application/xml"
            )
        try:
            length = declared_length(self.headers.get_all("Content-Length"))
            if length is not None and length > limit:
                raise BodyError(413, "The request body is too large")
        except BodyError as refusal:
            return self.refuse(refusal)
        if length is None:
            return None
        remaining = length
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

    def _read_chunked(self, limit: int) -> bytes:
        """Read a chunked body, checking each chunk's size against ``limit`` before
        reading the chunk.

        Raises:
            BodyError: a malformed size line, chunk end or trailer (400), the body over
                ``limit`` (413), or the client hung up mid-body (400).
        """
        data = bytearray()
        while True:
            line = self._framing_line("chunk size line")
            size_field = line.split(b";", 1)[0].strip()
            if not _CHUNK_SIZE.fullmatch(size_field):
                raise BodyError(400, f"Invalid chunk size {size_field[:20]!r}: send hex digits")
            size = int(size_field, 16)
            if size == 0:
                break
            if len(data) + size > limit:
                raise BodyError(413, "The request body is too large")
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise BodyError(400, "The chunked body ended before its last chunk")
            data += chunk
            if self.rfile.read(2) != b"\r\n":
                raise BodyError(400, "A chunk's data must end with CRLF")
        for _ in range(_MAX_TRAILERS + 1):
            if self._framing_line("trailer") in (b"\r\n", b"\n"):
                return bytes(data)
        raise BodyError(400, f"More than {_MAX_TRAILERS} trailer fields")

    def _framing_line(self, what: str) -> bytes:
        """One line of a chunked body's framing, at most ``_MAX_LINE`` bytes."""
        line = self.rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise BodyError(400, f"The {what} is longer than {_MAX_LINE} bytes")
        if not line.endswith(b"\n"):
            raise BodyError(400, f"The chunked body ended in a {what}")
        return line

    def send(self, reply: HttpReply) -> None:
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
