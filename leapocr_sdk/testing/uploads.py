"""The emulator's upload store: presigned part URLs, part PUTs and ``complete``."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import time

from .._contract import MULTIPART_THRESHOLD, PART_SIZE
from .checks import RequestChecks, parse_json, unquoted
from .jobs import JobRecord, Upload, iso
from .messages import HttpReply, HttpRequest, error, json_reply, s3_error

__all__ = ["MAX_PART_SIZE", "UploadStore"]

# The largest part the emulator hands out: one part below the multipart threshold.
MAX_PART_SIZE = max(MULTIPART_THRESHOLD - 1, PART_SIZE)


class UploadStore(RequestChecks):
    """Storage: presigned part URLs, part PUTs, ``complete`` and assembling the parts."""

    def _signature(self, upload_id: str, part: str, expires: str) -> str:
        message = f"PUT\n{upload_id}\n{part}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _part_url(self, upload: Upload, number: int) -> str:
        expires = str(int(upload.expires_at))  # a whole number of seconds already
        signature = self._signature(upload.upload_id, str(number), expires)
        return (
            f"{self.origin}/storage/{upload.upload_id}/{number}"
            f"?X-Expires={expires}&X-Signature={signature}"
        )

    def upload_part(self, upload_id: str, part: str, request: HttpRequest) -> HttpReply:
        """``PUT`` of one part to a presigned URL; answers with the part's quoted ETag."""
        if "x-api-key" in request.headers:
            with self._lock:
                self.key_leaks += 1
            return s3_error(400, "InvalidRequest", "Upload URLs must not receive an X-API-Key")
        expires = request.query.get("X-Expires", "")
        signature = request.query.get("X-Signature", "")
        expected = self._signature(upload_id, part, expires)
        if not expires.isdigit() or not hmac.compare_digest(signature, expected):
            return s3_error(
                403, "SignatureDoesNotMatch", "The request signature does not match the URL"
            )
        job = self.store.job_for_upload(upload_id)
        if job is None or job.upload is None or job.deleted_at is not None:
            return s3_error(404, "NoSuchUpload", "The specified upload does not exist")
        upload = job.upload
        if time.time() > int(expires) or self.faults.url_expired(upload.issued_at):
            return s3_error(403, "AccessDenied", "Request has expired")
        number = int(part)
        start, end = upload.ranges[number - 1]
        size = end - start + 1
        if request.body_size < size:
            return s3_error(400, "IncompleteBody", f"Part {number} must be {size} bytes")
        if request.body_size > size:
            return s3_error(400, "EntityTooLarge", f"Part {number} must be {size} bytes")
        spooled = request.spooled
        if spooled is None:
            return s3_error(400, "IncompleteBody", f"Part {number} must be {size} bytes")
        etag = f'"{spooled.etag}"'
        with self.store.lock:
            if upload.completed_with is not None or job.deleted_at is not None:
                return s3_error(404, "NoSuchUpload", "The upload has already been completed")
            previous = upload.received.get(number)
            kept = self.store.new_file()
            os.replace(spooled.path, kept)  # the request's file is removed after the reply
            upload.received[number] = (etag, kept)
        if previous is not None:
            self.store.remove_file(previous[1])
        return HttpReply(200, b"", None, {"ETag": etag})

    def complete(self, job: JobRecord, request: HttpRequest) -> HttpReply:
        payload = parse_json(request)
        if isinstance(payload, HttpReply):
            return payload
        parts = payload.get("parts")
        if not isinstance(parts, list) or not parts:
            return error(400, "parts must be a non-empty array", details={"field": "parts"})
        given: list[tuple[int, str]] = []
        for item in parts:
            number = item.get("part_number") if isinstance(item, dict) else None
            etag = item.get("etag") if isinstance(item, dict) else None
            if not isinstance(number, int) or isinstance(number, bool) or number < 1:
                return error(400, "part_number must be an integer >= 1", details={"field": "parts"})
            if not isinstance(etag, str) or not etag:
                return error(400, "etag must be a non-empty string", details={"field": "parts"})
            given.append((number, unquoted(etag)))
        if job.upload is None:
            return error(409, "The job was not created by a direct upload", code="CONFLICT")
        upload = job.upload
        with self.store.lock:
            if job.deleted_at is not None:
                return error(404, f"Job {job.id} not found")
            job.complete_calls += 1
            if upload.completed_with is not None:
                if upload.completed_with == given:
                    return self._completed(job)
                return error(409, "The upload has already been completed", code="CONFLICT")
            problem = self._check_parts(upload, given)
            if problem:
                return problem
            if not self.store.can_afford(job.credits_per_page):
                return error(402, "Insufficient credits")
            refusal = self._reserve_single_part(job, upload, given)
            if refusal is not None:
                return refusal
            part_paths = [upload.received[number][1] for number, _ in given]
            upload.completed_with = given
            upload.received.clear()
        self.submit(lambda: self._assemble(job.id, part_paths))
        return self._completed(job)

    def _reserve_single_part(
        self, job: JobRecord, upload: Upload, given: list[tuple[int, str]]
    ) -> HttpReply | None:
        """With a finite balance, a one-part document's pages are counted at ``complete``
        and its whole price reserved, or the job refused with 402 ``LESS_CREDITS`` (other
        documents are counted when read, and fail with that message)."""
        if not self.store.limited or len(given) != 1:
            return None
        pages = self.store.count_pages(upload.received[given[0][0]][1])
        refusal = None if pages is None else self.store.reserve(job, pages)
        return None if refusal is None else error(402, refusal)

    def _assemble(self, job_id: str, part_paths: list[str]) -> None:
        """Join the parts into one document file (off the request path) and read it."""
        try:
            path = part_paths[0] if len(part_paths) == 1 else self.store.new_file()
            if len(part_paths) > 1:
                with open(path, "wb") as document:
                    for part_path in part_paths:
                        with open(part_path, "rb") as part:
                            shutil.copyfileobj(part, document, 1024 * 1024)
                        self.store.remove_file(part_path)
        except OSError:
            if self.store.closed or self.store.removed(part_paths[0]):
                return  # the emulator stopped meanwhile and removed its files
            raise
        self.store.ingest(job_id, path)

    @staticmethod
    def _completed(job: JobRecord) -> HttpReply:
        return json_reply(
            {
                "job_id": job.id,
                "status": "pending",
                "message": "Upload completed successfully, processing started",
                "created_at": iso(job.created_at),
            }
        )
