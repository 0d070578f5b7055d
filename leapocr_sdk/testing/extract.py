"""Page text and field extraction for the emulator.

The emulator does **not** do OCR: it reads the text embedded in a PDF (with ``pypdf``),
and fills structured results from ``Key: value`` lines of that text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["DocumentError", "extract_fields", "extract_pages", "key_values"]

_LINE = re.compile(r"^\s*(?P<key>[^:\n]{1,120}?)\s*:\s*(?P<value>.*?)\s*$")
_NUMBER_JUNK = re.compile(r"[\s,$€£¥]")


class DocumentError(Exception):
    """The document is not a readable PDF; the message becomes the job's error_message."""


def extract_pages(data: bytes) -> list[str]:
    """Return the embedded text of every page of the PDF in ``data``."""
    if b"%PDF-" not in data[:1024]:
        raise DocumentError("The file is not a PDF document")
    try:
        from pypdf import PdfReader  # imported lazily: an optional dependency

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("The PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on broken files
        raise DocumentError(f"The PDF could not be read: {exc}") from exc
    if not pages:
        raise DocumentError("The PDF has no pages")
    return pages


def _normalise_key(key: str) -> str:
    return " ".join(key.replace("_", " ").replace("-", " ").lower().split())


def key_values(text: str) -> dict[str, str]:
    """``Key: value`` lines of ``text`` as ``{"key": "value"}`` (snake_case keys, first wins)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match and match["value"]:
            found.setdefault(_normalise_key(match["key"]).replace(" ", "_"), match["value"])
    return found


def _types(prop: Any) -> list[str]:
    kind = prop.get("type") if isinstance(prop, Mapping) else None
    if isinstance(kind, str):
        return [kind]
    if isinstance(kind, list):
        return [k for k in kind if isinstance(k, str)]
    return []


def _cast(value: str, kinds: list[str]) -> Any:
    """Cast ``value`` to the first JSON type of ``kinds`` it parses as; None if none fits."""
    if not kinds or "string" in kinds:
        return value
    for kind in kinds:
        if kind == "boolean" and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        if kind in ("number", "integer"):
            try:
                number = float(_NUMBER_JUNK.sub("", value))
            except ValueError:
                continue
            if kind == "number":
                return number
            if number.is_integer():
                return int(number)
    return None


def extract_fields(text: str, schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """Fill the schema's top-level ``properties`` from ``Key: value`` lines of ``text``.

    A property matches a line case-insensitively with ``_`` and ``-`` read as spaces
    (``invoice_number`` matches ``Invoice Number: INV-1``); unmatched properties are
    null. Values are cast to number / integer / boolean when the property's type says
    so and the text parses (null when it doesn't). Without a schema (or without
    ``properties``) every ``Key: value`` line of the page is returned.
    """
    pairs = key_values(text)
    properties = schema.get("properties") if schema else None
    if not isinstance(properties, Mapping):
        return dict(pairs)
    result: dict[str, Any] = {}
    for name, prop in properties.items():
        raw = pairs.get(_normalise_key(str(name)).replace(" ", "_"))
        result[str(name)] = None if raw is None else _cast(raw, _types(prop))
    return result
