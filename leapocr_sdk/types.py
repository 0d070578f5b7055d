"""Public enums and result types."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from ._contract import MODEL_CATALOGUE, MODELS_BY_NAME

if TYPE_CHECKING:
    import pandas
    from typing_extensions import TypeVar as TypeVarWithDefault

    # A bare ``JobResult`` (get_result, wait_until_done) holds a dict.
    ParsedT = TypeVarWithDefault("ParsedT", default=dict[str, Any])
else:
    ParsedT = TypeVar("ParsedT")
U = TypeVar("U")


class Model(enum.StrEnum):
    """The processing models of the service's catalogue.

    ``STANDARD_V2`` (1 credit a page, the default) and ``PRO_V2`` (3) are the documented
    choices; the 2025 models stay usable. Any other model name may be passed as a plain
    string. Prices and names come from the built-in catalogue, which needs no network
    (``list_models()`` asks the service instead).
    """

    STANDARD_V2 = "standard-v2"
    PRO_V2 = "pro-v2"
    STANDARD_V1 = "standard-v1"
    ENGLISH_PRO_V1 = "english-pro-v1"
    PRO_V1 = "pro-v1"

    @property
    def credits_per_page(self) -> int:
        """Credits charged per page processed with this model."""
        return MODELS_BY_NAME[self.value].credits_per_page

    @property
    def surcharge_per_page(self) -> int:
        """Credits added per page for structured output or an instruction (once for both):
        1 on the v2 models (the service's pricing page, 2026), 2 on the v1 models (its
        2025 version)."""
        return MODELS_BY_NAME[self.value].surcharge_per_page

    @property
    def display_name(self) -> str:
        """The model's human-readable name."""
        return MODELS_BY_NAME[self.value].display_name

    @property
    def description(self) -> str:
        """What the model is for."""
        return MODELS_BY_NAME[self.value].description

    @property
    def generation(self) -> int:
        """1 for the 2025 models, 2 for the 2026 ones."""
        return MODELS_BY_NAME[self.value].generation

    def info(self) -> ModelInfo:
        """This model as ``list_models()`` describes models.

        Returns:
            A ``ModelInfo`` from the built-in catalogue (no request).
        """
        spec = MODELS_BY_NAME[self.value]
        return ModelInfo(
            spec.name,
            spec.display_name,
            spec.credits_per_page,
            spec.description,
            surcharge_per_page=spec.surcharge_per_page,
        )


def builtin_models() -> list[ModelInfo]:
    """The built-in model catalogue, offline: the documented models with their prices.

    Returns:
        One ``ModelInfo`` per model of ``Model``, 2026 models first.

    Example:
        ```python
        {m.name: m.credits_per_page for m in builtin_models()}  # {'standard-v2': 1, ...}
        ```
    """
    return [Model(spec.name).info() for spec in MODEL_CATALOGUE]


class OutputFormat(enum.StrEnum):
    """What a job produces."""

    MARKDOWN = "markdown"
    """Markdown text per page (the default)."""
    STRUCTURED = "structured"
    """One JSON object for the document, with the fields of the schema."""
    PER_PAGE_STRUCTURED = "per_page_structured"
    """A JSON object per page (2025). The service refuses it since 2026: using it warns."""


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


def estimate_credits(
    pages: int,
    model: Model | str = Model.STANDARD_V2,
    *,
    output_type: OutputFormat | str | None = None,
    schema: object = None,
    instruction: str | None = None,
    extract_bounding_boxes: bool = False,
) -> int:
    """Credits a document of ``pages`` pages costs, computed offline from the catalogue.

    A page costs the model's ``credits_per_page``, plus its ``surcharge_per_page`` when
    the job has structured output (``output_type="structured"`` or a ``schema``) or an
    ``instruction`` (once, whichever or both), plus 1 with ``extract_bounding_boxes``.
    Jobs with a ``template_slug`` are priced on the service from the template's options:
    estimate them with the template's model and options.

    Args:
        pages: the number of pages (a whole number >= 0).
        model: a ``Model`` or a built-in model name (default ``standard-v2``).
        output_type: ``"structured"`` adds the surcharge (as a ``schema`` does).
        schema: any schema (a dict or a type): structured output, so the surcharge.
        instruction: an instruction adds the surcharge too.
        extract_bounding_boxes: adds 1 credit a page.

    Returns:
        ``pages`` times the price of a page.

    Raises:
        ValidationError: ``pages`` is not a whole number >= 0, ``output_type`` is not a
            format, or ``model`` is a custom name (priced on the service: look it up with
            ``list_models()``).

    Example:
        ```python
        estimate_credits(10)  # 10: standard-v2, markdown
        estimate_credits(10, schema=Invoice)  # 20
        estimate_credits(10, Model.PRO_V2, schema=Invoice, extract_bounding_boxes=True)  # 50
        estimate_credits(10, Model.STANDARD_V1, instruction="Only the totals")  # 30
        ```
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
    try:
        fmt = None if output_type is None else OutputFormat(output_type)
    except ValueError:
        raise ValidationError(
            f"output_type must be 'markdown' or 'structured', got {output_type!r}"
        ) from None
    from ._pricing import job_page_price
    from ._validation import SubmitOptions, check_flags

    options = SubmitOptions(  # priced as the client prices a job's options
        output_type=fmt,
        model=known.value,
        instruction=instruction or None,
        schema=None if schema is None else {},  # any schema: only its presence is priced
        extract_bounding_boxes=extract_bounding_boxes,
    )
    price = job_page_price(check_flags(options))
    assert price is not None  # a Model is in the catalogue
    return pages * price


@attrs.frozen
class Job:
    """A submitted job, as ``process_file`` and ``process_url`` return it.

    Attributes:
        job_id: the job's id, for ``wait_until_done``, ``get_status``, ``delete_job``.
        status: its status when submitted (usually ``pending``).
        request_id: the service's id of the request that answered (``X-Request-Id``
            and kin, as errors carry it), for support tickets; None when absent.
    """

    job_id: str
    status: JobStatus
    request_id: str | None = None


@attrs.frozen
class JobStatusInfo:
    """A job's status, as ``get_status`` and ``on_progress`` callbacks receive it.

    Times are timezone-aware; fields the service did not send are ``None``. A deleted job
    keeps answering with its last status and ``deleted_at`` set.

    Attributes:
        job_id: the job's id.
        status: ``pending``, ``processing``, ``completed``, ``partially_done`` or
            ``failed``.
        progress: from 0.0 to 1.0.
        processed_pages: pages processed so far.
        total_pages: pages in the document.
        error_message: why the job failed (``failed`` only).
        file_name: the document's name.
        result_format: ``markdown`` or ``structured``.
        template_name: the template the job used, if any.
        processing_time_seconds: how long processing took.
        created_at: when the job was created.
        completed_at: when it finished.
        deleted_at: when it was deleted (its result is then gone).
        request_id: the service's id of the request that answered; None when absent.
    """

    job_id: str
    status: JobStatus
    progress: float
    processed_pages: int | None = None
    total_pages: int | None = None
    error_message: str | None = None
    file_name: str | None = None
    result_format: str | None = None
    template_name: str | None = None
    processing_time_seconds: float | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    deleted_at: datetime | None = None
    request_id: str | None = None


@attrs.frozen
class BoxBounds:
    """Where a block sits on its page, in pixels from the top-left corner.

    Attributes:
        x: pixels from the left edge.
        y: pixels from the top edge.
        width: the block's width in pixels.
        height: the block's height in pixels.
    """

    x: int
    y: int
    width: int
    height: int


@attrs.frozen
class BoundingBox:
    """A block of a page, with ``extract_bounding_boxes=True``.

    Attributes:
        bounds: where it sits (``BoxBounds``), or None.
        text: the block's text.
        type: paragraph, heading, table, figure, caption, list, header or footer.
        metadata: anything else the service sent about the block.
    """

    bounds: BoxBounds | None
    text: str | None
    type: str | None
    metadata: Any = None


@attrs.frozen
class PageDimensions:
    """A page's size in pixels.

    Attributes:
        width: in pixels.
        height: in pixels.
    """

    width: int
    height: int


@attrs.frozen
class PageResult:
    """One page of a result. Fields the service did not send are None.

    Attributes:
        page_number: 1 for the first page.
        text: the page's markdown (None for structured results).
        data: the page's structured object (None for markdown results).
        result: the raw value the service returned for the page.
        confidence: a quality score from 0.0 to 1.0.
        dimensions: the page's size in pixels (``PageDimensions``).
        bounding_boxes: the page's blocks (``BoundingBox``), with
            ``extract_bounding_boxes=True``.
        has_bounding_boxes: whether the service located blocks on this page.
    """

    page_number: int
    text: str | None
    data: dict[str, Any] | None
    result: Any
    confidence: float | None = None
    dimensions: PageDimensions | None = None
    bounding_boxes: tuple[BoundingBox, ...] | None = None
    has_bounding_boxes: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """The page as JSON-ready data.

        Returns:
            A dict of plain values (lists, dicts, strings, numbers), for ``json.dumps``.
        """
        return _jsonable(self)  # type: ignore[no-any-return]


@attrs.frozen
class JobResult(Generic[ParsedT]):
    """A finished job's result, every page in page order.

    A ``partially_done`` job comes back like a completed one: check ``status`` and
    compare ``len(pages)`` with ``total_pages``. Generic in the type ``parsed`` returns:
    ``process(..., schema=Invoice)`` gives a ``JobResult[Invoice]``.

    Attributes:
        job_id: the job's id.
        status: ``completed`` or ``partially_done`` (some pages could not be processed).
        credits_used: credits the job cost.
        processing_time_seconds: how long processing took.
        model: the model that processed it.
        result_format: ``markdown`` or ``structured``.
        pages: every ``PageResult``, in page order.
        data: the document-level structured object: the response's ``data`` when the
            service sends one, else the first page's structured result.
        file_name: the document's name.
        template_name: the template the job used, if any.
        total_pages: pages in the document.
        created_at: when the job was created.
        completed_at: when it finished.
        request_id: the service's id of the last result request (a result of many pages
            takes several); None when absent.
        schema_type: the Python type the job was submitted with (``schema=Invoice``),
            which ``parsed`` validates ``data`` as; None for a dict schema or none.
    """

    job_id: str
    status: JobStatus
    credits_used: int | None
    processing_time_seconds: float | None
    model: str | None
    result_format: str | None
    pages: tuple[PageResult, ...]
    data: dict[str, Any] | None
    file_name: str | None = None
    template_name: str | None = None
    total_pages: int | None = None
    created_at: datetime | None = None
    completed_at: datetime | None = None
    request_id: str | None = None
    schema_type: type[ParsedT] | None = attrs.field(
        default=None, kw_only=True, eq=False, repr=False, metadata={"json": False}
    )

    @property
    def markdown(self) -> str:
        """Every page's text joined by blank lines (empty for structured results)."""
        return "\n\n".join(page.text for page in self.pages if page.text is not None)

    def parse(self, type_: type[U]) -> U:
        """The result's ``data`` validated as ``type_`` (needs the ``pydantic`` extra).

        Args:
            type_: a Pydantic v2 model class, a dataclass type or a ``TypedDict`` type.

        Returns:
            An instance of the model or dataclass (a dict for a ``TypedDict``).

        Raises:
            ResultParseError: ``data`` does not fit ``type_`` (its ``errors`` say where;
                ``data`` is kept), or the result has no structured data.
            ValidationError: ``type_`` is none of those types, or pydantic is not
                installed (``pip install 'leapocr-sdk[pydantic]'``).

        Example:
            ```python
            invoice = result.parse(Invoice)
            ```
        """
        from ._schemas import parse_data

        self._require_data(type_)
        return parse_data(self.data, type_, self.job_id)

    @property
    def parsed(self) -> ParsedT:
        """``data`` as the type the job was submitted with (``schema=Invoice``: an
        ``Invoice``), or ``data`` itself for a dict schema.

        Raises ``ResultParseError`` when the data does not fit the type, or when the result
        has no structured data (a markdown job).
        """
        if self.schema_type is None:
            self._require_data(dict)
            return self.data  # type: ignore[return-value]
        return self.parse(self.schema_type)

    def _require_data(self, type_: object) -> None:
        if self.data is None:
            from .errors import ResultParseError

            raise ResultParseError(
                f"job {self.job_id} has no structured data to read as "
                f"{getattr(type_, '__qualname__', type_)} (result format "
                f"{self.result_format or 'unknown'}): submit it with a schema, or read "
                ".markdown",
                job_id=self.job_id,
                data=None,
                errors=[],
            )

    def to_dict(self) -> dict[str, Any]:
        """The whole result as JSON-ready data.

        Returns:
            A dict of plain values (times as ISO 8601 strings), for ``json.dumps``.
        """
        return _jsonable(self)  # type: ignore[no-any-return]

    def to_pandas(self) -> pandas.DataFrame:
        """The pages as a ``pandas.DataFrame``, one row per page.

        Columns: ``page_number``, ``text``, ``confidence``, ``width``, ``height``,
        ``has_bounding_boxes`` (None where the service sent nothing). For one row per
        document over many results, see ``leapocr_sdk.integrations.pandas.to_dataframe``.

        Returns:
            A ``pandas.DataFrame``, in page order.

        Raises:
            ModuleNotFoundError: pandas is not installed; the message names the extra
                (``pip install 'leapocr-sdk[pandas]'``).

        Example:
            ```python
            result.to_pandas()[["page_number", "confidence"]]
            ```
        """
        from .integrations.pandas import page_frame

        return page_frame(self)

    def _repr_markdown_(self) -> str:
        """A notebook's view: the job's facts and the first page, cut to a screen."""
        return _notebook_view(self, html=False)

    def _repr_html_(self) -> str:
        """A notebook's view as HTML (every value escaped)."""
        return _notebook_view(self, html=True)


_NOTEBOOK_LINES = 30
"""How much of the first page a notebook shows: lines, then characters."""
_NOTEBOOK_CHARS = 2000


def _notebook_view(result: JobResult[Any], *, html: bool) -> str:
    """The job's status, pages, credits and model, then the first page's markdown (or
    the structured data's JSON), cut to ``_NOTEBOOK_LINES`` / ``_NOTEBOOK_CHARS``."""
    import html as html_module
    import json

    total = result.total_pages if result.total_pages is not None else len(result.pages)
    facts = [
        ("status", result.status.value),
        ("pages", f"{len(result.pages)} of {total}"),
        ("credits", "unknown" if result.credits_used is None else str(result.credits_used)),
        ("model", result.model or "unknown"),
    ]
    first = result.pages[0] if result.pages else None
    if first is not None and first.text is not None:
        body, what = first.text, f"page {first.page_number}"
    elif result.data is not None:
        body, what = json.dumps(result.data, indent=2, ensure_ascii=False), "data"
    else:
        body, what = "", "no pages"
    lines = body.splitlines()
    shown = "\n".join(lines[:_NOTEBOOK_LINES])[:_NOTEBOOK_CHARS]
    cut = len(shown) < len(body.rstrip("\n"))
    more = f"… ({len(body) - len(shown)} more characters)" if cut else ""
    if html:
        escape = html_module.escape
        cells = "".join(f"<th>{escape(k)}</th><td>{escape(v)}</td>" for k, v in facts)
        return (
            f"<div><strong>LeapOCR job <code>{escape(result.job_id)}</code></strong>"
            f"<table><tr>{cells}</tr></table>"
            f"<p>{escape(what)}</p>"
            f'<pre style="white-space: pre-wrap">{escape(shown)}</pre>'
            + (f"<p><em>{escape(more)}</em></p>" if more else "")
            + "</div>"
        )
    header = " · ".join(f"{k}: {v}" for k, v in facts)
    fence = "```" + ("json" if what == "data" else "markdown")
    # Page text goes in a fenced block: shown as written, never rendered as HTML.
    safe = shown.replace("```", "` ` `")
    return f"**LeapOCR job** `{result.job_id}` · {header}\n\n{what}:\n\n{fence}\n{safe}\n```\n" + (
        f"\n*{more}*\n" if more else ""
    )


def _jsonable(value: Any) -> Any:
    if attrs.has(type(value)):
        return {
            field.name: _jsonable(getattr(value, field.name))
            for field in attrs.fields(type(value))
            if field.metadata.get("json", True)
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


@attrs.frozen
class HealthStatus:
    """The service's health (``GET /health``).

    Attributes:
        status: the service's word for its state (e.g. ``healthy``).
        healthy: True when every check passed.
        version: the service's version, if sent.
        checks: each check's outcome, as sent.
        raw: the whole answer.
    """

    status: str
    healthy: bool
    version: str | None = None
    checks: dict[str, Any] = attrs.field(factory=dict)
    raw: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class ModelInfo:
    """A processing model offered by the service.

    Attributes:
        name: the name to pass as ``model=`` (e.g. ``standard-v2``).
        display_name: the human-readable name.
        credits_per_page: credits charged per page.
        description: what the model is for.
        surcharge_per_page: credits added per page for structured output or an
            instruction (the service's ``surcharge_per_page``; 0 when it sends none).
    """

    name: str
    display_name: str
    credits_per_page: int
    description: str
    surcharge_per_page: int = 0
