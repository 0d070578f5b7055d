"""Shared fixtures: run every client test against both LeapOCR and AsyncLeapOCR.

``make_client(**kwargs)`` returns a blocking handle with the same methods whichever the
flavour: the async client is driven on a private event loop kept for the whole test, so
its connections stay on one loop.
"""

from __future__ import annotations

import asyncio
import inspect
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from leapocr_sdk import AsyncLeapOCR, LeapOCR

API_KEY = "sk-test-0123456789abcdef"

# Tests send Ctrl-C (SIGINT) to the CLI and to scripts they start, as a person at a
# terminal would. A test run started in the background of a non-interactive shell (`make
# check &`, some CI runners) inherits SIGINT ignored, and so would every child: Python then
# installs no KeyboardInterrupt handler and the signal does nothing. Give the children a
# terminal's disposition.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
ASYNC_ITERATORS = frozenset({"process_many", "as_completed", "iter_pages"})  # methods returning one


class AsyncBridge:
    """Calls an AsyncLeapOCR's coroutines to completion on one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: AsyncLeapOCR) -> None:
        self._loop = loop
        self.client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if name in ASYNC_ITERATORS:
            return lambda *args, **kwargs: self._iterate(attr(*args, **kwargs))
        if not inspect.iscoroutinefunction(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._loop.run_until_complete(attr(*args, **kwargs))

        return call

    def _iterate(self, items: Any) -> Iterator[Any]:
        """An async iterator (``process_many``, ``as_completed``) as a blocking one."""
        try:
            while True:
                try:
                    yield self._loop.run_until_complete(items.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self._loop.run_until_complete(items.aclose())

    def close(self) -> None:
        self._loop.run_until_complete(self.client.aclose())

    def __repr__(self) -> str:
        return repr(self.client)


@pytest.fixture(params=["sync", "async"])
def flavor(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_client(flavor: str) -> Iterator[Callable[..., Any]]:
    """Build a client of the test's flavour; closed after the test.

    Defaults: the test API key, no real sleeping (``sleep`` records the delays in
    ``handle.sleeps``) unless ``real_sleep=True``.
    """
    loop = asyncio.new_event_loop()
    made: list[Any] = []

    def build(**kwargs: Any) -> Any:
        kwargs.setdefault("api_key", API_KEY)
        sleeps: list[float] = []
        if not kwargs.pop("real_sleep", False) and "sleep" not in kwargs:
            if flavor == "sync":
                kwargs["sleep"] = sleeps.append
            else:

                async def record(seconds: float) -> None:
                    sleeps.append(seconds)

                kwargs["sleep"] = record
        handle: Any
        if flavor == "sync":
            handle = LeapOCR(**kwargs)
        else:
            handle = AsyncBridge(loop, loop.run_until_complete(_build_async(kwargs)))
        made.append(handle)
        return _Handle(handle, sleeps)

    yield build
    for handle in made:
        handle.close()
    loop.close()


async def _build_async(kwargs: dict[str, Any]) -> AsyncLeapOCR:
    # httpx.AsyncClient binds to the running loop on first use; build it inside the loop.
    return AsyncLeapOCR(**kwargs)


class _Handle:
    """A client of either flavour plus the delays its flows asked to sleep."""

    def __init__(self, client: Any, sleeps: list[float]) -> None:
        self._client = client
        self.sleeps = sleeps

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def __repr__(self) -> str:
        return repr(self._client)


def check_log(server: Any) -> None:
    """Every request to the API fits openapi.yaml; no request outside it carries the key."""
    from tests.openapi_checks import API_PREFIX, check_request

    for request, _response in server.log:
        if request.path.startswith(API_PREFIX):
            check_request(
                request.method,
                request.path,
                dict(request.args),
                dict(request.headers),
                request.get_data(),
            )
        else:
            assert "x-api-key" not in {name.lower() for name, _ in request.headers.items()}, (
                f"API key sent to {request.method} {request.path}"
            )
            assert API_KEY not in str(request.headers)


@pytest.fixture
def api(httpserver: Any) -> Iterator[Any]:
    """pytest-httpserver, checked after the test by ``check_log``; a request no handler
    matched, or a handler that raised, fails the test too."""
    yield httpserver
    check_log(httpserver)
    httpserver.check_assertions()
    httpserver.check_handler_errors()


@pytest.fixture
def base_url(api: Any) -> str:
    return str(api.url_for("/api/v1"))
