"""The emulator's submissions: URL jobs (and their download) and direct uploads."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from posixpath import basename
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from .._contract import CONTENT_TYPES, MAX_FILE_SIZE, MULTIPART_THRESHOLD, PART_SIZE
from .._operations import API_ROOT, COMPLETE
from .checks import check_fields, parse_json
from .downloads import DownloadError
from .jobs import JobRecord, JobStore, Template, Upload, iso, template_slug_for
from .messages import HttpReply, HttpRequest, error, json_reply
from .uploads import UploadStore

__all__ = ["Submissions"]


# A URL job's document up to this size is read from memory when documents are not kept
# (keep_files=False): writing, reading back and removing a temporary file cost more than
# the download. Larger ones, and every document kept, go to a temporary file.
IN_MEMORY_DOCUMENT = 1024 * 1024


class _Spool:
    """A download's destination: memory up to ``in_memory`` bytes, then a new temporary
    file (from ``new_file``) with what came so far."""

    def __init__(self, new_file: Callable[[], str], in_memory: int) -> None:
        self._new_file = new_file
        self._in_memory = in_memory
        self._buffer = bytearray()
        self._file: BinaryIO | None = None
        self._path: str | None = None

    def write(self, data: bytes) -> None:
        if self._file is None and len(self._buffer) + len(data) <= self._in_memory:
            self._buffer += data
            return
        if self._file is None:
            self._path = self._new_file()
            self._file = open(self._path, "wb")  # noqa: SIM115 (closed by finish/discard)
            self._file.write(self._buffer)
            self._buffer = bytearray()
        self._file.write(data)

    def finish(self) -> str | bytes:
        """The document: its file's path, or its bytes if it stayed in memory."""
        if self._file is None or self._path is None:
            return bytes(self._buffer)
        self._file.close()
        return self._path

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        JobStore.remove_file(self._path)


class Submissions(UploadStore):
    """``POST /ocr/uploads/url`` and ``POST /ocr/uploads/direct``."""

    def _save_template(self, job: JobRecord, payload: Mapping[str, Any]) -> None:
        """``save_as_template``: keep the job's options as a template (not for template jobs)."""
        if not payload.get("save_as_template") or job.template_slug:
            return
        slug = template_slug_for(job.file_name, job.id)
        template = Template(
            slug=slug,
            name=job.file_name,
            result_format=job.result_format,
            schema=job.schema,
            instructions=job.instructions,
            model=job.model,
            extract_bounding_boxes=job.extract_bounding_boxes,
        )
        with self.store.lock:
            self.store.add_template(template)
            job.saved_template_slug = slug

    def submit_url(self, request: HttpRequest) -> HttpReply:
        payload = parse_json(request)
        if isinstance(payload, HttpReply):
            return payload
        problem = check_fields(payload, ("url",))
        if problem:
            return problem
        url: str = payload["url"]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return error(400, "url must be an absolute http(s) URL", details={"field": "url"})
        chosen = self._options(payload)
        if isinstance(chosen, HttpReply):
            return chosen
        model, options = chosen
        file_name = payload.get("file_name") or basename(parts.path) or "document.pdf"
        job = self.store.create(
            source="url", file_name=file_name, model=model, source_url=url, **options
        )
        self._save_template(job, payload)
        self.submit(lambda: self._fetch(job.id, url))
        created = iso(job.created_at)
        body = {"job_id": job.id, "status": "pending", "source_url": url, "created_at": created}
        return json_reply(body)

    def _fetch(self, job_id: str, url: str) -> None:
        """Download a URL job's document (on a worker thread) and read it."""
        if self.store.closed:
            return  # the emulator stopped meanwhile
        in_memory = 0 if self.store.keeps_files else IN_MEMORY_DOCUMENT
        spool = _Spool(self.store.new_file, in_memory)
        try:
            self.downloads.fetch(url, spool, MAX_FILE_SIZE)
            document = spool.finish()
        except Exception as exc:  # any failure to download fails the job, as the service does
            spool.discard()
            if self.store.closed:
                return  # the emulator stopped meanwhile (and closed the download clients)
            failed = isinstance(exc, DownloadError)
            self.store.fail(
                job_id, str(exc) if failed else f"Failed to download the document: {exc}"
            )
            return
        self.store.ingest(job_id, document)

    def initiate(self, request: HttpRequest) -> HttpReply:
        payload = parse_json(request)
        if isinstance(payload, HttpReply):
            return payload
        problem = check_fields(payload, ("file_name", "content_type", "file_size"))
        if problem:
            return problem
        content_type = payload["content_type"].split(";")[0].strip().lower()
        if content_type not in CONTENT_TYPES:
            return error(
                400,
                f"content_type must be one of {', '.join(CONTENT_TYPES)}",
                details={"field": "content_type", "allowed_values": list(CONTENT_TYPES)},
            )
        chosen = self._options(payload)
        if isinstance(chosen, HttpReply):
            return chosen
        model, options = chosen
        size: int = payload["file_size"]
        chunk = size if size < MULTIPART_THRESHOLD else PART_SIZE
        ranges = [(start, min(start + chunk, size) - 1) for start in range(0, size, chunk)]
        now = time.time()
        # Whole seconds, like presigned URLs; never shorter than the TTL.
        expires = (
            int(now) - 1 if self.faults.issue_expired_urls else math.ceil(now + self.upload_url_ttl)
        )
        upload = Upload(self.store.new_uuid(), ranges, issued_at=now, expires_at=expires)
        job = self.store.create(
            source="upload",
            file_name=payload["file_name"],
            model=model,
            file_size=size,
            upload=upload,
            **options,
        )
        self._save_template(job, payload)
        parts = [
            {
                "part_number": number,
                "start_byte": start,
                "end_byte": end,
                "upload_url": self._part_url(upload, number),
            }
            for number, (start, end) in enumerate(ranges, start=1)
        ]
        body = {
            "job_id": job.id,
            "upload_id": upload.upload_id,
            "upload_type": "multipart",
            "chunk_size": chunk,
            "total_chunks": len(ranges),
            "parts": parts,
            "complete_url": API_ROOT + COMPLETE.path.format(job_id=job.id),
            "expires_at": iso(expires),
        }
        return json_reply(body)
