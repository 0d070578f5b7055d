"""Retries: which answers and failures are retried, how often, how long the SDK waits
(server hints honoured and capped, else exponential backoff with jitter), and that a
submission which may already have created a job is not sent twice."""

from __future__ import annotations

import email.utils
import random
import time

import pytest

from leapocr_sdk import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    JobStatus,
    RateLimitError,
    ServerError,
)
from leapocr_sdk import _constants as C
from tests.sdk.helpers import (
    API,
    JOB,
    Script,
    json_response,
    service_error,
    service_status,
    slow,
    wait_for_log,
)

RETRYABLE = [429, 500, 502, 503, 504]
NOT_RETRYABLE = [400, 401, 402, 403, 404, 409, 422, 501]


def status_then(*statuses: int, headers: dict[str, str] | None = None) -> Script:
    """Answer the given error statuses in turn, then a pending job status."""
    errors = [
        json_response(service_error("SYSTEM_ERROR", f"error {s}"), s, headers) for s in statuses
    ]
    return Script(*errors, json_response(service_status("pending")))


def explained(error: BaseException) -> str:
    """The error's message and notes: what a user sees in a traceback."""
    return " ".join([str(error), *getattr(error, "__notes__", [])])


def assert_backoff(sleeps: list[float]) -> None:
    """Exponential from BACKOFF_INITIAL, capped at BACKOFF_MAX, at most 25% jitter off."""
    for attempt, delay in enumerate(sleeps):
        base = min(C.BACKOFF_INITIAL * 2**attempt, C.BACKOFF_MAX)
        assert base * (1 - C.BACKOFF_JITTER) <= delay <= base, (attempt, delay)


@pytest.mark.parametrize("status", RETRYABLE)
def test_retryable_status_retried_up_to_max_retries_then_raised(api, base_url, make_client, status):
    script = Script(json_response(service_error("SYSTEM_ERROR", "busy"), status))
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url, max_retries=2)

    with pytest.raises(RateLimitError if status == 429 else ServerError) as info:
        client.get_status(JOB)

    assert info.value.status_code == status
    assert script.count == 3
    assert len(client.sleeps) == 2
    assert_backoff(client.sleeps)


@pytest.mark.parametrize("status", RETRYABLE)
def test_retryable_status_on_a_submission_is_retried(api, base_url, make_client, status):
    # The service answered: no job was created, so sending it again is safe.
    script = Script(
        json_response(service_error("SYSTEM_ERROR", "busy"), status),
        json_response({"job_id": JOB, "status": "pending"}),
    )
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_handler(script)
    client = make_client(base_url=base_url)
    assert client.process_url("https://example.com/a.pdf").job_id == JOB
    assert script.count == 2
    assert len(client.sleeps) == 1


def test_transient_errors_then_success(api, base_url, make_client):
    script = status_then(503, 500, 429)
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url)  # default max_retries = 3
    assert client.get_status(JOB).status is JobStatus.PENDING
    assert script.count == 4
    assert len(client.sleeps) == 3
    assert_backoff(client.sleeps)


def test_default_max_retries_is_three(api, base_url, make_client):
    script = status_then(*[500] * 10)
    api.expect_request(f"{API}/ocr/models").respond_with_handler(script)
    client = make_client(base_url=base_url)
    with pytest.raises(ServerError):
        client.list_models()
    assert script.count == 4


def test_no_retries_when_max_retries_is_zero(api, base_url, make_client):
    script = status_then(503)
    api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_handler(script)
    client = make_client(base_url=base_url, max_retries=0)
    with pytest.raises(ServerError):
        client.delete_job(JOB)
    assert script.count == 1 and client.sleeps == []


def test_backoff_grows_exponentially_with_jitter(api, base_url, make_client):
    script = status_then(*[502] * 10)
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url, max_retries=6, rng=random.Random(7))
    with pytest.raises(ServerError):
        client.get_status(JOB)
    assert len(client.sleeps) == 6
    assert_backoff(client.sleeps)
    assert client.sleeps[:5] == sorted(client.sleeps[:5])
    assert client.sleeps[-1] <= C.BACKOFF_MAX
    assert len(set(client.sleeps)) == 6  # jittered, not a fixed schedule


def test_other_client_errors_are_never_retried(api, base_url, make_client):
    scripts = {}
    for status in NOT_RETRYABLE:
        scripts[status] = status_then(status, headers={"Retry-After": "1"})
        job = f"00000000-0000-4000-8000-000000000{status}"
        api.expect_request(f"{API}/ocr/status/{job}").respond_with_handler(scripts[status])
    client = make_client(base_url=base_url, max_retries=3)
    for status in NOT_RETRYABLE:
        with pytest.raises(APIError) as info:
            client.get_status(f"00000000-0000-4000-8000-000000000{status}")
        assert info.value.status_code == status
        assert scripts[status].count == 1, f"{status} was retried"
    assert client.sleeps == []


# --- server hints ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        pytest.param({"Retry-After": "3"}, 3.0, 3.0, id="retry-after-seconds"),
        pytest.param({"Retry-After": "0"}, 0.0, 0.0, id="retry-after-zero"),
        pytest.param({"Retry-After": "1.5"}, 1.5, 1.5, id="retry-after-fraction"),
        pytest.param({"Retry-After": "86400"}, C.RETRY_AFTER_MAX, C.RETRY_AFTER_MAX, id="capped"),
        pytest.param(
            {"Retry-After": "2", "X-RateLimit-Reset": "now+30"}, 2.0, 2.0, id="retry-after-wins"
        ),
        pytest.param({"X-RateLimit-Reset": "now+6"}, 4.5, 6.0, id="reset-timestamp"),
        pytest.param(
            {"X-RateLimit-Reset": "now+100000"},
            C.RETRY_AFTER_MAX,
            C.RETRY_AFTER_MAX,
            id="reset-capped",
        ),
        pytest.param({"X-RateLimit-Reset": "now-50"}, 0.0, 0.0, id="reset-in-the-past"),
    ],
)
def test_rate_limit_hints_are_honoured(api, base_url, make_client, headers, low, high):
    # "now+N": a Unix time N seconds from now, as the reference's X-RateLimit-Reset is.
    headers = {
        name: str(int(time.time()) + int(value[3:])) if value.startswith("now") else value
        for name, value in headers.items()
    }
    script = status_then(429, headers={"X-RateLimit-Limit": "10", **headers})
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url)
    assert client.get_status(JOB).status is JobStatus.PENDING
    (delay,) = client.sleeps
    assert low <= delay <= high
    assert script.count == 2


def test_retry_after_http_date(api, base_url, make_client):
    when = email.utils.formatdate(time.time() + 10, usegmt=True)
    script = status_then(503, headers={"Retry-After": when})
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url)
    assert client.get_status(JOB).status is JobStatus.PENDING
    (delay,) = client.sleeps
    assert 7.0 <= delay <= 10.0


def test_retry_after_on_each_retry(api, base_url, make_client):
    script = status_then(429, 429, headers={"Retry-After": "4"})
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url)
    assert client.get_status(JOB).status is JobStatus.PENDING
    assert client.sleeps == [4.0, 4.0]
    assert script.count == 3


# --- connection failures and timeouts -------------------------------------------------------


@pytest.mark.parametrize("operation", ["get_status", "process_url"])
def test_connection_refused_is_retried(dead_url, make_client, operation):
    # Nothing was sent, so even a submission is safe to retry.
    client = make_client(base_url=dead_url, max_retries=3)
    args = (JOB,) if operation == "get_status" else ("https://example.com/a.pdf",)
    with pytest.raises(APIConnectionError) as info:
        getattr(client, operation)(*args)
    assert info.value.may_have_been_processed is False
    assert len(client.sleeps) == 3
    assert_backoff(client.sleeps)


def test_dropped_connection_get_is_retried(dropping_server, make_client):
    client = make_client(base_url=dropping_server.base_url, max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        client.get_status(JOB)
    assert not isinstance(info.value, APITimeoutError)
    assert dropping_server.request_lines() == [f"GET /api/v1/ocr/status/{JOB} HTTP/1.1"] * 3
    assert len(client.sleeps) == 2


@pytest.mark.parametrize("operation", ["process_url", "process_file"])
def test_dropped_connection_submission_is_not_retried(dropping_server, make_client, operation):
    client = make_client(base_url=dropping_server.base_url, max_retries=3)
    call = getattr(client, operation)
    with pytest.raises(APIConnectionError) as info:
        call("https://example.com/a.pdf" if operation == "process_url" else b"%PDF-1.7 tiny")
    assert info.value.may_have_been_processed is True
    assert len(dropping_server.requests) == 1
    assert dropping_server.request_lines()[0].startswith("POST /api/v1/ocr/uploads/")
    assert client.sleeps == []
    assert "not retried" in explained(info.value)


def test_submission_not_retried_after_a_read_timeout(threaded_api, threaded_base_url, make_client):
    script = Script(slow(0.6, json_response({"job_id": JOB, "status": "pending"})))
    threaded_api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_handler(
        script
    )
    client = make_client(base_url=threaded_base_url, timeout=0.25, max_retries=3)

    with pytest.raises(APITimeoutError) as info:
        client.process_url("https://example.com/a.pdf")

    assert info.value.may_have_been_processed is True
    assert "may have reached the service" in explained(info.value)
    wait_for_log(threaded_api, 1)
    assert script.count == 1
    assert client.sleeps == []


def test_upload_initiation_not_retried_after_a_read_timeout(
    threaded_api, threaded_base_url, make_client
):
    script = Script(slow(0.6, json_response({})))
    threaded_api.expect_request(f"{API}/ocr/uploads/direct", method="POST").respond_with_handler(
        script
    )
    client = make_client(base_url=threaded_base_url, timeout=0.25)
    with pytest.raises(APITimeoutError):
        client.process_file(b"%PDF-1.7 small")
    wait_for_log(threaded_api, 1)
    assert script.count == 1
    assert client.sleeps == []


def test_get_retried_after_a_read_timeout(threaded_api, threaded_base_url, make_client):
    status = json_response(service_status("completed", processed=2, total=2))
    script = Script(slow(0.6, json_response(service_status("pending"))), status)
    threaded_api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(script)
    client = make_client(base_url=threaded_base_url, timeout=0.25)

    info = client.get_status(JOB)

    assert info.status is JobStatus.COMPLETED
    assert script.count == 2
    assert len(client.sleeps) == 1
    wait_for_log(threaded_api, 2)
