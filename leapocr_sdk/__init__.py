"""leapocr-sdk: a sync and async Python SDK for LeapOCR (PDFs to markdown or structured JSON).

>>> from leapocr_sdk import LeapOCR, OutputFormat
>>> with LeapOCR() as client:                      # doctest: +SKIP
...     job = client.process_file("invoice.pdf", output_type=OutputFormat.MARKDOWN)
...     result = client.wait_until_done(job.job_id)

The public names load on first use (PEP 562), so ``import leapocr_sdk`` alone (for the
command line's ``--help``, or ``leapocr_sdk.testing``) does not pay for httpx and attrs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "AsyncLeapOCR": "._async_client",
    "LeapOCR": "._sync_client",
    "BatchEvent": "._batch_items",
    "BatchItem": "._batch_items",
    "DoneItem": "._batch_items",
    "FailedItem": "._batch_items",
    "SkippedItem": "._batch_items",
    "Journal": ".journal",
    "DocumentOptions": "._validation",
    "JobOptions": "._validation",
    **dict.fromkeys(
        [
            "APIConnectionError",
            "APIError",
            "APITimeoutError",
            "AuthenticationError",
            "BadRequestError",
            "ConfigurationError",
            "ConflictError",
            "CreditBudgetExceededError",
            "InsufficientCreditsError",
            "JobDeletedError",
            "JobFailedError",
            "JobNotReadyError",
            "JournalError",
            "LeapOCRError",
            "NotFoundError",
            "NotResubmittedError",
            "PermissionDeniedError",
            "RateLimitError",
            "ResponseTooLargeError",
            "ResultParseError",
            "ServerError",
            "UnexpectedResponseError",
            "UploadError",
            "ValidationError",
            "WaitTimeoutError",
            "WebhookVerificationError",
        ],
        ".errors",
    ),
    **dict.fromkeys(
        [
            "BoundingBox",
            "BoxBounds",
            "HealthStatus",
            "Job",
            "JobResult",
            "JobStatus",
            "JobStatusInfo",
            "Model",
            "ModelInfo",
            "OutputFormat",
            "PageDimensions",
            "PageResult",
            "builtin_models",
            "estimate_credits",
        ],
        ".types",
    ),
}

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AsyncLeapOCR",
    "AuthenticationError",
    "BadRequestError",
    "BatchEvent",
    "BatchItem",
    "BoundingBox",
    "BoxBounds",
    "ConfigurationError",
    "ConflictError",
    "CreditBudgetExceededError",
    "DocumentOptions",
    "DoneItem",
    "FailedItem",
    "HealthStatus",
    "InsufficientCreditsError",
    "Job",
    "JobDeletedError",
    "JobFailedError",
    "JobNotReadyError",
    "JobOptions",
    "JobResult",
    "JobStatus",
    "JobStatusInfo",
    "Journal",
    "JournalError",
    "LeapOCR",
    "LeapOCRError",
    "Model",
    "ModelInfo",
    "NotFoundError",
    "NotResubmittedError",
    "OutputFormat",
    "PageDimensions",
    "PageResult",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseTooLargeError",
    "ResultParseError",
    "ServerError",
    "SkippedItem",
    "UnexpectedResponseError",
    "UploadError",
    "ValidationError",
    "WaitTimeoutError",
    "WebhookVerificationError",
    "__version__",
    "builtin_models",
    "estimate_credits",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'leapocr_sdk' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    if isinstance(value, type) or callable(value):
        # help(), tracebacks and the docs name the public path, not the private module
        # that happens to define it (so moving code between modules never shows).
        value.__module__ = __name__
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from ._async_client import AsyncLeapOCR
    from ._batch_items import BatchEvent, BatchItem, DoneItem, FailedItem, SkippedItem
    from ._sync_client import LeapOCR
    from ._validation import DocumentOptions, JobOptions
    from .errors import (
        APIConnectionError,
        APIError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConfigurationError,
        ConflictError,
        CreditBudgetExceededError,
        InsufficientCreditsError,
        JobDeletedError,
        JobFailedError,
        JobNotReadyError,
        JournalError,
        LeapOCRError,
        NotFoundError,
        NotResubmittedError,
        PermissionDeniedError,
        RateLimitError,
        ResponseTooLargeError,
        ResultParseError,
        ServerError,
        UnexpectedResponseError,
        UploadError,
        ValidationError,
        WaitTimeoutError,
        WebhookVerificationError,
    )
    from .journal import Journal
    from .types import (
        BoundingBox,
        BoxBounds,
        HealthStatus,
        Job,
        JobResult,
        JobStatus,
        JobStatusInfo,
        Model,
        ModelInfo,
        OutputFormat,
        PageDimensions,
        PageResult,
        builtin_models,
        estimate_credits,
    )
