"""Fixtures of the hardening tests: hostile servers that are stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.hardening.hostile import (
    DivertingProxy,
    Handler,
    HostileServer,
    NeverReads,
    UploadService,
)


@pytest.fixture
def hostile() -> Iterator[Callable[[Callable[[Handler], None]], HostileServer]]:
    started: list[HostileServer] = []

    def start(respond: Callable[[Handler], None]) -> HostileServer:
        server = HostileServer(respond)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def upload_service() -> Iterator[Callable[..., UploadService]]:
    started: list[UploadService] = []

    def start(sizes: list[int], **kwargs: object) -> UploadService:
        service = UploadService(sizes, **kwargs)  # type: ignore[arg-type]
        started.append(service)
        return service

    yield start
    for service in started:
        service.server.stop()


@pytest.fixture
def never_reads() -> Iterator[NeverReads]:
    server = NeverReads()
    yield server
    server.stop()


@pytest.fixture
def diverting_proxy() -> Iterator[Callable[[str, str], DivertingProxy]]:
    started: list[DivertingProxy] = []

    def start(emulator_origin: str, storage_origin: str) -> DivertingProxy:
        proxy = DivertingProxy(emulator_origin, storage_origin)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
