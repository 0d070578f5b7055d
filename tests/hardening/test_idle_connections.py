"""A pooled connection the server closed while idle is never used again.

The SDK's own clients answer the pool's "did the server close this idle connection?" from
one poller each connection keeps (``_idle_checks``). The answer must be the one the
stream itself gives (httpcore's check), in every state a connection can be in, plain or
TLS, blocking or async; and a client must open a new connection where the server closed
the old one, with no retry to hide a failed request.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from leapocr_sdk import AsyncLeapOCR
from leapocr_sdk._bounded import BoundedBackend
from leapocr_sdk._idle_checks import CheckedBackend, CheckedStream
from tests.conftest import API_KEY
from tests.hardening.hostile import JOB, Handler
from tests.reliability.test_keys import _TLSServer

STATUS = b'{"id": "%s", "status": "processing", "file_name": "a.pdf"}' % JOB.encode()
GREETING = b"ready"
STATES = ["nothing to read", "data waiting", "closed by the server", "reset by the server"]


def test_a_connection_the_server_closed_while_idle_is_not_used_again(hostile, make_client):
    closed = threading.Semaphore(0)

    def answer_then_close(handler: Handler) -> None:
        # An HTTP/1.1 answer with no "Connection: close": the client keeps the connection
        # for the next request, and the server ends it at once (its keep-alive ran out).
        handler.wfile.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(STATUS), STATUS)
        )
        handler.wfile.flush()
        handler.connection.shutdown(socket.SHUT_WR)
        closed.release()

    server = hostile(answer_then_close)
    client = make_client(base_url=server.base_url, max_retries=0)
    for _ in range(4):
        assert client.get_status(JOB).status == "processing"
        assert closed.acquire(timeout=10)  # the server's end is on its way to the client
    assert len(server.requests) == 4


def test_the_sdks_own_async_clients_keep_a_poller_and_a_callers_own_is_left_alone():
    async def check() -> None:
        async with httpx.AsyncClient() as own:
            async with (
                AsyncLeapOCR(API_KEY) as client,
                AsyncLeapOCR(API_KEY, http_client=own, upload_http_client=own) as callers,
            ):
                for made in (client._http, client._uploads()):
                    assert isinstance(_backend(made), CheckedBackend)
                for given in (callers._http, callers._uploads()):
                    assert given is own
            assert not isinstance(_backend(own), CheckedBackend)

    asyncio.run(check())


class _Peer:
    """The server end of one connection, made to show the client one of ``STATES``."""

    def __init__(self, tls: ssl.SSLContext | None) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._tls = tls
        self._accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        sock, _ = self._listener.accept()
        if self._tls is not None:
            sock = self._tls.wrap_socket(sock, server_side=True)
        self._accepted.append(sock)
        # A first answer the client reads whole: after it, nothing of the handshake (TLS
        # 1.3 session tickets) is left waiting on the client's end.
        sock.sendall(GREETING)

    def connected(self) -> socket.socket:
        self._thread.join(10)
        (sock,) = self._accepted
        return sock

    def show(self, state: str) -> None:
        sock = self.connected()
        if state == "data waiting":
            sock.sendall(b"HTTP/1.1 200 OK\r\n")
        elif state == "closed by the server":
            sock.shutdown(socket.SHUT_WR)
        elif state == "reset by the server":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()

    def close(self) -> None:
        for sock in self._accepted:
            sock.close()
        self._listener.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    directory = tmp_path_factory.mktemp("idle-tls")
    made = _TLSServer(directory)  # made for its certificate and key
    made.stop()
    yield made.cert, directory / "key.pem"


def _contexts(certificate: tuple[Path, Path]) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(*certificate)
    return server, ssl.create_default_context(cafile=str(certificate[0]))


def _answers(stream: Any, inner: Any, settle: Callable[[], None]) -> tuple[bool, bool]:
    settle()
    return stream.get_extra_info("is_readable"), inner.get_extra_info("is_readable")


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
@pytest.mark.parametrize("state", STATES)
def test_a_blocking_connection_answers_as_its_stream(state, tls, certificate):
    server_tls, client_tls = _contexts(certificate) if tls else (None, None)
    peer = _Peer(server_tls)
    try:
        stream: Any = BoundedBackend(httpcore.SyncBackend()).connect_tcp("127.0.0.1", peer.port)
        if client_tls is not None:
            stream = stream.start_tls(client_tls, "127.0.0.1", timeout=10)
        assert _read_whole(lambda: stream.read(64, timeout=10)) == GREETING
        peer.show(state)
        expected = state != "nothing to read"
        for _ in range(2):  # asked again, the kept poller answers afresh
            ours, its_own = _answers(stream, stream._inner, lambda: _settled(stream, expected))
            assert (ours, its_own) == (expected, expected)
        stream.close()
    finally:
        peer.close()


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
@pytest.mark.parametrize("state", STATES)
def test_an_async_connection_answers_as_its_stream(state, tls, certificate):
    server_tls, client_tls = _contexts(certificate) if tls else (None, None)
    peer = _Peer(server_tls)

    async def check() -> None:
        stream: Any = await CheckedBackend(httpcore.AnyIOBackend()).connect_tcp(
            "127.0.0.1", peer.port
        )
        if client_tls is not None:
            stream = await stream.start_tls(client_tls, "127.0.0.1", timeout=10)
        assert isinstance(stream, CheckedStream)
        got = b""
        while len(got) < len(GREETING):
            got += await stream.read(64, timeout=10)
        assert got == GREETING
        await asyncio.to_thread(peer.show, state)
        expected = state != "nothing to read"
        for _ in range(2):
            ours, its_own = _answers(stream, stream._inner, lambda: _settled(stream, expected))
            assert (ours, its_own) == (expected, expected)
        await stream.aclose()

    try:
        asyncio.run(check())
    finally:
        peer.close()


def _settled(stream: Any, expected: bool) -> None:
    """Wait (up to 10 s) for what the server sent to reach this end of the loopback
    connection: the stream's own check says so once it has."""
    inner = stream._inner
    for _ in range(1000):
        if inner.get_extra_info("is_readable") == expected:
            return
        threading.Event().wait(0.01)


def _read_whole(read: Callable[[], bytes]) -> bytes:
    got = b""
    while len(got) < len(GREETING):
        got += read()
    return got


def _backend(client: httpx.AsyncClient) -> Any:
    transport: Any = client._transport
    return transport._pool._network_backend
