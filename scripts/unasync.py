"""Write the blocking client ``LeapOCR`` from the hand-written asyncio client.

``leapocr_sdk/_async_client.py`` is the one source of both clients. This script turns it
into ``leapocr_sdk/_sync_client.py`` (committed, so IDEs, ``help()`` and the docs site
read real source) by plain text rules, in the manner of httpcore's unasync:

- each rule in ``RULES`` (``async def`` -> ``def``, ``await `` -> nothing,
  ``AsyncIterator`` -> ``Iterator``, ``httpx.AsyncClient`` -> ``httpx.Client``,
  ``aclose`` -> ``close``, ...) applies everywhere, docstrings included, except
- text between double backticks (````AsyncLeapOCR````, ````async for````), which is
  kept as written: the blocking client's docstrings may name the async one;
- the class docstring of ``AsyncLeapOCR`` is replaced by the string that follows the
  ``# unasync: LeapOCR's docstring`` comment (the one text of the blocking client written
  by hand), and that string is dropped;
- the result goes through ``ruff check --fix`` (import order, imports left unused) and
  ``ruff format``, the project's own settings.

Usage:
    python scripts/unasync.py           # rewrite leapocr_sdk/_sync_client.py
    python scripts/unasync.py --check   # exit 1 if the committed file differs
"""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "leapocr_sdk" / "_async_client.py"
TARGET = ROOT / "leapocr_sdk" / "_sync_client.py"

# Applied in order, outside double-backtick spans.
RULES: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\basync for\b", "for"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"\bAn async iterator\b", "An iterator"),
    (r"\ban async iterator\b", "an iterator"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAwaitable\[object\]", "object"),
    (r"\bAsyncLeapOCR\b", "LeapOCR"),
    (r"\bhttpx\.AsyncClient\b", "httpx.Client"),
    (r"\b_async_runner\b", "_runners"),
    (r"\bAsyncRunner\b", "SyncRunner"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\baclose\b", "close"),
]
_COMPILED = [(re.compile(pattern), replacement) for pattern, replacement in RULES]
_BACKTICKS = re.compile(r"(``[^`\n]+``)")
_SYNC_DOC = re.compile(
    r'(?P<indent>[ ]+)"""(?P<async_doc>(?:(?!""").)*)"""\n\n'
    r"[ ]+# unasync: LeapOCR's docstring[^\n]*\n"
    r'[ ]+"""(?P<sync_doc>(?:(?!""").)*)"""',
    re.DOTALL,
)
HEADER = (
    "# Generated from leapocr_sdk/_async_client.py by scripts/unasync.py: do not edit.\n"
    "# Edit the async client, then run `python scripts/unasync.py` (`make unasync`).\n"
    '"""``LeapOCR``, the blocking client, generated from ``_async_client.py`` (see there)."""\n'
)
_MODULE_DOC = re.compile(r'\A"""(?:(?!""").)*"""\n', re.DOTALL)


def _rewrite(text: str) -> str:
    parts = _BACKTICKS.split(text)
    for index in range(0, len(parts), 2):  # odd indexes are ``...`` spans: kept
        for pattern, replacement in _COMPILED:
            parts[index] = pattern.sub(replacement, parts[index])
    return "".join(parts)


def unasync(source: str) -> str:
    """The blocking client's source, before ruff: the rules applied to ``source``."""
    match = _SYNC_DOC.search(source)
    if match is None:
        raise SystemExit(f"{SOURCE.name}: no '# unasync: LeapOCR's docstring' string found")
    before, after = source[: match.start()], source[match.end() :]
    before = _MODULE_DOC.sub("", before, count=1)  # HEADER carries the module's own
    docstring = f'{match["indent"]}"""{match["sync_doc"]}"""'
    return HEADER + _rewrite(before) + docstring + _rewrite(after)


def _ruff() -> str:
    found = Path(sys.executable).with_name("ruff")
    path = str(found) if found.exists() else shutil.which("ruff")
    if path is None:
        raise SystemExit("ruff not found: run `make install` first")
    return path


def generate(source: str) -> str:
    """The blocking client's source as committed: ``unasync``, then ruff's fixes and format."""
    text = unasync(source)
    ruff = _ruff()
    name = str(TARGET.relative_to(ROOT))
    for command in (
        [ruff, "check", "--fix-only", "--select", "I,F401", "--stdin-filename", name, "-"],
        [ruff, "format", "--stdin-filename", name, "-"],
    ):
        done = subprocess.run(
            command, input=text, capture_output=True, text=True, cwd=ROOT, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command[:2])} failed:\n{done.stderr}")
        text = done.stdout
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed blocking client differs"
    )
    args = parser.parse_args(argv)
    expected = generate(SOURCE.read_text(encoding="utf-8"))
    if not args.check:
        TARGET.write_text(expected, encoding="utf-8")
        print(f"wrote {TARGET.relative_to(ROOT)}")
        return 0
    actual = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if actual == expected:
        print(f"{TARGET.relative_to(ROOT)} matches {SOURCE.relative_to(ROOT)}")
        return 0
    diff = difflib.unified_diff(
        actual.splitlines(keepends=True),
        expected.splitlines(keepends=True),
        str(TARGET.relative_to(ROOT)),
        "generated from " + str(SOURCE.relative_to(ROOT)),
    )
    sys.stdout.writelines(diff)
    print(
        f"\n{TARGET.relative_to(ROOT)} is generated: edit {SOURCE.relative_to(ROOT)} "
        "and run `python scripts/unasync.py`",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
