"""The emulator's job store: models, credits, uploads and the job state machine.

Job state is computed lazily from a clock: once a document has been read, a job is
``pending`` for the first tenth of its processing time, then ``processing`` page by page,
then ``completed``. No thread runs per job. Documents live in temporary files (never
whole in memory, but for URL jobs' documents of up to 1 MiB not kept), in a directory
the store removes when the emulator stops.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import random
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from .._contract import (
    FORMAT_MARKDOWN,
    FORMAT_STRUCTURED,
    LESS_CREDITS,
    MODEL_CATALOGUE,
    page_price,
)
from .extract import DocumentError, PageContent, extract_fields, read_document

__all__ = [
    "FINISHED",
    "JobRecord",
    "JobStore",
    "JobView",
    "ModelEntry",
    "Template",
    "Upload",
    "iso",
]

FINISHED = frozenset({"completed", "partially_done", "failed"})
READ_CACHE_SIZE = 64  # documents whose pages the store keeps, most recently sent first
PENDING_FRACTION = 0.1  # share of the processing time a ready job spends pending


@dataclass(frozen=True)
class ModelEntry:
    """A processing model as listed by ``GET /ocr/models``."""

    name: str
    display_name: str
    description: str
    credits_per_page: int
    surcharge_per_page: int = 0
    priority: int = 0


@dataclass(frozen=True)
class Template:
    """A saved set of job options, used with ``template_slug``.

    Attributes:
        slug: what clients pass as ``template_slug=``.
        name: the template's name (a job reports it as ``template_name``).
        result_format: ``structured`` or ``markdown``.
        schema: the JSON schema of the fields to extract.
        instructions: the template's instruction.
        model: its model (None: the default model).
        extract_bounding_boxes: whether its jobs locate blocks of text.
    """

    slug: str
    name: str
    result_format: str = FORMAT_STRUCTURED
    schema: dict[str, Any] | None = None
    instructions: str | None = None
    model: str | None = None  # None: the default model
    extract_bounding_boxes: bool = False


def _catalogue_models() -> list[ModelEntry]:
    return [
        ModelEntry(
            spec.name,
            spec.display_name,
            spec.description,
            spec.credits_per_page,
            spec.surcharge_per_page,
            rank,
        )
        for rank, spec in enumerate(MODEL_CATALOGUE, start=1)
    ]


def template_slug_for(file_name: str, job_id: str) -> str:
    """The slug ``save_as_template`` gives a job's template: ``<file stem>-<8 id chars>``.

    The stem is lower-cased, every run of other characters than ``a-z0-9`` becomes ``-``
    (``Invoice 2026.pdf`` + job ``3f2a9c1b-...`` gives ``invoice-2026-3f2a9c1b``).
    """
    stem = os.path.splitext(os.path.basename(file_name))[0].lower()
    stem = re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or "document"
    return f"{stem[:64]}-{job_id[:8]}"


def iso(timestamp: float | None) -> str:
    """RFC 3339 UTC time (``2026-11-02T10:30:00.000Z``); empty string for None."""
    if timestamp is None:
        return ""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Upload:
    """A direct upload session: the parts the client must PUT, and what it sent."""

    upload_id: str
    ranges: list[tuple[int, int]]  # (start_byte, end_byte inclusive) per part
    issued_at: float
    expires_at: float
    received: dict[int, tuple[str, str]] = field(default_factory=dict)  # part -> (etag, file)
    completed_with: list[tuple[int, str]] | None = None  # (part, unquoted etag)


@dataclass
class JobRecord:
    """Everything the emulator knows about a job (mutated only under the store's lock)."""

    id: str
    source: str  # "upload" or "url"
    file_name: str
    model: str
    credits_per_page: int  # the job's price of a page: the model's, plus its surcharges
    result_format: str
    created_at: float
    duration: float
    schema: dict[str, Any] | None = None
    instructions: str | None = None
    template_slug: str | None = None
    template_name: str | None = None
    extract_bounding_boxes: bool = False
    saved_template_slug: str | None = None
    source_url: str | None = None
    file_size: int = 0
    upload: Upload | None = None
    file_path: str | None = None  # the document, while kept
    pages: list[PageContent] | None = None
    page_ids: list[str] = field(default_factory=list)
    results: list[Any] | None = None
    ready_at: float | None = None  # monotonic time the document was read
    ready_wall: float | None = None
    failed_at: float | None = None
    error_message: str = ""
    deleted_at: float | None = None
    frozen: tuple[str, int] | None = None  # (status, processed_pages) at deletion
    credits_used: int = 0
    charged: bool = False
    reserved: int = 0  # credits held for the job from when its page count is known
    complete_calls: int = 0

    @property
    def total_pages(self) -> int:
        return len(self.page_ids)

    def progress(self, now: float) -> tuple[str, int]:
        """``(status, processed_pages)`` at monotonic time ``now``."""
        if self.frozen is not None:
            return self.frozen
        if self.failed_at is not None:
            return "failed", 0
        if self.ready_at is None:
            return "pending", 0
        elapsed = now - self.ready_at
        if elapsed >= self.duration:
            return "completed", self.total_pages
        pending = self.duration * PENDING_FRACTION
        if elapsed < pending:
            return "pending", 0
        per_page = (self.duration - pending) / max(1, self.total_pages)
        done = int((elapsed - pending) / per_page)
        return "processing", min(done, self.total_pages - 1)

    def completed_wall(self, now: float) -> float | None:
        """Unix time the job finished (completed or failed), if it has by ``now``."""
        if self.failed_at is not None:
            return self.failed_at
        if self.ready_wall is None or self.progress(now)[0] != "completed":
            return None
        return self.ready_wall + self.duration

    def processing_time(self, now: float) -> int:
        if self.ready_at is None:
            return 0
        return int(min(now - self.ready_at, self.duration))


@dataclass(frozen=True)
class JobView:
    """A snapshot of a job for tests (``LeapOCREmulator.get_job``). Times are Unix times.

    Attributes:
        id: the job's id.
        status: ``pending``, ``processing``, ``completed``, ``partially_done`` or ``failed``.
        source: ``upload`` or ``url``.
        file_name: the document's name.
        file_size: its size in bytes.
        model: the job's model.
        result_format: ``markdown`` or ``structured``.
        processed_pages: pages processed so far.
        total_pages: pages in the document.
        credits_used: credits charged.
        error_message: why it failed (empty otherwise).
        created_at: when it was created.
        deleted_at: when it was deleted, or None.
        schema: the schema it was sent.
        instructions: the instruction it was sent.
        template_slug: the template it used.
        template_name: that template's name.
        extract_bounding_boxes: whether blocks are located.
        saved_template_slug: the template ``save_as_template`` created from it.
        source_url: the URL of a URL submission.
        file_path: the temporary file holding the uploaded document.
        pages: each page's extracted content, once read.
        results: each page's result, once processed.
        complete_calls: how many times ``complete`` was called for its upload.
        processing_seconds: how long it takes once read.
    """

    id: str
    status: str
    source: str
    file_name: str
    file_size: int
    model: str
    result_format: str
    processed_pages: int
    total_pages: int
    credits_used: int
    error_message: str
    created_at: float
    deleted_at: float | None
    schema: dict[str, Any] | None
    instructions: str | None
    template_slug: str | None
    template_name: str | None
    extract_bounding_boxes: bool
    saved_template_slug: str | None
    source_url: str | None
    file_path: str | None
    pages: tuple[PageContent, ...] | None
    results: tuple[Any, ...] | None
    complete_calls: int
    processing_seconds: float

    @property
    def file_bytes(self) -> bytes | None:
        """The uploaded document (None once deleted, or with ``keep_files=False``)."""
        if self.file_path is None:
            return None
        try:
            with open(self.file_path, "rb") as stream:
                return stream.read()
        except FileNotFoundError:  # deleted meanwhile
            return None

    @property
    def page_texts(self) -> tuple[str, ...] | None:
        """Each page's extracted text (None until the document is read)."""
        return None if self.pages is None else tuple(page.text for page in self.pages)


# The fields of a ``JobView`` copied as they are from the ``JobRecord`` attribute of the
# same name (``JobStore.view`` computes the others).
_RECORD_FIELDS = tuple(
    f.name
    for f in fields(JobView)
    if f.name not in {"status", "processed_pages", "pages", "results", "processing_seconds"}
)


class JobStore:
    """Thread-safe jobs, models and credit balance."""

    def __init__(
        self,
        *,
        credits: int | None,
        processing_seconds: float | tuple[float, float],
        seed: int | None,
        keep_files: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self._rng = random.Random(seed)  # noqa: S311 (reproducible ids, not security)
        self._credits = credits
        self._processing = processing_seconds
        self._keep_files = keep_files
        self.clock = clock
        self.jobs: dict[str, JobRecord] = {}
        # Jobs read and not yet charged (the only ones that can complete), and the credits
        # held by unfinished jobs: kept as jobs change, so a submission's credit check
        # costs the same with a million jobs in the store as with one.
        self._unsettled: dict[str, JobRecord] = {}
        self._held = 0
        self.uploads: dict[str, str] = {}  # upload_id -> job_id
        self.models: dict[str, ModelEntry] = {m.name: m for m in _catalogue_models()}
        self.templates: dict[str, Template] = {}
        self._directory: str | None = None
        self.closed = False  # set by close(): no new files until reopen()
        # Documents read, by content digest: the same file sent again is not parsed again.
        self._read: collections.OrderedDict[bytes, list[PageContent]] = collections.OrderedDict()

    # -- files --------------------------------------------------------------------------

    def new_file(self) -> str:
        """A new empty temporary file in the store's directory; returns its path."""
        with self.lock:
            if self.closed:
                raise OSError("the emulator has stopped")
            if self._directory is None or not os.path.isdir(self._directory):
                self._directory = tempfile.mkdtemp(prefix="leapocr-emulator-")
            directory = self._directory
        handle, path = tempfile.mkstemp(dir=directory)
        os.close(handle)
        return path

    @staticmethod
    def remove_file(path: str | None) -> None:
        if path is not None:
            with contextlib.suppress(OSError):
                os.remove(path)

    @staticmethod
    def removed(path: str) -> bool:
        """Whether ``path``'s directory is gone: the emulator stopped and removed its files."""
        return not os.path.isdir(os.path.dirname(path))

    def reopen(self) -> None:
        """Accept files again (the emulator starts again after a stop)."""
        with self.lock:
            self.closed = False

    def close(self) -> None:
        """Remove every stored document (the emulator is stopping)."""
        with self.lock:
            directory, self._directory = self._directory, None
            self.closed = True
        if directory is not None:
            # Renamed first, in one step, so that work still running on a file sees its
            # directory gone (``removed``) at once, not only once rmtree has finished.
            doomed = directory + "-removing"
            with contextlib.suppress(OSError):
                os.rename(directory, doomed)
                directory = doomed
            shutil.rmtree(directory, ignore_errors=True)

    # -- ids, randomness ----------------------------------------------------------------

    def new_uuid(self) -> str:
        with self.lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def random_bytes(self, size: int) -> bytes:
        with self.lock:
            return self._rng.randbytes(size)

    def _duration(self) -> float:
        if isinstance(self._processing, tuple):
            low, high = self._processing
            return self._rng.uniform(float(low), float(high))
        return float(self._processing)

    # -- credits ------------------------------------------------------------------------

    @property
    def credits(self) -> int | None:
        with self.lock:
            self.settle()
            return self._credits

    @credits.setter
    def credits(self, value: int | None) -> None:
        with self.lock:
            self.settle()
            self._credits = value

    @staticmethod
    def page_price(model: ModelEntry, options: dict[str, Any]) -> int:
        """A page's price for a job of ``model`` with ``options`` (as the service prices
        it, from the same catalogue facts as the SDK: ``_contract.page_price``)."""
        structured = (
            options.get("result_format") == FORMAT_STRUCTURED
            or bool(options.get("schema"))
            or bool(options.get("instructions"))
        )
        return page_price(
            model.credits_per_page,
            model.surcharge_per_page,
            structured=structured,
            bounding_boxes=bool(options.get("extract_bounding_boxes")),
        )

    def _available(self) -> int | None:
        """The balance less the credits reserved by unfinished jobs (None: unlimited)."""
        if self._credits is None:
            return None
        return self._credits - self._held

    def can_afford(self, credits_per_page: int) -> bool:
        """Whether the balance, less what running jobs hold, covers one page at
        ``credits_per_page``."""
        with self.lock:
            self.settle()
            available = self._available()
            return available is None or (available > 0 and available >= credits_per_page)

    @property
    def limited(self) -> bool:
        """Whether the balance is finite (reservations matter)."""
        with self.lock:
            return self._credits is not None

    def reserve(self, job: JobRecord, pages: int) -> str | None:
        """Hold the job's whole price (pages x its page price) once its pages are known;
        the service's refusal message (``LESS_CREDITS``) when the balance cannot cover
        it, else None."""
        with self.lock:
            if job.charged or job.reserved:
                return None
            self.settle()
            cost = pages * job.credits_per_page
            available = self._available()
            if available is not None and cost > available:
                return (
                    f"Insufficient credits ({LESS_CREDITS}): the document's {pages} pages "
                    f"cost {cost} credits at {job.credits_per_page} a page, and "
                    f"{max(0, available)} are available"
                )
            job.reserved = cost
            self._held += cost
            return None

    def _release(self, job: JobRecord) -> None:
        """The job is charged (or failed): it holds no credits and is settled."""
        job.charged = True
        self._held -= job.reserved
        job.reserved = 0
        self._unsettled.pop(job.id, None)

    def _charge(self, job: JobRecord, pages: int) -> None:
        if job.charged:
            return
        self._release(job)
        job.credits_used = pages * job.credits_per_page
        if self._credits is not None:
            self._credits = max(0, self._credits - job.credits_used)

    def settle(self, job: JobRecord | None = None, now: float | None = None) -> None:
        """Charge ``job`` (or every job) if it has completed since the last look (by
        ``now``: a caller that then shows the job's state passes the instant it shows, so
        a job is never shown completed and not yet charged)."""
        with self.lock:
            now = self.clock() if now is None else now
            for each in [job] if job is not None else list(self._unsettled.values()):
                if not each.charged and each.progress(now)[0] == "completed":
                    self._charge(each, each.total_pages)

    # -- lifecycle ----------------------------------------------------------------------

    def create(
        self, *, source: str, file_name: str, model: ModelEntry, **options: Any
    ) -> JobRecord:
        with self.lock:
            job = JobRecord(
                id=self.new_uuid(),
                source=source,
                file_name=file_name,
                model=model.name,
                credits_per_page=self.page_price(model, options),
                created_at=time.time(),
                duration=self._duration(),
                **options,
            )
            self.jobs[job.id] = job
            if job.upload is not None:
                self.uploads[job.upload.upload_id] = job.id
            return job

    def get(self, job_id: str) -> JobRecord | None:
        with self.lock:
            return self.jobs.get(job_id.lower())

    def job_for_upload(self, upload_id: str) -> JobRecord | None:
        with self.lock:
            job_id = self.uploads.get(upload_id)
            return self.jobs.get(job_id) if job_id else None

    @property
    def keeps_files(self) -> bool:
        """Whether documents are kept once read (``keep_files``)."""
        return self._keep_files

    def ingest(self, job_id: str, document: str | bytes) -> None:
        """Read the document (slow: call it off the request thread), once, and start
        processing. ``document`` is a file's path (the store owns the file from here on)
        or, for a small document not kept (``keeps_files`` False), its bytes."""
        path = document if isinstance(document, str) else None
        try:
            size = os.path.getsize(path) if path is not None else len(document)
            pages = self._read_once(document)
        except OSError:
            if path is not None and self.removed(path):
                return  # the emulator stopped meanwhile and removed its files
            raise
        except DocumentError as exc:
            self.remove_file(path)
            self.fail(job_id, str(exc), size=size)
            return
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or job.deleted_at is not None:
                self.remove_file(path)
                return
            refusal = self.reserve(job, len(pages))
            if refusal is not None:  # the balance cannot cover every page: nothing is done
                self.remove_file(path)
                self.fail(job_id, refusal, size=size)
                return
            job.file_size = size
            job.file_path = path if self._keep_files else None
            job.pages = pages
            job.page_ids = [self.new_uuid() for _ in pages]
            texts = [page.text for page in pages]
            if job.result_format == FORMAT_MARKDOWN:
                job.results = texts
            else:
                job.results = [extract_fields(text, job.schema) for text in texts]
                if job.result_format == FORMAT_STRUCTURED and job.results:
                    # One document-level object: page 1 carries the fields found anywhere.
                    job.results[0] = extract_fields("\n".join(texts), job.schema)
            job.ready_at = self.clock()
            job.ready_wall = time.time()
            if not job.charged:
                self._unsettled[job.id] = job
        if not self._keep_files:
            self.remove_file(path)

    def count_pages(self, path: str) -> int | None:
        """Pages of the document at ``path`` (read once and kept: its ``ingest`` reads it
        from the cache); None when it cannot be read (its ``ingest`` fails the job)."""
        try:
            return len(self._read_once(path))
        except (OSError, DocumentError):
            return None

    def _read_once(self, document: str | bytes) -> list[PageContent]:
        """``read_document`` (of a file's path, or of the document's bytes), once per
        distinct content (the last READ_CACHE_SIZE kept)."""
        digest = hashlib.blake2b(digest_size=16)
        if isinstance(document, bytes):
            digest.update(document)
        else:
            with open(document, "rb") as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        key = digest.digest()
        with self.lock:
            cached = self._read.get(key)
            if cached is not None:
                self._read.move_to_end(key)
                return list(cached)
        pages = read_document(document)
        with self.lock:
            self._read[key] = pages
            while len(self._read) > READ_CACHE_SIZE:
                self._read.popitem(last=False)
        return list(pages)

    def fail(self, job_id: str, message: str, *, size: int | None = None) -> None:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or job.deleted_at is not None:
                return
            if size is not None:
                job.file_size = size
            job.error_message = message
            job.failed_at = time.time()
            self._release(job)  # failed jobs cost nothing

    def delete(self, job: JobRecord) -> None:
        """Redact the job's content and freeze its state."""
        with self.lock:
            status, processed = job.progress(self.clock())
            self._charge(job, processed if status != "failed" else 0)
            job.frozen = (status, processed)
            job.deleted_at = time.time()
            self.remove_file(job.file_path)
            job.file_path = None
            job.pages = None
            job.results = None
            if job.upload is not None:
                for _, part_path in job.upload.received.values():
                    self.remove_file(part_path)
                job.upload.received.clear()

    def view(self, job: JobRecord) -> JobView:
        with self.lock:
            now = self.clock()
            self.settle(job, now)
            status, processed = job.progress(now)
            return JobView(
                status=status,
                processed_pages=processed,
                pages=tuple(job.pages) if job.pages is not None else None,
                results=tuple(job.results) if job.results is not None else None,
                processing_seconds=job.duration,
                **{name: getattr(job, name) for name in _RECORD_FIELDS},
            )

    def add_model(self, model: ModelEntry) -> None:
        with self.lock:
            self.models[model.name] = model

    def model_list(self) -> list[ModelEntry]:
        with self.lock:
            return sorted(self.models.values(), key=lambda m: (m.priority, m.name))

    def model(self, name: str) -> ModelEntry | None:
        with self.lock:
            return self.models.get(name)

    def add_template(self, template: Template) -> None:
        with self.lock:
            self.templates[template.slug] = template

    def template(self, slug: str) -> Template | None:
        with self.lock:
            return self.templates.get(slug)
