# Generated from leapocr_sdk/_async_client.py by scripts/unasync.py: do not edit.
# Edit the async client, then run `python scripts/unasync.py` (`make unasync`).
"""``LeapOCR``, the blocking client, generated from ``_async_client.py`` (see there)."""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar, Unpack, overload

import httpx

from . import _constants as C
from ._base_client import (
    _check_hook,
    _check_job_ids,
    _ClientBase,
    batch_settings,
)
from ._lazy import lazy
from ._validation import (
    CheckedOptions,
    DocumentOptions,
    JobOptions,
    _BatchOptions,
    _TypedDocumentOptions,
    check_callback,
    compose_options,
)

if TYPE_CHECKING:
    from . import _flows as flows
    from . import _pages, _tracing
    from ._batch import BatchSettings
    from ._batch_items import BatchEvent, DoneItem, FailedItem, SkippedItem
    from ._runners import SyncRunner
    from ._sources import FileInput
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
else:  # loaded on first use (see _lazy)
    _pages = lazy("._pages", __package__)
    _tracing = lazy("._tracing", __package__)
    flows = lazy("._flows", __package__)

P = TypeVar("P")  # the Python type of a schema, and of JobResult.parsed


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
        upload_http_client: your own ``httpx.Client`` for part uploads to their
            presigned URLs (proxies, mTLS, event hooks); the API key is never sent on it,
            and it is not closed here.
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

    _runner: SyncRunner

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = C.DEFAULT_TIMEOUT,
        max_retries: int = C.DEFAULT_MAX_RETRIES,
        http_client: httpx.Client | None = None,
        upload_http_client: httpx.Client | None = None,
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
        self._http = self._adopt_http(http_client, upload_http_client, httpx.Client)
        from ._runners import SyncRunner  # imported on first use

        self._runner = SyncRunner(
            api=self._http, uploads=self._uploads, sleep=sleep, **self._runner_settings()
        )

    def _uploads(self) -> httpx.Client:
        with self._upload_lock:
            if self._upload_http is None:
                self._upload_http = self._own(httpx.Client(**self._http_options()))
            uploads: httpx.Client = self._upload_http
            return uploads

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
        options = self._submit_options(locals())  # the keywords above, checked
        return self._runner.run(self._process_url_flow(url, file_name, options))

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
        options = self._submit_options(locals())  # the keywords above, checked
        check_callback("on_upload_progress", on_upload_progress)
        selection = _pages.check_pages(pages)
        with self._open_document(file, file_name, selection) as source:
            flow = self._process_file_flow(source, options, on_upload_progress, selection)
            return self._runner.run(flow)

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
        return self._runner.run(self._job_flow(flows.get_status, job_id))

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
        return self._runner.run(self._result_flow(job_id))

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
        return self._runner.iterate(self._pages_flow(job_id))

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
                submitted, and the usual gap between polls; later polls go to the
                moment the job's page-by-page progress predicts it ends, at most 4x
                apart and at least a quarter of it (without progress to go on, the gap
                grows x1.25 per poll).
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
        return self._runner.run(self._wait_flow(job_id, poll_interval, timeout, on_progress))

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
        self._runner.run(self._job_flow(flows.delete_job, job_id))

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
        return self._runner.run(flows.list_models(self._ctx))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """One request to any path under ``base_url``: for endpoints the SDK does not wrap.

        Sent as the SDK's own calls are: the key in ``X-API-Key`` to the API only, the
        whole request bounded by ``timeout``, the reply read up to the SDK's size limit,
        errors raised as the ``APIError`` tree with the key redacted. Idempotent methods
        (GET, HEAD, OPTIONS, PUT, DELETE) are retried like the SDK's calls; POST and
        PATCH are sent once.

        Args:
            method: ``"GET"``, ``"POST"``, ``"PUT"``, ``"PATCH"``, ``"DELETE"``, ...
            path: a path below the base URL, starting with one ``/`` (e.g.
                ``f"/ocr/status/{job_id}"``); an absolute URL, ``..`` or a ``//host`` is
                refused before any request.
            params: query parameters.
            json: a body sent as JSON.

        Returns:
            The reply's decoded JSON, or None when its body is empty.

        Raises:
            ValidationError: a bad method, path, ``params`` or ``json`` (nothing sent).
            NotFoundError: no such path or object.
            APIConnectionError: the service could not be reached (after the retries).
            APIError: any other error answer of the service.
            UnexpectedResponseError: a reply body that is not JSON.

        Example:
            ```python
            status = client.request("GET", f"/ocr/status/{job.job_id}")
            ```
        """
        return self._runner.run(self._request_flow(method, path, params, json))

    def health(self) -> HealthStatus:
        """The service's health (``GET /health``, asked once, no retries).

        Returns:
            A ``HealthStatus``; a 503 with a health body is an answer (``healthy`` False).

        Raises:
            APIConnectionError: the service could not be reached.
            APIError: an error answer other than 503.
        """
        self._ensure_open()
        return self._runner.run(flows.health(self._ctx))

    # --- many documents ---------------------------------------------------------------

    # A schema type gives a JobResult of that type. It overlaps the next overload (a
    # DocumentOptions dict may hold a type too): given as the keyword, the type wins.
    @overload
    def process(  # type: ignore[overload-overlap]  # pyright: ignore[reportOverlappingOverload]
        self,
        source: object,
        *,
        schema: type[P],
        wait: Literal[True] = ...,
        delete: bool = ...,
        **options: Unpack[_TypedDocumentOptions],
    ) -> JobResult[P]: ...

    @overload
    def process(
        self,
        source: object,
        *,
        wait: Literal[True] = ...,
        delete: bool = ...,
        **options: Unpack[DocumentOptions],
    ) -> JobResult: ...

    @overload
    def process(
        self,
        source: object,
        *,
        wait: Literal[False],
        delete: bool = ...,
        **options: Unpack[DocumentOptions],
    ) -> Job: ...

    def process(
        self,
        source: object,
        *,
        wait: bool = True,
        delete: bool = False,
        **options: Unpack[DocumentOptions],
    ) -> JobResult[Any] | Job:
        """Submit one document, wait for it and return its result.

        With ``delete=True`` the job is deleted afterwards, also when the wait fails,
        times out or is interrupted (Ctrl-C, task cancellation).

        Args:
            source: a path, ``bytes``, a binary file object, or an ``http(s)`` URL (sent
                with ``process_url``).
            wait: ``False`` returns the submitted ``Job`` at once.
            delete: delete the job once its result is in (needs ``wait=True``).
            **options: the options of ``process_file`` / ``process_url`` (``output_type``,
                ``model``, ``schema``, ``pages``, ``file_name``, ...) and
                ``wait_until_done``'s ``poll_interval``, ``timeout``, ``on_progress``
                (``DocumentOptions``). ``schema`` may be a Pydantic model class, a
                dataclass or a ``TypedDict`` (the ``pydantic`` extra): ``result.parsed``
                is then an instance of it (the dict itself for a JSON schema dict).
                ``pages`` (``"1-3,7"`` or ``[2, 4]``; the ``pdf`` extra) sends only those
                pages of a local PDF; the result numbers them as in the original.

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
        return self._process(source, compose_options(options, one_document=True), wait, delete)

    def _process(
        self, source: object, options: CheckedOptions, wait: bool = True, delete: bool = False
    ) -> JobResult[Any] | Job:
        """``process`` with its options already checked (``compose_options``)."""
        submission, whole, handle = self._process_flows(source, options, wait, delete)
        if whole is None:
            return self._runner.run(submission)
        try:
            return self._runner.run(_tracing.traced("process", whole))
        except BaseException:
            if delete and handle.needs_delete:  # interrupted: the flow could not clean up
                self._runner.run(flows.discard_job(self._ctx, handle.job_id or ""))
            raise

    @overload  # no journal, nothing skipped: `if item.ok:` narrows to a DoneItem
    def process_many(
        self, sources: Iterable[Any], *, journal: None = None, **options: Unpack[_BatchOptions]
    ) -> Iterator[DoneItem | FailedItem]: ...

    @overload
    def process_many(
        self,
        sources: Iterable[Any],
        *,
        journal: Journal | str | os.PathLike[str] | None,
        **options: Unpack[_BatchOptions],
    ) -> Iterator[DoneItem | SkippedItem | FailedItem]: ...

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
        **options: Unpack[JobOptions],
    ) -> Iterator[DoneItem | SkippedItem | FailedItem]:
        """Process many documents, ``concurrency`` at a time, one ``BatchItem`` each.

        Items come in the order the documents finish. One failure never stops the rest:
        it is the item's ``error``. Sources are pulled lazily (a generator of a million
        paths runs in flat memory). Breaking out of the loop stops the batch. With a
        ``journal`` the batch is resumable: run it again after a crash and finished
        sources are skipped, submitted ones waited on, failed ones resubmitted only with
        ``retry_failed=True``; an item counts as done once your loop takes the next one.
        Overlapping runs on one journal never submit a document twice (a source another
        run holds is skipped, ``held_by`` says who).

        Stopped early (``break``, an exception in the loop, Ctrl-C, a cancelled task, a
        closed client), the batch deletes every half-uploaded job and, with ``delete``
        and no journal, every job it started (with a journal they are kept for the next
        run), names in a warning every job it leaves, then re-raises: within about
        ``BATCH_STOP_WAIT + CLEANUP_TIMEOUT`` (11) seconds.

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
                ``waiting``, ``throttled``, ``finished``, ``held``, ``stopped``) per source.
            **options: the processing and waiting options of ``process``, but
                ``file_name`` (``JobOptions``): ``schema`` types give each result its
                ``parsed``; ``pages`` applies to every PDF.

        Returns:
            An iterator (``async for`` on ``AsyncLeapOCR``) of ``BatchItem``s: ``source``,
            ``job_id``, ``result`` or ``error``, ``credits``, ``estimated_credits``,
            ``skipped``, ``outputs``, ``held_by``. Each is a ``DoneItem`` or a
            ``FailedItem``, with a ``journal`` also a ``SkippedItem`` (``ok``, no result).

        Raises:
            ValidationError: a bad argument or option (before any request); errors of
                single documents are items, not raised.
            JournalError: the journal cannot be used (the batch is cleaned up first).

        Example:
            ```python
            for item in client.process_many(Path("scans").glob("*.pdf"), journal="b.sqlite"):
                print(item.source, item.ok, item.error)
            ```
        """
        settings = batch_settings(
            concurrency=concurrency,
            submit_rate=submit_rate,
            max_credits=max_credits,
            retry_failed=retry_failed,
            on_event=on_event,
        )
        options_checked = compose_options(options, one_document=False)
        return self._process_many(sources, options_checked, settings, delete, journal)

    def _process_many(
        self,
        sources: Iterable[Any],
        options: CheckedOptions,
        settings: BatchSettings,
        delete: bool = False,
        journal: Journal | str | os.PathLike[str] | None = None,
    ) -> Iterator[DoneItem | SkippedItem | FailedItem]:
        """``process_many`` with its options and settings already checked."""
        return self._runner.iterate(self._batch_flow(sources, options, settings, delete, journal))

    def as_completed(
        self,
        job_ids: Iterable[str],
        *,
        concurrency: int = C.DEFAULT_BATCH_CONCURRENCY * 4,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
    ) -> Iterator[DoneItem | FailedItem]:
        """Wait on jobs submitted elsewhere; one ``BatchItem`` per job as each finishes.

        Args:
            job_ids: the ids of the jobs to wait on.
            concurrency: jobs polled at once.
            poll_interval: as in ``wait_until_done``, for each job.
            timeout: seconds to wait in all; raises ``WaitTimeoutError`` past it (the job
                keeps running on the service).

        Returns:
            An iterator (``async for`` on ``AsyncLeapOCR``) of ``BatchItem``s whose
            ``source`` is the job id; a failed job is an item with ``error``.

        Raises:
            ValidationError: ``job_ids`` is not an iterable of job ids, or a bad setting.
        """
        return self._runner.iterate(
            self._as_completed_flow(job_ids, concurrency, poll_interval, timeout)
        )

    def wait_many(
        self,
        job_ids: Iterable[str],
        *,
        concurrency: int = C.DEFAULT_BATCH_CONCURRENCY * 4,
        poll_interval: float = C.DEFAULT_POLL_INTERVAL,
        timeout: float = C.DEFAULT_WAIT_TIMEOUT,
    ) -> list[DoneItem | FailedItem]:
        """``as_completed``, collected: one ``BatchItem`` per job, in the order given.

        Args:
            job_ids: the ids of the jobs to wait on.
            concurrency: jobs polled at once.
            poll_interval: as in ``wait_until_done``, for each job.
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
        """Close the connections this client opened (not a caller's own http_client).

        Calls still running in other threads or tasks end at once with
        ``ConfigurationError`` (a batch among them cleans up first, see ``process_many``),
        also those of its ``with_options`` copies; closing a copy leaves this client open.
        """
        for http in self._shut():
            http.close()

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
