"""Facts of the service's 2026 contract, in one place, read by the SDK, its CLI and the emulator.

Standard library only: ``leapocr_sdk.testing`` imports this without httpx or attrs. Each
fact is written here once (the 2026 contract, as the specs in ``tests/data/`` state it):

- the model catalogue (name, generation, display name, credits per page, description,
  surcharge per page for structured output or instructions) and the bounding-box
  surcharge, with ``page_price`` combining them (the one price rule of the SDK, its CLI
  and the emulator);
- the output formats the service accepts, and the one it dropped;
- the limits of the request fields;
- the document types it accepts, recognised by their first bytes;
- the service's error codes.
"""

from __future__ import annotations

from typing import NamedTuple


class ModelSpec(NamedTuple):
    """One processing model of the service's catalogue."""

    name: str
    generation: int
    display_name: str
    credits_per_page: int
    description: str
    surcharge_per_page: int  # structured output or instructions, per page


# The v2 models are the documented choice (the official SDKs default to standard-v2); the
# v1 models come from the 2025 reference and are still accepted.
# Surcharges (docs/guides/structured.md, "Prices"): +1 a page on the v2 models (the
# service's pricing page, 2026), +2 on the v1 models (the same page, 2025); the service's
# GET /ocr/models reports the same figure as surcharge_per_page.
MODEL_CATALOGUE: tuple[ModelSpec, ...] = (
    ModelSpec("standard-v2", 2, "Standard v2", 1, "Fast, accurate, handles all cases (default)", 1),
    ModelSpec("pro-v2", 2, "Pro v2", 3, "Highest quality, handles all cases", 1),
    ModelSpec("standard-v1", 1, "Standard v1", 1, "Baseline model, handles all cases", 2),
    ModelSpec(
        "english-pro-v1", 1, "English Pro v1", 2, "Premium quality, English documents only", 2
    ),
    ModelSpec("pro-v1", 1, "Pro v1", 3, "High quality, handles all cases", 2),
)
MODELS_BY_NAME: dict[str, ModelSpec] = {spec.name: spec for spec in MODEL_CATALOGUE}
DEFAULT_MODEL = "standard-v2"
# Bounding boxes (extract_bounding_boxes): +1 a page on every model (the product page).
BOUNDING_BOX_SURCHARGE_PER_PAGE = 1


def page_price(
    credits_per_page: int, surcharge_per_page: int, *, structured: bool, bounding_boxes: bool
) -> int:
    """Credits one page costs: the model's base price, its surcharge when the job has
    structured output or an instruction (once, whichever or both), and the bounding-box
    surcharge when blocks are located."""
    price = credits_per_page
    if structured:
        price += surcharge_per_page
    if bounding_boxes:
        price += BOUNDING_BOX_SURCHARGE_PER_PAGE
    return price


def catalogue_page_price(model: str, *, structured: bool, bounding_boxes: bool) -> int | None:
    """``page_price`` for a model of the catalogue; None for any other model name (priced
    on the service only)."""
    spec = MODELS_BY_NAME.get(model)
    if spec is None:
        return None
    return page_price(
        spec.credits_per_page,
        spec.surcharge_per_page,
        structured=structured,
        bounding_boxes=bounding_boxes,
    )


# The dearest page of the catalogue (pro-v1, structured, with bounding boxes): what a job
# whose price is set on the service (a template, a model outside the catalogue) is
# counted at before its real charge is known.
MAX_CATALOGUE_PAGE_PRICE = max(
    page_price(s.credits_per_page, s.surcharge_per_page, structured=True, bounding_boxes=True)
    for s in MODEL_CATALOGUE
)

# Output formats: what the service accepts today, and the 2025 one it refuses since 2026.
FORMAT_MARKDOWN = "markdown"
FORMAT_STRUCTURED = "structured"
FORMAT_PER_PAGE_STRUCTURED = "per_page_structured"
FORMATS = (FORMAT_MARKDOWN, FORMAT_STRUCTURED)
DROPPED_FORMATS = (FORMAT_PER_PAGE_STRUCTURED,)
DEFAULT_FORMAT = FORMAT_MARKDOWN

# Limits of the request fields.
MAX_FILE_SIZE = 1_073_741_824  # 1 GiB
MAX_URL_LENGTH = 2000
MAX_INSTRUCTION_LENGTH = 100
MAX_FILE_NAME_LENGTH = 255
RESULT_PAGE_LIMIT_MAX = 1000
RESULT_PAGE_LIMIT_DEFAULT = 100

# Direct uploads (the upload guide): one part below the threshold, else parts of PART_SIZE.
MULTIPART_THRESHOLD = 52_428_800  # 50 MiB
PART_SIZE = 5_242_880  # 5 MiB


class FileType(NamedTuple):
    """A document type the service accepts."""

    content_type: str
    extensions: tuple[str, ...]
    label: str


FILE_TYPES: tuple[FileType, ...] = (
    FileType("application/pdf", (".pdf",), "PDF"),
    FileType("image/png", (".png",), "PNG"),
    FileType("image/jpeg", (".jpg", ".jpeg"), "JPEG"),
    FileType("image/tiff", (".tif", ".tiff"), "TIFF"),
    FileType("image/webp", (".webp",), "WebP"),
)
CONTENT_TYPES = tuple(kind.content_type for kind in FILE_TYPES)
SUPPORTED_EXTENSIONS = tuple(ext for kind in FILE_TYPES for ext in kind.extensions)
SNIFF_BYTES = 1024  # how many leading bytes sniff_content_type looks at


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a document from its first bytes, or None if it is none we accept.

    A PDF's ``%PDF-`` marker may follow a little leading garbage (readers allow 1 KiB), so
    the PDF check looks at the whole of ``head``; pass at least the first 1024 bytes.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if b"%PDF-" in head[:1024]:
        return "application/pdf"
    return None


def describe_file_types() -> str:
    """'PDF, PNG, JPEG, TIFF or WebP', for messages."""
    labels = [kind.label for kind in FILE_TYPES]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


# The service's error codes (response.ErrorCode).
ERROR_CODES = (
    "VALIDATION_ERROR",
    "NOT_FOUND",
    "AUTHENTICATION_ERROR",
    "FORBIDDEN",
    "SYSTEM_ERROR",
    "BAD_REQUEST",
    "CONFLICT",
    "TOO_MANY_REQUESTS",
    "LESS_CREDITS",
)
LESS_CREDITS = "LESS_CREDITS"
