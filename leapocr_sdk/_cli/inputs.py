"""Checks of ``process``'s inputs that cost nothing, made before any credit is spent.

Each input is checked on its own (a missing or unreadable file, a directory given as
``--out``'s file, a URL the service cannot fetch or a URL written as a file path), and
all problems are reported together; nothing is submitted while any remains. ``-`` reads
one document from stdin into a temporary file, so it is uploaded like any other file; a
stream longer than the service accepts is refused as soon as it passes the limit.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from .._contract import (
    FILE_TYPES,
    MAX_FILE_SIZE,
    SNIFF_BYTES,
    describe_file_types,
    sniff_content_type,
)
from .._sources import is_url
from ..errors import ValidationError

STDIN = "-"
_COPY_CHUNK = 1024 * 1024
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")


def check_out_dir(out: str | None) -> None:
    """``--out`` must be a directory or not exist yet (it is created)."""
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise ValidationError(f"--out {out!r} exists and is not a directory: choose a directory")


def problem_with(source: str) -> str | None:
    """Why ``source`` cannot be processed, or None if it looks fine (no request made)."""
    if source == STDIN or is_url(source):
        return None
    if _SCHEME.match(source):
        if source.lower().startswith(("http:/", "https:/")):
            return f"{source!r} is not a well-formed URL: write it as http(s)://host/path"
        scheme = source.split(":", 1)[0]
        return f"{scheme}: URLs cannot be processed: give an http(s) URL or a local file"
    if not os.path.exists(source):
        hint = ""
        if source.lower().startswith("www."):
            hint = f": for a URL, write https://{source}"
        return f"file not found: {source!r}{hint}"
    if os.path.isdir(source):
        return None  # expanded into its documents by expand_sources
    try:
        with open(source, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        return f"cannot read {source!r}: {exc.strerror or exc}"
    return None


def spool_stdin(directory: Path, stream: BinaryIO | None = None) -> Path:
    """Copy one document from stdin to ``directory``; its path, named for its type."""
    source = stream if stream is not None else sys.stdin.buffer
    if sys.stdin is not None and stream is None and sys.stdin.isatty():
        raise ValidationError("'-' reads a document from stdin, but stdin is a terminal: pipe one")
    head = source.read(SNIFF_BYTES)
    content_type = sniff_content_type(head)
    if content_type is None:
        raise ValidationError(f"stdin does not hold a document: expected {describe_file_types()}")
    extension = next(kind.extensions[0] for kind in FILE_TYPES if kind.content_type == content_type)
    path = directory / f"stdin{extension}"
    size = len(head)
    with path.open("wb") as handle:
        handle.write(head)
        while chunk := source.read(_COPY_CHUNK):
            size += len(chunk)
            if size > MAX_FILE_SIZE:  # refused now, not after reading all there is
                raise ValidationError(
                    f"stdin holds more than {MAX_FILE_SIZE} bytes; the service accepts at "
                    f"most {MAX_FILE_SIZE} bytes (1 GiB): split the document into smaller ones"
                )
            handle.write(chunk)
    return path


def temporary_directory() -> tempfile.TemporaryDirectory[str]:
    """Where stdin's document is kept while it is uploaded."""
    return tempfile.TemporaryDirectory(prefix="leapocr-stdin-")
