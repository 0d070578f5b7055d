"""What the ``leapocr`` command writes for a result, and under which file name.

Markdown results become one document with a ``<!-- page N -->`` marker before each
page; structured results become JSON: the document's object for ``structured``, a list
of ``{"page_number", "data"}`` for ``per_page_structured``. A result with bounding boxes
(``--extract-bounding-boxes``) is written whole as JSON (``JobResult.to_dict()``), since
neither markdown nor the document's object has room for them.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .._sources import is_url
from ..types import JobResult, OutputFormat

PAGE_MARKER = "<!-- page {number} -->"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Rendered:
    """A result ready to write: ``text`` for a file or stdout, ``value`` for a JSON event."""

    text: str
    extension: str  # ".md" or ".json"
    value: Any


def result_format(result: JobResult) -> OutputFormat:
    """The result's format as the service reports it, else guessed from its pages."""
    try:
        return OutputFormat(result.result_format or "")
    except ValueError:
        has_text = any(page.text is not None for page in result.pages)
        has_data = result.data is not None or any(page.data is not None for page in result.pages)
        return OutputFormat.MARKDOWN if has_text and not has_data else OutputFormat.STRUCTURED


def markdown_document(result: JobResult) -> str:
    """Every page's markdown, each after a ``<!-- page N -->`` marker line."""
    blocks = [
        f"{PAGE_MARKER.format(number=page.page_number)}\n{(page.text or '').strip()}\n"
        for page in result.pages
    ]
    return "\n".join(blocks)


def render(result: JobResult) -> Rendered:
    """The result as markdown (``.md``) or JSON (``.json``), by its format."""
    if any(page.bounding_boxes for page in result.pages):
        whole = result.to_dict()
        return Rendered(_json_text(whole), ".json", whole)
    match result_format(result):
        case OutputFormat.MARKDOWN:
            text = markdown_document(result)
            return Rendered(text, ".md", text)
        case OutputFormat.PER_PAGE_STRUCTURED:
            pages = [
                {"page_number": page.page_number, "data": _page_data(page.data, page.result)}
                for page in result.pages
            ]
            return Rendered(_json_text(pages), ".json", pages)
        case OutputFormat.STRUCTURED:
            return Rendered(_json_text(result.data), ".json", result.data)


def _page_data(data: dict[str, Any] | None, raw: Any) -> Any:
    return data if data is not None else raw


def _json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def source_stem(source: str) -> str:
    """A safe file stem for an input: the file name without its extension."""
    if is_url(source):
        name = posixpath.basename(unquote(urlsplit(source).path))
    else:
        name = Path(source).name
    stem = Path(name).stem if "." in name.strip(".") else name
    stem = _UNSAFE.sub("_", stem).strip("._")
    return stem or "document"


def unique_stems(sources: list[str]) -> list[str]:
    """One stem per input, ``-2``, ``-3``... added where two inputs share a name."""
    taken: set[str] = set()
    stems = []
    for source in sources:
        base = stem = source_stem(source)
        count = 1
        while stem.lower() in taken:  # case-insensitive file systems
            count += 1
            stem = f"{base}-{count}"
        taken.add(stem.lower())
        stems.append(stem)
    return stems


def write_output(directory: Path, stem: str, rendered: Rendered) -> Path:
    """Write ``rendered`` to ``directory/stem.ext`` atomically; returns the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}{rendered.extension}"
    fd, temp = tempfile.mkstemp(prefix=f".{stem}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(rendered.text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
