"""Argument checks, run before any request, and the options they check. Pure: no I/O.

The processing options are one typed object from the public edge down: ``JobOptions`` and
``DocumentOptions`` type the keywords of ``process_many`` and ``process``;
``compose_options`` checks them once into ``CheckedOptions``, which carries the
submission's ``SubmitOptions`` to the flows and the wire.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict, cast
from urllib.parse import unquote, urlsplit

from . import _constants as C
from . import _contract
from ._lazy import lazy
from ._schemas import check_schema
from .errors import ConfigurationError, ValidationError

if TYPE_CHECKING:
    from . import types as _types
    from ._batch_items import BatchEvent
    from .types import JobStatusInfo, Model, OutputFormat
else:
    _types = lazy(".types", __package__)  # the result types (attrs) load on first use

_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")


class SubmitOptions(NamedTuple):
    """Validated processing options, ready to be put on the wire.

    Without a template, ``output_type`` and ``model`` are always set (the service asks for
    a model whenever a format is given; see docs/wire.md, "What the SDK sends"). Each field
    is also a keyword of ``process_url``/``process_file`` and a key of ``JobOptions``; a
    ``bool`` field is a flag, checked as one (``_FIELD_CHECKS`` lists how the others are
    checked).
    """

    output_type: OutputFormat | None = None
    model: str | None = None
    instruction: str | None = None
    schema: dict[str, Any] | None = None  # the JSON schema sent (a type's, once checked)
    template_slug: str | None = None
    extract_bounding_boxes: bool = False
    save_as_template: bool = False


# The flags among SubmitOptions' fields (its bool fields): each is checked as one, and
# sent only when set.
FLAGS = tuple(name for name, default in SubmitOptions._field_defaults.items() if default is False)


class _ProcessingOptions(TypedDict, total=False):
    """The options of ``process`` and ``process_many`` but ``schema`` and ``file_name``.

    ``process(..., schema=Invoice)`` takes ``schema`` as a keyword of its own beside these
    (its overloads type the result by it: ``JobResult[Invoice]``), so they are listed once
    here for both; ``JobOptions`` and ``DocumentOptions`` add ``schema``.
    """

    output_type: OutputFormat | str | None
    model: Model | str | None
    instruction: str | None
    template_slug: str | None
    extract_bounding_boxes: bool
    save_as_template: bool
    on_upload_progress: Callable[[int, int], object] | None
    pages: str | Sequence[int] | None
    poll_interval: float
    timeout: float
    on_progress: Callable[[JobStatusInfo], object] | None


class JobOptions(_ProcessingOptions, total=False):
    """The options ``process_many`` takes as keywords: how each document is processed,
    and how it is waited for.

    Every key is optional. A misspelt key fails type checking (``mypy``, ``pyright``), and
    is refused at run time with ``ValidationError`` before any request.

    Attributes:
        output_type: as in ``process_file``.
        model: as in ``process_file``.
        instruction: as in ``process_file``.
        schema: as in ``process_file``: a JSON schema dict, or a Pydantic model class,
            dataclass or ``TypedDict`` (the ``pydantic`` extra), whose instance each
            result's ``parsed`` then is.
        template_slug: as in ``process_file``.
        extract_bounding_boxes: as in ``process_file``.
        save_as_template: as in ``process_file``.
        on_upload_progress: as in ``process_file`` (uploads only; a URL has none).
        pages: as in ``process_file``: only these pages of each local PDF (a URL source
            is refused).
        poll_interval: as in ``wait_until_done``.
        timeout: as in ``wait_until_done``.
        on_progress: as in ``wait_until_done``.
    """

    schema: dict[str, Any] | type[Any] | None


class DocumentOptions(JobOptions, total=False):
    """The options ``process`` takes as keywords: those of ``JobOptions``, and ``file_name``.

    Attributes:
        file_name: the name the job gets, as in ``process_file`` / ``process_url``.
    """

    file_name: str | None


class _TypedDocumentOptions(_ProcessingOptions, total=False):
    """``DocumentOptions`` but ``schema``: what ``process(..., schema=SomeType)`` takes
    beside that keyword (type checkers only)."""

    file_name: str | None


class _BatchOptions(JobOptions, total=False):
    """``process_many``'s keywords but ``journal`` (its overloads, type checkers only)."""

    concurrency: int
    submit_rate: float | None
    delete: bool
    retry_failed: bool
    max_credits: int | None
    on_event: Callable[[BatchEvent], object] | None


class CheckedOptions(NamedTuple):
    """The options of ``process`` / ``process_many``, checked once (``compose_options``).

    ``submit.schema`` is the JSON schema sent; ``schema_type`` the Python type it was made
    from (None for a dict), which results are parsed as; ``pages`` the ``pages=``
    selection (sorted 1-based page numbers; None: every page).
    """

    submit: SubmitOptions
    file_name: str | None = None
    on_upload_progress: Callable[[int, int], object] | None = None
    poll_interval: float = C.DEFAULT_POLL_INTERVAL
    timeout: float = C.DEFAULT_WAIT_TIMEOUT
    on_progress: Callable[[JobStatusInfo], object] | None = None
    schema_type: type[Any] | None = None
    pages: tuple[int, ...] | None = None


def check_job_id(job_id: object) -> str:
    """A job id safe to put in a URL path: letters, digits, ``-`` and ``_`` only."""
    if not isinstance(job_id, str):
        raise ValidationError(
            f"job_id must be a string (the job_id of a submitted Job), got {type(job_id).__name__}"
        )
    if not _JOB_ID.fullmatch(job_id):
        raise ValidationError(
            f"job_id {job_id!r} is not a valid job id: use the job_id returned by "
            "process_file() or process_url() (letters, digits, '-' and '_' only)"
        )
    return job_id


def check_options(**options: object) -> SubmitOptions:
    """Check the processing options of a submission against the service's 2026 rule.

    The keywords are the fields of ``SubmitOptions`` (any other is a ``ValidationError``):

    - ``template_slug`` excludes ``output_type``, ``model``, ``schema`` and ``instruction``
      (the template carries them);
    - ``schema`` and ``instruction`` may go together; ``schema`` without ``output_type``
      means structured; structured needs a schema (or a template); markdown takes none;
    - without a template, ``output_type`` defaults to markdown and ``model`` to
      ``standard-v2``, and both are always sent.
    """
    _refuse_unknown(options, SubmitOptions._fields)
    values = {
        name: _FIELD_CHECKS.get(name, partial(_check_flag, name))(options.get(name, default))
        for name, default in SubmitOptions._field_defaults.items()
    }
    checked = SubmitOptions(**values)  # type: ignore[arg-type]
    fmt = checked.output_type
    if checked.template_slug is not None:
        clashing = [
            name
            for name, value in (
                ("output_type", fmt),
                ("model", checked.model),
                ("schema", checked.schema),
                ("instruction", checked.instruction),
            )
            if value is not None
        ]
        if clashing:
            raise ValidationError(
                f"template_slug cannot be combined with {', '.join(clashing)}: the template "
                "already sets the format, model, schema and instruction. Drop "
                f"{' and '.join(clashing)}, or drop template_slug and pass them yourself"
            )
        return checked
    if fmt is None:
        fmt = (
            _types.OutputFormat.STRUCTURED
            if checked.schema is not None
            else _types.OutputFormat.MARKDOWN
        )
    if fmt is _types.OutputFormat.PER_PAGE_STRUCTURED:
        warnings.warn(
            "output_type='per_page_structured' is refused by the LeapOCR service since 2026: "
            "use OutputFormat.STRUCTURED (one object for the document) with a schema",
            DeprecationWarning,
            stacklevel=4,
        )
    elif fmt is _types.OutputFormat.STRUCTURED and checked.schema is None:
        raise ValidationError(
            "output_type='structured' needs a schema (a Pydantic model, dataclass, TypedDict "
            "or JSON schema dict of the fields to extract) or a template_slug: pass "
            "schema=..., or use output_type='markdown'"
        )
    elif fmt is _types.OutputFormat.MARKDOWN and checked.schema is not None:
        raise ValidationError(
            "a schema only applies to structured output: drop output_type='markdown' "
            "(a schema alone means structured), or drop the schema"
        )
    return checked._replace(output_type=fmt, model=checked.model or _contract.DEFAULT_MODEL)


def compose_options(options: Mapping[str, object], *, one_document: bool) -> CheckedOptions:
    """The keywords of ``process`` (``one_document``) or ``process_many``, checked once."""
    if not one_document and "file_name" in options:
        raise ValidationError("file_name names one document: process_many does not take it")
    _refuse_unknown(options, _OPTION_NAMES)
    submit = check_options(**{k: v for k, v in options.items() if k in SubmitOptions._fields})
    poll_interval, timeout = check_wait(
        options.get("poll_interval", C.DEFAULT_POLL_INTERVAL),
        options.get("timeout", C.DEFAULT_WAIT_TIMEOUT),
    )
    on_upload_progress, on_progress = options.get("on_upload_progress"), options.get("on_progress")
    check_callback("on_upload_progress", on_upload_progress)
    check_callback("on_progress", on_progress)
    file_name = options.get("file_name")
    schema = options.get("schema")
    from ._pages import check_pages  # _pages reads sources, which import this module

    return CheckedOptions(
        submit=submit,
        file_name=None if file_name is None else check_file_name(file_name),
        on_upload_progress=cast("Callable[[int, int], object] | None", on_upload_progress),
        poll_interval=poll_interval,
        timeout=timeout,
        on_progress=cast("Callable[[JobStatusInfo], object] | None", on_progress),
        schema_type=schema if isinstance(schema, type) else None,
        pages=check_pages(options.get("pages")),
    )


def _refuse_unknown(options: Mapping[str, object], known: Iterable[str]) -> None:
    known = sorted(known)
    for name in options:
        if name not in known:
            import difflib  # only for this message: not loaded with the clients

            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the options are {', '.join(known)}"
            raise ValidationError(f"unknown processing option {name!r}: {hint}")


def check_flags(options: SubmitOptions) -> SubmitOptions:
    """``options``, once each of its flags is checked to be True or False."""
    for name in FLAGS:
        _check_flag(name, getattr(options, name))
    return options


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, got {value!r}")
    return value


def _check_output_type(value: object) -> OutputFormat | None:
    if value is None:
        return None
    if isinstance(value, _types.OutputFormat):
        return value
    if isinstance(value, str):
        try:
            return _types.OutputFormat(value)
        except ValueError:
            pass
    allowed = ", ".join(repr(f.value) for f in _types.OutputFormat)
    raise ValidationError(f"output_type must be an OutputFormat or one of {allowed}, got {value!r}")


def _check_model(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, _types.Model):
        return value.value
    if isinstance(value, str) and not isinstance(value, enum.Enum) and _MODEL_NAME.fullmatch(value):
        return value
    raise ValidationError(
        f"model must be a Model (e.g. Model.STANDARD_V2) or a model name such as "
        f"'{_contract.DEFAULT_MODEL}', got {value!r}"
    )


def _check_instruction(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"instruction must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError("instruction is empty: pass None to process without one")
    if len(value) > _contract.MAX_INSTRUCTION_LENGTH:
        raise ValidationError(
            f"instruction is {len(value)} characters; the service accepts at most "
            f"{_contract.MAX_INSTRUCTION_LENGTH}: shorten it, or describe the fields with "
            "schema= instead"
        )
    return value


def _check_schema(value: object) -> dict[str, Any] | None:
    """The JSON schema to send: a dict as given, or the schema of a Python type."""
    checked = check_schema(value)
    return None if checked is None else checked[0]


def _check_template_slug(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"template_slug must be a non-empty string (a template's slug), got {value!r}"
        )
    return value


def check_document_url(url: object) -> str:
    """A URL the service can fetch the document from: absolute http(s), at most 2000 characters."""
    if not isinstance(url, str):
        raise ValidationError(f"url must be a string, got {type(url).__name__}")
    if not url or len(url) > _contract.MAX_URL_LENGTH:
        raise ValidationError(
            f"url must be 1 to {_contract.MAX_URL_LENGTH} characters long, got {len(url)}: "
            "for a long presigned URL, download the file and use process_file()"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"url must be an absolute http:// or https:// URL, got {url[:100]!r}: "
            "for a local file use process_file()"
        )
    if any(ch.isspace() for ch in url):
        raise ValidationError("url must not contain white space: percent-encode it")
    return url


def check_file_name(name: object) -> str:
    """A file name the service accepts (1..255 characters)."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"file_name must be a non-empty string, got {name!r}")
    if len(name) > _contract.MAX_FILE_NAME_LENGTH:
        raise ValidationError(
            f"file_name is {len(name)} characters; at most "
            f"{_contract.MAX_FILE_NAME_LENGTH} are accepted"
        )
    return name


def check_file_size(size: int, what: str) -> int:
    """Files must be 1 byte to 1 GiB."""
    if size < 1:
        raise ValidationError(f"{what} is empty (0 bytes): there is nothing to process")
    if size > _contract.MAX_FILE_SIZE:
        raise ValidationError(
            f"{what} is {size} bytes; the service accepts at most {_contract.MAX_FILE_SIZE} "
            "bytes (1 GiB): split the document into smaller ones"
        )
    return size


def check_wait(poll_interval: object, timeout: object) -> tuple[float, float]:
    """Positive, finite poll interval and timeout."""
    return (
        _positive_number("poll_interval", poll_interval),
        _positive_number("timeout", timeout),
    )


def _positive_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValidationError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def check_callback(name: str, value: object) -> None:
    """Callbacks must be callable (or None)."""
    if value is not None and not callable(value):
        raise ValidationError(f"{name} must be a callable or None, got {type(value).__name__}")


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses (where plain http is harmless)."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def without_password(url: str) -> str:
    """``url`` with the password of its user info (``user:secret@host``) hidden."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}{slash}{path}"


def check_base_url(base_url: object, *, allow_insecure_http: bool) -> str:
    """The API root: https, or http to a loopback host (or anywhere when explicitly allowed)."""
    if not isinstance(base_url, str) or not base_url:
        raise ConfigurationError(f"base_url must be a non-empty string, got {base_url!r}")
    shown = without_password(base_url)
    if not base_url.isascii() or not base_url.isprintable() or any(c.isspace() for c in base_url):
        raise ConfigurationError(
            f"base_url {shown!r} holds spaces, control or non-ASCII characters: "
            f"pass a plain URL such as {C.DEFAULT_BASE_URL!r}"
        )
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ConfigurationError(f"base_url {shown!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url must be an absolute http(s) URL such as {C.DEFAULT_BASE_URL!r}, "
            f"got {shown!r}"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url must not have a query or fragment: {shown!r}")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"base_url {shown!r} is plain http to a remote host: the API key would travel "
            "unencrypted. Use https, or pass allow_insecure_http=True if you really mean it"
        )
    return base_url.rstrip("/")


def base_url_hint(base_url: str) -> str | None:
    """What to add to a 404 when ``base_url`` (checked, no trailing slash) lacks the API's
    ``/api/v1`` root: every path would miss. None when it has it."""
    if base_url.endswith(C.API_ROOT):
        return None
    shown = without_password(base_url)
    return f"the base URL {shown!r} has no {C.API_ROOT}: did you mean {shown + C.API_ROOT!r}?"


def check_positive_int(name: str, value: object, *, minimum: int) -> int:
    """Integer options such as max_retries and upload_concurrency."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_timeout(value: object) -> float:
    """The per-request timeout in seconds."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"timeout must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"timeout must be a positive number of seconds, got {value!r}")
    return float(value)


# How each field of SubmitOptions is checked; a field not listed is a flag (True/False).
_FIELD_CHECKS: dict[str, Callable[[object], object]] = {
    "output_type": _check_output_type,
    "model": _check_model,
    "instruction": _check_instruction,
    "schema": _check_schema,
    "template_slug": _check_template_slug,
}
_OPTION_NAMES = frozenset(DocumentOptions.__annotations__)


HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def check_request(method: object, path: object, params: object, body: object) -> str:
    """``client.request``'s arguments: the method (upper-cased and returned), a path
    relative to the API root, query parameters as a mapping, a JSON-ready body."""
    if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
        raise ValidationError(
            f"method must be one of {', '.join(sorted(HTTP_METHODS))}, got {method!r}"
        )
    check_api_path(path)
    if params is not None and not isinstance(params, Mapping):
        raise ValidationError(f"params must be a mapping or None, got {type(params).__name__}")
    if body is not None:
        try:
            json.dumps(body, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"json is not JSON-ready data: {exc}") from None
    return method.upper()


def check_api_path(path: object) -> str:
    """A path below the API root (``/ocr/status/<id>``): nothing that could leave it."""
    example = "e.g. '/ocr/status/<job id>'"
    if not isinstance(path, str) or not path:
        raise ValidationError(f"path must be a non-empty string ({example}), got {path!r}")
    if not path.startswith("/") or path.startswith("//"):
        raise ValidationError(
            f"path {path[:200]!r} is not relative to the API: pass a path starting with one "
            f"'/' ({example}); the base URL is the client's own"
        )
    if not path.isascii() or not path.isprintable() or any(c in path for c in " \\?#"):
        raise ValidationError(
            f"path {path[:200]!r} holds spaces, backslashes, '?', '#', control or non-ASCII "
            "characters: percent-encode them, and pass a query as params="
        )
    for segment in path.split("/"):
        decoded = unquote(segment)
        if decoded in (".", "..") or "/" in decoded or "\\" in decoded:
            raise ValidationError(
                f"path {path[:200]!r} has a '.', '..' or encoded slash segment: refused (it "
                "could lead out of the API)"
            )
    return path
