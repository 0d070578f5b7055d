"""The service's operations, each with one name, in one table.

An operation's name is the one every part of the project uses: the SDK's requests
(``Call.name``, which its debug log prints), the emulator's routes
(``RecordedRequest.route``, ``emu.count("status")``), its faults
(``emu.faults.fail("status", 503)``) and the benchmarks. A row also holds what else
names the operation: its ``operationId`` in ``openapi.yaml``, the generated endpoint
module built from it (under ``leapocr_sdk._generated.api``), its method and path (below
the API base URL), and whether sending it twice is safe (the SDK retries only those).
``tests/test_operations.py`` checks the table against ``openapi.yaml``, the generated
package, the SDK's requests and the emulator's routes.

Standard library only: the emulator (``leapocr_sdk.testing``) reads it too.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "API_ROOT",
    "COMPLETE",
    "DELETE",
    "HEALTH",
    "INITIATE",
    "MODELS",
    "OPERATIONS",
    "RESULT",
    "STATUS",
    "SUBMIT_URL",
    "UPLOAD_PART",
    "Operation",
]

# Every API path hangs below it (``https://<host>/api/v1``); a base URL without it gets 404s.
API_ROOT = "/api/v1"


class Operation(NamedTuple):
    """One operation of the service."""

    name: str
    method: str
    # Below the API base URL, with ``{placeholders}``; for ``upload_part``, below the
    # emulator's origin (the service's upload URLs point at its storage host).
    path: str
    # openapi.yaml's operationId and the generated module built from it (None: not an
    # API operation).
    operation_id: str | None
    module: str | None
    # Safe to send again when the first attempt's fate is unknown.
    idempotent: bool


SUBMIT_URL = Operation(
    "submit_url",
    "POST",
    "/ocr/uploads/url",
    "uploadFromRemoteURL",
    "ocr.upload_from_remote_url",
    idempotent=False,
)
INITIATE = Operation(
    "initiate",
    "POST",
    "/ocr/uploads/direct",
    "directUpload",
    "ocr.direct_upload",
    idempotent=False,
)
COMPLETE = Operation(
    "complete",
    "POST",
    "/ocr/uploads/{job_id}/complete",
    "completeDirectUpload",
    "ocr.complete_direct_upload",
    idempotent=False,
)
STATUS = Operation(
    "status",
    "GET",
    "/ocr/status/{job_id}",
    "getJobStatus",
    "ocr.get_job_status",
    idempotent=True,
)
RESULT = Operation(
    "result",
    "GET",
    "/ocr/result/{job_id}",
    "getJobResult",
    "ocr.get_job_result",
    idempotent=True,
)
DELETE = Operation(
    "delete",
    "DELETE",
    "/ocr/delete/{job_id}",
    "deleteJob",
    "ocr.delete_job",
    idempotent=True,
)
MODELS = Operation(
    "models", "GET", "/ocr/models", "listOCRModels", "ocr.list_ocr_models", idempotent=True
)
# The service also answers it at its origin's /health, and so does the emulator.
HEALTH = Operation(
    "health", "GET", "/health", "getHealthStatus", "health.get_health_status", idempotent=True
)
# A PUT of one part to its presigned upload URL: storage, not the API.
UPLOAD_PART = Operation(
    "upload_part", "PUT", "/storage/{upload_id}/{part_number}", None, None, idempotent=True
)

OPERATIONS: tuple[Operation, ...] = (
    SUBMIT_URL,
    INITIATE,
    COMPLETE,
    STATUS,
    RESULT,
    DELETE,
    MODELS,
    HEALTH,
    UPLOAD_PART,
)
