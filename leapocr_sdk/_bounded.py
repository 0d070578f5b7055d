"""A blocking exchange bounded as a whole in the caller's own thread.

httpx's timeouts bound each operation (connecting, one read, one write, the wait for a
pooled connection), not the exchange: a server trickling its reply a byte at a time,
headers included, would hold a blocking call for as long as it likes. The connections
of the SDK's own ``httpx.Client`` objects are therefore opened through
``BoundedBackend`` (``bound_client``): while an exchange runs with ``Bounds`` set for
the calling thread (``enter`` / ``leave``), every read and write of its socket waits at
most the time left before the exchange's deadline, in slices of ``TICK`` seconds, and
between slices asks whether the exchange must stop (its client closed, its batch
stopping). So the caller's thread performs the whole exchange, and a deadline, a closed
client or a stopping batch still ends it within a slice.

A socket used without ``Bounds`` (or by a thread that set none) behaves as httpcore's own.
A caller's own ``httpx.Client`` is never altered: ``is_bounded`` says it is not, and the
runner bounds its exchanges another way.
"""

from __future__ import annotations

import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from ._idle_checks import own_pools, readable_check

# How long one slice of a blocked read or write waits before the exchange's bounds are
# looked at again (whether its client closed or its batch is stopping).
TICK = 0.05


class Bounds:
    """What bounds the exchange running in this thread: a deadline (``time.monotonic``)
    and ``stop``, which returns the exception to end it with (or ``None`` to go on)."""

    __slots__ = ("deadline", "stop")

    def __init__(self, deadline: float, stop: Callable[[], BaseException | None]) -> None:
        self.deadline = deadline
        self.stop = stop


_current = threading.local()


def enter(bounds: Bounds) -> Bounds | None:
    """Bound this thread's exchanges by ``bounds``; returns the bounds to restore."""
    previous: Bounds | None = getattr(_current, "bounds", None)
    _current.bounds = bounds
    return previous


def leave(previous: Bounds | None) -> None:
    """Restore the bounds ``enter`` replaced."""
    _current.bounds = previous


def _wait(started: float, timeout: float | None, late: type[Exception]) -> float | None:
    """Seconds the next slice of an operation begun at ``started`` may block: at most its
    own ``timeout`` (httpx's per-operation timeout), the time left before the exchange's
    deadline and ``TICK``. Raises ``late`` once either is spent, or the exchange's stop."""
    bounds: Bounds | None = getattr(_current, "bounds", None)
    if bounds is None:
        return timeout
    if (error := bounds.stop()) is not None:
        raise error
    now = time.monotonic()
    left = bounds.deadline - now
    if timeout is not None:
        left = min(left, started + timeout - now)
    if left <= 0:
        raise late("the time for this exchange is spent")
    return min(left, TICK)


class BoundedStream(httpcore.NetworkStream):
    """A connection whose reads and writes keep to the calling thread's ``Bounds``.

    Reads and writes go to the socket itself when httpcore's stream is a plain socket
    stream (TCP, or TLS over TCP); any other stream (TLS inside a TLS proxy tunnel) is
    used through its own methods, each call waiting at most the time left.
    """

    def __init__(self, inner: httpcore.NetworkStream, plain: type[httpcore.NetworkStream]) -> None:
        self._inner = inner
        self._plain = plain
        sock = inner.get_extra_info("socket") if type(inner) is plain else None
        self._sock: socket.socket | None = sock
        # The pool asks every idle connection whether the server closed it, whenever a
        # request comes or goes: see ``_idle_checks``.
        self._readable = readable_check(sock)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        started = time.monotonic()
        if self._sock is None:
            return self._inner.read(max_bytes, _wait(started, timeout, httpcore.ReadTimeout))
        while True:
            wait = _wait(started, timeout, httpcore.ReadTimeout)
            try:
                self._sock.settimeout(wait)
                return self._sock.recv(max_bytes)
            except TimeoutError:
                continue  # a slice ended with nothing read: look at the bounds again
            except OSError as exc:
                raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        started = time.monotonic()
        if self._sock is None:
            self._inner.write(buffer, _wait(started, timeout, httpcore.WriteTimeout))
            return
        data = memoryview(buffer)
        while data:
            wait = _wait(started, timeout, httpcore.WriteTimeout)
            try:
                self._sock.settimeout(wait)
                sent = self._sock.send(data)
            except TimeoutError:
                continue  # nothing was taken in this slice (TLS: send the same bytes again)
            except OSError as exc:
                raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc
            data = data[sent:]
            started = time.monotonic()  # each send gets the whole write timeout, as in httpcore

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wait = _left(timeout, httpcore.ConnectTimeout)
        return BoundedStream(self._inner.start_tls(ssl_context, server_hostname, wait), self._plain)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._readable is not None:
            return self._readable()
        return self._inner.get_extra_info(info)


def _left(timeout: float | None, late: type[Exception]) -> float | None:
    """An operation's timeout cut to the time left in this thread's exchange (whole,
    not in slices: connecting and the TLS handshake are not cut into slices)."""
    bounds: Bounds | None = getattr(_current, "bounds", None)
    if bounds is None:
        return timeout
    if (error := bounds.stop()) is not None:
        raise error
    left = bounds.deadline - time.monotonic()
    if left <= 0:
        raise late("the time for this exchange is spent")
    return left if timeout is None else min(left, timeout)


class BoundedBackend(httpcore.NetworkBackend):
    """httpcore's network backend whose connections keep to the caller's ``Bounds``."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _left(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, wait, local_address, socket_options)
        return BoundedStream(stream, type(stream))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _left(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_unix_socket(path, wait, socket_options)
        return BoundedStream(stream, type(stream))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


_BOUNDED: weakref.WeakSet[httpx.Client] = weakref.WeakSet()


def bound_client(client: httpx.Client) -> httpx.Client:
    """Open every connection of ``client`` (made by the SDK, before its first request)
    through ``BoundedBackend``: its own transport and those of its proxies. A client
    whose transports are not httpx's own stays as it is (``is_bounded`` is false)."""
    pools = own_pools(client)
    if pools is None or not all(
        isinstance(pool._network_backend, httpcore.NetworkBackend) for pool in pools
    ):
        return client  # an httpx laid out otherwise: its exchanges run on a helper thread
    for pool in pools:
        if not isinstance(pool._network_backend, BoundedBackend):
            pool._network_backend = BoundedBackend(pool._network_backend)
    _BOUNDED.add(client)
    return client


def is_bounded(client: httpx.Client) -> bool:
    """Whether ``bound_client`` made ``client``'s connections keep to ``Bounds``."""
    return client in _BOUNDED
