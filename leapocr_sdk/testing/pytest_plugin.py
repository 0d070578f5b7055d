"""pytest plugin (entry point ``pytest11``): the ``leapocr_emulator`` fixtures.

It imports nothing beyond pytest at load time, so it costs nothing in test runs that
don't use it and works without the ``testing`` extra installed until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from leapocr_sdk.testing.emulator import LeapOCREmulator


@pytest.fixture
def leapocr_emulator_factory() -> Iterator[Callable[..., LeapOCREmulator]]:
    """Start emulators with custom keywords, e.g. ``factory(credits=5)``; all stop afterwards."""
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
