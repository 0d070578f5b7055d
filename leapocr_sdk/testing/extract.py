"""Page content and field extraction for the emulator.

The emulator does **not** do OCR. It reads the text embedded in a PDF (with ``pypdf``),
with each text line's position for bounding boxes; an image (PNG, JPEG, TIFF, WebP) is
one page without text, whose size comes from the image's header. Structured results are
filled from ``Key: value`` lines of that text.
"""

from __future__ import annotations

import io
import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .._contract import FILE_TYPES, SNIFF_BYTES, sniff_content_type

__all__ = [
    "IMAGE_PAGE_MARKER",
    "NOT_A_DOCUMENT",
    "BoundingBox",
    "DocumentError",
    "PageContent",
    "extract_fields",
    "key_values",
    "read_document",
]

# The markdown of an image page starts with this: the emulator reads no text from images.
IMAGE_PAGE_MARKER = "[image without embedded text]"
# Confidence of a page whose embedded text was read, and of a page without text.
TEXT_CONFIDENCE = 0.99
NO_TEXT_CONFIDENCE = 0.0
_IMAGE_LABELS = [kind.label for kind in FILE_TYPES if kind.content_type.startswith("image/")]
# The error_message of a job whose file is none of the accepted types.
NOT_A_DOCUMENT = (
    "The file is not a PDF document or a supported image "
    f"({', '.join(_IMAGE_LABELS[:-1])} or {_IMAGE_LABELS[-1]})"
)
# A line this much larger than the size most of the page's text is set in is a heading.
_HEADING_RATIO = 1.25
_CHAR_WIDTH = 0.5  # average glyph width, in font sizes (Helvetica is about 0.5)

_LINE = re.compile(r"^\s*(?P<key>[^:\n]{1,120}?)\s*:\s*(?P<value>.*?)\s*$")
_NUMBER_JUNK = re.compile(r"[\s,$€£¥]")


class DocumentError(Exception):
    """The document can't be read; the message becomes the job's error_message."""


@dataclass(frozen=True)
class BoundingBox:
    """One line of text on a page, in pixels from the top-left corner (1 px = 1 PDF point)."""

    x: int
    y: int
    width: int
    height: int
    text: str
    type: str  # "heading" or "paragraph"
    font_size: float

    def to_json(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"font_size": self.font_size}
        if self.type == "heading":
            metadata["level"] = 1
        return {
            "bounds": {"x": self.x, "y": self.y, "width": self.width, "height": self.height},
            "text": self.text,
            "type": self.type,
            "metadata": metadata,
        }


@dataclass(frozen=True)
class PageContent:
    """What the emulator reads from one page."""

    text: str
    width: int | None  # pixels; None when unknown
    height: int | None
    boxes: tuple[BoundingBox, ...]

    @property
    def confidence(self) -> float:
        return TEXT_CONFIDENCE if self.text.strip() and not self.is_image else NO_TEXT_CONFIDENCE

    @property
    def is_image(self) -> bool:
        return self.text.startswith(IMAGE_PAGE_MARKER)


def read_document(source: str | Path | bytes) -> list[PageContent]:
    """Read every page of a document (a PDF or a single-page image): the file at
    ``source``, or ``source`` itself when it is the document's bytes."""
    with io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as stream:
        kind = sniff_content_type(stream.read(SNIFF_BYTES))
        if kind is None:
            raise DocumentError(NOT_A_DOCUMENT)
        stream.seek(0)
        if kind == "application/pdf":
            return _read_pdf(stream)
        label = next(t.label for t in FILE_TYPES if t.content_type == kind)
        try:
            size = _image_size(stream, kind)
        except (struct.error, ValueError) as exc:
            raise DocumentError(f"The {label} image could not be read: {exc}") from exc
    return [_image_page(label, size)]


def _image_page(label: str, size: tuple[int, int] | None) -> PageContent:
    shown = f", {size[0]}x{size[1]} px" if size else ""
    text = (
        f"{IMAGE_PAGE_MARKER} A {label} image{shown}: "
        "the emulator reads only text embedded in PDFs, it does not do OCR."
    )
    width, height = size if size else (None, None)
    return PageContent(text, width, height, ())


# -- PDF -------------------------------------------------------------------------------------


def _read_pdf(stream: BinaryIO) -> list[PageContent]:
    try:
        from pypdf import PdfReader  # imported lazily: an optional dependency

        reader = PdfReader(stream)
        if reader.is_encrypted:
            raise DocumentError("The PDF is encrypted")
        pages = [_read_pdf_page(page) for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on broken files
        raise DocumentError(f"The PDF could not be read: {exc}") from exc
    if not pages:
        raise DocumentError("The PDF has no pages")
    return pages


def _read_pdf_page(page: Any) -> PageContent:
    box = page.mediabox
    left, bottom = float(box.left), float(box.bottom)
    width, height = float(box.width), float(box.height)
    runs: list[tuple[float, float, float, str]] = []  # (x, baseline y from top, size, text)

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4] - left
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5] - bottom
        scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
        runs.append((x, height - y, abs(size * scale) or abs(size), text.strip("\n")))

    text = page.extract_text(visitor_text=visit) or ""
    return PageContent(text, round(width), round(height), _line_boxes(runs, width, height))


def _line_boxes(
    runs: list[tuple[float, float, float, str]], width: float, height: float
) -> tuple[BoundingBox, ...]:
    """Merge text runs on the same baseline into lines; one box per line, top to bottom."""
    lines: list[list[tuple[float, float, float, str]]] = []
    for run in sorted(runs, key=lambda r: (round(r[1], 0), r[0])):
        if lines and abs(lines[-1][0][1] - run[1]) < 1.0:
            lines[-1].append(run)
        else:
            lines.append([run])
    if not lines:
        return ()
    # The usual size: the one most of the page's characters are set in.
    weight: dict[float, int] = {}
    for run in runs:
        weight[round(run[2], 1)] = weight.get(round(run[2], 1), 0) + len(run[3].strip())
    usual = max(weight, key=lambda size: (weight[size], -size))
    boxes = []
    for line in lines:
        size = max(r[2] for r in line)
        text = " ".join(r[3].strip() for r in line if r[3].strip())
        left = max(0.0, min(r[0] for r in line))
        right = max(r[0] + len(r[3]) * size * _CHAR_WIDTH for r in line)
        top = max(0.0, line[0][1] - size)
        boxes.append(
            BoundingBox(
                x=round(left),
                y=round(top),
                width=max(1, round(min(right, width) - left)),
                height=max(1, round(min(size * 1.2, height - top))),
                text=text,
                type="heading" if size >= usual * _HEADING_RATIO else "paragraph",
                font_size=round(size, 2),
            )
        )
    return tuple(boxes)


# -- image headers ---------------------------------------------------------------------------


def _image_size(stream: BinaryIO, kind: str) -> tuple[int, int] | None:
    """``(width, height)`` in pixels from the image's header; None if not cheap to read."""
    head = stream.read(64)
    if kind == "image/png":
        if head[12:16] != b"IHDR":
            raise ValueError("no IHDR chunk")
        width, height = struct.unpack(">II", head[16:24])
        return width, height
    if kind == "image/webp":
        chunk = head[12:16]
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", head[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(head[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8X":
            width = int.from_bytes(head[24:27], "little") + 1
            height = int.from_bytes(head[27:30], "little") + 1
            return width, height
        raise ValueError(f"unknown WebP chunk {chunk!r}")
    if kind == "image/jpeg":
        return _jpeg_size(stream)
    return _tiff_size(stream, head)


_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(stream: BinaryIO) -> tuple[int, int]:
    stream.seek(2)
    while True:
        marker = stream.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            raise ValueError("no frame header")
        if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
            continue  # markers without a length
        (length,) = struct.unpack(">H", stream.read(2))
        if marker[1] in _JPEG_FRAMES:
            height, width = struct.unpack(">xHH", stream.read(5))
            return width, height
        stream.seek(length - 2, 1)


def _tiff_size(stream: BinaryIO, head: bytes) -> tuple[int, int] | None:
    if head[2:4] in (b"+\x00", b"\x00+"):
        return None  # BigTIFF: not worth reading here
    order = "<" if head[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", head[4:8])
    stream.seek(offset)
    (count,) = struct.unpack(order + "H", stream.read(2))
    found: dict[int, int] = {}
    for _ in range(count):
        tag, kind, _n, value = struct.unpack(order + "HHI4s", stream.read(12))
        if tag in (256, 257):
            fmt = "H2x" if kind == 3 else "I"
            (found[tag],) = struct.unpack(order + fmt, value)
    if 256 not in found or 257 not in found:
        raise ValueError("no ImageWidth / ImageLength tags")
    return found[256], found[257]


# -- fields ---------------------------------------------------------------------------------


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
    """The JSON types a property allows (``anyOf`` / ``oneOf`` branches included)."""
    if not isinstance(prop, Mapping):
        return []
    kind = prop.get("type")
    kinds = [kind] if isinstance(kind, str) else [k for k in kind or [] if isinstance(k, str)]
    for branch in (*prop.get("anyOf", ()), *prop.get("oneOf", ())):
        kinds += [k for k in _types(branch) if k not in kinds]
    return kinds


def _branch(prop: Any, kind: str) -> Mapping[str, Any]:
    """The part of ``prop`` (itself or an ``anyOf`` / ``oneOf`` branch) of type ``kind``."""
    if not isinstance(prop, Mapping):
        return {}
    for branch in (prop, *prop.get("anyOf", ()), *prop.get("oneOf", ())):
        if isinstance(branch, Mapping) and kind in _types(branch):
            return branch
    return {}


def _value(pairs: dict[str, str], name: str, prop: Any) -> Any:
    """A property's value: an object or list of objects is filled from the same lines
    (null / empty when none of its fields is found), an enum keeps a listed value."""
    kinds = _types(prop)
    if "object" in kinds and isinstance(_branch(prop, "object").get("properties"), Mapping):
        nested = _fill(pairs, _branch(prop, "object"))
        return nested if any(v not in (None, []) for v in nested.values()) else None
    raw = pairs.get(_normalise_key(name).replace(" ", "_"))
    if "array" in kinds:
        items = _branch(prop, "array").get("items")
        if isinstance(items, Mapping) and "object" in _types(items):
            element = _value(pairs, name, items)
            return [] if element is None else [element]
        if raw is None:
            return []
        return [_cast(part.strip(), _types(items)) for part in raw.split(",") if part.strip()]
    if raw is None:
        return None
    allowed = [v for v in (prop.get("enum") or ()) if isinstance(v, str)]
    allowed += [v for b in prop.get("anyOf", ()) for v in b.get("enum", ()) if isinstance(v, str)]
    if allowed:
        return next((v for v in allowed if v.lower() == raw.lower()), None)
    return _cast(raw, kinds)


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
    so and the text parses (null when it doesn't); an ``enum`` property keeps only a listed
    value. A nested object (or a list of objects: one element) is filled from the same
    lines by its own properties; a list of scalars splits its line's value at commas.
    Without a schema (or without ``properties``) every ``Key: value`` line is returned.
    """
    pairs = key_values(text)
    properties = schema.get("properties") if schema else None
    if not isinstance(properties, Mapping):
        return dict(pairs)
    return _fill(pairs, schema or {})


def _fill(pairs: dict[str, str], schema: Mapping[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    return {str(name): _value(pairs, str(name), prop) for name, prop in properties.items()}
