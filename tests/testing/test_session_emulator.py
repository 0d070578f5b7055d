"""The session-scoped emulator fixture as a user's test suite meets it (pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import pytest

from leapocr_sdk import LeapOCR
from leapocr_sdk.testing import make_pdf

SEEN = []
URLS = []


@pytest.mark.parametrize("n", range(3))
def test_one_emulator_for_all(leapocr_session_emulator, n):
    SEEN.append(leapocr_session_emulator)
    URLS.append(leapocr_session_emulator.base_url)
    with LeapOCR(leapocr_session_emulator.api_key,
                 base_url=leapocr_session_emulator.base_url) as client:
        result = client.process(make_pdf([f"document {n}"]), poll_interval=0.02)
    assert result.markdown == f"document {n}"
    assert leapocr_session_emulator.jobs[result.job_id].status == "completed"
    assert len(leapocr_session_emulator.jobs) == n + 1  # shared: jobs add up
    assert all(emu is SEEN[0] for emu in SEEN)
"""

CONFTEST = """
import httpx


def pytest_sessionfinish(session):
    from test_user import URLS

    assert len(set(URLS)) == 1
    try:
        httpx.get(URLS[0] + "/health", timeout=1)
    except httpx.ConnectError:
        print("EMULATOR STOPPED")
"""


def test_one_emulator_serves_the_whole_session_and_stops_after_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    pytester.makeconftest(CONFTEST)
    # In a process of its own, as a user's suite runs: in-process, after another pytester
    # run, modules that run removed are imported again and httpx no longer maps the
    # transport's exceptions (the test failed when tests/testing ran alone).
    result = pytester.runpytest_subprocess(
        "-q", "-s", "-p", "no:cacheprovider", "-p", "no:randomly"
    )
    result.assert_outcomes(passed=3)
    assert "EMULATOR STOPPED" in result.stdout.str()
