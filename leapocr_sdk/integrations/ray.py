"""Ray: ``LeapOCRMapper`` for ``ray.data`` (``pip install 'leapocr-sdk[ray]'``).

```python
import ray
from leapocr_sdk.integrations.ray import LeapOCRMapper

ds = ray.data.from_items([{"source": str(path)} for path in paths])
out = ds.map_batches(LeapOCRMapper, concurrency=4, batch_size=16,
                     fn_constructor_kwargs={"actors": 4, "submit_rate": 8})
```

The mapper itself imports nothing of Ray: it is a callable class taking a batch of
columns (``dict`` of arrays or lists, Ray's ``numpy`` batch format) and returning one.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Mapping
from typing import Any

from .. import LeapOCR
from ..errors import ValidationError
from ._documents import source_name

__all__ = ["OUTPUT_COLUMNS", "LeapOCRMapper"]

OUTPUT_COLUMNS = ("source", "job_id", "status", "markdown", "data_json", "credits", "error")
"""The columns ``LeapOCRMapper`` returns, one row per source, all Arrow-friendly."""


class LeapOCRMapper:
    """A callable class for ``Dataset.map_batches``: one client per actor,
    ``process_many`` over each batch.

    Pass the class itself (Ray makes one instance per actor) with
    ``fn_constructor_kwargs``. Each actor makes its client from ``LEAPOCR_API_KEY`` /
    ``LEAPOCR_BASE_URL`` (set them in the workers' environment, e.g. Ray's
    ``runtime_env={"env_vars": ...}``) or from ``api_key`` / ``base_url``.

    Rows come back in the batch's order with the columns ``source``, ``job_id``,
    ``status`` (the job's, or ``failed``), ``markdown`` (None for structured output),
    ``data_json`` (the structured ``data`` as JSON, else None), ``credits`` and
    ``error`` (the message, None when it succeeded). A failed source is a row, never a
    failed Ray task.

    Args:
        source_column: the input column holding paths, ``http(s)`` URLs or ``bytes``.
        concurrency: documents in flight per actor.
        submit_rate: job creations per second for the whole dataset; each of the
            ``actors`` takes its share (``submit_rate / actors``).
        actors: how many actors ``map_batches`` runs (its ``concurrency``).
        api_key: the API key (default: ``LEAPOCR_API_KEY``).
        base_url: the API root (default: ``LEAPOCR_BASE_URL``, else the service's).
        **options: the options of ``process_many`` (``model``, ``schema``, ``delete``,
            ``max_credits`` per actor, ``poll_interval``, ...).

    Raises:
        ValidationError: a bad ``actors``, ``submit_rate`` or ``source_column``.
        ConfigurationError: no API key.

    Example:
        ```python
        out = ds.map_batches(LeapOCRMapper, concurrency=2, batch_size=8,
                             fn_constructor_kwargs={"actors": 2, "model": "pro-v2"})
        ```
    """

    def __init__(
        self,
        *,
        source_column: str = "source",
        concurrency: int = 8,
        submit_rate: float | None = None,
        actors: int = 1,
        api_key: str | None = None,
        base_url: str | None = None,
        **options: Any,
    ) -> None:
        if not isinstance(source_column, str) or not source_column:
            raise ValidationError(f"source_column must be a column name, got {source_column!r}")
        if isinstance(actors, bool) or not isinstance(actors, int) or actors < 1:
            raise ValidationError(f"actors must be a whole number >= 1, got {actors!r}")
        if submit_rate is not None and (
            isinstance(submit_rate, bool)
            or not isinstance(submit_rate, int | float)
            or not submit_rate > 0
        ):
            raise ValidationError(f"submit_rate must be a number > 0 or None, got {submit_rate!r}")
        self._column = source_column
        self._concurrency = concurrency
        self._submit_rate = submit_rate / actors if submit_rate is not None else None
        self._options = options
        self._client = LeapOCR(api_key, base_url=base_url)

    @property
    def submit_rate(self) -> float | None:
        """This actor's share of the dataset's ``submit_rate`` (None: no cap)."""
        return self._submit_rate

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, list[Any]]:
        """Process one batch of sources.

        Args:
            batch: columns by name (Ray's ``numpy`` or ``pandas`` batch format); only
                ``source_column`` is read.

        Returns:
            The ``OUTPUT_COLUMNS`` as lists, one row per source, in the batch's order.

        Raises:
            ValidationError: the batch has no ``source_column``.
        """
        if self._column not in batch:
            raise ValidationError(
                f"the batch has no column {self._column!r} (columns: {sorted(batch)}): "
                "pass source_column= in fn_constructor_kwargs"
            )
        sources = [_plain(value) for value in batch[self._column]]
        positions: dict[tuple[type, object], collections.deque[int]] = collections.defaultdict(
            collections.deque
        )
        for index, source in enumerate(sources):
            positions[_key(source)].append(index)
        rows: list[dict[str, Any]] = [{} for _ in sources]
        items = self._client.process_many(
            sources, concurrency=self._concurrency, submit_rate=self._submit_rate, **self._options
        )
        for item in items:
            result = item.result
            rows[positions[_key(item.source)].popleft()] = {
                "source": source_name(item.source, result),
                "job_id": item.job_id,
                "status": result.status.value if result is not None else "failed",
                "markdown": (
                    result.markdown
                    if result is not None and any(p.text is not None for p in result.pages)
                    else None
                ),
                "data_json": (
                    json.dumps(result.data, ensure_ascii=False, sort_keys=True)
                    if result is not None and result.data is not None
                    else None
                ),
                "credits": item.credits,
                "error": str(item.error) if item.error is not None else None,
            }
        return {column: [row[column] for row in rows] for column in OUTPUT_COLUMNS}

    def close(self) -> None:
        """Close the actor's client (Ray drops the actor at the end of the dataset)."""
        self._client.close()

    def __del__(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()


def _plain(value: object) -> object:
    """A numpy string or bytes scalar as a plain ``str`` / ``bytes``."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return bytes(value)
    return value


def _key(source: object) -> tuple[type, object]:
    return (type(source), source if isinstance(source, str | bytes) else id(source))
