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
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from . import __version__
from . import _constants as C
from . import _plans as plans
from ._runners import SyncRunner
from ._sources import FileInput, FileSource, open_source
from ._steps import Plan
from ._tls import tls_context
from ._validation import (
    SubmitOptions,
    check_base_url,
    check_callback,
    check_document_url,
    check_job_id,
    check_options,
    check_positive_int,
    check_timeout,
    check_wait,
    without_password,
)
from .errors import ConfigurationError
from .types import Job, JobResult, JobStatusInfo, Model, ModelInfo, OutputFormat

T = TypeVar("T")


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
        self._ctx = plans.Context(
            max_retries=check_positive_int("max_retries", max_retries, minimum=0),
            upload_concurrency=check_positive_int(
                "upload_concurrency", upload_concurrency, minimum=1
            ),
            allow_insecure_http=allow_insecure_http,
            clock=clock or time.monotonic,
            rng=rng or random.Random(),  # noqa: S311 - jitter, not secrets
        )

    @property
    def base_url(self) -> str:
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
            max_keepalive_connections=max(20, self._ctx.upload_concurrency),
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

    def _process_url_plan(self, url: str, **options: Any) -> Plan[Job]:
        self._ensure_open()
        plan = plans.process_url(self._ctx, check_document_url(url), check_options(**options))
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
    ) -> Plan[Job]:
        return self._remembering(plans.process_file(self._ctx, source, options, on_upload_progress))

    def _remembering(self, submission: Plan[Job]) -> Plan[Job]:
        """Run a submission and note when this client created the job (see ``_wait_plan``)."""
        job = yield from submission
        self._submitted[job.job_id] = self._ctx.clock()
        while len(self._submitted) > C.REMEMBERED_SUBMISSIONS:
            with contextlib.suppress(KeyError):
                self._submitted.popitem(last=False)
        return job

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
        return plans.wait_until_done(self._ctx, job_id, interval, limit, on_progress, first_poll)


class LeapOCR(_ClientBase):
    """The blocking LeapOCR client.

    ``api_key`` defaults to ``$LEAPOCR_API_KEY``; ``base_url`` to ``$LEAPOCR_BASE_URL`` or
    the service. A caller's own ``http_client`` is used for API calls and not closed here;
    uploads to presigned URLs always go through a separate plain client without the key.
    ``sleep`` and ``clock`` may be replaced (tests); ``upload_concurrency`` bounds the
    parts sent at once. ``timeout`` bounds each whole request (connect, send, the whole
    answer).

    Safe to share between threads. Not across processes: a client used in a child after
    ``fork`` raises ConfigurationError (create one per process). ``on_progress`` runs on
    the caller's thread; ``on_upload_progress`` on the upload worker threads, one call at
    a time. A callback that raises stops the operation (a half-uploaded job is deleted).
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
        output_type: OutputFormat | str | None = None,
        model: Model | str | None = None,
        instruction: str | None = None,
        schema: dict[str, Any] | None = None,
        template_slug: str | None = None,
    ) -> Job:
        """Submit the PDF at ``url``; returns the new job (not yet processed)."""
        return self._runner.run(
            self._process_url_plan(
                url,
                output_type=output_type,
                model=model,
                instruction=instruction,
                schema=schema,
                template_slug=template_slug,
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
        schema: dict[str, Any] | None = None,
        template_slug: str | None = None,
        on_upload_progress: Callable[[int, int], object] | None = None,
    ) -> Job:
        """Upload a local PDF (path, bytes or binary file object) in parts; returns the job."""
        options = self._file_options(
            on_upload_progress,
            output_type=output_type,
            model=model,
            instruction=instruction,
            schema=schema,
            template_slug=template_slug,
        )
        with open_source(file, file_name) as source:
            plan = self._process_file_plan(source, options, on_upload_progress)
            return self._runner.run(plan)

    def get_status(self, job_id: str) -> JobStatusInfo:
        """The job's current status and progress."""
        return self._runner.run(self._job_plan(plans.get_status, job_id))

    def get_result(self, job_id: str) -> JobResult:
        """The finished job's result, every page; JobNotReadyError while it still runs."""
        return self._runner.run(self._job_plan(plans.get_result, job_id))

    def wait_until_done(
        self,
        job_id: str,
        *,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        on_progress: Callable[[JobStatusInfo], object] | None = None,
    ) -> JobResult:
        """Poll until the job is finished and return its result (JobFailedError if it failed)."""
        return self._runner.run(self._wait_plan(job_id, poll_interval, timeout, on_progress))

    def delete_job(self, job_id: str) -> None:
        """Delete the job and redact its content on the service."""
        self._runner.run(self._job_plan(plans.delete_job, job_id))

    def list_models(self) -> list[ModelInfo]:
        """The processing models the service offers, with their credit cost."""
        self._ensure_open()
        return self._runner.run(plans.list_models(self._ctx))

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
    """The asyncio LeapOCR client: the methods of :class:`LeapOCR`, each a coroutine.

    Bound to the event loop that first uses it, and used from that loop's thread: another
    loop (a second ``asyncio.run``) or a child after ``fork`` gets ConfigurationError;
    create one client per loop. ``on_progress`` and ``on_upload_progress`` run on the loop
    and may be coroutine functions (awaited) or plain functions.
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
        output_type: OutputFormat | str | None = None,
        model: Model | str | None = None,
        instruction: str | None = None,
        schema: dict[str, Any] | None = None,
        template_slug: str | None = None,
    ) -> Job:
        """Submit the PDF at ``url``; returns the new job (not yet processed)."""
        return await self._runner.run(
            self._process_url_plan(
                url,
                output_type=output_type,
                model=model,
                instruction=instruction,
                schema=schema,
                template_slug=template_slug,
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
        schema: dict[str, Any] | None = None,
        template_slug: str | None = None,
        on_upload_progress: Callable[[int, int], object] | None = None,
    ) -> Job:
        """Upload a local PDF (path, bytes or binary file object) in parts; returns the job."""
        options = self._file_options(
            on_upload_progress,
            output_type=output_type,
            model=model,
            instruction=instruction,
            schema=schema,
            template_slug=template_slug,
        )
        with open_source(file, file_name) as source:
            plan = self._process_file_plan(source, options, on_upload_progress)
            return await self._runner.run(plan)

    async def get_status(self, job_id: str) -> JobStatusInfo:
        """The job's current status and progress."""
        return await self._runner.run(self._job_plan(plans.get_status, job_id))

    async def get_result(self, job_id: str) -> JobResult:
        """The finished job's result, every page; JobNotReadyError while it still runs."""
        return await self._runner.run(self._job_plan(plans.get_result, job_id))

    async def wait_until_done(
        self,
        job_id: str,
        *,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
        on_progress: Callable[[JobStatusInfo], object] | None = None,
    ) -> JobResult:
        """Poll until the job is finished and return its result (JobFailedError if it failed)."""
        return await self._runner.run(self._wait_plan(job_id, poll_interval, timeout, on_progress))

    async def delete_job(self, job_id: str) -> None:
        """Delete the job and redact its content on the service."""
        await self._runner.run(self._job_plan(plans.delete_job, job_id))

    async def list_models(self) -> list[ModelInfo]:
        """The processing models the service offers, with their credit cost."""
        self._ensure_open()
        return await self._runner.run(plans.list_models(self._ctx))

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
