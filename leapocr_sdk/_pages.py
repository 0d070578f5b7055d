"""``pages=``: process only some pages of a local PDF.

The selection (``"1-3,7"`` or a sequence of 1-based page numbers) is checked before any
request; the PDF is cut to those pages with pypdf (the ``pdf`` extra) into a temporary
file, read through the source's ranged reads (a 1 GiB PDF is never held in memory), and
only the cut document is uploaded. The result's pages are renumbered back to the
original document's numbers.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
from collections.abc import Sequence
from typing import Any

import attrs

from ._sources import FileSource, _StreamSource
from .errors import ValidationError
from .types import JobResult, PageResult

PDF_EXTRA = "pip install 'leapocr-sdk[pdf]'"
_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")
MAX_SELECTED_PAGES = 100_000


def check_pages(value: object) -> tuple[int, ...] | None:
    """The selection as sorted, distinct 1-based page numbers (None: every page).

    Raises:
        ValidationError: not a ``"1-3,7"`` string nor a sequence of whole numbers >= 1.
    """
    if value is None:
        return None
    numbers: list[int] = []
    if isinstance(value, str):
        if not value.strip():
            raise ValidationError("pages is empty: pass None to process every page")
        for chunk in value.split(","):
            match = _RANGE.match(chunk)
            if match is None:
                raise ValidationError(
                    f"pages {value!r} is not a page selection: write page numbers and "
                    "ranges separated by commas, such as '1-3,7'"
                )
            first = int(match.group(1))
            last = int(match.group(2) or first)
            if first < 1 or last < first:
                raise ValidationError(
                    f"pages {value!r}: {chunk.strip()!r} is not a range of pages from 1 up"
                )
            if last - first >= MAX_SELECTED_PAGES:
                raise ValidationError(f"pages {value!r} selects too many pages")
            numbers.extend(range(first, last + 1))
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        for number in value:
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ValidationError(
                    f"pages must hold 1-based page numbers (whole numbers >= 1), got {number!r}"
                )
            numbers.append(number)
        if not numbers:
            raise ValidationError("pages is empty: pass None to process every page")
    else:
        raise ValidationError(
            f"pages must be a string such as '1-3,7' or a list of page numbers, got {value!r}"
        )
    selection = tuple(sorted(set(numbers)))
    if len(selection) > MAX_SELECTED_PAGES:
        raise ValidationError(f"pages selects {len(selection)} pages: at most 100,000")
    return selection


def describe(selection: Sequence[int]) -> str:
    """``(2, 3, 4, 7)`` as ``2-4,7``."""
    parts: list[str] = []
    start = prev = selection[0]
    for number in (*selection[1:], None):
        if number is not None and number == prev + 1:
            prev = number
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if number is not None:
            start = prev = number
    return ",".join(parts)


class _SourceReader(io.RawIOBase):
    """A seekable, read-only file over a ``FileSource``'s ranged reads."""

    def __init__(self, source: FileSource) -> None:
        self._source = source
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._source.size}
        self._position = max(0, base[whence] + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        length = min(len(view), self._source.size - self._position)
        if length <= 0:
            return 0
        data = self._source.read(self._position, length)
        view[: len(data)] = data
        self._position += len(data)
        return len(data)


def _pypdf(what: str) -> Any:
    try:
        import pypdf
    except ImportError:
        raise ImportError(what) from None
    return pypdf


def pdf_reader(source: FileSource) -> Any:
    """A ``pypdf.PdfReader`` over ``source`` (raises ImportError without pypdf).

    pypdf logs what it repairs; without logging configured, Python would print those
    warnings on stderr (where the command line writes JSON events): a ``NullHandler`` on
    its logger keeps them for applications that configure logging, as libraries should.
    """
    pypdf = _pypdf("pypdf")
    logger = logging.getLogger("pypdf")
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    stream = io.BufferedReader(_SourceReader(source), buffer_size=1 << 16)
    return pypdf.PdfReader(stream)


def cut(source: FileSource, selection: Sequence[int]) -> FileSource:
    """A new source holding only the ``selection`` pages of the PDF ``source``, written to
    a temporary file (removed when the new source is closed). ``source`` stays open.

    Raises:
        ValidationError: the source is not a PDF, pypdf is missing (naming the ``pdf``
            extra), the PDF cannot be read, or a page is out of range.
    """
    if source.content_type != "application/pdf":
        raise ValidationError(
            f"pages= selects pages of a PDF, and {source.name!r} is {source.content_type}: "
            "drop pages= for an image"
        )
    try:
        reader = pdf_reader(source)
        total = len(reader.pages)
    except ImportError:
        raise ValidationError(f"pages= needs pypdf, an optional extra: {PDF_EXTRA}") from None
    except Exception as exc:  # any pypdf failure reads as "cannot read"
        raise ValidationError(
            f"cannot read the pages of {source.name!r} to select some: {exc}. Drop pages= "
            "to send the whole document"
        ) from None
    beyond = [number for number in selection if number > total]
    if beyond:
        raise ValidationError(
            f"pages {describe(selection)}: {describe(beyond)} beyond the {total} pages of "
            f"{source.name!r}: choose pages from 1 to {total}"
        )
    import pypdf

    writer = pypdf.PdfWriter()
    for number in selection:
        writer.add_page(reader.pages[number - 1])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - owned and closed by the new source
    try:
        writer.write(spool)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    cut_source = _StreamSource(source.name, spool, size, owned=True)
    cut_source.content_type = source.content_type
    cut_source.reads_may_block = False
    return cut_source


def renumbered(result: JobResult[Any], selection: Sequence[int]) -> JobResult[Any]:
    """``result`` with page ``k`` of the cut document numbered ``selection[k - 1]``."""
    pages = tuple(renumbered_page(page, selection) for page in result.pages)
    return attrs.evolve(result, pages=pages)


def renumbered_page(page: PageResult, selection: Sequence[int]) -> PageResult:
    """Page ``k`` of the cut document numbered ``selection[k - 1]``."""
    if 1 <= page.page_number <= len(selection):
        return attrs.evolve(page, page_number=selection[page.page_number - 1])
    return page
