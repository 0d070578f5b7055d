"""A tiny pure-Python PDF writer for tests, demos and benchmarks.

``make_pdf(["line 1\\nline 2", "page two"])`` returns a valid PDF with one page per
string, set in Helvetica, whose text ``pypdf`` extracts back exactly, line by line. A line
that starts with ``# `` is a heading: set at 18 pt, without the ``# `` (the emulator's
bounding boxes call it a ``heading``).
Characters outside Windows-1252 become ``?``; blank lines are kept in the PDF but
``pypdf`` does not report them (``"a\\n\\nb"`` reads back as ``"a\\nb"``).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["make_pdf"]

_PAGE_WIDTH = 612  # US Letter, in points
_PAGE_HEIGHT = 792
_FONT_SIZE = 11
_LEADING = 14
_HEADING_SIZE = 18
_HEADING_LEADING = 24
_HEADING_PREFIX = "# "
_MARGIN = 72


def _pdf_string(text: str) -> bytes:
    """Encode ``text`` as a PDF literal string body (without the parentheses)."""
    raw = text.encode("cp1252", errors="replace")
    out = bytearray()
    for byte in raw:
        if byte in b"()\\":
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    return bytes(out)


def _content_stream(text: str) -> bytes:
    lines = text.split("\n") if text else []
    ops = [
        b"BT",
        b"/F1 %d Tf" % _FONT_SIZE,
        b"%d TL" % _LEADING,
        b"%d %d Td" % (_MARGIN, _PAGE_HEIGHT - _MARGIN),
    ]
    previous_heading = False
    for index, line in enumerate(lines):
        heading = line.startswith(_HEADING_PREFIX)
        if index and (heading or previous_heading):
            ops.append(b"0 -%d Td" % _HEADING_LEADING)
        elif index:
            ops.append(b"T*")
        if heading:
            line = line[len(_HEADING_PREFIX) :]
            ops.append(b"/F1 %d Tf" % _HEADING_SIZE)
        elif previous_heading:
            ops.append(b"/F1 %d Tf" % _FONT_SIZE)
        ops.append(b"(" + _pdf_string(line) + b") Tj")
        previous_heading = heading
    ops.append(b"ET")
    return b"\n".join(ops) + b"\n"


def _stream_object(data: bytes) -> list[bytes]:
    return [b"<< /Length %d >>\nstream\n" % len(data), data, b"\nendstream"]


def _assemble(objects: list[list[bytes]]) -> bytes:
    """Lay out numbered objects (1..n, object 1 is the catalog) with a correct xref."""
    chunks: list[bytes] = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
    size = len(chunks[0])
    offsets: list[int] = []
    for number, parts in enumerate(objects, start=1):
        offsets.append(size)
        for chunk in [b"%d 0 obj\n" % number, *parts, b"\nendobj\n"]:
            chunks.append(chunk)
            size += len(chunk)
    xref = [b"xref\n0 %d\n" % (len(objects) + 1), b"0000000000 65535 f \n"]
    xref += [b"%010d 00000 n \n" % offset for offset in offsets]
    xref.append(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    xref.append(b"startxref\n%d\n%%%%EOF\n" % size)
    return b"".join(chunks + xref)


def _padded_size(objects: list[list[bytes]], filler_size: int) -> int:
    """The size ``_assemble`` would return with a padding stream of ``filler_size`` bytes."""
    small = _assemble([*objects, _stream_object(b"")])
    extra_digits = len(str(filler_size)) - 1  # in /Length
    base = len(small) + filler_size + extra_digits
    startxref_digits = len(str(base)) - len(str(len(small)))
    return base + max(0, startxref_digits)


def make_pdf(pages: Sequence[str], *, pad_to: int | None = None) -> bytes:
    """A PDF with one page per item of ``pages``, whose text the emulator reads back.

    Args:
        pages: one string per page (lines separated by ``\\n``).
        pad_to: make the file at least this many bytes long (an unreferenced stream of
            spaces), so large upload fixtures stay valid PDFs and cost little to build.

    Returns:
        The PDF's bytes.

    Raises:
        TypeError: ``pages`` is a single string.

    Example:
        ```python
        make_pdf(["Invoice Number: INV-1", "page two"], pad_to=60 * 1024 * 1024)
        ```
    """
    if isinstance(pages, str):
        raise TypeError("pages must be a sequence of strings, one per page")
    page_count = len(pages)
    font_number = 3
    first_page_number = 4
    page_numbers = [first_page_number + 2 * i for i in range(page_count)]
    kids = b" ".join(b"%d 0 R" % n for n in page_numbers)
    objects: list[list[bytes]] = [
        [b"<< /Type /Catalog /Pages 2 0 R >>"],
        [b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, page_count)],
        [b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"],
    ]
    for number, text in zip(page_numbers, pages, strict=True):
        objects.append(
            [
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (_PAGE_WIDTH, _PAGE_HEIGHT, font_number, number + 1)
            ]
        )
        objects.append(_stream_object(_content_stream(text)))
    document = _assemble(objects)
    if pad_to is None or len(document) >= pad_to:
        return document
    filler_size = pad_to - len(document)
    while _padded_size(objects, filler_size) > pad_to and filler_size > 0:
        filler_size -= max(1, _padded_size(objects, filler_size) - pad_to)
    while _padded_size(objects, filler_size) < pad_to:
        filler_size += 1
    return _assemble([*objects, _stream_object(b" " * filler_size)])
