"""pandas: results as DataFrames (``pip install 'leapocr-sdk[pandas]'``).

- ``to_dataframe(items)``: one row per document, for ``JobResult``s or ``BatchItem``s.
- ``JobResult.to_pandas()``: one row per page of a result.

```python
from leapocr_sdk.integrations.pandas import to_dataframe

frame = to_dataframe(client.process_many(paths, schema=schema))
```
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ._documents import require, source_name

require("pandas", "pandas")

import pandas as pd  # noqa: E402

from .. import BatchItem  # noqa: E402
from ..types import JobResult  # noqa: E402

if TYPE_CHECKING:
    from ..errors import LeapOCRError

__all__ = ["DOCUMENT_COLUMNS", "PAGE_COLUMNS", "to_dataframe"]

PAGE_COLUMNS = ("page_number", "text", "confidence", "width", "height", "has_bounding_boxes")
"""The columns of ``JobResult.to_pandas()``, one row per page."""

DOCUMENT_COLUMNS = ("source", "job_id", "status", "pages", "credits", "error")
"""The first columns of ``to_dataframe``; the structured ``data`` follows as ``data.*``."""


def to_dataframe(items: Iterable[JobResult | BatchItem]) -> pd.DataFrame:
    """One row per document: ``source``, ``job_id``, ``status``, ``pages``, ``credits``,
    ``error``, then the structured ``data`` flattened into ``data.<field>`` columns
    (nested objects as ``data.<field>.<sub>``; lists stay values).

    ``status`` is the job's (``completed``, ``partially_done``), ``failed`` for a source
    that failed, ``skipped`` for one a journal shows done in an earlier run. ``error`` is
    the error's message (None when it succeeded); ``credits`` is what this run spent.

    Args:
        items: ``JobResult``s, or the ``BatchItem``s of ``process_many`` (any iterable,
            e.g. the batch itself).

    Returns:
        A ``pandas.DataFrame``, rows in the order given.

    Raises:
        ValidationError: an item is neither a ``JobResult`` nor a ``BatchItem``.

    Example:
        ```python
        frame = to_dataframe(client.process_many(["a.pdf", "b.pdf"]))
        print(frame[["source", "status", "credits"]])
        ```
    """
    rows = [_row(item) for item in items]
    data_columns: dict[str, None] = {}
    for row in rows:
        data_columns.update(dict.fromkeys(key for key in row if key.startswith("data.")))
    return pd.DataFrame(rows, columns=[*DOCUMENT_COLUMNS, *data_columns])


def page_frame(result: JobResult[Any]) -> pd.DataFrame:
    """``JobResult.to_pandas()``: one row per page."""
    rows = [
        {
            "page_number": page.page_number,
            "text": page.text,
            "confidence": page.confidence,
            "width": page.dimensions.width if page.dimensions else None,
            "height": page.dimensions.height if page.dimensions else None,
            "has_bounding_boxes": page.has_bounding_boxes,
        }
        for page in result.pages
    ]
    return pd.DataFrame(rows, columns=list(PAGE_COLUMNS))


def _row(item: object) -> dict[str, Any]:
    if isinstance(item, JobResult):
        return _document(item.file_name or item.job_id, item.job_id, item, None, None)
    if isinstance(item, BatchItem):
        return _document(
            source_name(item.source, item.result), item.job_id, item.result, item.error, item
        )
    from ..errors import ValidationError

    raise ValidationError(
        f"to_dataframe takes JobResults or BatchItems, got a {type(item).__name__}"
    )


def _document(
    source: str,
    job_id: str | None,
    result: JobResult | None,
    error: LeapOCRError | None,
    item: BatchItem | None,
) -> dict[str, Any]:
    status: str | None = None
    if result is not None:
        status = result.status.value
    elif error is not None:
        status = "failed"
    elif item is not None and item.skipped:
        status = "skipped"
    row: dict[str, Any] = {
        "source": source,
        "job_id": job_id,
        "status": status,
        "pages": len(result.pages) if result is not None else 0,
        "credits": item.credits if item is not None else (result.credits_used if result else 0),
        "error": str(error) if error is not None else None,
    }
    if result is not None and result.data is not None:
        row.update(_flatten(result.data, "data"))
    return row


def _flatten(data: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}.{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, name))
        else:
            flat[name] = value
    return flat
