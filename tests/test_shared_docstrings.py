"""Docstring sections written once (``leapocr_sdk._docstrings``) and where they land."""

from __future__ import annotations

import inspect
import re

import pytest

from leapocr_sdk import AsyncLeapOCR, LeapOCR
from leapocr_sdk._docstrings import SECTIONS, expand, with_shared_sections

PLACEHOLDER = re.compile(r"^\s*\{[A-Z_]+\}\s*$", re.MULTILINE)


@pytest.mark.parametrize("client", [LeapOCR, AsyncLeapOCR])
def test_no_placeholder_is_left_in_a_client(client: type[LeapOCR] | type[AsyncLeapOCR]) -> None:
    docs = [inspect.getdoc(client) or ""]
    docs += [inspect.getdoc(member) or "" for _, member in inspect.getmembers(client)]
    assert not [doc for doc in docs if PLACEHOLDER.search(doc)]
    wait = inspect.getdoc(client.wait_until_done) or ""
    assert "    poll_interval: seconds before the first poll" in wait


def test_a_section_takes_the_indentation_of_its_line() -> None:
    def documented() -> None:
        """Wait.

        Args:
            job_id: a job.
            {WAIT_ARGS}

        Returns:
            Nothing.
        """

    doc = inspect.cleandoc(expand(documented.__doc__ or ""))
    expected = "\n".join("    " + line for line in SECTIONS["WAIT_ARGS"].splitlines())
    assert "Args:\n    job_id: a job.\n" + expected + "\n\nReturns:" in doc


def test_an_unknown_section_fails_at_class_creation() -> None:
    with pytest.raises(KeyError, match="NO_SUCH_SECTION"):

        @with_shared_sections
        class Documented:
            def method(self) -> None:
                """Do it.

                {NO_SUCH_SECTION}
                """
