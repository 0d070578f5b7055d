"""Write the blocking client ``LeapOCR`` from the hand-written asyncio client.

``leapocr_sdk/_async_client.py`` is the one source of both clients. This script turns it
into ``leapocr_sdk/_sync_client.py`` (committed, so IDEs, ``help()`` and the docs site
read real source) by plain text rules, in the manner of httpcore's unasync:

- each rule in ``RULES`` (``async def`` -> ``def``, ``await `` -> nothing,
  ``AsyncIterator`` -> ``Iterator``, ``httpx.AsyncClient`` -> ``httpx.Client``,
  ``aclose`` -> ``close``, ...) applies everywhere, docstrings included, except
- text between double backticks (````AsyncLeapOCR````, ````async for````), which is
  kept as written: the blocking client's docstrings may name the async one;
- the class docstring of ``AsyncLeapOCR`` is replaced by ``LEAPOCR_DOCSTRING`` below
  (the one text of the blocking client written by hand, kept here with the rules that
  write the rest of it);
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
# The class docstring of ``AsyncLeapOCR``, replaced by ``LEAPOCR_DOCSTRING``.
_ASYNC_CLASS_DOC = re.compile(
    r'(?P<head>^class AsyncLeapOCR\b[^\n]*\n[ ]+)"""(?:(?!""").)*"""',
    re.DOTALL | re.MULTILINE,
)
# The one text of the blocking client written by hand: its class docstring (the async
# client's speaks of coroutines, ``async with`` and the event loop). Indented as in the class.
LEAPOCR_DOCSTRING = """\
The blocking LeapOCR client: submit documents, wait for them, read their results.

    Use it as a context manager (or call ``close()``); a closed client refuses work. Safe
    to share between threads (one client for many threads). Not across processes: a
    client used in a child after ``fork`` raises ``ConfigurationError`` (create one per
    process); it does not pickle. ``on_progress`` runs on the caller's thread;
    ``on_upload_progress`` on the upload worker threads, one call at a time. A callback
    that raises stops the operation (a half-uploaded job is deleted).

    Args:
        api_key: the LeapOCR API key; default ``$LEAPOCR_API_KEY``. Sent in the
            ``X-API-Key`` header to the API and nowhere else; never printed or logged.
        base_url: the API root; default ``$LEAPOCR_BASE_URL``, else
            ``https://api.leapocr.com/api/v1``. It must end in ``/api/v1`` (a 404 from one
            that does not says so). Plain ``http://`` only for loopback hosts, unless
            ``allow_insecure_http``.
        timeout: seconds bounding each whole request (connect, send, the whole answer).
        max_retries: retries of 429, 5xx and connection failures (exponential backoff,
            ``Retry-After`` honoured up to 60 s); other 4xx are never retried.
        http_client: your own ``httpx.Client`` for API calls (proxies, transports); used as
            is and not closed here. Uploads go through a separate plain client.
        upload_http_client: your own ``httpx.Client`` for part uploads to their
            presigned URLs (proxies, mTLS, event hooks); the API key is never sent on it,
            and it is not closed here.
        upload_concurrency: upload parts sent at once.
        allow_insecure_http: allow plain ``http://`` to a remote host (the key would
            travel unencrypted).
        sleep: replaces ``time.sleep`` (tests run retries and polling instantly).
        clock: replaces ``time.monotonic`` for deadlines.
        rng: a ``random.Random`` for retry jitter.

    Raises:
        ConfigurationError: no API key, a key that is not plain ASCII, a bad base URL or
            setting.

    Example:
        ```python
        from leapocr_sdk import LeapOCR

        with LeapOCR() as client:  # api_key from LEAPOCR_API_KEY
            result = client.process("invoice.pdf", delete=True)
            print(result.markdown)
        ```
    """
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
    match = _ASYNC_CLASS_DOC.search(source)
    if match is None:
        raise SystemExit(f"{SOURCE.name}: no class docstring of AsyncLeapOCR found")
    before, after = source[: match.start()], source[match.end() :]
    before = _MODULE_DOC.sub("", before, count=1)  # HEADER carries the module's own
    docstring = f'{_rewrite(match["head"])}"""{LEAPOCR_DOCSTRING}"""'
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
