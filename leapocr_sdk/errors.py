"""The SDK's exceptions: one tree, rooted at :class:`LeapOCRError`.

::

    LeapOCRError
    ├── ConfigurationError            no API key, a bad base URL or option
    ├── ValidationError (ValueError)  bad arguments, found before any request
    ├── APIError                      the API answered with an error
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401
    │   ├── InsufficientCreditsError  402, or any status with code LESS_CREDITS
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── ConflictError             409
    │   ├── RateLimitError            429
    │   ├── ServerError               5xx
    │   └── UnexpectedResponseError   a body the SDK cannot read
    │       └── ResponseTooLargeError a body larger than the SDK reads
    ├── APIConnectionError            the API could not be reached
    │   └── APITimeoutError           no answer in time
    ├── UploadError                   a part could not be uploaded
    ├── JobFailedError                the job ended `failed`
    ├── WaitTimeoutError              the job did not finish in time
    ├── JobNotReadyError              the job's result is not ready yet
    ├── JobDeletedError               the job was deleted: its result is gone
    ├── WebhookVerificationError      a webhook delivery failed verification (answer 400)
    ├── NotResubmittedError           a batch journal shows an earlier attempt: not resent
    ├── JournalError                  a batch journal cannot be opened, read or written
    ├── CreditBudgetExceededError     a batch's max_credits cannot cover the next document
    └── ResultParseError              a result's data does not validate as the schema's type

No exception carries the API key: messages are built from status codes, bodies and
URLs, never from request headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .types import JobStatusInfo


class LeapOCRError(Exception):
    """Root of every error the SDK raises.

    Every SDK error pickles with its attributes and notes intact (a worker process of a
    ``ProcessPoolExecutor`` hands it back as it was), whatever its constructor takes.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, self.__dict__))

    def _keep(self, **attributes: Any) -> None:
        """Store a constructor's keywords as attributes of the same names (each class
        declares them with their types); they pickle with the error."""
        vars(self).update(attributes)


def _restore(cls: type[LeapOCRError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Rebuild a pickled error without calling its constructor (the message is final)."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class ConfigurationError(LeapOCRError):
    """The client is not configured correctly (no API key, bad base URL, bad option)."""


class ValidationError(LeapOCRError, ValueError):
    """An argument is invalid; raised before any request is sent."""


class APIError(LeapOCRError):
    """The API answered with an error status."""

    status_code: int
    code: str | None
    message: str
    details: Any
    request_id: str | None
    _hint: str | None = None  # replaces the class's advice in the message, when set

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        details: Any = None,
        request_id: str | None = None,
    ) -> None:
        self._keep(
            status_code=status_code,
            code=code,
            message=message,
            details=details,
            request_id=request_id,
        )
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"HTTP {self.status_code}"
        if self.code:
            text += f" {self.code}"
        text += f": {self.message}"
        hint = getattr(self, "_hint", None) or _HINTS.get(type(self).__name__)
        if hint:
            text += f" ({hint})"
        if self.request_id:
            text += f" [request id {self.request_id}]"
        return text


class BadRequestError(APIError):
    """400: the service rejected the request's parameters."""


class AuthenticationError(APIError):
    """401: the API key is missing or invalid."""


class InsufficientCreditsError(APIError):
    """402 (or any status whose error code is ``LESS_CREDITS``): too few credits for this job."""


class PermissionDeniedError(APIError):
    """403: the key may not access this job or resource."""


class NotFoundError(APIError):
    """404: no such job for this key.

    A base URL without ``/api/v1`` makes every call miss with 404: the message then ends
    with "the base URL '...' has no /api/v1: did you mean '.../api/v1'?".
    """


class ConflictError(APIError):
    """409: the job is not in a state that allows this call."""


class RateLimitError(APIError):
    """429: too many requests. ``retry_after`` is the server's suggested wait in seconds."""

    retry_after: float | None
    limit: int | None
    remaining: int | None
    reset: float | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 429,
        code: str | None = None,
        details: Any = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        limit: int | None = None,
        remaining: int | None = None,
        reset: float | None = None,
    ) -> None:
        self._keep(retry_after=retry_after, limit=limit, remaining=remaining, reset=reset)
        super().__init__(
            message, status_code=status_code, code=code, details=details, request_id=request_id
        )


class ServerError(APIError):
    """5xx: the service failed; retried automatically up to ``max_retries``."""


class UnexpectedResponseError(APIError):
    """The API answered with a body the SDK cannot read (not JSON, wrong shape, unknown status)."""


class ResponseTooLargeError(UnexpectedResponseError):
    """A reply body was larger than the SDK reads (``limit`` bytes, after decompression).

    It is refused while reading, so an endless or inflating reply cannot fill memory. A
    result too large for one reply is first asked for with fewer pages per request, down
    to one page a request: for a result, this error means one page alone is larger.
    """

    def __init__(self, message: str, *, status_code: int, limit: int) -> None:
        self.limit = limit
        super().__init__(message, status_code=status_code)


class APIConnectionError(LeapOCRError):
    """The API could not be reached, or the connection broke before an answer arrived.

    ``may_have_been_processed`` is true when the request may have reached the service
    (for a submission: a job may exist although no job id came back).
    """

    def __init__(self, message: str, *, may_have_been_processed: bool = False) -> None:
        self.may_have_been_processed = may_have_been_processed
        super().__init__(message)


class APITimeoutError(APIConnectionError):
    """No answer from the API within the client's ``timeout``."""


class UploadError(LeapOCRError):
    """A part of a direct upload could not be uploaded; ``complete`` was not sent."""

    job_id: str | None
    part_number: int | None
    status_code: int | None
    job_deleted: bool

    def __init__(
        self,
        message: str,
        *,
        job_id: str | None = None,
        part_number: int | None = None,
        status_code: int | None = None,
        job_deleted: bool = False,
    ) -> None:
        self._keep(
            job_id=job_id, part_number=part_number, status_code=status_code, job_deleted=job_deleted
        )
        super().__init__(message)


class JobFailedError(LeapOCRError):
    """The job ended with status ``failed``; ``error_message`` is the service's reason."""

    def __init__(self, job_id: str, error_message: str | None) -> None:
        self.job_id = job_id
        self.error_message = error_message
        reason = error_message or "no reason given"
        super().__init__(f"job {job_id} failed: {reason}")


class WaitTimeoutError(LeapOCRError):
    """The job was not finished when ``wait_until_done``'s timeout ran out."""

    def __init__(self, job_id: str, last_status: JobStatusInfo | None, timeout: float) -> None:
        self.job_id = job_id
        self.last_status = last_status
        self.timeout = timeout
        state = last_status.status.value if last_status else "unknown"
        super().__init__(
            f"job {job_id} still {state} after {timeout:g}s; it keeps running on the service: "
            "wait again with a longer timeout, or check it later with get_status()"
        )


class JobNotReadyError(LeapOCRError):
    """``get_result`` was called while the job is still pending or processing."""

    def __init__(self, job_id: str, status: str) -> None:
        self.job_id = job_id
        self.status = status
        super().__init__(
            f"job {job_id} is still {status}: call wait_until_done() to wait for its result"
        )


class JobDeletedError(LeapOCRError):
    """The job was deleted: the service redacted its pages, so there is no result to read.

    Raised by ``get_result`` and ``wait_until_done`` (a deleted job never reads as an empty
    result); ``get_status`` still answers, with ``deleted_at`` set.
    """

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(
            f"job {job_id} was deleted and its result redacted: submit the document again "
            "to process it anew"
        )


class WebhookVerificationError(LeapOCRError):
    """A webhook delivery failed verification; answer it with 400 and do not act on it.

    ``reason`` says which check failed, one of: ``missing_secret``, ``missing_signature``,
    ``missing_timestamp``, ``malformed_signature``, ``malformed_timestamp``,
    ``signature_mismatch``, ``timestamp_outside_tolerance`` (a replay, or clocks out of
    sync), ``malformed_payload`` (signed, but not an event), ``payload_too_deep`` (signed,
    but nested more than ``webhooks.MAX_PAYLOAD_DEPTH`` levels deep).
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class NotResubmittedError(LeapOCRError):
    """A batch's journal shows that an earlier run failed on this source, or may have
    created a job for it without learning its id; it was not submitted again (pass
    ``retry_failed=True`` to submit it again)."""


class JournalError(LeapOCRError):
    """A batch journal cannot be opened, read or written: a disk that is full or
    read-only, a file that is not a LeapOCR journal (another program's SQLite database,
    or not SQLite at all), a folder that cannot be created.

    Raised by ``Journal`` and ``process_many``; the batch is cleaned up first (see
    ``process_many``). Its message names the file and what to do (free space, choose
    another path, or run without a journal).
    """


class CreditBudgetExceededError(LeapOCRError):
    """``process_many(max_credits=...)`` did not submit this document: its estimated
    price, added to the credits spent and reserved by the batch's documents in flight,
    would pass the budget. Nothing was sent for it, and the batch submits nothing more.

    Attributes:
        estimated_credits: the document's estimated price (pages x price per page), or
            None when it was not known (the budget was used up before it came up).
        remaining: the credits of the budget not yet spent or reserved.
    """

    def __init__(self, estimated_credits: int | None, remaining: int) -> None:
        self.estimated_credits = estimated_credits
        self.remaining = remaining
        cost = (
            "its price is not known before it is sent"
            if estimated_credits is None
            else f"it would cost about {estimated_credits} credits"
        )
        super().__init__(
            f"not submitted: {cost}, and {remaining} of max_credits remain (not spent nor "
            "reserved by documents in flight). Raise max_credits, or process it on its own"
        )


class ResultParseError(LeapOCRError):
    """A result's structured ``data`` does not validate as the requested Python type.

    Raised by ``JobResult.parse`` and ``JobResult.parsed`` instead of the validation
    library's own exception; the data is kept.

    Attributes:
        job_id: the job whose result it is.
        data: the result's ``data`` as the service sent it (None if it sent none).
        errors: the validation errors, one dict each (``loc``, ``msg``, ``type``), as
            pydantic reports them.
    """

    def __init__(
        self, message: str, *, job_id: str, data: Any, errors: list[dict[str, Any]]
    ) -> None:
        self.job_id = job_id
        self.data = data
        self.errors = errors
        super().__init__(message)


_HINTS = {
    "AuthenticationError": "check the API key passed to the client or in LEAPOCR_API_KEY",
    "InsufficientCreditsError": "add credits to the account or choose a cheaper model",
    "RateLimitError": "slow down, or raise max_retries to wait for the rate limit to reset",
    "ServerError": "the service failed; try again later",
    "NotFoundError": "check the job id; deleted jobs and jobs of other accounts are not found",
}

STATUS_ERRORS: Mapping[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def error_class_for(status_code: int, code: str | None = None) -> type[APIError]:
    """The exception class for an HTTP error status and the service's error code."""
    if code == "LESS_CREDITS":  # the service's FAQ answers 403 where the spec says 402
        return InsufficientCreditsError
    if status_code >= 500:
        return ServerError
    return STATUS_ERRORS.get(status_code, APIError)
