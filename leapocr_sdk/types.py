"""Public enums and result types."""

from __future__ import annotations

import enum
from typing import Any

import attrs


class Model(enum.StrEnum):
    """The built-in processing models. Any other model name may be passed as a plain string."""

    STANDARD_V1 = "standard-v1"
    ENGLISH_PRO_V1 = "english-pro-v1"
    PRO_V1 = "pro-v1"

    @property
    def credits_per_page(self) -> int:
        """Credits charged per page processed with this model."""
        return _MODEL_INFO[self][1]

    @property
    def display_name(self) -> str:
        """The model's human-readable name."""
        return _MODEL_INFO[self][0]

    @property
    def description(self) -> str:
        """What the model is for."""
        return _MODEL_INFO[self][2]


_MODEL_INFO: dict[Model, tuple[str, int, str]] = {
    Model.STANDARD_V1: ("Standard v1", 1, "Baseline model, handles all cases"),
    Model.ENGLISH_PRO_V1: ("English Pro v1", 2, "Premium quality, English documents only"),
    Model.PRO_V1: ("Pro v1", 3, "Highest quality, handles all cases"),
}


class OutputFormat(enum.StrEnum):
    """What a job produces."""

    STRUCTURED = "structured"
    """One JSON object with the extracted fields."""
    MARKDOWN = "markdown"
    """Markdown text per page."""
    PER_PAGE_STRUCTURED = "per_page_structured"
    """A JSON object per page."""


class JobStatus(enum.StrEnum):
    """A job's lifecycle state."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    PARTIALLY_DONE = "partially_done"
    FAILED = "failed"

    @property
    def is_finished(self) -> bool:
        """True once the job will not change any more (completed, partially done or failed)."""
        return self in (JobStatus.COMPLETED, JobStatus.PARTIALLY_DONE, JobStatus.FAILED)


def estimate_credits(pages: int, model: Model | str = Model.STANDARD_V1) -> int:
    """Credits a document of ``pages`` pages costs with ``model``.

    Custom model names are priced on the service; for those, raises ``ValidationError``
    (a ``ValueError``): look the price up with ``list_models()``.
    """
    from .errors import ValidationError  # a ValueError too

    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
        raise ValidationError(f"pages must be a whole number >= 0, got {pages!r}")
    try:
        known = Model(model)
    except ValueError:
        raise ValidationError(
            f"no built-in price for model {model!r}: see list_models() for its credits_per_page"
        ) from None
    return pages * known.credits_per_page


@attrs.frozen
class Job:
    """A submitted job."""

    job_id: str
    status: JobStatus


@attrs.frozen
class JobStatusInfo:
    """A job's status. ``progress`` runs from 0.0 to 1.0."""

    job_id: str
    status: JobStatus
    progress: float
    processed_pages: int | None = None
    total_pages: int | None = None
    error_message: str | None = None


@attrs.frozen
class PageResult:
    """One page of a result.

    ``text`` is the page's markdown (or None), ``data`` its structured object (or None),
    ``result`` the raw value the service returned for the page.
    """

    page_number: int
    text: str | None
    data: dict[str, Any] | None
    result: Any


@attrs.frozen
class JobResult:
    """A finished job's result, every page in page order.

    ``data`` is the document-level structured object: the response's ``data`` when the
    service sends one, else the first page's structured result.
    """

    job_id: str
    status: JobStatus
    credits_used: int | None
    processing_time_seconds: float | None
    model: str | None
    result_format: str | None
    pages: tuple[PageResult, ...]
    data: dict[str, Any] | None

    @property
    def markdown(self) -> str:
        """Every page's text joined by blank lines (empty for structured results)."""
        return "\n\n".join(page.text for page in self.pages if page.text is not None)


@attrs.frozen
class ModelInfo:
    """A processing model offered by the service."""

    name: str
    display_name: str
    credits_per_page: int
    description: str
