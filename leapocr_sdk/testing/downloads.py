"""The emulator's document downloads (URL jobs): kept-alive connections shared by every job.

A document on a loopback host (a local test server, the usual case) is fetched by a
small HTTP/1.1 client of the emulator's own on pooled keep-alive connections, redirects
followed: a general client (httpx, or ``http.client`` with its email-parsed headers)
costs several times more per document, which is most of what a URL job costs the
emulator. Any other host is fetched with ``httpx`` honouring the environment's proxy
settings. Either way the body is streamed to the job's spool.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
import socket
import threading
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO, Protocol
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

__all__ = ["MAX_REDIRECTS", "DownloadError", "Downloads", "Sink"]

MAX_REDIRECTS = 20
TIMEOUT = 30.0  # seconds: connecting, and each read
IDLE_PER_HOST = 64  # kept-alive connections kept per document host
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 1024 * 1024
_MAX_LINE = 65536  # a response's status or header line, at most (as http.client reads)
_MAX_HEADERS = 100
_HEX = re.compile(rb"[0-9A-Fa-f]+")
# A request target is sent as given, but for spaces, controls and non-ASCII (%-encoded).
_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))
_PORTS = {"http": 80, "https": 443}
# Content-Encoding -> zlib's wbits to decode it (0: as it is); 32 + 15 reads gzip or zlib.
_ENCODINGS = {"identity": 0, "gzip": 32 + 15, "x-gzip": 32 + 15, "deflate": 32 + 15}
_Key = tuple[str, str, int]  # (scheme, host, port)


class Sink(Protocol):
    """Where a download's body goes (a binary file, or the job's spool)."""

    def write(self, data: bytes, /) -> object: ...


class DownloadError(Exception):
    """A URL job's document could not be downloaded; the message is the job's error."""


@functools.lru_cache(maxsize=256)
def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Downloads:
    """The connections that fetch URL jobs' documents, shared by every download.

    A document host is connected to once and its connection kept alive for the next
    document, instead of a new connection per job. Created on first use, closed with
    ``close()`` (the next download connects again).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[_Key, list[_Connection]] = {}
        self._epoch = 0  # bumped by close(): connections of an earlier epoch are not kept
        self._client: Any = None  # the httpx.Client for other hosts than loopback ones

    def fetch(self, url: str, spool: Sink, limit: int) -> None:
        """Write the document at ``url`` to ``spool``, following redirects.

        Raises:
            DownloadError: the host answered 4xx/5xx, the document is over ``limit``
                bytes, or the redirects do not end.
            Exception: the host could not be reached or broke off (``OSError``,
                httpx's errors).
        """
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in _PORTS or not parts.hostname:
                raise DownloadError(
                    f"Failed to download the document: not an http(s) URL ({parts.scheme!r})"
                )
            if not _is_loopback(parts.hostname):
                self._fetch_remote(url, spool, limit)
                return
            location = self._fetch_local(parts, spool, limit)
            if location is None:
                return
            url = urljoin(url, location)
        raise DownloadError(f"Failed to download the document: more than {MAX_REDIRECTS} redirects")

    # -- loopback hosts: the emulator's own client on pooled connections ---------------------

    def _fetch_local(self, parts: SplitResult, spool: Sink, limit: int) -> str | None:
        """One GET on a pooled connection; the redirect's ``Location``, or None once the
        body is written."""
        host = parts.hostname or ""
        key = (parts.scheme, host, parts.port or _PORTS[parts.scheme])
        target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), _SAFE)
        extra = ""
        if parts.username is not None:
            user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            extra = f"Authorization: Basic {base64.b64encode(user.encode()).decode()}\r\n"
        connection, epoch, reused = self._connection(key)
        try:
            try:
                response = connection.get(target, extra)
            except ConnectionError:
                if not reused:
                    raise
                # The host closed the kept-alive connection before answering: anew, once.
                connection.close()
                connection = _Connection(key)
                response = connection.get(target, extra)
            redirect = response.status in _REDIRECTS and response.location
            location = response.location if redirect else None
            if location is not None:
                for _ in response.body():  # short: read, so the connection can be reused
                    pass
            else:
                _check_status(response.status)
                _write_body(response, spool, limit)
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._release(key, connection, epoch)
        return location

    def _connection(self, key: _Key) -> tuple[_Connection, int, bool]:
        """``(connection, epoch, reused)``: an idle one to the host, or a new one."""
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop(), self._epoch, True
            epoch = self._epoch
        return _Connection(key), epoch, False

    def _release(self, key: _Key, connection: _Connection, epoch: int) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if epoch == self._epoch and len(idle) < IDLE_PER_HOST:
                idle.append(connection)
                return
        connection.close()

    # -- other hosts: httpx, with the environment's proxies ---------------------------------

    def _fetch_remote(self, url: str, spool: Sink, limit: int) -> None:
        import httpx  # a dependency of the SDK itself; imported lazily

        client = self._remote_client()
        request = client.build_request("GET", url)
        try:
            response = client.send(request, stream=True)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            # The host closed a kept-alive connection before answering: once more, anew.
            response = client.send(request, stream=True)
        try:
            _check_status(response.status_code)
            size = 0
            for chunk in response.iter_bytes():
                size = _write(spool, chunk, size, limit)
        finally:
            response.close()

    def _remote_client(self) -> Any:
        import httpx

        from .._tls import tls_context

        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=TIMEOUT,
                    follow_redirects=True,
                    max_redirects=MAX_REDIRECTS,
                    trust_env=True,
                    verify=tls_context(),
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
                )
            return self._client

    def close(self) -> None:
        """Close every idle connection and the client for other hosts."""
        with self._lock:
            idle, self._idle = self._idle, {}
            client, self._client = self._client, None
            self._epoch += 1
        for connections in idle.values():
            for connection in connections:
                connection.close()
        if client is not None:
            client.close()


def _check_status(status: int) -> None:
    if status >= 400:
        raise DownloadError(f"Failed to download the document: HTTP {status}")


def _write(spool: Sink, chunk: bytes, size: int, limit: int) -> int:
    """Append ``chunk`` to the document; its size so far. Raises DownloadError past ``limit``."""
    size += len(chunk)
    if size > limit:
        raise DownloadError(f"The document is larger than {limit} bytes ({limit / 2**30:g} GiB)")
    spool.write(chunk)
    return size


def _write_body(response: _Response, spool: Sink, limit: int) -> None:
    """Write the response's body to ``spool``, decoded if the host compressed it."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in _ENCODINGS:
        raise DownloadError(f"Failed to download the document: Content-Encoding {encoding}")
    # Asked for identity; a host that compresses anyway is decoded.
    decoder = zlib.decompressobj(_ENCODINGS[encoding]) if _ENCODINGS[encoding] else None
    size = 0
    for chunk in response.body():
        size = _write(spool, decoder.decompress(chunk) if decoder else chunk, size, limit)
    if decoder is not None:
        _write(spool, decoder.flush(), size, limit)


class _HungUp(ConnectionError):
    """The host closed the connection instead of answering."""


def _broken(what: str) -> DownloadError:
    return DownloadError(f"Failed to download the document: {what}")


class _Response:
    """A response's status and head, its body read on demand from the connection."""

    def __init__(self, reader: BinaryIO) -> None:
        self._reader = reader
        while True:  # 1xx interim answers are skipped
            line = reader.readline(_MAX_LINE + 1)
            if not line:
                raise _HungUp("the host closed the connection without answering")
            version, _, rest = line.partition(b" ")
            code = rest[:3]
            if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
                raise _broken(f"not an HTTP/1.x response: {line[:40]!r}")
            self.status = int(code)
            self.headers = self._head()
            if not 100 <= self.status < 200:
                break
        self.location = self.headers.get("location", "")
        connection = self.headers.get("connection", "").lower()
        self._chunked = self.headers.get("transfer-encoding", "").lower().endswith("chunked")
        length = self.headers.get("content-length")
        if self.status in (204, 304):
            length = "0"
        if length is not None and not self._chunked and not length.strip().isdigit():
            raise _broken(f"invalid Content-Length {length[:20]!r}")
        self._length = None if length is None or self._chunked else int(length)
        self.will_close = (
            "close" in connection
            or (version == b"HTTP/1.0" and "keep-alive" not in connection)
            or (self._length is None and not self._chunked)  # the body runs to the close
        )

    def _head(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS + 1):
            line = self._reader.readline(_MAX_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                return headers
            if len(line) > _MAX_LINE:
                raise _broken("a response header line over 64 KiB")
            name, colon, value = line.decode("iso-8859-1").partition(":")
            if colon:
                name, value = name.strip().lower(), value.strip()
                if name == "content-length" and headers.get(name, value) != value:
                    raise _broken("conflicting Content-Length headers")
                headers[name] = value
        raise _broken(f"more than {_MAX_HEADERS} response headers")

    def body(self) -> Iterator[bytes]:
        """The body's bytes (de-chunked), in pieces of at most 1 MiB."""
        read = self._reader.read
        if self._chunked:
            while size := self._chunk_size():
                yield from self._exactly(size)
                if self._reader.readline(_MAX_LINE + 1).strip():
                    raise _broken("a chunk longer than its size line said")
            while self._reader.readline(_MAX_LINE + 1).strip():  # trailers
                pass
        elif self._length is not None:
            yield from self._exactly(self._length)
        else:
            while chunk := read(_CHUNK):
                yield chunk

    def _chunk_size(self) -> int:
        line = self._reader.readline(_MAX_LINE + 1)
        field = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not _HEX.fullmatch(field):
            raise _broken("the connection closed mid-body" if not line else "a bad chunk size")
        return int(field, 16)

    def _exactly(self, size: int) -> Iterator[bytes]:
        while size:
            chunk = self._reader.read(min(size, _CHUNK))
            if not chunk:
                raise _broken("the connection closed mid-body")
            size -= len(chunk)
            yield chunk


class _Connection:
    """One kept-alive HTTP/1.1 connection to a document host."""

    def __init__(self, key: _Key) -> None:
        scheme, host, port = key
        sock = socket.create_connection((host, port), timeout=TIMEOUT)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                from .._tls import tls_context  # the SDK's verified context (imports httpx)

                sock = tls_context().wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        self._socket = sock
        self._reader = sock.makefile("rb")
        shown = f"[{host}]" if ":" in host else host
        self._host = shown if port == _PORTS[scheme] else f"{shown}:{port}"

    def get(self, target: str, extra_headers: str) -> _Response:
        """Send ``GET target`` and read the answer's head."""
        head = (
            f"GET {target} HTTP/1.1\r\nHost: {self._host}\r\nUser-Agent: leapocr-emulator\r\n"
            f"Accept: */*\r\nAccept-Encoding: identity\r\n{extra_headers}\r\n"
        )
        self._socket.sendall(head.encode("ascii"))
        return _Response(self._reader)

    def close(self) -> None:
        self._reader.close()
        self._socket.close()
