"""What ``LeapOCR`` and ``AsyncLeapOCR`` share: configuration, argument checks, and the
flows each public method hands to its runner.

Each public method checks its arguments (raising before any request), then hands a flow
from ``_flows`` or ``_batch`` to the client's runner. ``AsyncLeapOCR`` (``_async_client``)
is written by hand; ``LeapOCR`` (``_sync_client``) is generated from it by
``scripts/unasync.py``. Nothing else differs between the two clients.
"""

from __future__ import annotations

import collections
import contextlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

from . import __version__, _logs
from . import _constants as C
from ._lazy import lazy
from ._tls import tls_context
from ._validation import (
    CheckedOptions,
    SubmitOptions,
    base_url_hint,
    check_base_url,
    check_callback,
    check_document_url,
    check_file_name,
    check_job_id,
    check_options,
    check_positive_int,
    check_request,
    check_timeout,
    check_wait,
    without_password,
)
from .errors import ConfigurationError, ValidationError

if TYPE_CHECKING:
    import attrs

    from . import _batch as batch
    from . import _flows as flows
    from . import _pages, _sources, _steps, _tracing
    from . import _pricing as pricing
    from . import journal as _journal
    from ._batch_items import BatchEvent
    from ._sources import FileSource
    from ._steps import Flow
    from .journal import Journal
    from .types import Job, JobResult, JobStatusInfo
else:  # loaded on first use (see _lazy)
    attrs = lazy("attrs")
    batch = lazy("._batch", __package__)
    _pages = lazy("._pages", __package__)
    flows = lazy("._flows", __package__)
    pricing = lazy("._pricing", __package__)
    _sources = lazy("._sources", __package__)
    _steps = lazy("._steps", __package__)
    _journal = lazy(".journal", __package__)
    _tracing = lazy("._tracing", __package__)

T = TypeVar("T")
_HTTP = TypeVar("_HTTP", httpx.Client, httpx.AsyncClient)


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
        _logs.configure()
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
        self._origin: _ClientBase = self  # with_options copies point at the client they share
        self._submitted: collections.OrderedDict[str, float] = collections.OrderedDict()
        # Jobs submitted with pages=: the original page numbers of the cut document's pages.
        self._selections: collections.OrderedDict[str, tuple[int, ...]] = collections.OrderedDict()
        self._ctx = flows.Context(
            max_retries=check_positive_int("max_retries", max_retries, minimum=0),
            upload_concurrency=check_positive_int(
                "upload_concurrency", upload_concurrency, minimum=1
            ),
            allow_insecure_http=allow_insecure_http,
            clock=clock or time.monotonic,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not secrets
            not_found_hint=base_url_hint(self._base_url),
        )

    _runner: Any  # the client's runner (SyncRunner or AsyncRunner), set by each client
    _owns_http: bool  # whether closing this client closes its API connections
    _http: Any  # the API's httpx client (httpx.Client or httpx.AsyncClient)
    _upload_http: Any  # the caller's upload client, else one made on the first upload

    def with_options(
        self,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        upload_concurrency: int | None = None,
    ) -> Self:
        """A client of the same class with some settings changed, sharing this one's
        connections: cheap enough to call for one request.

        This client is unchanged. Closing the copy does not close the connections
        (they stay this client's); closing this client closes the copy too.

        Args:
            timeout: seconds bounding each whole request (None: this client's).
            max_retries: retries of 429, 5xx and connection failures (None: this client's).
            upload_concurrency: upload parts sent at once (None: this client's).

        Returns:
            The copy, of this client's class.

        Raises:
            ConfigurationError: a setting out of range, or this client is closed.
            TypeError: any other keyword.

        Example:
            ```python
            quick = client.with_options(timeout=5, max_retries=0)  # the same connections
            # quick.get_status(job_id) fails fast; client keeps its own settings
            ```
        """
        self._ensure_open()
        ctx = self._ctx
        if max_retries is not None:
            ctx = attrs.evolve(
                ctx, max_retries=check_positive_int("max_retries", max_retries, minimum=0)
            )
        if upload_concurrency is not None:
            concurrency = check_positive_int("upload_concurrency", upload_concurrency, minimum=1)
            ctx = attrs.evolve(ctx, upload_concurrency=concurrency)
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy._ctx = ctx
        copy._timeout = self._timeout if timeout is None else check_timeout(timeout)
        copy._runner = self._runner.with_timeout(copy._timeout)
        copy._owns_http = False
        copy._origin = self._origin
        return copy

    @property
    def base_url(self) -> str:
        """The API root this client talks to (ending in ``/api/v1``)."""
        return self._base_url

    def _auth_headers(self) -> dict[str, str]:
        return {
            C.API_KEY_HEADER: self._api_key.reveal(),
            "User-Agent": f"leapocr-sdk-python/{__version__}",
        }

    @staticmethod
    def _own(client: _HTTP) -> _HTTP:
        """An httpx client the SDK made for itself (API or uploads): it keeps no cookies
        (``keep_no_cookies``), and a blocking one opens its connections through
        ``_bounded``, so its runner bounds each whole exchange in the caller's thread (the
        async runner bounds exchanges with the event loop). Either asks its idle
        connections whether the server closed them with one system call
        (``_idle_checks``)."""
        from ._http import keep_no_cookies  # imported on first use, like the runner

        keep_no_cookies(client)  # the API and storage hosts need none: see there
        if isinstance(client, httpx.Client):
            from ._bounded import bound_client

            bound_client(client)
        else:
            from ._idle_checks import check_idle_connections_cheaply

            check_idle_connections_cheaply(client)
        return client

    def _adopt_http(
        self, http_client: _HTTP | None, upload_http_client: _HTTP | None, kind: type[_HTTP]
    ) -> _HTTP:
        """The API's httpx client (the caller's own, else one made here), once both of the
        caller's are checked to be of ``kind``; notes which ones this client must close."""
        _check_http_client(http_client, kind)
        _check_http_client(upload_http_client, kind, "upload_http_client")
        self._owns_http = http_client is None
        self._owns_uploads = upload_http_client is None
        self._upload_http = upload_http_client
        self._upload_lock = threading.Lock()  # parts are sent from several threads at once
        return http_client or self._own(kind(**self._http_options(kind is httpx.Client)))

    def _shut(self) -> list[Any]:
        """Mark this client closed and stop its runner's calls; the httpx clients left to
        close (none twice, none for a ``with_options`` copy, never a caller's own)."""
        if self._closed:
            return []
        self._closed = True
        self._runner.close()  # a copy's runner: only the copy's calls (and its copies')
        if self._origin is not self:  # a with_options copy: the connections are its origin's
            return []
        owned = [self._http] if self._owns_http else []
        if self._upload_http is not None and self._owns_uploads:
            owned.append(self._upload_http)
        return owned

    def _http_options(self, blocking_api: bool = False) -> dict[str, Any]:
        """Settings of the httpx clients the SDK creates (API and uploads); the blocking
        client's API pool keeps fewer idle connections (``BLOCKING_KEEPALIVE``)."""
        connections = max(C.MAX_CONNECTIONS, self._ctx.upload_concurrency)
        kept = C.BLOCKING_KEEPALIVE if blocking_api else connections
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=kept)
        return {"timeout": self._timeout, "limits": limits, "verify": tls_context()}

    def _runner_settings(self) -> dict[str, Any]:
        """What both clients' runners take besides their own http client and sleep."""
        return {"base_url": self._base_url, "headers": self._auth_headers, "timeout": self._timeout}

    def _ensure_open(self) -> None:
        if self._closed or self._origin._closed:
            raise ConfigurationError(f"this {type(self).__name__} is closed: create a new client")

    def __repr__(self) -> str:  # safe on a half-built client (tracebacks with locals)
        base_url = getattr(self, "_base_url", None)
        shown = None if base_url is None else without_password(base_url)
        return f"{type(self).__name__}(base_url={shown!r})"

    # Argument checks shared by both clients; each returns a ready-to-run flow.

    def _process_url_flow(
        self, url: str, file_name: str | None, options: SubmitOptions
    ) -> Flow[Job]:
        self._ensure_open()
        url = check_document_url(url)
        name = None if file_name is None else check_file_name(file_name)
        flow = self._remembering(flows.process_url(self._ctx, url, name, options))
        return _tracing.traced("process_url", flow, **{"leapocr.model": options.model})

    def _submit_options(self, keywords: Mapping[str, object]) -> SubmitOptions:
        """The checked processing options among a public method's keywords.

        ``process_url`` and ``process_file`` pass their ``locals()``: each keyword named
        like a field of ``SubmitOptions`` is that option (a field a method does not take
        keeps its default), so an option is listed once, in the signature, and never
        relayed keyword by keyword.
        """
        self._ensure_open()
        fields = SubmitOptions._fields
        return check_options(**{name: keywords[name] for name in fields if name in keywords})

    def _process_file_flow(
        self,
        source: FileSource,
        options: SubmitOptions,
        on_upload_progress: Callable[[int, int], object] | None,
        selection: tuple[int, ...] | None = None,
    ) -> Flow[Job]:
        flow = self._remembering(
            flows.process_file(self._ctx, source, options, on_upload_progress), selection
        )
        return _tracing.traced("process_file", flow, **{"leapocr.model": options.model})

    def _remembering(
        self, submission: Flow[Job], selection: tuple[int, ...] | None = None
    ) -> Flow[Job]:
        """Run a submission and note when this client created the job (see ``_wait_flow``),
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
        with _sources.open_source(file, file_name) as opened:
            if selection is None:
                yield opened
                return
            selected = _pages.cut(opened, selection)
        with selected:
            yield selected

    def _renumbering(self, job_id: str, flow: Flow[JobResult]) -> Flow[JobResult]:
        """``flow``'s result, its pages numbered as in the original document when the job
        was submitted with ``pages=`` (else ``flow`` itself: no wrapper held per wait)."""
        selection = self._selections.get(job_id)
        return flow if selection is None else _renumbered_flow(flow, selection)

    def _result_flow(self, job_id: str) -> Flow[JobResult]:
        """``get_result``'s flow, numbered as in the original document (``pages=``)."""
        return self._renumbering(job_id, self._job_flow(flows.get_result, job_id))

    def _pages_flow(self, job_id: str) -> Flow[None]:
        """``iter_pages``' flow, each page numbered as in the original document when the
        job was submitted with ``pages=``."""
        flow = self._job_flow(flows.result_pages, job_id)
        selection = self._selections.get(job_id)
        if selection is None:
            return flow
        return _mapped_emits(flow, lambda page: _pages.renumbered_page(page, selection))

    def _request_flow(
        self, method: str, path: str, params: Mapping[str, Any] | None, body: Any
    ) -> Flow[Any]:
        self._ensure_open()
        checked = check_request(method, path, params, body)
        return _tracing.traced("request", flows.request(self._ctx, checked, path, params, body))

    def _job_flow(self, flow: Callable[[flows.Context, str], Flow[T]], job_id: str) -> Flow[T]:
        self._ensure_open()
        job_id = check_job_id(job_id)
        return _tracing.traced(flow.__name__, flow(self._ctx, job_id), **{"leapocr.job_id": job_id})

    def _wait_flow(
        self,
        job_id: str,
        poll_interval: float,
        timeout: float,
        on_progress: Callable[[JobStatusInfo], object] | None,
    ) -> Flow[JobResult]:
        self._ensure_open()
        job_id = check_job_id(job_id)
        interval, limit = check_wait(poll_interval, timeout)
        check_callback("on_progress", on_progress)
        # A job this client just submitted cannot be done yet: first poll one interval later.
        submitted = self._submitted.get(job_id)
        first_poll = None if submitted is None else submitted + interval
        flow = flows.wait_until_done(self._ctx, job_id, interval, limit, on_progress, first_poll)
        flow = self._renumbering(job_id, flow)
        return _tracing.traced("wait_until_done", flow, **{"leapocr.job_id": job_id})

    # --- many documents (``_batch``): the flows of process, process_many, as_completed ---

    def __reduce__(self) -> tuple[Any, ...]:
        # A client holds connections and the key: it never travels to another process.
        return (_refuse_unpickled_client, (type(self).__name__,))

    def _waiter(
        self,
        poll_interval: float,
        timeout: float,
        on_progress: Callable[[JobStatusInfo], object] | None,
        schema_type: type[Any] | None = None,
    ) -> Callable[[str, batch.StatusHook], Flow[JobResult]]:
        """How to wait on a job (the settings are checked by the caller); its result
        carries ``schema_type`` (for ``parsed``) when one is given."""

        def wait(job_id: str, also: batch.StatusHook) -> Flow[JobResult]:
            flow = self._wait_flow(job_id, poll_interval, timeout, _both(on_progress, also))
            return flow if schema_type is None else _typed(flow, schema_type)

        return wait

    def _submitter(
        self, options: CheckedOptions
    ) -> Callable[[object, batch.UploadHook], Flow[Job]]:
        """How to submit a source with ``options``: a URL with process_url, anything else
        uploaded (cut to ``options.pages`` first, if given). Each source is checked when it
        is submitted (its errors end that submission, not the caller's loop); a URL has no
        upload, so no upload progress."""
        selection = options.pages

        def submit(source: object, also: batch.UploadHook) -> Flow[Job]:
            if _sources.is_url(source):
                if selection is not None:
                    raise ValidationError(
                        "pages= cuts a local PDF, and this source is a URL: download the "
                        "document and pass its path, or drop pages="
                    )
                flow = self._process_url_flow(str(source), options.file_name, options.submit)
                return (yield from flow)
            with self._open_document(source, options.file_name, selection) as opened:
                hook = _both(options.on_upload_progress, also)
                flow = self._process_file_flow(opened, options.submit, hook, selection)
                return (yield from flow)

        return submit

    def _process_flows(
        self, source: object, options: CheckedOptions, wait: bool, delete: bool
    ) -> tuple[Flow[Job], Flow[JobResult] | None, batch.JobHandle]:
        """``process``'s submission, and (with ``wait``) the whole flow that submits, waits
        and deletes, with the handle that says whether an interrupted job needs deleting."""
        self._ensure_open()
        submission = self._submitter(options)(source, None)
        handle = batch.JobHandle()
        if not _check_bool("wait", wait):
            _check_no_delete(delete)
            return submission, None, handle
        wait_for = self._waiter(
            options.poll_interval, options.timeout, options.on_progress, options.schema_type
        )
        whole = batch.process(
            self._ctx,
            submission,
            lambda job_id: wait_for(job_id, None),
            _check_bool("delete", delete),
            handle,
        )
        return submission, whole, handle

    def _batch_flow(
        self,
        sources: Iterable[Any],
        options: CheckedOptions,
        settings: batch.BatchSettings,
        delete: bool,
        journal: Journal | str | os.PathLike[str] | None,
    ) -> Flow[None]:
        """The batch's flow; a journal it opens from a path is closed when the flow ends."""
        self._ensure_open()
        if isinstance(sources, str | bytes | os.PathLike) or not isinstance(sources, Iterable):
            raise ValidationError(
                "sources must be an iterable of documents (paths, URLs, bytes or file "
                f"objects), got {type(sources).__name__}: for one document use process()"
            )
        if options.file_name is not None:
            raise ValidationError("file_name names one document: process_many does not take it")
        wait = self._waiter(
            options.poll_interval, options.timeout, options.on_progress, options.schema_type
        )
        submit = self._submitter(options)
        opened = None
        if isinstance(journal, str | os.PathLike):
            journal = opened = _journal.Journal(journal)
        elif journal is not None and not isinstance(journal, _journal.Journal):
            raise ValidationError(
                f"journal must be a file path or a Journal, got {type(journal).__name__}"
            )
        if journal is not None:
            bound: dict[str, Any] = options.submit._asdict()
            if options.pages is not None:  # another selection is another document
                bound["pages"] = list(options.pages)
            journal.bind_options(bound)
        price = pricing.job_page_price(options.submit)
        batch_flows = batch.BatchFlows(
            submit=submit,
            wait=wait,
            delete=_check_bool("delete", delete),
            estimate=lambda source: _estimate(source, options.pages, price),
            price=price,
        )
        flow = batch.process_many(self._ctx, sources, batch_flows, settings, journal)
        return _tracing.traced("process_many", flow if opened is None else _closing(flow, opened))

    def _as_completed_flow(
        self, job_ids: Iterable[str], concurrency: int, poll_interval: float, timeout: float
    ) -> Flow[None]:
        self._ensure_open()
        _check_job_ids(job_ids)
        check_wait(poll_interval, timeout)
        wait = self._waiter(poll_interval, timeout, None)
        limit = _whole_number("concurrency", concurrency, minimum=1)
        return _tracing.traced("as_completed", batch.as_completed(job_ids, wait, limit))


def _closing(flow: Flow[None], journal: Journal) -> Flow[None]:
    """``flow``, then ``journal`` closed: when the flow ends, fails or is closed."""
    try:
        yield from flow
    finally:
        journal.close()


def _check_http_client(
    http_client: object,
    kind: type[httpx.Client | httpx.AsyncClient],
    name: str = "http_client",
) -> None:
    if http_client is not None and not isinstance(http_client, kind):
        other = ("AsyncLeapOCR", "AsyncClient") if kind is httpx.Client else ("LeapOCR", "Client")
        raise ConfigurationError(
            f"{name} must be an httpx.{kind.__name__} (use {other[0]} for an httpx.{other[1]})"
        )


def batch_settings(
    *,
    concurrency: object = C.DEFAULT_BATCH_CONCURRENCY,
    submit_rate: object = None,
    max_credits: object = None,
    retry_failed: object = False,
    on_event: Callable[[BatchEvent], object] | None = None,
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
    if _sources.is_url(source) or not isinstance(source, str | os.PathLike | bytes):
        return None  # a file object is read once, by its upload
    try:
        with _sources.open_source(source, None) as opened:
            pages = pricing.count_pages(opened)
    except ValidationError:
        return None  # its submission reports what is wrong with it
    return pricing.estimate_for(pages, price)


def _mapped_emits(flow: Flow[T], change: Callable[[Any], Any]) -> Flow[T]:
    """``flow`` unchanged, but every value it emits passed through ``change``."""
    driver = _steps.Driver(flow)
    while (step := driver.next_step()) is not None:
        if isinstance(step, _steps.Emit):
            step = _steps.Emit(change(step.value))
        yield from driver.relay(step)
    return driver.value


def _renumbered_flow(flow: Flow[JobResult], selection: tuple[int, ...]) -> Flow[JobResult]:
    return _pages.renumbered((yield from flow), selection)


def _typed(flow: Flow[JobResult], schema_type: type[Any]) -> Flow[JobResult]:
    """``flow``'s result, carrying the type it was submitted with (for ``parsed``)."""
    result = yield from flow
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
