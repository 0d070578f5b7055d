"""leapocr-sdk: a sync and async Python SDK for LeapOCR (PDFs to markdown or structured JSON).

>>> from leapocr_sdk import LeapOCR, OutputFormat
>>> with LeapOCR() as client:                      # doctest: +SKIP
...     job = client.process_file("invoice.pdf", output_type=OutputFormat.MARKDOWN)
...     result = client.wait_until_done(job.job_id)
"""

from ._client import AsyncLeapOCR, LeapOCR, __version__
from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InsufficientCreditsError,
    JobFailedError,
    JobNotReadyError,
    LeapOCRError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
    UploadError,
    ValidationError,
    WaitTimeoutError,
)
from .types import (
    Job,
    JobResult,
    JobStatus,
    JobStatusInfo,
    Model,
    ModelInfo,
    OutputFormat,
    PageResult,
    estimate_credits,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncLeapOCR",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "InsufficientCreditsError",
    "Job",
    "JobFailedError",
    "JobNotReadyError",
    "JobResult",
    "JobStatus",
    "JobStatusInfo",
    "LeapOCR",
    "LeapOCRError",
    "Model",
    "ModelInfo",
    "NotFoundError",
    "OutputFormat",
    "PageResult",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "UnexpectedResponseError",
    "UploadError",
    "ValidationError",
    "WaitTimeoutError",
    "__version__",
    "estimate_credits",
]
