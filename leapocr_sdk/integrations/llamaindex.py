"""LlamaIndex: ``LeapOCRReader``, a file reader (``pip install 'leapocr-sdk[llamaindex]'``).

```python
from llama_index.core import SimpleDirectoryReader
from leapocr_sdk.integrations.llamaindex import LeapOCRReader

reader = LeapOCRReader()
docs = SimpleDirectoryReader("scans", file_extractor={".pdf": reader, ".png": reader}).load_data()
```
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from ._documents import aclose, close, documents, outcome, require, scoped_client

require("llama_index.core", "llamaindex")

from llama_index.core.readers.base import BaseReader  # noqa: E402
from llama_index.core.schema import Document  # noqa: E402

from .. import AsyncLeapOCR, LeapOCR  # noqa: E402
from ..errors import ConfigurationError, LeapOCRError  # noqa: E402

if TYPE_CHECKING:
    from ..types import JobResult

__all__ = ["LeapOCRReader"]


class LeapOCRReader(BaseReader):
    """Read a document (PDF or image, a path or an ``http(s)`` URL) through LeapOCR.

    One ``Document`` per page: ``text`` is the page's markdown, or the JSON of the
    structured ``data``; ``metadata`` has ``source``, ``page_number``, ``total_pages``,
    ``job_id``, ``model``, ``credits_used``, ``confidence``, plus the ``extra_info``
    given (``SimpleDirectoryReader`` passes the file's name, type, size and dates).

    Args:
        client: a ``LeapOCR`` (for ``load_data``) or an ``AsyncLeapOCR`` (for
            ``aload_data``), used as is and not closed; by default each call makes a
            client from ``LEAPOCR_API_KEY`` / ``LEAPOCR_BASE_URL`` and closes it.
        **options: the options of ``process`` (``model``, ``schema``, ``output_type``,
            ``delete``, ``poll_interval``, ``timeout``, ...).

    Example:
        ```python
        docs = LeapOCRReader(model="pro-v2").load_data("invoice.pdf")
        print(docs[0].metadata["page_number"], docs[0].text[:80])
        ```
    """

    def __init__(self, *, client: LeapOCR | AsyncLeapOCR | None = None, **options: Any) -> None:
        if client is not None and not isinstance(client, LeapOCR | AsyncLeapOCR):
            raise ConfigurationError(
                f"client must be a LeapOCR or an AsyncLeapOCR, got {type(client).__name__}"
            )
        self._client = client
        self._options = options

    def _documents(
        self, source: object, result: JobResult | LeapOCRError, extra_info: dict[str, Any] | None
    ) -> list[Document]:
        if isinstance(result, LeapOCRError):
            result.add_note(f"source: {source}")
            raise result
        return [
            Document(text=content, metadata={**(extra_info or {}), **meta})
            for content, meta in documents(source, result, "page")
        ]

    def load_data(
        self, file_path: str | os.PathLike[str], extra_info: dict[str, Any] | None = None
    ) -> list[Document]:
        """Process one document and return its pages.

        Args:
            file_path: a path or an ``http(s)`` URL.
            extra_info: metadata added to every page's ``Document``.

        Returns:
            One ``Document`` per page, in page order.

        Raises:
            LeapOCRError: the document could not be processed (``JobFailedError``,
                ``ValidationError`` for a missing file, ...).
            ConfigurationError: ``client`` is an ``AsyncLeapOCR`` (use ``aload_data``).
        """
        if isinstance(self._client, AsyncLeapOCR):
            raise ConfigurationError(
                "this reader holds an AsyncLeapOCR: use aload_data(), or pass a LeapOCR"
            )
        source = os.fspath(file_path)
        with scoped_client(self._client, LeapOCR) as client:
            items = client.process_many([source], concurrency=1, **self._options)
            try:
                (item,) = items  # no journal: one item, never a skipped one
            finally:
                close(items)
        return self._documents(source, outcome(item), extra_info)

    async def aload_data(
        self, file_path: str | os.PathLike[str], extra_info: dict[str, Any] | None = None
    ) -> list[Document]:
        """``load_data`` with ``AsyncLeapOCR`` (a blocking ``client`` runs in a thread).

        Args:
            file_path: a path or an ``http(s)`` URL.
            extra_info: metadata added to every page's ``Document``.

        Returns:
            One ``Document`` per page, in page order.

        Raises:
            LeapOCRError: the document could not be processed.
        """
        if isinstance(self._client, LeapOCR):
            return await asyncio.to_thread(self.load_data, file_path, extra_info)
        source = os.fspath(file_path)
        async with scoped_client(self._client, AsyncLeapOCR) as client:
            items = client.process_many([source], concurrency=1, **self._options)
            try:
                got = [item async for item in items]
            finally:
                await aclose(items)
        return self._documents(source, outcome(got[0]), extra_info)
