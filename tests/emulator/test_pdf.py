"""make_pdf writes valid PDFs whose text pypdf reads back exactly."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from leapocr_sdk.testing import make_pdf

ROOT = Path(__file__).resolve().parents[2]


def read(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data), strict=True).pages]


def test_pages_round_trip_line_by_line() -> None:
    pages = [
        "Invoice Number: INV-2026-0042\nDate: 2026-11-02\nTotal (incl. tax): $1,234.56",
        "Back\\slash and (parentheses) survive\n  leading spaces\ntrailing spaces  ",
        "Caf\u00e9 r\u00e9sum\u00e9 \u20ac 100% \u201cquoted\u201d",
        "\n".join(f"line {n}" for n in range(80)),  # runs past the bottom of the page
        "",
    ]
    assert read(make_pdf(pages)) == pages


def test_blank_lines_are_not_reported_by_pypdf() -> None:
    assert read(make_pdf(["a\n\nb"])) == ["a\nb"]


def test_characters_outside_cp1252_become_question_marks() -> None:
    assert read(make_pdf(["\u4e2d x"])) == ["? x"]


line = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=60
).filter(lambda s: s.strip() != "")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(line, min_size=1, max_size=6), min_size=1, max_size=4))
def test_round_trip_property(pages: list[list[str]]) -> None:
    texts = ["\n".join(lines) for lines in pages]
    assert read(make_pdf(texts)) == texts


def test_pad_to_gives_a_valid_pdf_of_exactly_that_size() -> None:
    for size in (1, 2000, 65_536, 1_000_003, 12 * 1024 * 1024):
        data = make_pdf(["padded", "two"], pad_to=size)
        assert len(data) == max(size, len(make_pdf(["padded", "two"])))
        assert read(data) == ["padded", "two"]
        assert data.startswith(b"%PDF-1.4") and data.endswith(b"%%EOF\n")


def test_empty_document_has_no_pages() -> None:
    assert read(make_pdf([])) == []


def test_sample_invoice_is_generated_and_small(tmp_path: Path) -> None:
    committed = ROOT / "leapocr_sdk" / "testing" / "data" / "sample-invoice.pdf"
    output = tmp_path / "sample.pdf"
    script = ROOT / "scripts" / "make_sample_pdf.py"
    subprocess.run([sys.executable, str(script), str(output)], check=True, capture_output=True)
    assert output.read_bytes() == committed.read_bytes()
    assert len(committed.read_bytes()) < 10_000
    pages = read(committed.read_bytes())
    assert len(pages) == 3
    assert "Invoice Number: INV-2026-0042" in pages[0].splitlines()
    assert "Date: 2026-11-02" in pages[0].splitlines()
    assert "Total Amount: 1234.56" in pages[1].splitlines()
    assert any(line.startswith("Vendor: ") for line in pages[0].splitlines())
