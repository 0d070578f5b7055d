"""The testing guide's pytest examples run as a user's test suite (pytester, in-process):
every documented fixture is used there and works as the guide says."""

from __future__ import annotations

import pytest

from tests.docs.examples import DOCS, blocks

pytest_plugins = ["pytester"]

GUIDE = DOCS / "guides" / "testing.md"
FIXTURES = (
    "leapocr_emulator",
    "leapocr_emulator_factory",
    "leapocr_session_emulator",
    "leapocr_env",
    "leapocr_client",
    "async_leapocr_client",
)


def test_the_guides_pytest_examples_pass(pytester: pytest.Pytester) -> None:
    examples = [b.code for b in blocks(GUIDE.read_text()) if "def test_" in b.code]
    assert len(examples) >= 2
    for n, code in enumerate(examples):
        pytester.makepyfile(**{f"test_guide_{n}": code})
    result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-p", "no:randomly")
    expected = sum(code.count("\ndef test_") + code.startswith("def test_") for code in examples)
    result.assert_outcomes(passed=expected)


def test_every_fixture_is_documented_and_used_in_an_example() -> None:
    text = GUIDE.read_text()
    code = "\n".join(b.code for b in blocks(text))
    for fixture in FIXTURES:
        assert f"| `{fixture}` |" in text, fixture
        assert fixture in code, fixture
