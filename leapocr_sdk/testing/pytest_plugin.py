"""pytest plugin (entry point ``pytest11``): the emulator and clients bound to it.

Fixtures:

- ``leapocr_emulator``: a started ``LeapOCREmulator`` (jobs take 0.05 s), stopped after
  the test; ``leapocr_emulator_factory(**kwargs)`` starts more with custom keywords.
- ``leapocr_session_emulator``: one emulator for the whole test session (started on first
  use, stopped at the end): cheaper for many tests, but its jobs, credits and faults are
  shared, so count on it only what a test does itself.
- ``leapocr_env``: ``LEAPOCR_API_KEY`` and ``LEAPOCR_BASE_URL`` set to ``leapocr_emulator``
  for the test.
- ``leapocr_client`` / ``async_leapocr_client``: a ``LeapOCR`` / ``AsyncLeapOCR`` bound to
  that emulator, closed after the test. Both also set ``LEAPOCR_API_KEY`` and
  ``LEAPOCR_BASE_URL`` for the test (monkeypatch), so code that builds its own client
  with ``LeapOCR()`` talks to the same emulator.

It imports nothing beyond pytest at load time, so it costs nothing in test runs that
don't use it. If the ``testing`` extra is not installed, a fixture fails at once and
says what to install.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from leapocr_sdk import AsyncLeapOCR, LeapOCR
    from leapocr_sdk.testing.emulator import LeapOCREmulator

TESTING_EXTRA = "leapocr-sdk[testing]"
_EXTRA_MODULES = ("pypdf",)  # what the testing extra installs


def require_testing_extra() -> None:
    """Fail the test now, naming the extra, if the emulator's dependencies are missing."""
    missing = [name for name in _EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(
            f"the LeapOCR emulator needs the testing extra ({', '.join(missing)} is missing): "
            f"pip install '{TESTING_EXTRA}'",
            pytrace=False,
        )


@pytest.fixture
def leapocr_emulator_factory() -> Iterator[Callable[..., LeapOCREmulator]]:
    """Start emulators with custom keywords, e.g. ``factory(credits=5)``; all stop afterwards."""
    require_testing_extra()
    from leapocr_sdk.testing.emulator import LeapOCREmulator

    started: list[LeapOCREmulator] = []

    def start(**kwargs: Any) -> LeapOCREmulator:
        kwargs.setdefault("processing_seconds", 0.05)
        emulator = LeapOCREmulator(**kwargs).start()
        started.append(emulator)
        return emulator

    try:
        yield start
    finally:
        for emulator in started:
            emulator.stop()


@pytest.fixture
def leapocr_emulator(
    leapocr_emulator_factory: Callable[..., LeapOCREmulator],
) -> LeapOCREmulator:
    """A started ``LeapOCREmulator`` (defaults, jobs take 0.05 s), stopped after the test."""
    return leapocr_emulator_factory()


@pytest.fixture(scope="session")
def leapocr_session_emulator() -> Iterator[LeapOCREmulator]:
    """One started ``LeapOCREmulator`` for the whole session (jobs take 0.05 s).

    Its state (jobs, credits, faults, recorded requests) is shared by every test that uses
    it: count only what a test itself did (e.g. its own job ids), and reset any fault it
    injects (``emu.reset_faults()``).
    """
    require_testing_extra()
    from leapocr_sdk.testing.emulator import LeapOCREmulator

    emulator = LeapOCREmulator(processing_seconds=0.05).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def leapocr_env(leapocr_emulator: LeapOCREmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """``LEAPOCR_API_KEY`` and ``LEAPOCR_BASE_URL`` point at ``leapocr_emulator``."""
    monkeypatch.setenv("LEAPOCR_API_KEY", leapocr_emulator.api_key)
    monkeypatch.setenv("LEAPOCR_BASE_URL", leapocr_emulator.base_url)


@pytest.fixture
def leapocr_client(leapocr_emulator: LeapOCREmulator, leapocr_env: None) -> Iterator[LeapOCR]:
    """A ``LeapOCR`` bound to ``leapocr_emulator`` (env vars set too), closed afterwards."""
    from leapocr_sdk import LeapOCR

    with LeapOCR(leapocr_emulator.api_key, base_url=leapocr_emulator.base_url) as client:
        yield client


@pytest.fixture
def async_leapocr_client(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None
) -> Iterator[AsyncLeapOCR]:
    """An ``AsyncLeapOCR`` bound to ``leapocr_emulator`` (env vars set too).

    A plain fixture, so it works with any async runner (``asyncio.run`` in the test,
    pytest-asyncio, anyio): the client binds to the event loop that first uses it. It
    is closed after the test unless the test closed it (``async with client:``).
    """
    import asyncio

    from leapocr_sdk import AsyncLeapOCR
    from leapocr_sdk.errors import ConfigurationError

    client = AsyncLeapOCR(leapocr_emulator.api_key, base_url=leapocr_emulator.base_url)
    yield client
    # The test's event loop may be gone, and the connections with it: nothing left to close.
    with contextlib.suppress(RuntimeError, ConfigurationError):
        asyncio.run(client.aclose())
