"""The emulator's replies about jobs: status, result pages, deletion, models and health."""

from __future__ import annotations

import importlib.util
import math
import time
import uuid
from typing import Any

from .checks import RequestChecks
from .jobs import FINISHED, JobRecord, iso
from .messages import HttpReply, HttpRequest, error, json_reply

__all__ = ["Rendering"]


class Rendering(RequestChecks):
    """``GET /ocr/status``, ``GET /ocr/result``, ``DELETE /ocr/delete``, models, health."""

    def _state(self, job: JobRecord) -> tuple[str, str, int, float]:
        """``(shown status, real status, processed_pages, now)``, charging a completed job.

        The shown status is the real one unless a fault overrides it.
        """
        now = self.store.clock()
        self.store.settle(job, now)
        real, processed = job.progress(now)
        return self.faults.status_override(job.id) or real, real, processed, now

    def status(self, job: JobRecord) -> HttpReply:
        with self.store.lock:
            status, _, processed, now = self._state(job)
            body: dict[str, Any] = {
                "id": job.id,
                "status": status,
                "file_name": job.file_name,
                "result_format": job.result_format,
                "processed_pages": processed,
                "total_pages": job.total_pages,
                "processing_time": job.processing_time(now),
                "error_message": job.error_message,
                "created_at": iso(job.created_at),
            }
            completed = job.completed_wall(now)
            if completed is not None:
                body["completed_at"] = iso(completed)
            if job.template_name is not None:
                body["template_name"] = job.template_name
            if job.deleted_at is not None:
                body["deleted_at"] = iso(job.deleted_at)
        return json_reply(body)

    def result(self, job: JobRecord | None, request: HttpRequest) -> HttpReply:
        paging = self._page_query(request)
        if isinstance(paging, HttpReply):
            return paging
        if job is None:
            return error(404, "Job not found")
        page, limit = paging
        with self.store.lock:
            status, real, processed, now = self._state(job)
            # Only the requested window is touched: reading a result is O(pages), not O(pages²).
            results: list[Any] = []
            if job.deleted_at is not None:
                count = processed  # a deleted job's pages keep only their id and number
            elif status == "failed":
                count = 0
            elif status in FINISHED and real == "completed":
                results = job.results or []
                count = len(results)
            else:
                running: dict[str, Any] = {
                    "job_id": job.id,
                    "status": status,
                    "processed_pages": processed,
                    "total_pages": job.total_pages,
                    "result_format": job.result_format,
                }
                return json_reply(running, 202)
            window = range(min((page - 1) * limit, count), min(page * limit, count))
            body: dict[str, Any] = {
                "job_id": job.id,
                "status": status,
                "file_name": job.file_name,
                "model": job.model,
                "result_format": job.result_format,
                "credits_used": job.credits_used,
                "processed_pages": processed,
                "total_pages": job.total_pages,
                "created_at": iso(job.created_at),
                "completed_at": iso(job.completed_wall(now)),
                "pages": [self._page(job, i, results[i] if results else None) for i in window],
                "pagination": {
                    "page": page,
                    "limit": limit,
                    "total": count,
                    "total_pages": math.ceil(count / limit),
                },
            }
            if job.template_name is not None:
                body["template_name"] = job.template_name
            if status == "failed":
                body["error_message"] = job.error_message or "Processing failed"
            if job.deleted_at is not None:
                body["deleted_at"] = iso(job.deleted_at)
        return json_reply(body)

    @staticmethod
    def _page(job: JobRecord, index: int, value: Any) -> dict[str, Any]:
        """One page of a result; a deleted job's pages keep only their id and number."""
        page: dict[str, Any] = {"id": job.page_ids[index], "page_number": index + 1}
        page["result"] = value
        if job.pages is None:
            return page
        content = job.pages[index]
        page["confidence"] = content.confidence
        if content.width is not None and content.height is not None:
            page["dimensions"] = {"width": content.width, "height": content.height}
        page["has_bounding_boxes"] = job.extract_bounding_boxes
        if job.extract_bounding_boxes:
            page["bounding_boxes"] = [box.to_json() for box in content.boxes]
        return page

    def delete(self, job: JobRecord) -> HttpReply:
        with self.store.lock:
            if job.deleted_at is not None:
                return error(404, f"Job {job.id} does not exist or was already deleted")
            self.store.delete(job)
            status, processed = job.progress(self.store.clock())
            deleted = iso(job.deleted_at)
            slug = job.template_slug
            body = {
                "id": job.id,
                "status": status,
                "file_name": job.file_name,
                "file_size": job.file_size,
                "processed_pages": processed,
                "total_pages": job.total_pages,
                "credits_used": job.credits_used,
                "error_message": job.error_message,
                "template_id": str(uuid.uuid5(uuid.NAMESPACE_URL, slug)) if slug else "",
                "template_name": job.template_name or "",
                "team_id": self._team_id,
                "user_id": self._user_id,
                "metadata": {
                    "source": job.source,
                    "model": job.model,
                    "result_format": job.result_format,
                },
                "created_at": iso(job.created_at),
                "updated_at": deleted,
                "completed_at": iso(job.completed_wall(self.store.clock())),
                "deleted_at": deleted,
            }
        return json_reply(body)

    def health(self) -> HttpReply:
        """``GET /health`` (no API key): the service's ``health.HealthStatus``."""
        reader = importlib.util.find_spec("pypdf") is not None
        check = {
            "status": "healthy" if reader else "degraded",
            "message": "PDF text reader (pypdf) available" if reader else "pypdf is missing",
            "response_time": "0ms",
        }
        body = {
            "status": check["status"],
            "service": "leapocr-emulator",
            "version": "2026",
            "timestamp": iso(time.time()),
            "checks": {"documents": check},
            "summary": {"healthy": int(reader), "degraded": int(not reader), "down": 0, "total": 1},
        }
        return json_reply(body)

    def models(self) -> HttpReply:
        models = [
            {
                "name": m.name,
                "display_name": m.display_name,
                "description": m.description,
                "credits_per_page": m.credits_per_page,
                "surcharge_per_page": m.surcharge_per_page,
                "priority": m.priority,
            }
            for m in self.store.model_list()
        ]
        return json_reply({"models": models, "count": len(models)})
