"""The emulator's document downloads (URL jobs): kept-alive connections shared by every job.

A document on a loopback host (a local test server, the usual case) is fetched with the
standard library's ``http.client`` on pooled keep-alive connections, redirects followed:
a fraction of a general HTTP client's cost per document, which is most of what a URL job
costs the emulator. Any other host is fetched with ``httpx`` honouring the environment's
proxy settings. Either way the body is streamed to the job's temporary file.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import threading
import zlib
from typing import Any, Protocol
from urllib.parse import SplitResult, unquote, urljoin, urlsplit

__all__ = ["MAX_REDIRECTS", "DownloadError", "Downloads", "Sink"]

MAX_REDIRECTS = 20
TIMEOUT = 30.0  # seconds: connecting, and each read
IDLE_PER_HOST = 64  # kept-alive connections kept per document host
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 1024 * 1024
_PORTS = {"http": 80, "https": 443}
# Content-Encoding -> zlib's wbits to decode it (0: as it is); 32 + 15 reads gzip or zlib.
_ENCODINGS = {"identity": 0, "gzip": 32 + 15, "x-gzip": 32 + 15, "deflate": 32 + 15}
_Key = tuple[str, str, int]  # (scheme, host, port)


class Sink(Protocol):
    """Where a download's body goes (a binary file, or the job's spool)."""

    def write(self, data: bytes, /) -> object: ...


class DownloadError(Exception):
    """A URL job's document could not be downloaded; the message is the job's error."""


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
        self._idle: dict[_Key, list[http.client.HTTPConnection]] = {}
        self._epoch = 0  # bumped by close(): connections of an earlier epoch are not kept
        self._client: Any = None  # the httpx.Client for other hosts than loopback ones

    def fetch(self, url: str, spool: Sink, limit: int) -> None:
        """Write the document at ``url`` to ``spool``, following redirects.

        Raises:
            DownloadError: the host answered 4xx/5xx, the document is over ``limit``
                bytes, or the redirects do not end.
            Exception: the host could not be reached or broke off (``OSError``,
                ``http.client.HTTPException``, httpx's errors).
        """
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in _PORTS or not parts.hostname:
                raise DownloadError(f"Failed to download the document: cannot fetch {url!r}")
            if not _is_loopback(parts.hostname):
                self._fetch_remote(url, spool, limit)
                return
            location = self._fetch_local(parts, spool, limit)
            if location is None:
                return
            url = urljoin(url, location)
        raise DownloadError(f"Failed to download the document: more than {MAX_REDIRECTS} redirects")

    # -- loopback hosts: http.client on pooled connections ----------------------------------

    def _fetch_local(self, parts: SplitResult, spool: Sink, limit: int) -> str | None:
        """One GET on a pooled connection; the redirect's ``Location``, or None once the
        body is written."""
        host = parts.hostname or ""
        key = (parts.scheme, host, parts.port or _PORTS[parts.scheme])
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"User-Agent": "leapocr-emulator", "Accept": "*/*"}
        if parts.username is not None:
            user = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers["Authorization"] = "Basic " + base64.b64encode(user.encode()).decode()
        connection, epoch, reused = self._connection(key)
        try:
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
            except ConnectionError:
                if not reused:
                    raise
                # The host closed the kept-alive connection before answering: anew, once.
                connection.close()
                connection = self._connect(key)
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
            location = _read(response, spool, limit)
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._release(key, connection, epoch)
        return location

    def _connection(self, key: _Key) -> tuple[http.client.HTTPConnection, int, bool]:
        """``(connection, epoch, reused)``: an idle one to the host, or a new one."""
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop(), self._epoch, True
            epoch = self._epoch
        return self._connect(key), epoch, False

    @staticmethod
    def _connect(key: _Key) -> http.client.HTTPConnection:
        scheme, host, port = key
        if scheme == "https":
            from .._tls import tls_context  # the SDK's verified context (imports httpx)

            return http.client.HTTPSConnection(host, port, timeout=TIMEOUT, context=tls_context())
        return http.client.HTTPConnection(host, port, timeout=TIMEOUT)

    def _release(self, key: _Key, connection: http.client.HTTPConnection, epoch: int) -> None:
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


def _read(response: http.client.HTTPResponse, spool: Sink, limit: int) -> str | None:
    """Write the response's body to ``spool``; a redirect's ``Location`` instead, if any."""
    location = response.getheader("Location")
    if response.status in _REDIRECTS and location:
        response.read()  # a redirect's body is short: read, so the connection can be reused
        return location
    _check_status(response.status)
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding not in _ENCODINGS:
        raise DownloadError(f"Failed to download the document: Content-Encoding {encoding}")
    # http.client asks for identity; a host that compresses anyway is decoded.
    decoder = zlib.decompressobj(_ENCODINGS[encoding]) if _ENCODINGS[encoding] else None
    size = 0
    while chunk := response.read(_CHUNK):
        size = _write(spool, decoder.decompress(chunk) if decoder else chunk, size, limit)
    if decoder is not None:
        size = _write(spool, decoder.flush(), size, limit)
    if response.length:  # Content-Length bytes still owed: the host broke off
        raise DownloadError("Failed to download the document: the connection closed mid-body")
    return None
