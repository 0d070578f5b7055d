"""What the integrations share: a result as documents, and a batch item's outcome.

Pure functions of public types (``JobResult``, ``PageResult``, ``BatchItem``); the one
exception is the fetch of a result a journal shows as done in an earlier run (no credit:
the job is finished), written once for both clients. Also the small pieces both of an
integration's blocking and async methods use: a client the caller gave or one made for
the call (``scoped_client``), and a call's result or its ``LeapOCRError``.
"""

from __future__ import annotations

import importlib
import json
import os
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import nullcontext
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..errors import LeapOCRError, ValidationError

if TYPE_CHECKING:
    from .. import BatchItem
    from ..types import JobResult, PageResult

Mode = Literal["page", "single"]
OnError = Literal["raise", "skip"]
MODES: tuple[str, ...] = ("page", "single")
ON_ERROR: tuple[str, ...] = ("raise", "skip")

T = TypeVar("T")
Client = TypeVar("Client")


def require(module: str, extra: str) -> ModuleType:
    """Import a framework, or say which extra installs it.

    Raises:
        ModuleNotFoundError: the framework is missing; the message names the extra.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"{module} is not installed: pip install 'leapocr-sdk[{extra}]'", name=exc.name
        ) from exc


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else a ``ValidationError`` naming them."""
    if not isinstance(value, str) or value not in choices:
        shown = " or ".join(repr(choice) for choice in choices)
        raise ValidationError(f"{name} must be {shown}, got {value!r}")
    return value


def source_name(source: object, result: JobResult | None = None) -> str:
    """How a source is named in metadata: its path or URL, a file object's name, or the
    job's file name (for ``bytes``)."""
    if isinstance(source, str | os.PathLike):
        return str(os.fspath(source))
    name = getattr(source, "name", None)
    if isinstance(name, str):
        return name
    if result is not None and result.file_name:
        return result.file_name
    return f"<{type(source).__name__}>"


def page_content(page: PageResult, result: JobResult) -> str:
    """A page's markdown, or the JSON of its structured data (the document's if the page
    has none)."""
    if page.text is not None:
        return page.text
    data = page.data if page.data is not None else result.data
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def document_content(result: JobResult) -> str:
    """The whole document: its pages' markdown joined, or the JSON of its ``data``."""
    if any(page.text is not None for page in result.pages):
        return result.markdown
    return json.dumps(result.data, ensure_ascii=False, sort_keys=True)


def mean_confidence(result: JobResult) -> float | None:
    """The mean of the pages' confidences (None if no page has one)."""
    scores = [page.confidence for page in result.pages if page.confidence is not None]
    return sum(scores) / len(scores) if scores else None


def metadata(source: object, result: JobResult) -> dict[str, Any]:
    """The metadata every document of ``result`` carries."""
    return {
        "source": source_name(source, result),
        "total_pages": result.total_pages if result.total_pages is not None else len(result.pages),
        "job_id": result.job_id,
        "model": result.model,
        "credits_used": result.credits_used,
    }


def documents(source: object, result: JobResult, mode: str) -> list[tuple[str, dict[str, Any]]]:
    """``(content, metadata)`` per page (``mode="page"``) or one for the document
    (``"single"``)."""
    common = metadata(source, result)
    if mode == "single":
        return [(document_content(result), {**common, "confidence": mean_confidence(result)})]
    return [
        (
            page_content(page, result),
            {**common, "page_number": page.page_number, "confidence": page.confidence},
        )
        for page in result.pages
    ]


def failed(item: BatchItem, error: LeapOCRError, on_error: str) -> None:
    """Raise a failed source's error (``on_error="raise"``) or warn and go on.

    Called by a loader's ``_documents``, itself called by the loader's (async)
    generator: the warning names the line that asked the generator for documents.
    """
    name = source_name(item.source)
    if on_error == "raise":
        error.add_note(f"source: {name}")
        raise error
    warnings.warn(f"LeapOCR skipped {name}: {error}", UserWarning, stacklevel=4)


def to_fetch(item: BatchItem) -> str | None:
    """The job whose result must be read again: a journal shows its source done in an
    earlier run (reading a finished job's result costs no credit)."""
    if item.error is None and item.result is None and item.skipped and item.job_id:
        return item.job_id
    return None


def outcome(
    item: BatchItem, fetched: JobResult | LeapOCRError | None = None
) -> JobResult | LeapOCRError:
    """A batch item's result or error; ``fetched``: what reading ``to_fetch(item)`` gave."""
    if item.error is not None:
        return item.error
    if item.result is not None:
        return item.result
    if isinstance(fetched, LeapOCRError):
        fetched.add_note(
            f"a journal shows {source_name(item.source)} done in an earlier run, but its "
            "result could not be read again (a job deleted with delete=True is gone)"
        )
    if fetched is not None:
        return fetched
    return ValidationError(f"{source_name(item.source)}: the batch gave no result")


def scoped_client(
    client: Client | None, make: Callable[[], Client]
) -> nullcontext[Client] | Client:
    """For ``with`` / ``async with``: the caller's ``client``, used as is and left open,
    or a new one from ``make``, closed when the block ends."""
    return nullcontext(client) if client is not None else make()


def result_or_error(call: Callable[..., T], *args: Any) -> T | LeapOCRError:
    """``call(*args)``, or the ``LeapOCRError`` it raised."""
    try:
        return call(*args)
    except LeapOCRError as exc:
        return exc


async def aresult_or_error(awaitable: Awaitable[T]) -> T | LeapOCRError:
    """``await awaitable``, or the ``LeapOCRError`` it raised."""
    try:
        return await awaitable
    except LeapOCRError as exc:
        return exc


def close(items: Iterator[Any]) -> None:
    """Close a batch the consumer stopped early (a raise, a break): it stops and cleans up
    now, not whenever garbage is collected."""
    closer = getattr(items, "close", None)
    if closer is not None:
        closer()


async def aclose(items: AsyncIterator[Any]) -> None:
    """``close`` for an async batch (async generators are not closed by reference counting)."""
    closer = getattr(items, "aclose", None)
    if closer is not None:
        await closer()
