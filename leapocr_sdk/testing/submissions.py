"""The emulator's submissions: URL jobs (and their download) and direct uploads."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from posixpath import basename
from typing import Any
from urllib.parse import urlsplit

from .._contract import CONTENT_TYPES, MAX_FILE_SIZE, MULTIPART_THRESHOLD, PART_SIZE
from .._operations import API_ROOT, COMPLETE
from .checks import check_fields, parse_json
from .downloads import DownloadError
from .jobs import JobRecord, Template, Upload, iso, template_slug_for
from .messages import HttpReply, HttpRequest, error, json_reply
from .uploads import UploadStore

__all__ = ["Submissions"]


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
        try:
            path = self.store.new_file()
        except OSError:
            return  # the emulator stopped meanwhile
        try:
            with open(path, "wb") as spool:
                self.downloads.fetch(url, spool, MAX_FILE_SIZE)
        except Exception as exc:  # any failure to download fails the job, as the service does
            self.store.remove_file(path)
            if self.store.closed:
                return  # the emulator stopped meanwhile (and closed the download clients)
            failed = isinstance(exc, DownloadError)
            self.store.fail(
                job_id, str(exc) if failed else f"Failed to download the document: {exc}"
            )
            return
        self.store.ingest(job_id, path)

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
