"""Fixtures of the structured tests: an emulator with credits, a client of each flavour,
and every API request the client sends, kept to be checked against openapi.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from leapocr_sdk.testing import LeapOCREmulator


class Sent:
    """The API requests a client sent (method, path, query, headers, body)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str], bytes]] = []

    def keep(self, request: httpx.Request) -> None:
        request.read()
        self.requests.append(
            (
                request.method,
                request.url.path,
                dict(request.url.params),
                dict(request.headers),
                request.content,
            )
        )

    def check(self) -> list[str]:
        """Check each request against openapi.yaml; their operation ids."""
        from tests.openapi_checks import check_request

        return [check_request(*request) for request in self.requests]


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.05, credits=10_000)


@pytest.fixture
def sent() -> Sent:
    return Sent()


@pytest.fixture
def client(emu: LeapOCREmulator, make_client: Any, flavor: str, sent: Sent) -> Iterator[Any]:
    """A client of the test's flavour whose API requests are kept in ``sent``."""
    if flavor == "sync":
        http: Any = httpx.Client(event_hooks={"request": [sent.keep]})
    else:

        async def keep(request: httpx.Request) -> None:
            sent.keep(request)

        http = httpx.AsyncClient(event_hooks={"request": [keep]})
    handle = make_client(
        api_key=emu.api_key, base_url=emu.base_url, real_sleep=True, http_client=http
    )
    yield handle
    if flavor == "sync":
        http.close()
    else:  # on the loop the async client ran on
        handle._client._loop.run_until_complete(http.aclose())
