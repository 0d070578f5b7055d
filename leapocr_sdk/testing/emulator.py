"""The local LeapOCR emulator: a threaded HTTP/1.1 keep-alive server speaking the 2026 contract.

It is built on the standard library's ``http.server`` (Werkzeug's development server
closes every connection, and clients must be able to reuse theirs). Every contract fact
(models, formats, limits, file types, error codes, part sizes) comes from
``leapocr_sdk._contract``. It accepts what the live 2026 service accepts, so other LeapOCR
clients (the official SDKs) run on it unchanged.

Behaviour where the service leaves room (the emulator's decisions):

- It reads the text embedded in PDFs with ``pypdf``; it does **not** do OCR. Markdown
  pages are that text; ``structured`` jobs return one object per page, filled from
  ``Key: value`` lines (see ``extract.extract_fields``), except that page 1 carries the
  document-level object, filled from every page; without a schema (a template without
  one) every ``Key: value`` line is returned.
- Images (PNG, JPEG, TIFF, WebP) are one page without text: its markdown starts with
  ``extract.IMAGE_PAGE_MARKER`` ("[image without embedded text]") and says the emulator
  does not do OCR; its ``dimensions`` come from the image header (a BigTIFF has none).
- Pages carry ``confidence`` (0.99 for a page with embedded text, 0.0 for a page without:
  blank pages, images), ``dimensions`` in pixels (1 px per PDF point: US Letter is
  612 x 792) and ``has_bounding_boxes``. With ``extract_bounding_boxes`` every page has
  ``bounding_boxes``: one per text line (from pypdf's text positions), ``bounds`` in
  integer pixels from the top-left corner (width estimated from the glyph count),
  ``type`` ``heading`` (a line 1.25 x the size most of the page's text is set in;
  ``make_pdf`` sets ``# `` lines so) or ``paragraph``, and
  ``metadata`` ``{"font_size"}`` (plus ``"level": 1`` for headings).
- Defaults: model ``standard-v2``, format ``markdown``. Models: the catalogue's five
  (``GET /ocr/models``); an unknown name is refused with 400 (``VALIDATION_ERROR``);
  register custom ones with ``add_model``. Formats: ``markdown`` and ``structured``;
  ``per_page_structured`` is refused with 400 (``VALIDATION_ERROR``).
- Option rules (400 ``VALIDATION_ERROR``, ``details.field`` / ``details.fields``):
  ``template_slug`` excludes ``format``, ``model``, ``schema`` and ``instructions``;
  ``structured`` needs a non-empty ``schema`` unless ``template_slug``; ``schema`` with
  ``markdown`` (the default) is refused; ``schema`` + ``instructions`` are accepted, and
  so are ``instructions`` with ``markdown``; ``instructions`` at most 100 characters.
- Templates: ``add_template(slug, ...)``; an unknown ``template_slug`` answers 400
  (``VALIDATION_ERROR``, the upload endpoints declare no 404). A template job reports the
  template's name as ``template_name`` on status and result. ``save_as_template: true``
  (without ``template_slug``) saves the job's format, schema, instructions, model and
  ``extract_bounding_boxes`` as a template named after the file, with the slug
  ``<file stem>-<first 8 characters of the job id>`` (``jobs.template_slug_for``; the
  stem lower-cased, other characters than a-z0-9 as ``-``).
- Uploads: ``file_size`` (1 .. 1 GiB) and ``content_type`` (PDF, PNG, JPEG, TIFF,
  WebP) are required by ``POST /ocr/uploads/direct``; one part below 50 MiB, 5 MiB parts
  from there on. Parts are written to temporary files as they arrive (real MD5 ETags;
  ``etag_mode="fast"`` swaps them for a cheap stand-in for speed runs),
  joined into one document file off the request path and read once; documents never sit
  whole in memory, and stopping the emulator removes them. A URL job's document is
  downloaded to a temporary file too (``file_name`` names it, else the URL's last path
  segment), except that with ``keep_files=False`` a document of up to 1 MiB is read
  from memory. What a document really is comes from its first bytes, not from
  ``content_type``. A document's pages are read once per distinct content (by digest):
  the same bytes sent again, from any URL or upload, are not parsed again (the last 64
  distinct documents are kept).
- Credits are charged as the service prices a page (the model's credits per page, plus
  its surcharge for structured output or instructions, plus 1 for bounding boxes: the
  SDK's catalogue) when a job completes, or for the pages already processed when it is
  deleted early; failed jobs cost nothing. Once a document's pages are known its whole
  price is reserved, and what running jobs reserve is not available to others.
  Submissions and ``complete`` answer 402 (``LESS_CREDITS``) when the available balance
  can't pay for one page; ``complete`` of a one-part document answers 402 when it
  can't pay for all its pages, and any other document that cannot be paid for fails
  with a ``LESS_CREDITS`` message when read. The balance never goes below 0.
- Error bodies are ``{"code", "error": {"message"}, "details"}`` with the service's codes:
  400 ``VALIDATION_ERROR`` (a field; ``BAD_REQUEST`` for a body that is not JSON, a job id
  that is not a UUID, bad ``page``/``limit``), 401 ``AUTHENTICATION_ERROR``, 402
  ``LESS_CREDITS``, 403 ``FORBIDDEN``, 404 ``NOT_FOUND``, 409 ``CONFLICT``, 429
  ``TOO_MANY_REQUESTS``, 500 ``SYSTEM_ERROR``. Statuses the service does not document
  keep a code of the same enum: 405 and 411 ``BAD_REQUEST``, 413 ``VALIDATION_ERROR``,
  502 / 503 / 504 ``SYSTEM_ERROR``.
- Rate limiting counts authenticated API requests (not storage PUTs, not ``/health``);
  the ``X-RateLimit-*`` headers are on every ``/api/v1`` response, including 401s.
- ``GET /health`` and ``GET /api/v1/health`` need no API key and answer 200 with the
  service's ``health.HealthStatus`` (``{"status": "healthy", "service", "version",
  "timestamp", "checks", "summary"}``).
- ``complete`` accepts each ETag with or without its surrounding quotes, as storage does.
  ``complete`` again with the same parts (either spelling) answers 200 with the same body
  (safe to retry); with different parts it answers 409. Parts must be listed once each in
  ascending order, every part must be present and each ETag must equal the one the PUT
  returned; otherwise 400.
- Storage PUTs need a ``Content-Length`` (411 otherwise, as object storage does), refuse
  an ``X-API-Key`` header with 400 (counted in ``key_leaks``), a bad signature with 403
  ``SignatureDoesNotMatch``, an expired URL with 403 ``AccessDenied``, and a body of the
  wrong size with 400. A part may be PUT again until the upload is completed.
- Request bodies are refused before they are read, and the connection is closed after
  the refusal: a ``Content-Length`` that is not one run of ASCII digits (``-1``, ``abc``),
  or several that disagree, answers 400 (``BAD_REQUEST``); an API body over 10 MiB
  answers 413, a storage PUT over its part size 413. A chunked API body is checked from
  each chunk's size line: a chunk that would take it over 10 MiB answers 413 before the
  chunk is read; a malformed size line, chunk end or trailer (lines up to 64 KiB, at most
  100 trailers) answers 400.
- A document that can't be read (none of the accepted types, broken, encrypted,
  download failed) makes the job ``failed`` with ``error_message``; ``GET /ocr/result``
  then answers 200 with ``status: "failed"``, no pages, ``credits_used: 0`` and
  ``error_message``.
- Status and result carry ``created_at``, ``file_name`` and, from a template,
  ``template_name``; status has ``processing_time`` (seconds) and, once finished,
  ``completed_at``; a finished result always has ``completed_at`` (RFC 3339), a 202 has
  none.
- ``DELETE /ocr/delete/{id}`` answers 200 with a JSON body (the job, ``deleted_at`` set,
  with the status it had; the official Python SDK reads that body); the document and
  results are dropped and the job stops progressing. Afterwards status answers 200 with
  the frozen status and ``deleted_at``; result answers 200 with ``deleted_at``, the
  frozen status (e.g. ``completed``) and pages reduced to ``{"id", "page_number",
  "result": null}`` (no confidence, dimensions or boxes). Deleting again, or completing or
  uploading to a deleted job, answers 404.
- ``add_webhook(url)`` POSTs signed job events to ``url`` as jobs move (see
  ``testing/webhooks.py``); every attempt is in ``webhook_deliveries``.
- A job id that is not a UUID answers 400; an unknown one 404. ``page`` / ``limit``
  outside ``>= 1`` / ``1..max_result_limit`` answer 400; a page past the end is empty.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import FrameType
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from .._contract import FORMATS
from .._operations import API_ROOT, UPLOAD_PART
from .faults import Faults
from .jobs import FINISHED, JobRecord, JobStore, JobView, ModelEntry, Template
from .messages import HttpReply, HttpRequest, SpooledBody, error, error_body
from .routing import Api, match
from .server import (
    MAX_API_BODY,
    MAX_PART_BODY,
    BodyError,
    EmulatorServer,
    RequestHandler,
    declared_length,
)
from .webhooks import WEBHOOK_EVENTS, WebhookDelivery, WebhookDispatcher

__all__ = ["LeapOCREmulator", "RecordedRequest"]

logger = logging.getLogger("leapocr_sdk.testing")
# Threads for work off the request path: URL jobs' downloads (mostly waiting on the
# document's host) and assembling uploaded parts. Started as work arrives.
BACKGROUND_WORKERS = 32


@dataclass(frozen=True)
class RecordedRequest:
    """One request the emulator received, as ``emu.requests`` lists them.

    Attributes:
        method: the HTTP method.
        path: the path, without the query.
        query: the query parameters.
        headers: the headers, names lower-case.
        body_size: bytes of body received.
        route: the route name (``status``, ``upload_part``, ... ``unknown``).
        status: the status answered; None when the connection was dropped unanswered.
        started_at: when it arrived (Unix time).
        duration: seconds spent answering.
        client_port: the client's port: equal ports mean a reused keep-alive connection.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body_size: int
    route: str
    status: int | None
    started_at: float
    duration: float
    client_port: int


# The fields of a ``RecordedRequest`` copied from the ``HttpRequest`` attribute of the
# same name (``_record`` adds what the exchange itself tells).
_REQUEST_FIELDS = ("method", "path", "query", "headers", "body_size")


class LeapOCREmulator:
    """A faithful local LeapOCR service for tests, demos and benchmarks.

    ``with LeapOCREmulator() as emu:`` starts it on a free port of 127.0.0.1; point a
    client at ``emu.base_url`` with ``emu.api_key``. The emulator reads the text embedded
    in PDFs (it does **not** do OCR; an image is a page without text): markdown results
    are each page's text, structured results fill the schema's properties from
    ``Key: value`` lines. ``add_template`` makes ``template_slug`` work.

    Args:
        api_key: the key expected in ``X-API-Key`` (default ``test-key``).
        host: the address to listen on (default 127.0.0.1).
        port: the port (0, the default: a free port; see ``port`` once started).
        credits: the credit balance (None: unlimited). A job is charged pages x its
            price per page (with surcharges) when it completes; a submission the balance
            can't cover is refused with 402 ``LESS_CREDITS``.
        rate_limit: at most this many API requests per ``rate_window`` seconds (fixed
            window), with ``X-RateLimit-*`` headers and 429; None disables it.
        rate_window: the rate limit's window, in seconds.
        processing_seconds: how long a job takes once its document is read; a
            ``(min, max)`` tuple draws a duration per job.
        seed: makes ids, durations and signing keys reproducible.
        max_result_limit: the largest ``limit`` of ``GET /ocr/result``.
        upload_url_ttl: lifetime of upload URLs, in seconds.
        keep_files: keep uploaded documents for ``get_job(...).file_bytes`` (turn off for
            long-running benchmarks).
        etag_mode: ``"md5"`` (the default, as storage does): each part's ETag is the MD5
            of its bytes. ``"fast"``, for speed runs where hashing every byte would be
            the limit: an ETag of the same shape from the part's size and a CRC-32 of
            its first and last chunk; ``complete`` still refuses any ETag but the one
            the PUT returned.

    Example:
        ```python
        with LeapOCREmulator(credits=100) as emu:
            emu.faults.fail("status", 503)  # the next poll fails once
            with LeapOCR(emu.api_key, base_url=emu.base_url) as client:
                result = client.process(make_pdf(["Invoice Number: INV-1"]))
        ```
    """

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        host: str = "127.0.0.1",
        port: int = 0,
        credits: int | None = None,
        rate_limit: int | None = None,
        rate_window: float = 60.0,
        processing_seconds: float | tuple[float, float] = 0.2,
        seed: int | None = None,
        max_result_limit: int = 1000,
        upload_url_ttl: float = 900.0,
        keep_files: bool = True,
        etag_mode: Literal["md5", "fast"] = "md5",
    ) -> None:
        if etag_mode not in ("md5", "fast"):
            raise ValueError(f'etag_mode must be "md5" or "fast", not {etag_mode!r}')
        self.api_key = api_key
        self.etag_mode = etag_mode
        self.host = host
        self._requested_port = port
        self.faults = Faults()
        self._store = JobStore(
            credits=credits, processing_seconds=processing_seconds, seed=seed, keep_files=keep_files
        )
        self._api = Api(
            store=self._store,
            faults=self.faults,
            api_key=api_key,
            rate_limit=rate_limit,
            rate_window=rate_window,
            max_result_limit=max_result_limit,
            upload_url_ttl=upload_url_ttl,
            submit=self._submit,
        )
        self._webhooks = WebhookDispatcher(self._store)
        self._records: list[RecordedRequest] = []
        self._counts: Counter[str] = Counter()
        self._records_lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> LeapOCREmulator:
        """Bind and serve on a background thread (a started emulator is left as it is).

        Returns:
            The emulator itself, for ``emu = LeapOCREmulator().start()``.
        """
        if self._server is not None:
            return self
        self._stopping.clear()
        self._store.reopen()
        self._executor = ThreadPoolExecutor(
            max_workers=BACKGROUND_WORKERS, thread_name_prefix="leapocr-emulator"
        )
        self._server = EmulatorServer((self.host, self._requested_port), self)
        self._api.origin = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="leapocr-emulator",
            daemon=True,
        )
        self._thread.start()
        self._webhooks.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and wake sleeping handlers."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with server.connections_lock:
            connections = list(server.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._api.downloads.close()
        self._webhooks.stop()
        self._store.close()

    def serve_forever(self) -> None:
        """Serve in the foreground until Ctrl-C, SIGTERM or ``stop()``."""
        self.start()
        previous: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():

            def on_signal(signum: int, frame: FrameType | None) -> None:
                self._stopping.set()

            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, on_signal)
        try:
            while not self._stopping.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            for which, handler in previous.items():
                signal.signal(which, handler)
            self.stop()

    def __enter__(self) -> LeapOCREmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on; RuntimeError before ``start()``."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The origin, e.g. ``http://127.0.0.1:8765``."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host  # noqa: S104
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, e.g. ``http://127.0.0.1:8765/api/v1``."""
        return self.url + API_ROOT

    # -- inspection --------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the requests received so far, oldest first."""
        with self._records_lock:
            return list(self._records)

    def clear_requests(self) -> None:
        """Forget the requests recorded so far (``requests``, ``route_counts``)."""
        with self._records_lock:
            self._records.clear()
            self._counts.clear()

    @property
    def route_counts(self) -> dict[str, int]:
        """Requests per route name since the last ``clear_requests()``."""
        with self._records_lock:
            return dict(self._counts)

    def count(self, route: str) -> int:
        """Requests received on one route since the last ``clear_requests()``.

        Args:
            route: a route name (``status``, ``result``, ``upload_part``, ... see ``Faults``).

        Returns:
            The number of requests.
        """
        with self._records_lock:
            return self._counts[route]

    @property
    def key_leaks(self) -> int:
        """Storage PUTs that carried an ``X-API-Key`` header (each was refused with 400)."""
        return self._api.key_leaks

    @property
    def credits(self) -> int | None:
        """The remaining credit balance (None: unlimited); settable."""
        return self._store.credits

    @credits.setter
    def credits(self, value: int | None) -> None:
        self._store.credits = value

    @property
    def jobs(self) -> dict[str, JobView]:
        """Snapshots of every job, by id."""
        with self._store.lock:
            return {job_id: self._store.view(job) for job_id, job in self._store.jobs.items()}

    def get_job(self, job_id: str) -> JobView:
        """A snapshot of one job.

        Args:
            job_id: the job's id.

        Returns:
            Its ``JobView``.

        Raises:
            KeyError: no such job.
        """
        job: JobRecord | None = self._store.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return self._store.view(job)

    def wait_for_job(self, job_id: str, timeout: float = 10.0) -> JobView:
        """Block until the job is completed, partially done or failed; for tests.

        Args:
            job_id: the job's id.
            timeout: seconds to wait at most.

        Returns:
            The finished job's ``JobView``.

        Raises:
            KeyError: no such job.
            TimeoutError: the job did not finish within ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            view = self.get_job(job_id)
            if view.status in FINISHED:
                return view
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {view.status}")
            time.sleep(0.01)

    def add_model(
        self,
        name: str,
        credits_per_page: int,
        *,
        display_name: str | None = None,
        description: str = "Custom model",
        priority: int = 10,
        surcharge_per_page: int = 0,
    ) -> None:
        """Register a custom model (unknown model names are refused with 400).

        Args:
            name: the name clients pass as ``model=``.
            credits_per_page: its price.
            display_name: its human-readable name (default: ``name``).
            description: what ``list_models()`` says about it.
            priority: its place in the model list (lower first).
            surcharge_per_page: added per page for structured output or instructions.
        """
        model = ModelEntry(
            name, display_name or name, description, credits_per_page, surcharge_per_page, priority
        )
        self._store.add_model(model)

    def add_template(
        self,
        slug: str,
        *,
        name: str | None = None,
        format: str = "structured",
        schema: dict[str, Any] | None = None,
        instructions: str | None = None,
        model: str | None = None,
    ) -> None:
        """Register a template, so that submissions with ``template_slug=slug`` work.

        A job from the template takes its format, schema, instructions and model, and
        reports the template's name as ``template_name``.

        Args:
            slug: what clients pass as ``template_slug=``.
            name: the template's name (default: the slug).
            format: ``structured`` (default) or ``markdown``.
            schema: the JSON schema of the fields to extract.
            instructions: the template's instruction.
            model: its model (None: the default model); a custom one must be added first.

        Raises:
            ValueError: an unknown format or model.

        Example:
            ```python
            emu.add_template("invoices", schema={"type": "object",
                                                 "properties": {"total": {"type": "number"}}})
            ```
        """
        if format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
        if model is not None and self._store.model(model) is None:
            raise ValueError(f"unknown model {model!r}; register it with add_model first")
        template = Template(slug, name or slug, format, schema, instructions, model)
        self._store.add_template(template)

    @property
    def templates(self) -> dict[str, Template]:
        """The templates by slug: added with ``add_template`` or saved by
        ``save_as_template`` (see ``jobs.template_slug_for`` for their slugs)."""
        with self._store.lock:
            return dict(self._store.templates)

    def add_webhook(
        self, url: str, events: Iterable[str] = WEBHOOK_EVENTS, secret: str | None = None
    ) -> str:
        """POST signed job events to ``url`` as jobs move.

        A delivery not answered 2xx is retried a few times with backoff; every attempt is
        in ``webhook_deliveries``.

        Args:
            url: the receiver's URL.
            events: some of ``job.created``, ``job.started``, ``job.completed``,
                ``job.failed`` (default: all).
            secret: the signing secret (default: a generated one).

        Returns:
            The signing secret, for ``construct_event`` in the receiver.
        """
        secret = self._webhooks.add(url, events, secret)
        if self._server is not None:  # else start() starts the deliveries
            self._webhooks.start()
        return secret

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every webhook delivery attempt so far, oldest first."""
        return self._webhooks.deliveries()

    def reset_faults(self) -> None:
        """Remove every injected fault (``faults.reset()``)."""
        self.faults.reset()

    # -- serving -----------------------------------------------------------------------------

    def _submit(self, work: Callable[[], None]) -> None:
        executor = self._executor
        if executor is None or self._stopping.is_set():
            return

        def run() -> None:
            try:
                work()
            except Exception:
                logger.exception("emulator background work failed")

        with contextlib.suppress(RuntimeError):  # shut down meanwhile
            executor.submit(run)

    def _sleep(self, seconds: float) -> bool:
        """Sleep unless stopping; False if the emulator is stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)
        return not self._stopping.is_set()

    def _record(
        self,
        handler: RequestHandler,
        request: HttpRequest,
        route: str,
        status: int | None,
        started: float,
    ) -> None:
        record = RecordedRequest(
            **{name: getattr(request, name) for name in _REQUEST_FIELDS},
            route=route,
            status=status,
            started_at=started,
            duration=time.time() - started,
            client_port=int(handler.client_address[1]),
        )
        with self._records_lock:
            self._records.append(record)
            self._counts[route] += 1

    def _serve(self, handler: RequestHandler) -> None:
        started = time.time()
        target = urlsplit(handler.path)
        request = HttpRequest(
            method=handler.command,
            path=unquote(target.path),
            query=dict(parse_qsl(target.query, keep_blank_values=True)),
            headers=dict(handler.fields),
        )
        route, params, allowed = match(request.method, request.path)
        storage = route == UPLOAD_PART.name
        awake = self._sleep(self.faults.latency(route))
        drop = self.faults.take_drop(route)
        if drop is False or not awake:  # before handling: read (half of a part upload) and hang up
            try:
                wanted = declared_length(handler.headers.get_all("Content-Length")) or 0
            except BodyError:
                wanted = 0
            with contextlib.suppress(OSError):
                request.body = handler.rfile.read(
                    min(wanted // 2 if storage else wanted, MAX_PART_BODY)
                )
            self._record(handler, request, route, None, started)
            handler.drop()
            return
        body: bytes | SpooledBody | HttpReply | None
        if storage:
            body = handler.spool_body(
                MAX_PART_BODY, self._store.new_file, fast_etag=self.etag_mode == "fast"
            )
        else:
            body = handler.read_body(MAX_API_BODY)
        if isinstance(body, HttpReply):
            reply = body
        else:
            if isinstance(body, SpooledBody):
                request.spooled = body
            elif body is not None:
                request.body = body
            try:
                reply = self._reply(route, params, allowed, request)
            finally:
                if request.spooled is not None:  # unless a handler kept it (moved it away)
                    self._store.remove_file(request.spooled.path)
        if drop or self._stopping.is_set():
            self._record(handler, request, route, None, started)
            handler.drop()
            return
        # Record first, so a client that got the response also finds it recorded.
        self._record(handler, request, route, reply.status, started)
        handler.send(reply)

    def _reply(
        self, route: str, params: dict[str, str], allowed: bool, request: HttpRequest
    ) -> HttpReply:
        self._sleep(self.faults.take_slow(route))
        failure = self.faults.take_failure(route)
        if failure is not None:
            body = failure.body
            if body is None:
                body = error_body(failure.status, f"Injected failure ({failure.status})")
            reply = HttpReply(failure.status, body, failure.content_type, dict(failure.headers))
        else:
            try:
                reply = self._api.handle(route, params, allowed, request)
            except Exception:
                logger.exception("emulator error on %s %s", request.method, request.path)
                reply = error(500, "Internal server error")
        if request.path.startswith(API_ROOT + "/"):
            for name, value in self._api.rate_headers().items():
                reply.headers.setdefault(name, value)
        kind = self.faults.take_malformed(route)
        if kind == "truncated":
            reply = HttpReply(200, reply.body[: max(1, len(reply.body) // 2)], "application/json")
        elif kind == "non_json":
            page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            reply = HttpReply(200, page, "text/html")
        return reply
