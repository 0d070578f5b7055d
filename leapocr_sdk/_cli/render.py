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
_REFUSED = re.compile(r'[\x00-\x1f<>:"/\\|?*]' if os.name == "nt" else r"[\x00/]")


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
    """An input's file name without its extension (kept as it is, see ``safe_name``)."""
    if is_url(source):
        name = posixpath.basename(unquote(urlsplit(source).path))
    else:
        name = Path(source).name
    return safe_name(Path(name).stem if "." in name.strip(".") else name)


def safe_name(name: str) -> str:
    """``name`` with only what the file system refuses in a file name replaced by ``_``.

    That is ``/`` and NUL (and, on Windows, ``<>:"\\|?*``, control characters and
    trailing dots or spaces); an empty name, ``.`` or ``..`` becomes ``document``.
    """
    name = _REFUSED.sub("_", name)
    if os.name == "nt":
        name = name.rstrip(". ")
    return name if name not in ("", ".", "..") else "document"


def output_parts(source: str, root: str | None = None) -> tuple[str, ...]:
    """Where an input's result goes under ``--out``: path parts, the last one without its
    extension.

    A file found in a directory argument ``root`` keeps its place in the tree
    (``root/sub/a.pdf``: ``("sub", "a")``); any other input is named by its file name
    (``x/report.pdf`` and ``https://host/report.pdf``: ``("report",)``).
    """
    if root is None:
        return (source_stem(source),)
    relative = Path(source).relative_to(root)
    return (*relative.parent.parts, source_stem(relative.name))


def shared_outputs(outputs: list[tuple[str, tuple[str, ...]]]) -> dict[str, list[str]]:
    """The outputs that several inputs would be written to: output -> its inputs.

    ``outputs`` holds (input, output parts) pairs. Names are compared ignoring case (as
    macOS and Windows file systems do), so a run is refused or accepted alike everywhere.
    """
    claims: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}
    for source, parts in outputs:
        claims.setdefault(tuple(part.casefold() for part in parts), []).append((source, parts))
    return {
        "/".join(claimants[0][1]): [source for source, _ in claimants]
        for claimants in claims.values()
        if len(claimants) > 1
    }


class ResultNotWritten(OSError):
    """A result could not be written to its file (a full disk, a permission, a name taken).

    Its job is kept (``--delete`` does not delete it) and a journal does not count it as
    done, so the result can still be fetched without paying again.
    """

    def __init__(self, path: Path, cause: OSError, job_id: str) -> None:
        super().__init__(cause.errno, cause.strerror)
        self.path = path
        self.job_id = job_id
        self.reason = cause.strerror or str(cause)
        self.hint = f"fetch it later with `leapocr result {job_id} --out DIR`"

    def __str__(self) -> str:
        return (
            f"cannot write the result of job {self.job_id} to {str(self.path)!r}: "
            f"{self.reason}; {self.hint}"
        )


def write_output(directory: Path, name: tuple[str, ...], rendered: Rendered, job_id: str) -> Path:
    """Write ``rendered`` to ``directory/<name>.ext`` completely, or not at all; its path.

    ``name`` is the output's path parts under ``directory`` (``output_parts``); missing
    folders are created.

    The text goes to a temporary file in the same directory, is flushed to the disk, then
    renamed over the final name, so the file is never seen half-written.

    Raises:
        ResultNotWritten: the directory or the file could not be written.
    """
    path = directory.joinpath(*name[:-1], name[-1] + rendered.extension)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ResultNotWritten(path, exc, job_id) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(rendered.text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ResultNotWritten(path, exc, job_id) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
