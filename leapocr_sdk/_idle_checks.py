"""The connection pool's question "has the server closed this idle connection?", answered
with one system call.

httpcore asks it of every idle connection in a pool whenever a request comes or goes
(``has_expired``): dozens of times a request when many connections are pooled. Its own
answer makes and fills a new ``select.poll`` each time, and over anyio (the async client)
first builds the stream's table of attributes, whose peer address is a system call of its
own. A connection wrapped here keeps one poller, made when it connected, and asks it with
no wait: the same question, the same answer (something to read, or the end a closed peer
sends, or a socket no longer open), for a fraction of the cost.

Where ``select.poll`` is missing (Windows), or a stream has no socket of its own, the
stream's own answer serves. Only the SDK's own httpx clients are wrapped (``own_pools``
finds their pools); a caller's own client is never altered.
"""

from __future__ import annotations

import select
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx


def readable_check(sock: Any) -> Callable[[], bool] | None:
    """A function answering whether ``sock`` (anything with a ``fileno``) has something to
    read, with one ``poll`` call; ``None`` where this check cannot be made."""
    poll = getattr(select, "poll", None)
    fileno = getattr(sock, "fileno", None)
    if poll is None or fileno is None:
        return None
    descriptor = fileno()
    if not isinstance(descriptor, int) or descriptor < 0:
        return None
    poller = poll()
    poller.register(descriptor, select.POLLIN)

    def readable() -> bool:
        # POLLIN when data or the peer's end waits; POLLHUP, POLLERR or POLLNVAL when
        # the socket is no longer usable: any answer means "do not reuse".
        return bool(poller.poll(0))

    return readable


def own_pools(client: httpx.Client | httpx.AsyncClient) -> list[Any] | None:
    """The httpcore pools behind ``client``'s transports (its own and its proxies'), or
    ``None`` when they are not httpx's own (an httpx laid out otherwise, a custom
    transport): such a client is left as it is."""
    mounts = getattr(client, "_mounts", None)
    if not hasattr(client, "_transport") or not isinstance(mounts, dict):
        return None
    kind = httpx.HTTPTransport if isinstance(client, httpx.Client) else httpx.AsyncHTTPTransport
    pools = []
    for transport in [client._transport, *mounts.values()]:
        if transport is None:
            continue  # a pattern mounted to no proxy: the client's own transport serves it
        pool = getattr(transport, "_pool", None) if type(transport) is kind else None
        if pool is None or not hasattr(pool, "_network_backend"):
            return None
        pools.append(pool)
    return pools


class CheckedStream(httpcore.AsyncNetworkStream):
    """An async connection whose ``is_readable`` is asked of the poller it keeps."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._readable = readable_check(inner.get_extra_info("socket"))

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return CheckedStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._readable is not None:
            return self._readable()
        return self._inner.get_extra_info(info)


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's async network backend whose connections are ``CheckedStream``."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return CheckedStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return CheckedStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def check_idle_connections_cheaply(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Open every connection of ``client`` (made by the SDK, before its first request)
    through ``CheckedBackend``. A client whose transports are not httpx's own stays as
    it is."""
    pools = own_pools(client) or []
    if all(isinstance(pool._network_backend, httpcore.AsyncNetworkBackend) for pool in pools):
        for pool in pools:
            if not isinstance(pool._network_backend, CheckedBackend):
                pool._network_backend = CheckedBackend(pool._network_backend)
    return client
