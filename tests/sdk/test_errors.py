"""Every error class the SDK raises, from a real local server: the status → class map,
both error-body shapes and non-JSON bodies, the fields every APIError carries, the
connection and timeout errors, the job errors, and that no message shows the key."""

from __future__ import annotations

import pickle
import typing
from typing import Any

import pytest

import leapocr_sdk
from leapocr_sdk import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    InsufficientCreditsError,
    JobDeletedError,
    JobFailedError,
    JobNotReadyError,
    JobStatus,
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
from tests.conftest import API_KEY
from tests.sdk.helpers import (
    API,
    JOB,
    Script,
    json_response,
    reference_error,
    service_error,
    service_result_status,
    service_status,
    slow,
    wait_for_log,
)

STATUS_CLASSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (402, InsufficientCreditsError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (429, RateLimitError),
    (500, ServerError),
    (502, ServerError),
    (503, ServerError),
    (504, ServerError),
    (501, ServerError),
    (422, APIError),
]
DETAILS = {"field": "format", "allowed_values": ["structured", "markdown", "per_page_structured"]}


def assert_no_key(error: BaseException) -> None:
    text = " ".join([str(error), repr(error), *getattr(error, "__notes__", [])])
    assert API_KEY not in text


def test_one_tree():
    classes = [
        getattr(leapocr_sdk, name)
        for name in leapocr_sdk.__all__
        if isinstance(getattr(leapocr_sdk, name), type)
        and issubclass(getattr(leapocr_sdk, name), BaseException)
    ]
    # With JobDeletedError, WebhookVerificationError, NotResubmittedError,
    # ResponseTooLargeError, JournalError, CreditBudgetExceededError and ResultParseError.
    assert len(classes) == 26
    assert all(issubclass(cls, LeapOCRError) for cls in classes)
    assert issubclass(ValidationError, ValueError)
    assert issubclass(APITimeoutError, APIConnectionError)
    for _status, cls in STATUS_CLASSES:
        assert issubclass(cls, APIError)
    assert issubclass(UnexpectedResponseError, APIError)
    for other in (
        ConfigurationError,
        UploadError,
        JobFailedError,
        WaitTimeoutError,
        JobNotReadyError,
        JobDeletedError,
        APIConnectionError,
    ):
        assert not issubclass(other, APIError)


@pytest.mark.parametrize(
    ("error", "given"),
    [
        (
            APIError("boom", status_code=418, code="TEAPOT", details=DETAILS, request_id="r-1"),
            {
                "status_code": 418,
                "code": "TEAPOT",
                "message": "boom",
                "details": DETAILS,
                "request_id": "r-1",
            },
        ),
        (
            RateLimitError("slow", retry_after=1.5, limit=10, remaining=0, reset=30.0),
            {"status_code": 429, "retry_after": 1.5, "limit": 10, "remaining": 0, "reset": 30.0},
        ),
        (
            UploadError("part 2", job_id="j", part_number=2, status_code=500, job_deleted=True),
            {"job_id": "j", "part_number": 2, "status_code": 500, "job_deleted": True},
        ),
    ],
    ids=["APIError", "RateLimitError", "UploadError"],
)
def test_errors_keep_their_keywords_as_declared_attributes(error, given):
    """What a constructor keeps is each keyword under its own name, and every attribute
    an error holds is declared on its class with a type (a misspelt name would not be)."""
    for name, value in given.items():
        assert getattr(error, name) == value
    declared = typing.get_type_hints(type(error))
    assert set(vars(error)) <= set(declared)
    restored = pickle.loads(pickle.dumps(error))
    assert vars(restored) == vars(error)
    assert str(restored) == str(error)


def job_for(status: int) -> str:
    """A job id of its own for each status, so one client meets every error in turn."""
    return f"00000000-0000-4000-8000-000000000{status}"


@pytest.mark.parametrize("shape", ["service", "reference"])
def test_status_maps_to_its_class_with_every_field(api, base_url, make_client, shape):
    for status, _cls in STATUS_CLASSES:
        if shape == "service":
            body = service_error("VALIDATION_ERROR", f"Invalid format parameter {status}", DETAILS)
        else:
            body = reference_error(
                "VALIDATION_ERROR", f"Invalid format parameter {status}", DETAILS
            )
        api.expect_request(f"{API}/ocr/status/{job_for(status)}").respond_with_json(
            body, status=status, headers={"X-Request-ID": f"req-{status}"}
        )
    client = make_client(base_url=base_url, max_retries=0)

    for status, cls in STATUS_CLASSES:
        with pytest.raises(cls) as info:
            client.get_status(job_for(status))
        error = info.value
        assert type(error) is cls, status
        assert isinstance(error, LeapOCRError)
        assert error.status_code == status
        assert error.code == "VALIDATION_ERROR"
        assert error.message == f"Invalid format parameter {status}"
        assert error.details == DETAILS
        assert error.request_id == f"req-{status}"
        assert str(status) in str(error) and error.message in str(error)
        assert f"req-{status}" in str(error)
        assert_no_key(error)
    assert len(api.log) == len(STATUS_CLASSES)  # max_retries=0: one request each


def test_non_json_error_bodies(api, base_url, make_client):
    for status, _cls in STATUS_CLASSES:
        api.expect_request(f"{API}/ocr/status/{job_for(status)}").respond_with_data(
            f"<html><body>{status} gateway trouble</body></html>",
            status=status,
            content_type="text/html",
        )
    client = make_client(base_url=base_url, max_retries=0)
    for status, cls in STATUS_CLASSES:
        with pytest.raises(cls) as info:
            client.get_status(job_for(status))
        error = info.value
        assert type(error) is cls
        assert error.status_code == status
        assert f"{status} gateway trouble" in error.message
        assert (error.code, error.details, error.request_id) == (None, None, None)


def test_empty_error_body(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_data("", 404)
    with pytest.raises(NotFoundError) as info:
        make_client(base_url=base_url).delete_job(JOB)
    assert info.value.status_code == 404
    assert "404" in info.value.message
    assert info.value.code is None


def test_conflict_on_delete(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_json(
        service_error("CONFLICT", "job is still processing"), status=409
    )
    with pytest.raises(ConflictError, match="still processing") as info:
        make_client(base_url=base_url).delete_job(JOB)
    assert info.value.code == "CONFLICT"


def test_errors_on_submission(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_json(
        reference_error("INSUFFICIENT_CREDITS", "balance too low", {"required": 12}), status=402
    )
    with pytest.raises(InsufficientCreditsError) as info:
        make_client(base_url=base_url).process_url("https://example.com/a.pdf")
    assert (info.value.code, info.value.details) == ("INSUFFICIENT_CREDITS", {"required": 12})
    assert len(api.log) == 1


def test_rate_limit_error_carries_the_headers(api, base_url, make_client):
    headers = {
        "Retry-After": "7",
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1640000000",
        "X-Request-ID": "req-429",
    }
    api.expect_request(f"{API}/ocr/models").respond_with_json(
        service_error("TOO_MANY_REQUESTS", "slow down"), status=429, headers=headers
    )
    with pytest.raises(RateLimitError) as info:
        make_client(base_url=base_url, max_retries=0).list_models()
    error = info.value
    assert (error.status_code, error.code, error.message) == (
        429,
        "TOO_MANY_REQUESTS",
        "slow down",
    )
    assert error.retry_after == 7.0
    assert (error.limit, error.remaining, error.reset) == (100, 0, 1640000000.0)
    assert error.request_id == "req-429"


def test_rate_limit_error_without_headers(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/models").respond_with_json({}, status=429)
    with pytest.raises(RateLimitError) as info:
        make_client(base_url=base_url, max_retries=0).list_models()
    assert (info.value.retry_after, info.value.limit, info.value.remaining) == (None, None, None)


def test_messages_never_contain_the_key_even_when_the_server_echoes_it(api, base_url, make_client):
    echo = f"invalid API key {API_KEY}"
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(
        {"code": "AUTHENTICATION_ERROR", "error": {"message": echo}, "details": {"key": API_KEY}},
        status=401,
    )
    with pytest.raises(AuthenticationError) as info:
        make_client(base_url=base_url).get_status(JOB)
    assert_no_key(info.value)
    assert API_KEY not in repr(info.value.details)
    assert API_KEY not in info.value.message


def test_connection_error_when_nothing_listens(dead_url, make_client):
    client = make_client(base_url=dead_url, max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        client.get_status(JOB)
    error = info.value
    assert not isinstance(error, APITimeoutError)
    assert error.may_have_been_processed is False
    assert f"/ocr/status/{JOB}" in str(error)
    assert len(client.sleeps) == 2  # retried
    assert_no_key(error)


def test_timeout_error(threaded_api, threaded_base_url, make_client):
    threaded_api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(
        slow(0.6, json_response(service_status("pending")))
    )
    client = make_client(base_url=threaded_base_url, timeout=0.2, max_retries=0)
    with pytest.raises(APITimeoutError) as info:
        client.get_status(JOB)
    assert isinstance(info.value, APIConnectionError)
    assert info.value.may_have_been_processed is True
    assert "no answer in time" in str(info.value)
    assert_no_key(info.value)
    wait_for_log(threaded_api, 1)


def test_job_failed_error(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(
        service_result_status("failed", error_message="Failed to process page 5"), status=202
    )
    with pytest.raises(JobFailedError) as info:
        make_client(base_url=base_url).wait_until_done(JOB)
    assert info.value.job_id == JOB
    assert info.value.error_message == "Failed to process page 5"
    assert JOB in str(info.value) and "Failed to process page 5" in str(info.value)


def test_job_failed_error_from_get_result_fetches_the_reason(api, base_url, make_client):
    # The result endpoint says failed without a reason: the status endpoint has it.
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(
        {"job_id": JOB, "status": "failed", "pages": []}
    )
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(
        service_status("failed", error_message="corrupt PDF")
    )
    with pytest.raises(JobFailedError) as info:
        make_client(base_url=base_url).get_result(JOB)
    assert (info.value.job_id, info.value.error_message) == (JOB, "corrupt PDF")


def test_wait_timeout_error(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(
        service_result_status("processing", processed_pages=1, total_pages=3), status=202
    )
    box: dict[str, Any] = {}
    client = make_client(base_url=base_url, clock=lambda: sum(box["client"].sleeps))
    box["client"] = client

    with pytest.raises(WaitTimeoutError) as info:
        client.wait_until_done(JOB, poll_interval=1.0, timeout=5.0)

    error = info.value
    assert error.job_id == JOB
    assert error.last_status is not None
    assert error.last_status.status is JobStatus.PROCESSING
    assert error.last_status.processed_pages == 1
    assert error.timeout == 5.0
    assert JOB in str(error) and "processing" in str(error)
    assert sum(client.sleeps) == pytest.approx(5.0)


def test_job_not_ready_error(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(
        service_result_status("pending"), status=202
    )
    with pytest.raises(JobNotReadyError) as info:
        make_client(base_url=base_url).get_result(JOB)
    assert (info.value.job_id, info.value.status) == (JOB, "pending")


def test_unexpected_response_error(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_data(
        "OK", status=200, content_type="text/plain", headers={"X-Request-ID": "req-1"}
    )
    with pytest.raises(UnexpectedResponseError) as info:
        make_client(base_url=base_url).process_url("https://example.com/a.pdf")
    assert isinstance(info.value, APIError)
    assert info.value.status_code == 200
    assert info.value.request_id == "req-1"
    assert "'OK'" in str(info.value)


def test_submission_answer_without_job_id(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_json(
        {"status": "pending"}
    )
    with pytest.raises(UnexpectedResponseError, match="job_id"):
        make_client(base_url=base_url).process_url("https://example.com/a.pdf")


def test_retried_5xx_then_error_keeps_the_last_answer(api, base_url, make_client):
    script = Script(
        json_response(service_error("SYSTEM_ERROR", "first"), 500),
        json_response(service_error("SYSTEM_ERROR", "second"), 503),
    )
    api.expect_request(f"{API}/ocr/models").respond_with_handler(script)
    with pytest.raises(ServerError) as info:
        make_client(base_url=base_url, max_retries=1).list_models()
    assert (info.value.status_code, info.value.message) == (503, "second")
    assert script.count == 2
