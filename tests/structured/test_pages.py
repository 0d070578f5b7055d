"""``pages=``: only the selected pages of a local PDF are cut out, uploaded and paid for,
and the result numbers them as in the original document."""

from __future__ import annotations

import io
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pypdf
import pytest

from leapocr_sdk import ValidationError
from leapocr_sdk._pages import check_pages, cut, describe
from leapocr_sdk._sources import open_source
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

FAST = {"poll_interval": 0.02, "timeout": 20}
FIVE = ["Page one", "Page two", "Page three", "Page four", "Page five"]


@pytest.fixture
def five_pages(tmp_path: Path) -> Path:
    path = tmp_path / "five.pdf"
    path.write_bytes(make_pdf(FIVE))
    return path


def test_two_of_five_pages_are_uploaded_and_numbered_as_in_the_original(
    client: Any, emu: LeapOCREmulator, five_pages: Path
) -> None:
    result = client.process(five_pages, pages="2,4", **FAST)
    assert [page.page_number for page in result.pages] == [2, 4]
    assert [page.text for page in result.pages] == ["Page two", "Page four"]
    assert result.total_pages == 2 and result.credits_used == 2
    job = emu.get_job(result.job_id)
    assert job.total_pages == 2 and job.file_name == "five.pdf"
    uploaded = pypdf.PdfReader(io.BytesIO(job.file_bytes or b""))
    assert [page.extract_text() for page in uploaded.pages] == ["Page two", "Page four"]


def test_process_file_then_wait_and_get_result_renumber_too(client: Any, five_pages: Path) -> None:
    job = client.process_file(five_pages, pages=[5, 1, 3, 3])
    result = client.wait_until_done(job.job_id, **FAST)
    assert [page.page_number for page in result.pages] == [1, 3, 5]
    assert [page.text for page in result.pages] == ["Page one", "Page three", "Page five"]
    again = client.get_result(job.job_id)
    assert [page.page_number for page in again.pages] == [1, 3, 5]
    assert [page.page_number for page in client.iter_pages(job.job_id)] == [1, 3, 5]


def test_process_many_cuts_every_pdf(client: Any, five_pages: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.pdf"
    other.write_bytes(make_pdf(["a", "b", "c"]))
    items = list(client.process_many([five_pages, other], pages="1-2", **FAST))
    assert sorted(tuple(p.text for p in item.result.pages) for item in items) == [
        ("Page one", "Page two"),
        ("a", "b"),
    ]
    assert all(item.estimated_credits == item.credits == 2 for item in items)


@pytest.mark.parametrize(
    ("source", "pages", "message"),
    [
        ("five", "6", "6 beyond the 5 pages"),
        ("five", "2-9", "6-9 beyond the 5 pages"),
        ("png", "1", "drop pages= for an image"),
        ("url", "1", "this source is a URL"),
        ("five", "0", "not a range of pages from 1 up"),
        ("five", "1,,2", "not a page selection"),
        ("five", [0], "1-based page numbers"),
        ("five", "", "pages is empty"),
    ],
)
def test_bad_selections_are_refused_before_any_request(
    client: Any,
    emu: LeapOCREmulator,
    five_pages: Path,
    source: str,
    pages: Any,
    message: str,
) -> None:
    chosen: Any = {
        "five": five_pages,
        "png": _png(),
        "url": "https://example.com/a.pdf",
    }[source]
    with pytest.raises(ValidationError, match=message):
        client.process(chosen, pages=pages, **FAST)
    assert emu.requests == []


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_selections_read_and_print() -> None:
    assert check_pages("1-3,7") == (1, 2, 3, 7)
    assert check_pages(" 4 , 2-3 ,2") == (2, 3, 4)
    assert check_pages([3, 1]) == (1, 3)
    assert check_pages(None) is None
    assert describe((1, 2, 3, 7, 9, 10)) == "1-3,7,9-10"
    for bad in ("a", "3-1", [True], 5, b"1"):
        with pytest.raises(ValidationError):
            check_pages(bad)


def test_without_the_pdf_extra_pages_names_the_extra(five_pages: Path) -> None:
    code = (
        "import sys; sys.modules['pypdf'] = None\n"
        "from leapocr_sdk import LeapOCR, ValidationError\n"
        "client = LeapOCR(api_key='k', base_url='http://127.0.0.1:9/api/v1', max_retries=0)\n"
        "try:\n"
        f"    client.process({str(five_pages)!r}, pages='1')\n"
        "except ValidationError as error:\n"
        "    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'leapocr-sdk[pdf]'" in out.stdout  # before any request (port 9)


def test_memory_stays_bounded_while_cutting_a_large_pdf(tmp_path: Path) -> None:
    """The cut reads the PDF through ranged reads and writes a temporary file: a 64 MiB
    document (most of it one large object) is never held."""
    path = tmp_path / "large.pdf"
    path.write_bytes(make_pdf(FIVE, pad_to=64 * 1024 * 1024))
    tracemalloc.start()
    try:
        with open_source(path, None) as source, cut(source, (2, 4)) as selected:
            size = selected.size
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size < 64 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while cutting a 64 MiB PDF"


def test_a_damaged_pdf_is_refused_by_pages_and_not_counted(
    client: Any, emu: LeapOCREmulator, tmp_path: Path
) -> None:
    """A file that starts like a PDF but is cut short: pages= says so before any request,
    and a batch's estimate leaves it unknown instead of failing the batch."""
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(make_pdf(FIVE)[:200])
    with pytest.raises(ValidationError, match=r"cannot read the pages of 'damaged\.pdf'"):
        client.process(damaged, pages="1")
    assert emu.requests == []
    from leapocr_sdk._pricing import count_pages

    with open_source(damaged, None) as source:
        assert count_pages(source) is None
    (item,) = client.process_many([damaged], max_credits=100, **FAST)
    assert item.estimated_credits is None and item.job_id is not None  # sent, counted later
