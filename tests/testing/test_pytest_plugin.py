"""The pytest plugin as a user's test suite meets it (run with pytester, in-process)."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import asyncio
import os

from leapocr_sdk import LeapOCR
from leapocr_sdk.testing import make_pdf


def test_sync_client(leapocr_client, leapocr_emulator, tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(["Hello from the plugin"]))
    result = leapocr_client.process(str(path))
    assert "Hello from the plugin" in result.pages[0].text
    assert leapocr_emulator.count("initiate") == 1


def test_env_for_code_that_builds_its_own(leapocr_client, leapocr_emulator):
    assert os.environ["LEAPOCR_BASE_URL"] == leapocr_emulator.base_url
    with LeapOCR() as own:
        assert [m.name for m in own.list_models()]


def test_async_client(async_leapocr_client):
    async def main():
        async with async_leapocr_client as client:
            return await client.list_models()

    assert asyncio.run(main())


def test_async_client_left_open(async_leapocr_client):
    assert asyncio.run(async_leapocr_client.list_models())
"""


def test_fixtures_hand_out_clients_bound_to_the_emulator(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    assert "LEAPOCR_BASE_URL" not in os.environ  # monkeypatched for those tests only


def test_missing_testing_extra_fails_at_once_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import sys\nsys.modules['pypdf'] = None  # as if not installed\n")
    pytester.makepyfile(test_user="def test_it(leapocr_client):\n    raise AssertionError\n")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    output = result.stdout.str()
    assert "needs the testing extra (pypdf is missing)" in output
    assert "pip install 'leapocr-sdk[testing]'" in output
    assert "AssertionError" not in output  # failed in the fixture, before the test ran
