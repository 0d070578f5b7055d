"""``LeapOCR`` (blocking) and ``AsyncLeapOCR`` (asyncio): the same methods, the same flows.

Each public method checks its arguments (raising before any request), then hands a flow
from ``_plans`` to the client's runner. Nothing else differs between the two clients.
"""

from __future__ import annotations

import collections
import contextlib
import os
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, overload

import attrs
import httpx

from . import __version__
from . import _batch as batch
from . import _constants as C
from . import _plans as plans
from . import _pricing as pricing
from ._batch import BatchEvent, BatchItem
from ._pages import check_pages, cut, renumbered, renumbered_page
from ._runners import SyncRunner
from ._sources import FileInput, FileSource, open_source
from ._steps import Emit, Plan
from ._tls import tls_context
from ._validation import (
    SubmitOptions,
    base_url_hint,
    check_base_url,
    check_callback,
    check_document_url,
    check_file_name,
    check_job_id,
    check_options,
    check_positive_int,
    check_timeout,
    check_wait,
    without_password,
)
from .errors import ConfigurationError, ValidationError
from .journal import Journal
from .types import (
    HealthStatus,
    Job,
    JobResult,
    JobStatusInfo,
    Model,
    ModelInfo,
    OutputFormat,
    PageResult,
)

T = TypeVar("T")
P = TypeVar("P")  # the Python type of a schema, and of JobResult.parsed


class _Secret:
    """Holds the API key; its repr never shows it (so neither do tracebacks with locals)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


def _check_hook(name: str, value: object) -> None:
    if value is not None and not callable(value):
        raise ConfigurationError(f"{name} must be a callable or None, got {type(value).__name__}")


class _ClientBase:
    """Configuration shared by both clients."""

    __module__ = "leapocr_sdk"  # help() shows the public package, not this module

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | None,
        timeout: float,
        max_retries: int,
        upload_concurrency: int,
        allow_insecure_http: bool,
        clock: Callable[[], float] | None,
        rng: random.Random | None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get(C.API_KEY_ENV)
        if not isinstance(key, str) or not key.strip():
            raise ConfigurationError(
                "no API key: pass api_key=... or set the LEAPOCR_API_KEY environment variable"
            )
        if any(ch.isspace() or not ch.isprintable() for ch in key.strip()):
            raise ConfigurationError("the API key contains white space or control characters")
        if not key.strip().isascii():  # never echoed: the message must not carry the key
            raise ConfigurationError(
                "the API key contains a non-ASCII character (a dash or quote pasted from a "
                "web page?): copy the key again from the LeapOCR dashboard"
            )
        self._api_key = _Secret(key.strip())
        if not isinstance(allow_insecure_http, bool):
            raise ConfigurationError(
                f"allow_insecure_http must be True or False, got {allow_insecure_http!r}"
            )
        _check_hook("clock", clock)
        if rng is not None and not isinstance(rng, random.Random):
            raise ConfigurationError(f"rng must be a random.Random, got {type(rng).__name__}")
        url = base_url if base_url is not None else os.environ.get(C.BASE_URL_ENV) or None
        self._base_url = check_base_url(
            C.DEFAULT_BASE_URL if url is None else url, allow_insecure_http=allow_insecure_http
        )
        self._timeout = check_timeout(timeout)
        self._closed = False
        self._submitted: collections.OrderedDict[str, float] = collections.OrderedDict()
        # Jobs submitted with pages=: the original page numbers of the cut document's pages.
        self._selections: collections.OrderedDict[str, tuple[int, ...]] = collections.OrderedDict()
        self._ctx = plans.Context(
            max_retries=check_positive_int("max_retries", max_retries, minimum=0),
            upload_concurrency=check_positive_int(
                "upload_concurrency", upload_concurrency, minimum=1
            ),
            allow_insecure_http=allow_insecure_http,
            clock=clock or time.monotonic,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not secrets
            not_found_hint=base_url_hint(self._base_url),
        )

    @property
    def base_url(self) -> str:
        """The API root this client talks to (ending in ``/api/v1``)."""
        return self._base_url

    def _auth_headers(self) -> dict[str, str]:
        return {
            C.API_KEY_HEADER: self._api_key.reveal(),
            "User-Agent": f"leapocr-sdk-python/{__version__}",
        }

    def _http_options(self) -> dict[str, Any]:
        """Settings of the httpx clients the SDK creates (API and uploads)."""
        limits = httpx.Limits(
            max_connections=max(C.MAX_CONNECTIONS, self._ctx.upload_concurrency),
            max_keepalive_connections=max(C.MAX_CONNECTIONS, self._ctx.upload_concurrency),
        )
        return {"timeout": self._timeout, "limits": limits, "verify": tls_context()}

    def _ensure_open(self) -> None:
        if self._closed:
            raise ConfigurationError(f"this {type(self).__name__} is closed: create a new client")

    def __repr__(self) -> str:  # safe on a half-built client (tracebacks with locals)
        base_url = getattr(self, "_base_url", None)
        shown = None if base_url is None else without_password(base_url)
        return f"{type(self).__name__}(base_url={shown!r})"

    # Argument checks shared by both clients; each returns a ready-to-run flow.

    def _process_url_plan(
        self, url: str, file_name: str | None = None, **options: Any
    ) -> Plan[Job]:
        self._ensure_open()
        url = check_document_url(url)
        name = None if file_name is None else check_file_name(file_name)
        plan = plans.process_url(self._ctx, url, name, check_options(**options))
        return self._remembering(plan)

    def _file_options(
        self, on_upload_progress: Callable[[int, int], object] | None, **options: Any
    ) -> SubmitOptions:
        self._ensure_open()
        check_callback("on_upload_progress", on_upload_progress)
        return check_options(**options)

    def _process_file_plan(
        self,
        source: FileSource,
        options: SubmitOptions,
        on_upload_progress: Callable[[int, int], object] | None,
        selection: tuple[int, ...] | None = None,
    ) -> Plan[Job]:
        plan = plans.process_file(self._ctx, source, options, on_upload_progress)
        return self._remembering(plan, selection)

    def _remembering(
        self, submission: Plan[Job], selection: tuple[int, ...] | None = None
    ) -> Plan[Job]:
        """Run a submission and note when this client created the job (see ``_wait_plan``),
        and the pages it was cut to (see ``_renumbering``)."""
        job = yield from submission
        self._submitted[job.job_id] = self._ctx.clock()
        if selection is not None:
            self._selections[job.job_id] = selection
        for memory in (self._submitted, self._selections):
            while len(memory) > C.REMEMBERED_SUBMISSIONS:
                with contextlib.suppress(KeyError):
                    memory.popitem(last=False)
        return job

    @contextlib.contextmanager
    def _open_document(
        self, file: object, file_name: str | None, selection: tuple[int, ...] | None
    ) -> Iterator[FileSource]:
        """The document to upload: the file itself, or (``pages=``) a temporary PDF of the
        selected pages only."""
        with open_source(file, file_name) as opened:
            if selection is None:
                yield opened
                return
            selected = cut(opened, selection)
        with selected:
            yield selected

    def _renumbering(self, job_id: str, plan: Plan[JobResult]) -> Plan[JobResult]:
        """``plan``'s result, its pages numbered as in the original document when the job
        was submitted with ``pages=``."""
        result = yield from plan
        selection = self._selections.get(job_id)
        return result if selection is None else renumbered(result, selection)

    def _result_plan(self, job_id: str) -> Plan[JobResult]:
        plan = self._job_plan(plans.get_result, job_id)
        return self._renumbering(job_id, plan)

    def _pages_plan(self, job_id: str) -> Plan[None]:
        """``iter_pages``' flow, each page numbered as in the original document when the
        job was submitted with ``pages=``."""
        plan = self._job_plan(plans.result_pages, job_id)
        selection = self._selections.get(job_id)
        if selection is None:
            return plan
        return _mapped_emits(plan, lambda page: renumbered_page(page, selection))

    def _job_plan(self, flow: Callable[[plans.Context, str], Plan[T]], job_id: str) -> Plan[T]:
        self._ensure_open()
        return flow(self._ctx, check_job_id(job_id))

    def _wait_plan(
        self,
        job_id: str,
        poll_interval: float,
        timeout: float,
        on_progress: Callable[[JobStatusInfo], object] | None,
    ) -> Plan[JobResult]:
        self._ensure_open()
        job_id = check_job_id(job_id)
        interval, limit = check_wait(poll_interval, timeout)
        check_callback("on_progress", on_progress)
        # A job this client just submitted cannot be done yet: first poll one interval later.
        submitted = self._submitted.get(job_id)
        first_poll = None if submitted is None else submitted + interval
        plan = plans.wait_until_done(self._ctx, job_id, interval, limit, on_progress, first_poll)
        return self._renumbering(job_id, plan)

    # --- many documents (``_batch``): the flows of process, process_many, as_completed ---

    def __reduce__(self) -> tuple[Any, ...]:
        # A client holds connections and the key: it never travels to another process.
        return (_refuse_unpickled_client, (type(self).__name__,))

    def _wait_flow(
        self, options: dict[str, Any]
    ) -> Callable[[str, batch.StatusHook], Plan[JobResult]]:
        """How to wait on a job: takes ``poll_interval``, ``timeout``, ``on_progress`` out of
        ``options`` (checked here)."""
        poll_interval = options.pop("poll_interval", C.DEFAULT_POLL_INTERVAL)
        timeout = options.pop("timeout", C.DEFAULT_WAIT_TIMEOUT)
        on_progress = options.pop("on_progress", None)
        check_wait(poll_interval, timeout)
        check_callback("on_progress", on_progress)
        schema = options.get("schema")
        schema_type = schema if isinstance(schema, type) else None

        def wait(job_id: str, also: batch.StatusHook) -> Plan[JobResult]:
            plan = self._wait_plan(job_id, poll_interval, timeout, _both(on_progress, also))
            return plan if schema_type is None else _typed(plan, schema_type)

        return wait

    def _submission_flow(
        self, options: dict[str, Any]
    ) -> tuple[
        Callable[[object, batch.UploadHook], Plan[Job]], SubmitOptions, tuple[int, ...] | None
    ]:
        """How to submit a source with ``options`` (a URL with process_url, anything else
        uploaded), the checked options and the ``pages=`` selection. Options are checked
        here, once; each source when it is submitted (its errors end that submission, not
        the caller's loop)."""
        file_name = options.pop("file_name", None)
        on_upload_progress = options.pop("on_upload_progress", None)
        selection = check_pages(options.pop("pages", None))
        options = {**SubmitOptions()._asdict(), **options}
        try:
            checked = self._file_options(on_upload_progress, **options)
        except TypeError as exc:  # an unknown keyword
            raise ValidationError(f"unknown processing option: {exc}") from None
        url_options = {**options, **({} if file_name is None else {"file_name": file_name})}

        def submit(source: object, also: batch.UploadHook) -> Plan[Job]:
            if batch.is_url(source):
                if selection is not None:
                    raise ValidationError(
                        "pages= cuts a local PDF, and this source is a URL: download the "
                        "document and pass its path, or drop pages="
                    )
                try:
                    plan = self._process_url_plan(str(source), **url_options)
                except TypeError as exc:
                    raise ValidationError(f"an option process_url does not take: {exc}") from None
                return (yield from plan)
            with self._open_document(source, file_name, selection) as opened:
                hook = _both(on_upload_progress, also)
                return (yield from self._process_file_plan(opened, checked, hook, selection))

        return submit, checked, selection

    def _batch_plan(
        self,
        sources: Iterable[Any],
        settings: batch.BatchSettings,
        delete: bool,
        journal: Journal | str | os.PathLike[str] | None,
        options: dict[str, Any],
    ) -> tuple[Plan[None], Journal | None]:
        """The batch's plan, and the journal it opened (to close once it ends)."""
        self._ensure_open()
        if isinstance(sources, str | bytes | os.PathLike) or not isinstance(sources, Iterable):
            raise ValidationError(
                "sources must be an iterable of documents (paths, URLs, bytes or file "
                f"objects), got {type(sources).__name__}: for one document use process()"
            )
        if "file_name" in options:
            raise ValidationError("file_name names one document: process_many does not take it")
        options = dict(options)
        wait = self._wait_flow(options)
        submit, checked, selection = self._submission_flow(options)
        opened = None
        if isinstance(journal, str | os.PathLike):
            journal = opened = Journal(journal)
        elif journal is not None and not isinstance(journal, Journal):
            raise ValidationError(
                f"journal must be a file path or a Journal, got {type(journal).__name__}"
            )
        if journal is not None:
            bound: dict[str, Any] = checked._asdict()
            if selection is not None:  # another selection is another document
                bound["pages"] = list(selection)
            journal.bind_options(bound)
        price = pricing.job_page_price(checked)
        flows = batch.BatchFlows(
            submit=submit,
            wait=wait,
            delete=delete,
            estimate=lambda source: _estimate(source, selection, price),
            price=price,
        )
        return batch.process_many(self._ctx, sources, flows, settings, journal), opened

    def _as_completed_plan(
        self, job_ids: Iterable[str], concurrency: int, poll_interval: float, timeout: float
    ) -> Plan[None]:
        self._ensure_open()
        _check_job_ids(job_ids)
        wait = self._wait_flow({"poll_interval": poll_interval, "timeout": timeout})
        limit = _whole_number("concurrency", concurrency, minimum=1)
        return batch.as_completed(job_ids, wait, limit)


def _batch_settings(
    concurrency: object,
    submit_rate: object,
    max_credits: object,
    retry_failed: object,
    on_event: Callable[[BatchEvent], object] | None,
) -> batch.BatchSettings:
    """process_many's own arguments, checked (ValidationError before any request)."""
    if submit_rate is not None and (
        isinstance(submit_rate, bool)
        or not isinstance(submit_rate, int | float)
        or not submit_rate > 0
    ):
        raise ValidationError(
            f"submit_rate must be jobs per second > 0 or None, got {submit_rate!r}"
        )
    check_callback("on_event", on_event)
    return batch.BatchSettings(
        concurrency=_whole_number("concurrency", concurrency, minimum=1),
        submit_rate=None if submit_rate is None else float(submit_rate),
        max_credits=None if max_credits is None else _whole_number("max_credits", max_credits),
        retry_failed=_check_bool("retry_failed", retry_failed),
        on_event=on_event,
    )


def _estimate(source: object, selection: tuple[int, ...] | None, price: int | None) -> int | None:
    """A batch document's estimated price (None when its pages or price are unknown before
    it is submitted: a URL, a PDF without the ``pdf`` extra, a template's job)."""
    if price is None:
        return None
    if selection is not None:
        return len(selection) * price
    if batch.is_url(source) or not isinstance(source, str | os.PathLike | bytes):
        return None  # a file object is read once, by its upload
    try:
        with open_source(source, None) as opened:
            pages = pricing.count_pages(opened)
    except ValidationError:
        return None  # its submission reports what is wrong with it
    return pricing.estimate_for(pages, price)


def _mapped_emits(plan: Plan[T], change: Callable[[Any], Any]) -> Plan[T]:
    """``plan`` unchanged, but every value it emits passed through ``change``."""
    result: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = plan.throw(error) if error is not None else plan.send(result)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if isinstance(step, Emit):
            step = Emit(change(step.value))
        try:
            result, error = (yield step), None
        except BaseException as exc:  # a step's failure or an interrupt: the plan decides
            result, error = None, exc


def _given(**options: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not None)."""
    return {name: value for name, value in options.items() if value is not None}


def _typed(plan: Plan[JobResult], schema_type: type[Any]) -> Plan[JobResult]:
    """``plan``'s result, carrying the type it was submitted with (for ``parsed``)."""
    result = yield from plan
    return attrs.evolve(result, schema_type=schema_type)


def _whole_number(name: str, value: object, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return value


def _both(first: Callable[..., object] | None, second: Callable[..., object] | None) -> Any:
    """One callback calling ``first`` then ``second`` (either may be None)."""
    if first is None or second is None:
        return first or second

    def both(*args: Any) -> None:
        first(*args)
        second(*args)

    return both


def _check_job_ids(job_ids: object) -> None:
    if isinstance(job_ids, str | bytes) or not isinstance(job_ids, Iterable):
        raise ValidationError(
            f"job_ids must be an iterable of job ids (strings), got {type(job_ids).__name__}"
        )


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be True or False, got {value!r}")
    return value


def _check_no_delete(delete: object) -> None:
    if _check_bool("delete", delete):
        raise ValidationError("delete=True needs wait=True: a job is deleted once its result is in")


def _refuse_unpickled_client(kind: str) -> None:
    raise ConfigurationError(
        f"a {kind} cannot be sent to another process (it holds open connections): create "
        f"a client in each worker, e.g. {kind}() reading LEAPOCR_API_KEY and LEAPOCR_BASE_URL"
    )


class LeapOCR(_ClientBase):
    """The blocking LeapOCR client: submit documents, wait for them, read their results.

    Use it as a context manager (or call ``close()``); a closed client refuses work. Safe
    to share between threads (one client for many threads). Not across processes: a
    client used in a child after ``fork`` raises ``ConfigurationError`` (create one per
    process); it does not pickle. ``on_progress`` runs on the caller's thread;
    ``on_upload_progress`` on the upload worker threads, one call at a time. A callback
    that raises stops the operation (a half-uploaded job is deleted).

    Args:
        api_key: the LeapOCR API key; default ``$LEAPOCR_API_KEY``. Sent in the
            ``X-API-Key`` header to the API and nowhere else; never printed or logged.
        base_url: the API root; default ``$LEAPOCR_BASE_URL``, else
            ``https://api.leapocr.com/api/v1``. It must end in ``/api/v1`` (a 404 from one
            that does not says so). Plain ``http://`` only for loopback hosts, unless
            ``allow_insecure_http``.
        timeout: seconds bounding each whole request (connect, send, the whole answer).
        max_retries: retries of 429, 5xx and connection failures (exponential backoff,
            ``Retry-After`` honoured up to 60 s); other 4xx are never retried.
        http_client: your own ``httpx.Client`` for API calls (proxies, transports); used as
            is and not closed here. Uploads go through a separate plain client.
        upload_concurrency: upload parts sent at once.
        allow_insecure_http: allow plain ``http://`` to a remote host (the key would
            travel unencrypted).
        sleep: replaces ``time.sleep`` (tests run retries and polling instantly).
        clock: replaces ``time.monotonic`` for deadlines.
        rng: a ``random.Random`` for retry jitter.

    Raises:
        ConfigurationError: no API key, a key that is not plain ASCII, a bad base URL or
            setting.

    Example:
        ```python
        from leapocr_sdk import LeapOCR

        with LeapOCR() as client:  # api_key from LEAPOCR_API_KEY
            result = client.process("invoice.pdf", delete=True)
            print(result.markdown)
        ```
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        upload_concurrency: int = C.DEFAULT_UPLOAD_CONCURRENCY,
        allow_insecure_http: bool = False,
        sleep: Callable[[float], object] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check_hook("sleep", sleep)
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            upload_concurrency=upload_concurrency,
            allow_insecure_http=allow_insecure_http,
            clock=clock,
            rng=rng,
        )
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise ConfigurationError(
                "http_client must be an httpx.Client (use AsyncLeapOCR for an httpx.AsyncClient)"
            )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(**self._http_options())
        self._upload_http: httpx.Client | None = None
        self._upload_lock = threading.Lock()  # parts are sent from several threads at once
        self._runner = SyncRunner(
            api=self._http,
            uploads=self._uploads,
            base_url=self._base_url,
            headers=self._auth_headers,
            timeout=self._timeout,
            sleep=sleep,
        )

    def _uploads(self) -> httpx.Client:
        with self._upload_lock:
            if self._upload_http is None:
                self._upload_http = httpx.Client(**self._http_options())
            return self._upload_http

    def process_url(
        self,
        url: str,
        *,
        file_name: str | None = None,
        output_type: OutputFormat | str | None = None,
        model: Model | str | None = None,
        instruction: str | None = None,
        schema: dict[str, Any] | type[Any] | None = None,
        template_slug: str | None = None,
        extract_bounding_boxes: bool = False,
        save_as_template: bool = False,
    ) -> Job:
        """Submit the document (PDF or image) at ``url``; the service fetches it.

        Returns at once with the new job, not yet done: pass ``job.job_id`` to
        ``wait_until_done`` (or use ``process``, which submits and waits).

        Args:
            url: an ``http(s)`` URL the service can download.
            file_name: the name the job gets (default: taken from the URL by the service).
            output_type: ``"markdown"`` (default) or ``"structured"``; a ``schema`` alone
                means structured (``OutputFormat`` values or plain strings).
            model: e.g. ``Model.STANDARD_V2`` (default, 1 credit a page) or
                ``Model.PRO_V2`` (3); any other model name passes through as a string.
            instruction: at most 100 characters of guidance; may go with a schema.
            schema: the fields to extract: a Pydantic model class, a dataclass, a
                ``TypedDict`` (these three need the ``pydantic`` extra) or a JSON schema
                dict; means structured output (each page then costs the model's
                surcharge more).
            template_slug: a template saved on the service; it carries its own format,
                model, schema and instruction, so it excludes all four.
            extract_bounding_boxes: also locate each block of text on its page
                (``PageResult.bounding_boxes``).
            save_as_template: save these options as a template on the service.

        Returns:
            The submitted ``Job`` (``job_id``, ``status``).

        Raises:
            ValidationError: a bad argument or option (found before any request: nothing
                is sent and no credit spent).
            InsufficientCreditsError: the account has too few credits for the job.
            AuthenticationError: the API key was refused.
            RateLimitError: still rate limited after ``max_retries`` retries.
            APIConnectionError: the service could not be reached; with
                ``may_have_been_processed=True`` the job may exist (not retried).
            APIError: any other error answer of the service.
            ConfigurationError: the client is closed.

        Example:
            ```python
            job = client.process_url("https://example.com/invoice.pdf", model=Model.PRO_V2)
            result = client.wait_until_done(job.job_id)
            ```
        """
        return self._runner.run(
            self._process_url_plan(
                url,
                file_name,
                output_type=output_type,
                model=model,
                instruction=instruction,
                schema=schema,
                template_slug=template_slug,
                extract_bounding_boxes=extract_bounding_boxes,
                save_as_template=save_as_template,
            )
        )

    def process_file(
        self,
        file: FileInput,
        *,
        file_name: str | None = None,
        output_type: OutputFormat | str | None = None,
        model: Model | str | None = None,
        instruction: str | None = None,
        schema: dict[str, Any] | type[Any] | None = None,
        template_slug: str | None = None,
        extract_bounding_boxes: bool = False,
        save_as_template: bool = False,
        on_upload_progress: Callable[[int, int], object] | None = None,
        pages: str | Sequence[int] | None = None,
    ) -> Job:
        """Upload a local document in parts and start its job.

        The file is read part by part from disk as it is sent (a 1 GiB file never sits in
        memory): one part under 50 MiB, 5 MiB parts from 50 MiB up, ``upload_concurrency``
        at a time, each retried on its own. If a part still fails, the upload is not
        completed and the half-uploaded job is deleted. Returns once the upload is
        complete, before the job is done: wait with ``wait_until_done(job.job_id)``.
        Ctrl-C (or cancelling the task) deletes the half-uploaded job and re-raises.

        Args:
            file: a path (``str`` or ``os.PathLike``), ``bytes``, or a binary file object
                (opened with ``"rb"``). PDF, PNG, JPEG, TIFF or WebP, 1 byte to 1 GiB; the
                type is read from the first bytes (not the name), and anything else is
                refused before any request.
            file_name: the name the job gets (default: the file's own name).
            output_type: ``"markdown"`` (default) or ``"structured"``; a ``schema`` alone
                means structured (``OutputFormat`` values or plain strings).
            model: e.g. ``Model.STANDARD_V2`` (default, 1 credit a page) or
                ``Model.PRO_V2`` (3); any other model name passes through as a string.
            instruction: at most 100 characters of guidance; may go with a schema.
            schema: the fields to extract: a Pydantic model class, a dataclass, a
                ``TypedDict`` (these three need the ``pydantic`` extra) or a JSON schema
                dict; means structured output (each page then costs the model's
                surcharge more).
            template_slug: a template saved on the service; it carries its own format,
                model, schema and instruction, so it excludes all four.
            extract_bounding_boxes: also locate each block of text on its page
                (``PageResult.bounding_boxes``).
            save_as_template: save these options as a template on the service.
            on_upload_progress: called as ``(bytes_sent, total_bytes)`` while uploading;
                an exception it raises stops the upload (the job is deleted).
            pages: only these pages of a PDF, e.g. ``"1-3,7"`` or ``[2, 4]`` (1-based):
                the PDF is cut locally to a temporary file (needs the ``pdf`` extra) and
                only those pages are uploaded and paid for; this client's
                ``wait_until_done``, ``get_result`` and ``iter_pages`` number them as in
                the original.

        Returns:
            The submitted ``Job`` (``job_id``, ``status``), not yet done.

        Raises:
            ValidationError: a bad argument or option (found before any request: nothing
                is sent and no credit spent), e.g. ``pages`` beyond the document's end,
                ``pages`` of an image, or a Python type as ``schema`` without pydantic.
            InsufficientCreditsError: the account has too few credits for the job.
            AuthenticationError: the API key was refused.
            RateLimitError: still rate limited after ``max_retries`` retries.
            APIConnectionError: the service could not be reached; with
                ``may_have_been_processed=True`` the job may exist (not retried).
            APIError: any other error answer of the service.
            ConfigurationError: the client is closed.
            UploadError: a part could not be uploaded after its retries, or the file
                changed while it was read; ``part_number`` names it, ``job_deleted`` says
                whether the half-uploaded job was deleted. ``complete`` was not sent.

        Example:
            ```python
            with LeapOCR() as client:  # api_key from LEAPOCR_API_KEY
                job = client.process_file("invoice.pdf", schema={"type": "object"})
                result = client.wait_until_done(job.job_id)
                print(result.data)
            ```
        """
        options = self._file_options(
            on_upload_progress,
            output_type=output_type,
            model=model,
            instruction=instruction,
            schema=schema,
            template_slug=template_slug,
            extract_bounding_boxes=extract_bounding_boxes,
            save_as_template=save_as_template,
        )
        selection = check_pages(pages)
        with self._open_document(file, file_name, selection) as source:
            plan = self._process_file_plan(source, options, on_upload_progress, selection)
            return self._runner.run(plan)

    def get_status(self, job_id: str) -> JobStatusInfo:
        """The job's current status and progress (one request, retried when safe).

        Args:
            job_id: the id of a job (``Job.job_id``).

        Returns:
            A ``JobStatusInfo``: ``status``, ``progress`` 0..1, processed and total pages,
            ``error_message``, and ``deleted_at`` set once the job was deleted.

        Raises:
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key (its message adds a hint when the
                base URL lacks ``/api/v1``).
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
        """
        return self._runner.run(self._job_plan(plans.get_status, job_id))

    def get_result(self, job_id: str) -> JobResult:
        """The finished job's result, every page (1,000 a request, 2..N eight at a time).

        A ``partially_done`` job comes back like a completed one: check
        ``result.status`` and compare ``len(result.pages)`` with ``result.total_pages``.

        Args:
            job_id: the id of a job (``Job.job_id``).

        Returns:
            A ``JobResult`` with every page in order.

        Raises:
            JobNotReadyError: the job is still pending or processing.
            JobFailedError: the job failed (``error_message`` says why).
            JobDeletedError: the job was deleted; its result is gone.
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key (its message adds a hint when the
                base URL lacks ``/api/v1``).
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
            UnexpectedResponseError: a result page the SDK cannot read.
        """
        return self._runner.run(self._result_plan(job_id))

    def iter_pages(self, job_id: str) -> Iterator[PageResult]:
        """The finished job's pages, in order, as they arrive; the job id is checked at the
        call, before any request.

        For results too big to hold at once: ``get_result`` collects the same pages. Result
        requests go 1,000 pages at a time, requests 2..N eight at a time.

        Args:
            job_id: the id of a finished job (``Job.job_id``).

        Returns:
            An iterator of ``PageResult``, in page order; at most eight result requests'
            worth of pages are held at once.

        Raises:
            JobNotReadyError: the job is still pending or processing.
            JobFailedError: the job failed (``error_message`` says why).
            JobDeletedError: the job was deleted; its result is gone.
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key.
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
            UnexpectedResponseError: a result page the SDK cannot read, or paging that
                adds nothing.

        Example:
            >>> for page in client.iter_pages(job.job_id):  # doctest: +SKIP
            ...     print(page.page_number, len(page.text or ""))
        """
        return self._runner.iterate(self._pages_plan(job_id))

    def wait_until_done(
        self,
        job_id: str,
        *,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        on_progress: Callable[[JobStatusInfo], object] | None = None,
    ) -> JobResult:
        """Poll until the job is finished, then return its whole result.

        The result endpoint answers 202 while the job runs, so a finished job costs no
        extra request. ``completed`` and ``partially_done`` both return the result (see
        ``get_result`` for telling them apart).

        Args:
            job_id: the id of a job (``Job.job_id``).
            poll_interval: seconds before the first poll of a job this client just
                submitted, and the shortest gap between polls; later polls go near the
                moment the job's page-by-page progress predicts it ends, at most 4x
                apart (without progress to go on, the gap grows x1.25 per poll).
            timeout: seconds to wait in all; raises ``WaitTimeoutError`` past it (the job
                keeps running on the service).
            on_progress: called with a ``JobStatusInfo`` on every poll (on the caller's
                thread, or on the event loop for ``AsyncLeapOCR``).

        Returns:
            The finished job's ``JobResult``.

        Raises:
            JobFailedError: the job ended ``failed`` (``error_message`` says why).
            WaitTimeoutError: ``timeout`` passed first (``last_status`` holds the last
                poll; the job keeps running on the service).
            JobDeletedError: the job was deleted.
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key (its message adds a hint when the
                base URL lacks ``/api/v1``).
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.

        Example:
            ```python
            result = client.wait_until_done(job.job_id, timeout=120, on_progress=print)
            ```
        """
        return self._runner.run(self._wait_plan(job_id, poll_interval, timeout, on_progress))

    def delete_job(self, job_id: str) -> None:
        """Delete the job and redact its content on the service.

        Afterwards ``get_result`` and ``wait_until_done`` raise ``JobDeletedError`` and
        ``get_status`` shows ``deleted_at``.

        Args:
            job_id: the id of a job (``Job.job_id``).

        Raises:
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key (its message adds a hint when the
                base URL lacks ``/api/v1``).
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
        """
        self._runner.run(self._job_plan(plans.delete_job, job_id))

    def list_models(self) -> list[ModelInfo]:
        """The processing models the service offers, with their credit cost.

        The service declares ``GET /ocr/models`` for dashboard sessions and may refuse an
        API key there; ``leapocr_sdk.builtin_models()`` gives the documented catalogue
        offline.

        Returns:
            One ``ModelInfo`` per model (``name``, ``display_name``, ``credits_per_page``).

        Raises:
            AuthenticationError: the service refused the API key for this endpoint.
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
        """
        self._ensure_open()
        return self._runner.run(plans.list_models(self._ctx))

    def health(self) -> HealthStatus:
        """The service's health (``GET /health``, asked once, no retries).

        Returns:
            A ``HealthStatus``; a 503 with a health body is an answer (``healthy`` False).

        Raises:
            APIConnectionError: the service could not be reached.
            APIError: an error answer other than 503.
        """
        self._ensure_open()
        return self._runner.run(plans.health(self._ctx))

    # --- many documents ---------------------------------------------------------------

    @overload
    def process(
        self,
        source: object,
        *,
        schema: type[P],
        wait: Literal[True] = ...,
        delete: bool = ...,
        pages: str | Sequence[int] | None = ...,
        **options: Any,
    ) -> JobResult[P]: ...

    @overload
    def process(
        self,
        source: object,
        *,
        schema: dict[str, Any] | None = ...,
        wait: Literal[True] = ...,
        delete: bool = ...,
        pages: str | Sequence[int] | None = ...,
        **options: Any,
    ) -> JobResult: ...

    @overload
    def process(
        self,
        source: object,
        *,
        wait: Literal[False],
        delete: bool = ...,
        schema: dict[str, Any] | type[Any] | None = ...,
        pages: str | Sequence[int] | None = ...,
        **options: Any,
    ) -> Job: ...

    def process(
        self,
        source: object,
        *,
        wait: bool = True,
        delete: bool = False,
        schema: dict[str, Any] | type[Any] | None = None,
        pages: str | Sequence[int] | None = None,
        **options: Any,
    ) -> JobResult[Any] | Job:
        """Submit one document, wait for it and return its result.

        With ``delete=True`` the job is deleted afterwards, also when the wait fails,
        times out or is interrupted (Ctrl-C, task cancellation).

        Args:
            source: a path, ``bytes``, a binary file object, or an ``http(s)`` URL (sent
                with ``process_url``).
            wait: ``False`` returns the submitted ``Job`` at once.
            delete: delete the job once its result is in (needs ``wait=True``).
            schema: the fields to extract: a Pydantic model class, a dataclass or a
                ``TypedDict`` (needs the ``pydantic`` extra; ``result.parsed`` is then an
                instance of it), or a JSON schema dict (``result.parsed`` is the dict).
            pages: only these pages of a local PDF (``"1-3,7"`` or ``[2, 4]``; needs the
                ``pdf`` extra); the result numbers them as in the original document.
            **options: the options of ``process_file`` / ``process_url`` (``output_type``,
                ``model``, ``instruction``, ``file_name``, ...) and ``wait_until_done``'s
                ``poll_interval``, ``timeout``, ``on_progress``.

        Returns:
            The ``JobResult`` (or the ``Job`` with ``wait=False``).

        Raises:
            ValidationError: a bad argument or an unknown option (before any request).
            UploadError: a part could not be uploaded (the job is deleted).
            JobFailedError: the job failed.
            WaitTimeoutError: the job did not finish within ``timeout``.
            APIError: an error answer of the service (e.g. ``InsufficientCreditsError``).
            APIConnectionError: the service could not be reached after the retries.

        Example:
            ```python
            result = client.process("invoice.pdf", delete=True)
            print(result.markdown)
            ```
        """
        self._ensure_open()
        options = {**options, **_given(schema=schema, pages=pages)}
        wait_for = self._wait_flow(options)
        submission = self._submission_flow(options)[0](source, None)
        if not _check_bool("wait", wait):
            _check_no_delete(delete)
            return self._runner.run(submission)
        handle = batch.JobHandle()
        try:
            return self._runner.run(
                batch.process(
                    self._ctx,
                    submission,
                    lambda job_id: wait_for(job_id, None),
                    _check_bool("delete", delete),
                    handle,
                )
            )
        except BaseException:
            if delete and handle.needs_delete:  # interrupted: the plan could not clean up
                self._runner.run(plans.discard_job(self._ctx, handle.job_id or ""))
            raise

    def process_many(
        self,
        sources: Iterable[Any],
        *,
        concurrency: int = C.DEFAULT_BATCH_CONCURRENCY,
        submit_rate: float | None = None,
        delete: bool = False,
        journal: Journal | str | os.PathLike[str] | None = None,
        retry_failed: bool = False,
        max_credits: int | None = None,
        on_event: Callable[[BatchEvent], object] | None = None,
        **options: Any,
    ) -> Iterator[BatchItem]:
        """Process many documents, ``concurrency`` at a time, one ``BatchItem`` each.

        Items come in the order the documents finish. One failure never stops the rest:
        it is the item's ``error``. Sources are pulled lazily (a generator of a million
        paths runs in flat memory). Breaking out of the loop stops the batch. With a
        ``journal`` the batch is resumable: run it again after a crash and finished
        sources are skipped, submitted ones waited on, failed ones resubmitted only with
        ``retry_failed=True``; an item counts as done once your loop takes the next one.

        Args:
            sources: an iterable of paths, URLs, ``bytes`` or binary file objects.
            concurrency: documents in flight at once.
            submit_rate: at most this many job creations per second (None: no cap); each
                429 pauses the whole batch for the service's ``Retry-After``.
            delete: delete each job once its result is in.
            journal: a SQLite file path or a ``Journal``: makes the batch resumable.
            retry_failed: resubmit sources the journal records as failed.
            max_credits: a budget: each document's price is estimated before it is
                submitted (pages x the price of a page with the job's options), and a
                document whose estimate, added to the credits spent and reserved by the
                documents in flight, would pass the budget is not submitted (its item's
                error is ``CreditBudgetExceededError``) and the batch submits nothing
                more. A document whose pages cannot be counted beforehand (a URL, a PDF
                without the ``pdf`` extra, a template's job) goes alone and is counted
                from its first status: it alone may pass the budget.
            on_event: called with a ``BatchEvent`` (``uploading``, ``submitted``,
                ``waiting``, ``throttled``, ``finished``) per source.
            **options: the processing and waiting options of ``process`` (``schema``
                types give each result its ``parsed``; ``pages`` applies to every PDF).

        Returns:
            An iterator (``async for`` on ``AsyncLeapOCR``) of ``BatchItem``s: ``source``,
            ``job_id``, ``result`` or ``error``, ``credits``, ``estimated_credits``,
            ``skipped``, ``outputs``.

        Raises:
            ValidationError: a bad argument or option (before any request); errors of
                single documents are items, not raised.

        Example:
            ```python
            for item in client.process_many(Path("scans").glob("*.pdf"), journal="b.sqlite"):
                print(item.source, item.ok, item.error)
            ```
        """
        settings = _batch_settings(concurrency, submit_rate, max_credits, retry_failed, on_event)
        plan, opened = self._batch_plan(
            sources, settings, _check_bool("delete", delete), journal, options
        )
        return self._items(plan, opened)

    def _items(self, plan: Plan[None], journal: Journal | None) -> Iterator[BatchItem]:
        try:
            yield from self._runner.iterate(plan)
        finally:
            if journal is not None:
                journal.close()

    def as_completed(
        self,
        job_ids: Iterable[str],
        *,
        concurrency: int = C.DEFAULT_BATCH_CONCURRENCY * 4,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
    ) -> Iterator[BatchItem]:
        """Wait on jobs submitted elsewhere; one ``BatchItem`` per job as each finishes.

        Args:
            job_ids: the ids of the jobs to wait on.
            concurrency: jobs polled at once.
            poll_interval: seconds before the first poll of a job this client just
                submitted, and the shortest gap between polls; later polls go near the
                moment the job's page-by-page progress predicts it ends, at most 4x
                apart (without progress to go on, the gap grows x1.25 per poll).
            timeout: seconds to wait in all; raises ``WaitTimeoutError`` past it (the job
                keeps running on the service).

        Returns:
            An iterator (``async for`` on ``AsyncLeapOCR``) of ``BatchItem``s whose
            ``source`` is the job id; a failed job is an item with ``error``.

        Raises:
            ValidationError: ``job_ids`` is not an iterable of job ids, or a bad setting.
        """
        return self._runner.iterate(
            self._as_completed_plan(job_ids, concurrency, poll_interval, timeout)
        )

    def wait_many(
        self,
        job_ids: Iterable[str],
        *,
        concurrency: int = C.DEFAULT_BATCH_CONCURRENCY * 4,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
    ) -> list[BatchItem]:
        """``as_completed``, collected: one ``BatchItem`` per job, in the order given.

        Args:
            job_ids: the ids of the jobs to wait on.
            concurrency: jobs polled at once.
            poll_interval: seconds before the first poll of a job this client just
                submitted, and the shortest gap between polls; later polls go near the
                moment the job's page-by-page progress predicts it ends, at most 4x
                apart (without progress to go on, the gap grows x1.25 per poll).
            timeout: seconds to wait in all; raises ``WaitTimeoutError`` past it (the job
                keeps running on the service).

        Returns:
            The ``BatchItem``s in the order of ``job_ids``.

        Raises:
            ValidationError: ``job_ids`` is not an iterable of job ids, or a bad setting.
        """
        _check_job_ids(job_ids)
        ids = list(job_ids)
        items = {
            item.job_id: item
            for item in self.as_completed(
                ids, concurrency=concurrency, poll_interval=poll_interval, timeout=timeout
            )
        }
        return [items[job_id] for job_id in ids]

    def close(self) -> None:
        """Close the connections this client opened (not a caller's own http_client)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            self._http.close()
        if self._upload_http is not None:
            self._upload_http.close()

    def __enter__(self) -> Self:
        self._ensure_open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncLeapOCR(_ClientBase):
    """The asyncio LeapOCR client: the methods of ``LeapOCR``, each a coroutine.

    Use it with ``async with`` (or ``await aclose()``). Bound to the event loop that
    first uses it, and used from that loop's thread: another loop (a second
    ``asyncio.run``) or a child after ``fork`` gets ``ConfigurationError``; create one
    client per loop. ``on_progress`` and ``on_upload_progress`` run on the loop and may be
    coroutine functions (awaited) or plain functions.

    Args:
        api_key: the LeapOCR API key; default ``$LEAPOCR_API_KEY``. Sent in the
            ``X-API-Key`` header to the API and nowhere else; never printed or logged.
        base_url: the API root; default ``$LEAPOCR_BASE_URL``, else
            ``https://api.leapocr.com/api/v1``. It must end in ``/api/v1`` (a 404 from one
            that does not says so). Plain ``http://`` only for loopback hosts, unless
            ``allow_insecure_http``.
        timeout: seconds bounding each whole request (connect, send, the whole answer).
        max_retries: retries of 429, 5xx and connection failures (exponential backoff,
            ``Retry-After`` honoured up to 60 s); other 4xx are never retried.
        http_client: your own ``httpx.AsyncClient`` for API calls (proxies, transports); used as
            is and not closed here. Uploads go through a separate plain client.
        upload_concurrency: upload parts sent at once.
        allow_insecure_http: allow plain ``http://`` to a remote host (the key would
            travel unencrypted).
        sleep: a coroutine function replacing ``asyncio.sleep`` (tests run retries and
            polling instantly).
        clock: replaces ``time.monotonic`` for deadlines.
        rng: a ``random.Random`` for retry jitter.

    Raises:
        ConfigurationError: no API key, a key that is not plain ASCII, a bad base URL or
            setting.

    Example:
        ```python
        import asyncio
        from leapocr_sdk import AsyncLeapOCR

        async def main() -> None:
            async with AsyncLeapOCR() as client:
                result = await client.process("invoice.pdf", delete=True)
                print(result.markdown)

        asyncio.run(main())
        ```
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        http_client: httpx.AsyncClient | None = None,
        upload_concurrency: int = C.DEFAULT_UPLOAD_CONCURRENCY,
        allow_insecure_http: bool = False,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check_hook("sleep", sleep)
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            upload_concurrency=upload_concurrency,
            allow_insecure_http=allow_insecure_http,
            clock=clock,
            rng=rng,
        )
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise ConfigurationError(
                "http_client must be an httpx.AsyncClient (use LeapOCR for an httpx.Client)"
            )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(**self._http_options())
        self._upload_http: httpx.AsyncClient | None = None
        from ._async_runner import AsyncRunner

        self._runner = AsyncRunner(
            api=self._http,
            uploads=self._uploads,
            base_url=self._base_url,
            headers=self._auth_headers,
            timeout=self._timeout,
            sleep=sleep,
        )

    def _uploads(self) -> httpx.AsyncClient:
        if self._upload_http is None:
            self._upload_http = httpx.AsyncClient(**self._http_options())
        return self._upload_http

    async def process_url(
        self,
        url: str,
        *,
        file_name: str | None = None,
        output_type: OutputFormat | str | None = None,
        model: Model | str | None = None,
        instruction: str | None = None,
        schema: dict[str, Any] | type[Any] | None = None,
        template_slug: str | None = None,
        extract_bounding_boxes: bool = False,
        save_as_template: bool = False,
    ) -> Job:
        """Submit the document (PDF or image) at ``url``; the service fetches it.

        Returns at once with the new job, not yet done: pass ``job.job_id`` to
        ``wait_until_done`` (or use ``process``, which submits and waits).

        Args:
            url: an ``http(s)`` URL the service can download.
            file_name: the name the job gets (default: taken from the URL by the service).
            output_type: ``"markdown"`` (default) or ``"structured"``; a ``schema`` alone
                means structured (``OutputFormat`` values or plain strings).
            model: e.g. ``Model.STANDARD_V2`` (default, 1 credit a page) or
                ``Model.PRO_V2`` (3); any other model name passes through as a string.
            instruction: at most 100 characters of guidance; may go with a schema.
            schema: the fields to extract: a Pydantic model class, a dataclass, a
                ``TypedDict`` (these three need the ``pydantic`` extra) or a JSON schema
                dict; means structured output (each page then costs the model's
                surcharge more).
            template_slug: a template saved on the service; it carries its own format,
                model, schema and instruction, so it excludes all four.
            extract_bounding_boxes: also locate each block of text on its page
                (``PageResult.bounding_boxes``).
            save_as_template: save these options as a template on the service.

        Returns:
            The submitted ``Job`` (``job_id``, ``status``).

        Raises:
            ValidationError: a bad argument or option (found before any request: nothing
                is sent and no credit spent).
            InsufficientCreditsError: the account has too few credits for the job.
            AuthenticationError: the API key was refused.
            RateLimitError: still rate limited after ``max_retries`` retries.
            APIConnectionError: the service could not be reached; with
                ``may_have_been_processed=True`` the job may exist (not retried).
            APIError: any other error answer of the service.
            ConfigurationError: the client is closed.

        Example:
            ```python
            job = await client.process_url("https://example.com/invoice.pdf", model=Model.PRO_V2)
            result = await client.wait_until_done(job.job_id)
            ```
        """
        return await self._runner.run(
            self._process_url_plan(
                url,
                file_name,
                output_type=output_type,
                model=model,
                instruction=instruction,
                schema=schema,
                template_slug=template_slug,
                extract_bounding_boxes=extract_bounding_boxes,
                save_as_template=save_as_template,
            )
        )

    async def process_file(
        self,
        file: FileInput,
        *,
        file_name: str | None = None,
        output_type: OutputFormat | str | None = None,
        model: Model | str | None = None,
        instruction: str | None = None,
        schema: dict[str, Any] | type[Any] | None = None,
        template_slug: str | None = None,
        extract_bounding_boxes: bool = False,
        save_as_template: bool = False,
        on_upload_progress: Callable[[int, int], object] | None = None,
        pages: str | Sequence[int] | None = None,
    ) -> Job:
        """Upload a local document in parts and start its job.

        The file is read part by part from disk as it is sent (a 1 GiB file never sits in
        memory): one part under 50 MiB, 5 MiB parts from 50 MiB up, ``upload_concurrency``
        at a time, each retried on its own. If a part still fails, the upload is not
        completed and the half-uploaded job is deleted. Returns once the upload is
        complete, before the job is done: wait with ``wait_until_done(job.job_id)``.
        Ctrl-C (or cancelling the task) deletes the half-uploaded job and re-raises.

        Args:
            file: a path (``str`` or ``os.PathLike``), ``bytes``, or a binary file object
                (opened with ``"rb"``). PDF, PNG, JPEG, TIFF or WebP, 1 byte to 1 GiB; the
                type is read from the first bytes (not the name), and anything else is
                refused before any request.
            file_name: the name the job gets (default: the file's own name).
            output_type: ``"markdown"`` (default) or ``"structured"``; a ``schema`` alone
                means structured (``OutputFormat`` values or plain strings).
            model: e.g. ``Model.STANDARD_V2`` (default, 1 credit a page) or
                ``Model.PRO_V2`` (3); any other model name passes through as a string.
            instruction: at most 100 characters of guidance; may go with a schema.
            schema: the fields to extract: a Pydantic model class, a dataclass, a
                ``TypedDict`` (these three need the ``pydantic`` extra) or a JSON schema
                dict; means structured output (each page then costs the model's
                surcharge more).
            template_slug: a template saved on the service; it carries its own format,
                model, schema and instruction, so it excludes all four.
            extract_bounding_boxes: also locate each block of text on its page
                (``PageResult.bounding_boxes``).
            save_as_template: save these options as a template on the service.
            on_upload_progress: called as ``(bytes_sent, total_bytes)`` while uploading;
                an exception it raises stops the upload (the job is deleted).
            pages: only these pages of a PDF, e.g. ``"1-3,7"`` or ``[2, 4]`` (1-based):
                the PDF is cut locally to a temporary file (needs the ``pdf`` extra) and
                only those pages are uploaded and paid for; this client's
                ``wait_until_done``, ``get_result`` and ``iter_pages`` number them as in
                the original.

        Returns:
            The submitted ``Job`` (``job_id``, ``status``), not yet done.

        Raises:
            ValidationError: a bad argument or option (found before any request: nothing
                is sent and no credit spent), e.g. ``pages`` beyond the document's end,
                ``pages`` of an image, or a Python type as ``schema`` without pydantic.
            InsufficientCreditsError: the account has too few credits for the job.
            AuthenticationError: the API key was refused.
            RateLimitError: still rate limited after ``max_retries`` retries.
            APIConnectionError: the service could not be reached; with
                ``may_have_been_processed=True`` the job may exist (not retried).
            APIError: any other error answer of the service.
            ConfigurationError: the client is closed.
            UploadError: a part could not be uploaded after its retries, or the file
                changed while it was read; ``part_number`` names it, ``job_deleted`` says
                whether the half-uploaded job was deleted. ``complete`` was not sent.

        Example:
            ```python
            async with AsyncLeapOCR() as client:  # api_key from LEAPOCR_API_KEY
                job = await client.process_file("invoice.pdf", schema={"type": "object"})
                result = await client.wait_until_done(job.job_id)
                print(result.data)
            ```
        """
        options = self._file_options(
            on_upload_progress,
            output_type=output_type,
            model=model,
            instruction=instruction,
            schema=schema,
            template_slug=template_slug,
            extract_bounding_boxes=extract_bounding_boxes,
            save_as_template=save_as_template,
        )
        selection = check_pages(pages)
        with self._open_document(file, file_name, selection) as source:
            plan = self._process_file_plan(source, options, on_upload_progress, selection)
            return await self._runner.run(plan)

    async def get_status(self, job_id: str) -> JobStatusInfo:
        """The job's current status and progress (one request, retried when safe).

        Args:
            job_id: the id of a job (``Job.job_id``).

        Returns:
            A ``JobStatusInfo``: ``status``, ``progress`` 0..1, processed and total pages,
            ``error_message``, and ``deleted_at`` set once the job was deleted.

        Raises:
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key (its message adds a hint when the
                base URL lacks ``/api/v1``).
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
        """
        return await self._runner.run(self._job_plan(plans.get_status, job_id))

    async def get_result(self, job_id: str) -> JobResult:
        """The finished job's result, every page (1,000 a request, 2..N eight at a time).

        A ``partially_done`` job comes back like a completed one: check
        ``result.status`` and compare ``len(result.pages)`` with ``result.total_pages``.

        Args:
            job_id: the id of a job (``Job.job_id``).

        Returns:
            A ``JobResult`` with every page in order.

        Raises:
            JobNotReadyError: the job is still pending or processing.
            JobFailedError: the job failed (``error_message`` says why).
            JobDeletedError: the job was deleted; its result is gone.
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key (its message adds a hint when the
                base URL lacks ``/api/v1``).
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
            UnexpectedResponseError: a result page the SDK cannot read.
        """
        return await self._runner.run(self._result_plan(job_id))

    def iter_pages(self, job_id: str) -> AsyncIterator[PageResult]:
        """The finished job's pages, in order, as they arrive; the job id is checked at the
        call, before any request.

        For results too big to hold at once: ``get_result`` collects the same pages. Result
        requests go 1,000 pages at a time, requests 2..N eight at a time.

        Args:
            job_id: the id of a finished job (``Job.job_id``).

        Returns:
            An async iterator of ``PageResult``, in page order; at most eight result requests'
            worth of pages are held at once.

        Raises:
            JobNotReadyError: the job is still pending or processing.
            JobFailedError: the job failed (``error_message`` says why).
            JobDeletedError: the job was deleted; its result is gone.
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key.
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
            UnexpectedResponseError: a result page the SDK cannot read, or paging that
                adds nothing.

        Example:
            >>> async for page in client.iter_pages(job.job_id):  # doctest: +SKIP
            ...     print(page.page_number, len(page.text or ""))
        """
        return self._runner.iterate(self._pages_plan(job_id))

    async def wait_until_done(
        self,
        job_id: str,
        *,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        on_progress: Callable[[JobStatusInfo], object] | None = None,
    ) -> JobResult:
        """Poll until the job is finished, then return its whole result.

        The result endpoint answers 202 while the job runs, so a finished job costs no
        extra request. ``completed`` and ``partially_done`` both return the result (see
        ``get_result`` for telling them apart).

        Args:
            job_id: the id of a job (``Job.job_id``).
            poll_interval: seconds before the first poll of a job this client just
                submitted, and the shortest gap between polls; later polls go near the
                moment the job's page-by-page progress predicts it ends, at most 4x
                apart (without progress to go on, the gap grows x1.25 per poll).
            timeout: seconds to wait in all; raises ``WaitTimeoutError`` past it (the job
                keeps running on the service).
            on_progress: called with a ``JobStatusInfo`` on every poll (on the caller's
                thread, or on the event loop for ``AsyncLeapOCR``).

        Returns:
            The finished job's ``JobResult``.

        Raises:
            JobFailedError: the job ended ``failed`` (``error_message`` says why).
            WaitTimeoutError: ``timeout`` passed first (``last_status`` holds the last
                poll; the job keeps running on the service).
            JobDeletedError: the job was deleted.
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key (its message adds a hint when the
                base URL lacks ``/api/v1``).
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.

        Example:
            ```python
            result = await client.wait_until_done(job.job_id, timeout=120, on_progress=print)
            ```
        """
        return await self._runner.run(self._wait_plan(job_id, poll_interval, timeout, on_progress))

    async def delete_job(self, job_id: str) -> None:
        """Delete the job and redact its content on the service.

        Afterwards ``get_result`` and ``wait_until_done`` raise ``JobDeletedError`` and
        ``get_status`` shows ``deleted_at``.

        Args:
            job_id: the id of a job (``Job.job_id``).

        Raises:
            ValidationError: ``job_id`` is not a usable job id (before any request).
            NotFoundError: no such job for this key (its message adds a hint when the
                base URL lacks ``/api/v1``).
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
        """
        await self._runner.run(self._job_plan(plans.delete_job, job_id))

    async def list_models(self) -> list[ModelInfo]:
        """The processing models the service offers, with their credit cost.

        The service declares ``GET /ocr/models`` for dashboard sessions and may refuse an
        API key there; ``leapocr_sdk.builtin_models()`` gives the documented catalogue
        offline.

        Returns:
            One ``ModelInfo`` per model (``name``, ``display_name``, ``credits_per_page``).

        Raises:
            AuthenticationError: the service refused the API key for this endpoint.
            APIConnectionError: the service could not be reached after the retries.
            APIError: any other error answer of the service.
        """
        self._ensure_open()
        return await self._runner.run(plans.list_models(self._ctx))

    async def health(self) -> HealthStatus:
        """The service's health (``GET /health``, asked once, no retries).

        Returns:
            A ``HealthStatus``; a 503 with a health body is an answer (``healthy`` False).

        Raises:
            APIConnectionError: the service could not be reached.
            APIError: an error answer other than 503.
        """
        self._ensure_open()
        return await self._runner.run(plans.health(self._ctx))

    # --- many documents ---------------------------------------------------------------

    @overload
    async def process(
        self,
        source: object,
        *,
        schema: type[P],
        wait: Literal[True] = ...,
        delete: bool = ...,
        pages: str | Sequence[int] | None = ...,
        **options: Any,
    ) -> JobResult[P]: ...

    @overload
    async def process(
        self,
        source: object,
        *,
        schema: dict[str, Any] | None = ...,
        wait: Literal[True] = ...,
        delete: bool = ...,
        pages: str | Sequence[int] | None = ...,
        **options: Any,
    ) -> JobResult: ...

    @overload
    async def process(
        self,
        source: object,
        *,
        wait: Literal[False],
        delete: bool = ...,
        schema: dict[str, Any] | type[Any] | None = ...,
        pages: str | Sequence[int] | None = ...,
        **options: Any,
    ) -> Job: ...

    async def process(
        self,
        source: object,
        *,
        wait: bool = True,
        delete: bool = False,
        schema: dict[str, Any] | type[Any] | None = None,
        pages: str | Sequence[int] | None = None,
        **options: Any,
    ) -> JobResult[Any] | Job:
        """Submit one document, wait for it and return its result.

        With ``delete=True`` the job is deleted afterwards, also when the wait fails,
        times out or is interrupted (Ctrl-C, task cancellation).

        Args:
            source: a path, ``bytes``, a binary file object, or an ``http(s)`` URL (sent
                with ``process_url``).
            wait: ``False`` returns the submitted ``Job`` at once.
            delete: delete the job once its result is in (needs ``wait=True``).
            schema: the fields to extract: a Pydantic model class, a dataclass or a
                ``TypedDict`` (needs the ``pydantic`` extra; ``result.parsed`` is then an
                instance of it), or a JSON schema dict (``result.parsed`` is the dict).
            pages: only these pages of a local PDF (``"1-3,7"`` or ``[2, 4]``; needs the
                ``pdf`` extra); the result numbers them as in the original document.
            **options: the options of ``process_file`` / ``process_url`` (``output_type``,
                ``model``, ``instruction``, ``file_name``, ...) and ``wait_until_done``'s
                ``poll_interval``, ``timeout``, ``on_progress``.

        Returns:
            The ``JobResult`` (or the ``Job`` with ``wait=False``).

        Raises:
            ValidationError: a bad argument or an unknown option (before any request).
            UploadError: a part could not be uploaded (the job is deleted).
            JobFailedError: the job failed.
            WaitTimeoutError: the job did not finish within ``timeout``.
            APIError: an error answer of the service (e.g. ``InsufficientCreditsError``).
            APIConnectionError: the service could not be reached after the retries.

        Example:
            ```python
            result = await client.process("invoice.pdf", delete=True)
            print(result.markdown)
            ```
        """
        self._ensure_open()
        options = {**options, **_given(schema=schema, pages=pages)}
        wait_for = self._wait_flow(options)
        submission = self._submission_flow(options)[0](source, None)
        if not _check_bool("wait", wait):
            _check_no_delete(delete)
            return await self._runner.run(submission)
        handle = batch.JobHandle()
        try:
            return await self._runner.run(
                batch.process(
                    self._ctx,
                    submission,
                    lambda job_id: wait_for(job_id, None),
                    _check_bool("delete", delete),
                    handle,
                )
            )
        except BaseException:
            if delete and handle.needs_delete:  # interrupted: the plan could not clean up
                await self._runner.run(plans.discard_job(self._ctx, handle.job_id or ""))
            raise

    def process_many(
        self,
        sources: Iterable[Any],
        *,
        concurrency: int = C.DEFAULT_BATCH_CONCURRENCY,
        submit_rate: float | None = None,
        delete: bool = False,
        journal: Journal | str | os.PathLike[str] | None = None,
        retry_failed: bool = False,
        max_credits: int | None = None,
        on_event: Callable[[BatchEvent], object] | None = None,
        **options: Any,
    ) -> AsyncIterator[BatchItem]:
        """Process many documents, ``concurrency`` at a time, one ``BatchItem`` each.

        Items come in the order the documents finish. One failure never stops the rest:
        it is the item's ``error``. Sources are pulled lazily (a generator of a million
        paths runs in flat memory). Breaking out of the loop stops the batch. With a
        ``journal`` the batch is resumable: run it again after a crash and finished
        sources are skipped, submitted ones waited on, failed ones resubmitted only with
        ``retry_failed=True``; an item counts as done once your loop takes the next one.

        Args:
            sources: an iterable of paths, URLs, ``bytes`` or binary file objects.
            concurrency: documents in flight at once.
            submit_rate: at most this many job creations per second (None: no cap); each
                429 pauses the whole batch for the service's ``Retry-After``.
            delete: delete each job once its result is in.
            journal: a SQLite file path or a ``Journal``: makes the batch resumable.
            retry_failed: resubmit sources the journal records as failed.
            max_credits: a budget: each document's price is estimated before it is
                submitted (pages x the price of a page with the job's options), and a
                document whose estimate, added to the credits spent and reserved by the
                documents in flight, would pass the budget is not submitted (its item's
                error is ``CreditBudgetExceededError``) and the batch submits nothing
                more. A document whose pages cannot be counted beforehand (a URL, a PDF
                without the ``pdf`` extra, a template's job) goes alone and is counted
                from its first status: it alone may pass the budget.
            on_event: called with a ``BatchEvent`` (``uploading``, ``submitted``,
                ``waiting``, ``throttled``, ``finished``) per source.
            **options: the processing and waiting options of ``process`` (``schema``
                types give each result its ``parsed``; ``pages`` applies to every PDF).

        Returns:
            An iterator (``async for`` on ``AsyncLeapOCR``) of ``BatchItem``s: ``source``,
            ``job_id``, ``result`` or ``error``, ``credits``, ``estimated_credits``,
            ``skipped``, ``outputs``.

        Raises:
            ValidationError: a bad argument or option (before any request); errors of
                single documents are items, not raised.

        Example:
            ```python
            async for item in client.process_many(Path("scans").glob("*.pdf"), journal="b.sqlite"):
                print(item.source, item.ok, item.error)
            ```
        """
        settings = _batch_settings(concurrency, submit_rate, max_credits, retry_failed, on_event)
        plan, opened = self._batch_plan(
            sources, settings, _check_bool("delete", delete), journal, options
        )
        return self._items(plan, opened)

    async def _items(self, plan: Plan[None], journal: Journal | None) -> AsyncIterator[BatchItem]:
        try:
            async for item in self._runner.iterate(plan):
                yield item
        finally:
            if journal is not None:
                journal.close()

    def as_completed(
        self,
        job_ids: Iterable[str],
        *,
        concurrency: int = C.DEFAULT_BATCH_CONCURRENCY * 4,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
    ) -> AsyncIterator[BatchItem]:
        """Wait on jobs submitted elsewhere; one ``BatchItem`` per job as each finishes.

        Args:
            job_ids: the ids of the jobs to wait on.
            concurrency: jobs polled at once.
            poll_interval: seconds before the first poll of a job this client just
                submitted, and the shortest gap between polls; later polls go near the
                moment the job's page-by-page progress predicts it ends, at most 4x
                apart (without progress to go on, the gap grows x1.25 per poll).
            timeout: seconds to wait in all; raises ``WaitTimeoutError`` past it (the job
                keeps running on the service).

        Returns:
            An iterator (``async for`` on ``AsyncLeapOCR``) of ``BatchItem``s whose
            ``source`` is the job id; a failed job is an item with ``error``.

        Raises:
            ValidationError: ``job_ids`` is not an iterable of job ids, or a bad setting.
        """
        return self._runner.iterate(
            self._as_completed_plan(job_ids, concurrency, poll_interval, timeout)
        )

    async def wait_many(
        self,
        job_ids: Iterable[str],
        *,
        concurrency: int = C.DEFAULT_BATCH_CONCURRENCY * 4,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
    ) -> list[BatchItem]:
        """``as_completed``, collected: one ``BatchItem`` per job, in the order given.

        Args:
            job_ids: the ids of the jobs to wait on.
            concurrency: jobs polled at once.
            poll_interval: seconds before the first poll of a job this client just
                submitted, and the shortest gap between polls; later polls go near the
                moment the job's page-by-page progress predicts it ends, at most 4x
                apart (without progress to go on, the gap grows x1.25 per poll).
            timeout: seconds to wait in all; raises ``WaitTimeoutError`` past it (the job
                keeps running on the service).

        Returns:
            The ``BatchItem``s in the order of ``job_ids``.

        Raises:
            ValidationError: ``job_ids`` is not an iterable of job ids, or a bad setting.
        """
        _check_job_ids(job_ids)
        ids = list(job_ids)
        items = {
            item.job_id: item
            async for item in self.as_completed(
                ids, concurrency=concurrency, poll_interval=poll_interval, timeout=timeout
            )
        }
        return [items[job_id] for job_id in ids]

    async def aclose(self) -> None:
        """Close the connections this client opened (not a caller's own http_client)."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            await self._http.aclose()
        if self._upload_http is not None:
            await self._upload_http.aclose()

    async def __aenter__(self) -> Self:
        self._ensure_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
