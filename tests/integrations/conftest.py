"""Shared by the integration tests: documents on disk, and running a loader either way."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk.testing import make_pdf

SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "total": {"type": "number"},
        "vendor": {"type": "object", "properties": {"name": {"type": "string"}}},
    },
}


def make_png(width: int, height: int) -> bytes:
    """A real (blank, grey) PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def scans(tmp_path: Path) -> Path:
    """``scans/``: ``a.pdf`` (two pages), ``b.pdf`` (one), ``c.png`` (an image)."""
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "a.pdf").write_bytes(make_pdf(["Invoice Number: A-1\nTotal: 10.5", "page two of a"]))
    (folder / "b.pdf").write_bytes(make_pdf(["Invoice Number: B-2\nTotal: 20"]))
    (folder / "c.png").write_bytes(make_png(40, 30))
    return folder


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A file that says it is a PDF and is not: its job fails on the service."""
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7 but broken inside")
    return path


@pytest.fixture(params=["sync", "async"])
def load(request: pytest.FixtureRequest) -> Callable[[Any], list[Any]]:
    """``load(loader)``: ``loader.load()`` or, for the async flavour, ``aload()`` on a
    fresh event loop."""
    if request.param == "sync":
        return lambda loader: list(loader.load())
    return lambda loader: asyncio.run(loader.aload())
