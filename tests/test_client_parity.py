"""``LeapOCR`` and ``AsyncLeapOCR`` offer the same methods, signatures and docstrings.

The async text, with ``async``/``await`` and the async types written the blocking way,
must equal the blocking text: every public method, its parameters (names, kinds,
defaults, annotations), its return annotation, its typing overloads and its docstring.
"""

from __future__ import annotations

import inspect
import re
import typing

import pytest

from leapocr_sdk import AsyncLeapOCR, LeapOCR

# async name -> blocking name; applied to signatures and docstrings alike.
_UNASYNC = [
    (re.compile(r"\basync for\b"), "for"),
    (re.compile(r"\basync with\b"), "with"),
    (re.compile(r"\bawait "), ""),
    (re.compile(r"\ban async iterator\b"), "an iterator"),
    (re.compile(r"\bAn async iterator\b"), "An iterator"),
    (re.compile(r"\bAsyncIterator\b"), "Iterator"),
    (re.compile(r"\bAsyncLeapOCR\b"), "LeapOCR"),
    (re.compile(r"\bhttpx\.AsyncClient\b"), "httpx.Client"),
    (re.compile(r"\baclose\b"), "close"),
]
# Methods named differently (the resource protocol).
_RENAMED = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__"}
# Streams: plain methods returning async iterators (``async for``), not coroutines.
_ITERATORS = {"process_many", "as_completed", "iter_pages"}
# Plain methods on both clients: no I/O (``with_options`` returns a copy sharing connections).
_PLAIN = {"with_options"}


def unasync(text: str) -> str:
    for pattern, replacement in _UNASYNC:
        text = pattern.sub(replacement, text)
    return text


def public_methods(cls: type) -> dict[str, object]:
    names = [n for n in dir(cls) if not n.startswith("_") or n in ("__init__", *_RENAMED)]
    names += [n for n in ("__enter__", "__exit__") if hasattr(cls, n)]
    return {_RENAMED.get(n, n): getattr(cls, n) for n in names}


SYNC = public_methods(LeapOCR)
ASYNC = public_methods(AsyncLeapOCR)


def test_the_two_clients_have_the_same_public_methods() -> None:
    assert sorted(SYNC) == sorted(ASYNC)
    assert len(SYNC) >= 16


@pytest.mark.parametrize("name", sorted(SYNC))
def test_signatures_and_docstrings_match(name: str) -> None:
    blocking, concurrent = SYNC[name], ASYNC[name]
    if isinstance(blocking, property):
        assert isinstance(concurrent, property)
        assert inspect.getdoc(blocking) == inspect.getdoc(concurrent)
        return
    assert callable(blocking) and callable(concurrent)
    if name == "__init__":
        # The sleep hook is the one true difference: a coroutine function on the loop.
        sync_params = dict(inspect.signature(blocking).parameters)
        async_params = dict(inspect.signature(concurrent).parameters)
        assert sync_params.pop("sleep").default is async_params.pop("sleep").default is None
        assert [unasync(str(p)) for p in async_params.values()] == [
            str(p) for p in sync_params.values()
        ]
        return
    assert unasync(str(inspect.signature(concurrent))) == str(inspect.signature(blocking))
    assert [unasync(str(inspect.signature(f))) for f in typing.get_overloads(concurrent)] == [
        str(inspect.signature(f)) for f in typing.get_overloads(blocking)
    ]
    assert unasync(inspect.getdoc(concurrent) or "") == unasync(inspect.getdoc(blocking) or "")
    assert not inspect.iscoroutinefunction(blocking)
    is_stream = name in _ITERATORS or name in _PLAIN
    assert inspect.iscoroutinefunction(concurrent) != is_stream or name == "__exit__"


def test_class_docstrings_say_the_same_of_each_argument() -> None:
    """The two class docstrings differ in their opening and the ``sleep`` hook only."""

    def args_section(cls: type) -> list[str]:
        doc = inspect.getdoc(cls) or ""
        section = doc.split("Args:", 1)[1].split("Raises:", 1)[0]
        entries = re.split(r"\n    (?=\w+:)", section)
        return [unasync(e) for e in entries if not e.lstrip().startswith("sleep:")]

    assert args_section(AsyncLeapOCR) == args_section(LeapOCR)


def test_the_blocking_client_is_generated_from_the_async_one() -> None:
    """``_sync_client.py`` is exactly what ``scripts/unasync.py`` writes (a hand edit fails)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    first_line = (root / "leapocr_sdk" / "_sync_client.py").read_text().splitlines()[0]
    assert first_line.startswith("# Generated from leapocr_sdk/_async_client.py")
