"""LangChain: ``LeapOCRLoader``, a document loader (``pip install 'leapocr-sdk[langchain]'``).

```python
from leapocr_sdk.integrations.langchain import LeapOCRLoader

docs = LeapOCRLoader(["invoice.pdf", "scans/a.pdf"], journal="ocr.sqlite").load()
```
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ._documents import (
    MODES,
    ON_ERROR,
    Mode,
    OnError,
    aclose,
    aresult_or_error,
    check_choice,
    close,
    documents,
    failed,
    outcome,
    require,
    result_or_error,
    scoped_client,
    to_fetch,
)

require("langchain_core", "langchain")

from langchain_core.document_loaders import BaseLoader  # noqa: E402
from langchain_core.documents import Document  # noqa: E402

from .. import AsyncLeapOCR, LeapOCR  # noqa: E402
from ..errors import ConfigurationError, LeapOCRError  # noqa: E402

if TYPE_CHECKING:
    from .. import BatchItem
    from ..journal import Journal
    from ..types import JobResult

__all__ = ["LeapOCRLoader"]


class LeapOCRLoader(BaseLoader):
    """Load documents (PDFs, images, URLs) as LangChain ``Document``s, through LeapOCR.

    Built on ``process_many``: ``concurrency`` documents in flight, in the order they
    finish. With a ``journal`` a loader run is resumable and never pays twice: run it
    again after a crash and the sources done before are read back (no credit), the
    submitted ones waited on.

    ``page_content`` is a page's markdown, or the JSON of the structured ``data`` (with a
    ``schema`` or ``output_type="structured"``). ``metadata``: ``source``,
    ``page_number`` (page mode), ``total_pages``, ``job_id``, ``model``,
    ``credits_used``, ``confidence`` (page mode: the page's; single mode: the mean).

    Args:
        sources: paths, ``http(s)`` URLs, ``bytes`` or binary file objects (an iterable,
            pulled lazily).
        mode: ``"page"``: one ``Document`` per page; ``"single"``: one per source, the
            pages joined by blank lines.
        client: a ``LeapOCR`` (for ``lazy_load``/``load``) or an ``AsyncLeapOCR`` (for
            ``alazy_load``/``aload``), used as is and not closed; by default a client is
            made from ``LEAPOCR_API_KEY`` / ``LEAPOCR_BASE_URL`` for each run.
        journal: a SQLite path or a ``Journal`` (see ``process_many``).
        concurrency: documents in flight at once.
        on_error: ``"raise"`` (default): a failed source raises its ``LeapOCRError``
            (documents in flight are stopped); ``"skip"``: warn and go on.
        **options: the options of ``process_many`` (``model``, ``schema``,
            ``output_type``, ``delete``, ``submit_rate``, ``max_credits``,
            ``poll_interval``, ...).

    Raises:
        ValidationError: a bad ``mode`` or ``on_error`` (at once); bad options when the
            first document is asked for (before any request).

    Example:
        ```python
        loader = LeapOCRLoader(["invoice.pdf"], mode="page", model="pro-v2")
        for doc in loader.lazy_load():
            print(doc.metadata["page_number"], doc.page_content[:80])
        ```
    """

    def __init__(
        self,
        sources: Iterable[Any],
        *,
        mode: Mode = "page",
        client: LeapOCR | AsyncLeapOCR | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        concurrency: int = 8,
        on_error: OnError = "raise",
        **options: Any,
    ) -> None:
        self._sources = sources
        self._mode = check_choice("mode", mode, MODES)
        self._on_error = check_choice("on_error", on_error, ON_ERROR)
        if client is not None and not isinstance(client, LeapOCR | AsyncLeapOCR):
            raise ConfigurationError(
                f"client must be a LeapOCR or an AsyncLeapOCR, got {type(client).__name__}"
            )
        self._client = client
        # What process_many is given, by the blocking and the async loader alike.
        self._batch_options: dict[str, Any] = {
            "concurrency": concurrency,
            "journal": journal,
            **options,
        }

    def _documents(self, item: BatchItem, result: JobResult | LeapOCRError) -> list[Document]:
        """One finished source's documents; for a failed one, raise or warn (``on_error``)."""
        if isinstance(result, LeapOCRError):
            failed(item, result, self._on_error)
            return []
        return [
            Document(page_content=content, metadata=meta)
            for content, meta in documents(item.source, result, self._mode)
        ]

    def lazy_load(self) -> Iterator[Document]:
        """Yield the documents as each source finishes (blocking client).

        Yields:
            ``Document``s: one per page (``mode="page"``) or per source.

        Raises:
            LeapOCRError: a source failed (``on_error="raise"``): ``JobFailedError``,
                ``UploadError``, ``ValidationError`` (a missing file), ...
            ConfigurationError: ``client`` is an ``AsyncLeapOCR`` (use ``alazy_load``).
        """
        if isinstance(self._client, AsyncLeapOCR):
            raise ConfigurationError(
                "this loader holds an AsyncLeapOCR: use alazy_load()/aload(), or pass a LeapOCR"
            )
        with scoped_client(self._client, LeapOCR) as client:
            items = client.process_many(self._sources, **self._batch_options)
            try:
                for item in items:
                    job_id = to_fetch(item)
                    fetched = None if job_id is None else result_or_error(client.get_result, job_id)
                    yield from self._documents(item, outcome(item, fetched))
            finally:
                close(items)

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Yield the documents as each source finishes (``AsyncLeapOCR``).

        With a blocking ``LeapOCR`` as ``client``, the blocking loader runs in a thread.

        Yields:
            ``Document``s: one per page (``mode="page"``) or per source.

        Raises:
            LeapOCRError: a source failed (``on_error="raise"``).
        """
        if isinstance(self._client, LeapOCR):
            iterator = self.lazy_load()
            try:
                while (doc := await asyncio.to_thread(next, iterator, None)) is not None:
                    yield doc
            finally:
                await asyncio.to_thread(close, iterator)  # the batch's clean-up may block
            return
        async with scoped_client(self._client, AsyncLeapOCR) as client:
            items = client.process_many(self._sources, **self._batch_options)
            try:
                async for item in items:
                    job_id = to_fetch(item)
                    fetched = (
                        None
                        if job_id is None
                        else await aresult_or_error(client.get_result(job_id))
                    )
                    for doc in self._documents(item, outcome(item, fetched)):
                        yield doc
            finally:
                await aclose(items)
