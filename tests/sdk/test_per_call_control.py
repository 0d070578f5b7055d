"""Per-call control and the escape hatch, sync and async: ``with_options``, request ids on
answers, ``client.request``, ``upload_http_client=``, and errors that say where."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from leapocr_sdk import (
    APIConnectionError,
    AsyncLeapOCR,
    ConfigurationError,
    LeapOCR,
    NotFoundError,
    ServerError,
    UploadError,
    ValidationError,
)
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.conftest import AsyncBridge
from tests.sdk.helpers import (
    API,
    JOB,
    json_response,
    pdf_bytes,
    service_result,
    service_status,
)

PAGES = ["Invoice Number: INV-1\nfirst page", "second page"]


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.05)


def bridged(handle: Any, client: Any) -> Any:
    """A client returned by ``with_options``, driven like ``handle`` (async: on its loop)."""
    bridge = handle._client
    return AsyncBridge(bridge._loop, client) if isinstance(bridge, AsyncBridge) else client


def raw(handle: Any) -> Any:
    """The client object behind a test handle (LeapOCR or AsyncLeapOCR)."""
    bridge = handle._client
    return bridge.client if isinstance(bridge, AsyncBridge) else bridge


def ports(emu: LeapOCREmulator, route: str) -> list[int]:
    return [r.client_port for r in emu.requests if r.route == route]


# --- with_options ----------------------------------------------------------------------


def test_with_options_shares_the_connections_and_changes_only_what_it_names(
    emu: LeapOCREmulator, make_client: Any
) -> None:
    handle = make_client(api_key=emu.api_key, base_url=emu.base_url, max_retries=3, timeout=30)
    job = handle.process_file(make_pdf(PAGES))
    handle.get_status(job.job_id)
    before = set(ports(emu, "status"))
    assert len(before) == 1

    copy = handle.with_options(max_retries=0, timeout=5)
    assert type(copy) is type(raw(handle))
    strict = bridged(handle, copy)
    assert strict.base_url == handle.base_url
    assert strict.get_status(job.job_id).job_id == job.job_id
    assert set(ports(emu, "status")) == before  # the same keep-alive connection: no new socket

    # max_retries=0 on the copy: a 503 is raised at once; the original still retries it.
    emu.faults.fail("status", 503)
    with pytest.raises(ServerError):
        strict.get_status(job.job_id)
    emu.faults.fail("status", 503)
    assert handle.get_status(job.job_id).job_id == job.job_id
    assert len(handle.sleeps) == 1  # the original's retry; the copy slept for nothing

    # The copy's timeout bounds its requests; the original keeps its own.
    emu.faults.slow("status", 2.0)
    quick = bridged(handle, handle.with_options(timeout=0.3, max_retries=0))
    with pytest.raises(APIConnectionError, match="no answer in time"):
        quick.get_status(job.job_id)

    # Closing a copy leaves the original's connections open.
    strict.close()
    with pytest.raises(ConfigurationError, match="closed"):
        strict.get_status(job.job_id)
    assert handle.get_status(job.job_id).job_id == job.job_id


def test_with_options_refuses_other_keywords_and_bad_values_at_once(
    emu: LeapOCREmulator, make_client: Any
) -> None:
    handle = make_client(api_key=emu.api_key, base_url=emu.base_url)
    with pytest.raises(TypeError):
        handle.with_options(base_url="http://127.0.0.1:9/api/v1")
    with pytest.raises(TypeError):
        handle.with_options(5)
    with pytest.raises(ConfigurationError, match="max_retries"):
        handle.with_options(max_retries=-1)
    with pytest.raises(ConfigurationError, match="timeout"):
        handle.with_options(timeout=0)
    with pytest.raises(ConfigurationError, match="upload_concurrency"):
        handle.with_options(upload_concurrency=0)
    assert emu.requests == []


def test_closing_the_original_closes_its_copies(emu: LeapOCREmulator, make_client: Any) -> None:
    handle = make_client(api_key=emu.api_key, base_url=emu.base_url)
    copy = bridged(handle, handle.with_options(max_retries=1))
    handle.close()
    with pytest.raises(ConfigurationError, match="closed"):
        copy.get_status(JOB)
    with pytest.raises(ConfigurationError, match="closed"):
        handle.with_options(timeout=1)
    assert emu.requests == []


def test_with_options_uploads_share_the_original_upload_connections(
    emu: LeapOCREmulator, make_client: Any
) -> None:
    handle = make_client(api_key=emu.api_key, base_url=emu.base_url, upload_concurrency=1)
    handle.process_file(make_pdf(PAGES))
    copy = bridged(handle, handle.with_options(upload_concurrency=2))
    copy.process_file(make_pdf(PAGES))
    assert len(set(ports(emu, "upload_part"))) == 1  # one upload connection, reused
    copy.close()
    handle.process_file(make_pdf(PAGES))  # the original's upload client is still open
    assert len(ports(emu, "upload_part")) == 3


# --- request ids on answers ------------------------------------------------------------


def test_answers_carry_the_request_id(api: Any, base_url: str, make_client: Any) -> None:
    status = f"{API}/ocr/status/{JOB}"
    result = f"{API}/ocr/result/{JOB}"
    api.expect_request(status).respond_with_response(
        json_response(service_status("processing"), headers={"X-Request-Id": "req-status"})
    )
    first = service_result([(1, "a")], total=2, total_pages=2, limit=1000)
    second = service_result([(2, "b")], total=2, total_pages=2, page=2, limit=1000)
    api.expect_request(result, query_string={"page": "1", "limit": "1000"}).respond_with_response(
        json_response(first, headers={"X-Request-Id": "req-page-1"})
    )
    api.expect_request(result, query_string={"page": "2", "limit": "1000"}).respond_with_response(
        json_response(second, headers={"X-Request-Id": "req-page-2"})
    )
    client = make_client(base_url=base_url)
    assert client.get_status(JOB).request_id == "req-status"
    outcome = client.get_result(JOB)
    assert [page.text for page in outcome.pages] == ["a", "b"]
    assert outcome.request_id == "req-page-2"  # the last request's


def test_request_id_is_none_when_absent_and_set_on_a_submitted_job(
    emu: LeapOCREmulator, make_client: Any
) -> None:
    client = make_client(api_key=emu.api_key, base_url=emu.base_url)
    job = client.process_file(make_pdf(PAGES))
    assert job.request_id is None  # the emulator sends no request id
    assert client.get_status(job.job_id).request_id is None


def test_a_submitted_job_carries_the_request_id_of_its_answer(
    api: Any, base_url: str, make_client: Any
) -> None:
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_response(
        json_response(
            {"job_id": JOB, "status": "pending", "created_at": "2026-01-01T00:00:00Z"},
            headers={"x-request-id": "req-submit"},
        )
    )
    job = make_client(base_url=base_url).process_url("https://example.com/a.pdf")
    assert (job.job_id, job.request_id) == (JOB, "req-submit")


# --- client.request ---------------------------------------------------------------------


def test_request_reaches_any_path_through_the_sdk(emu: LeapOCREmulator, make_client: Any) -> None:
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    job = client.process(make_pdf(PAGES), poll_interval=0.02)  # finished: its status stays
    body = client.request("GET", f"/ocr/status/{job.job_id}")
    raw = httpx.get(
        f"{emu.base_url}/ocr/status/{job.job_id}", headers={"X-API-Key": emu.api_key}
    ).json()
    assert body == raw
    info = client.get_status(job.job_id)
    assert body["status"] == info.status.value
    sent = next(r for r in emu.requests if r.route == "status")
    assert sent.headers["x-api-key"] == emu.api_key
    # An idempotent method is retried like the SDK's own calls.
    emu.faults.fail("status", 503)
    assert client.request("GET", f"/ocr/status/{job.job_id}") == body
    assert [r.status for r in emu.requests if r.route == "status"][-2:] == [503, 200]


def test_request_returns_none_for_an_empty_body(api: Any, base_url: str, make_client: Any) -> None:
    api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_data(
        b"", status=204
    )
    assert make_client(base_url=base_url).request("delete", f"/ocr/delete/{JOB}") is None


def test_request_sends_post_once_and_maps_errors(emu: LeapOCREmulator, make_client: Any) -> None:
    client = make_client(api_key=emu.api_key, base_url=emu.base_url)
    emu.faults.fail("initiate", 503)
    body = {"file_name": "a.pdf", "content_type": "application/pdf", "file_size": 10}
    with pytest.raises(ServerError):
        client.request("POST", "/ocr/uploads/direct", json=body)
    assert [r.route for r in emu.requests] == ["initiate"]  # not retried: it could create a job
    assert client.sleeps == []
    with pytest.raises(NotFoundError, match="check the path") as caught:
        client.request("GET", "/no/such/route", params={"a": "1"})
    assert "check the job id" not in str(caught.value)
    assert emu.api_key not in str(caught.value)


@pytest.mark.parametrize(
    "path",
    [
        "https://attacker.example/api/v1/ocr/status/x",
        "//attacker.example/ocr/status/x",
        "/ocr/../../../x",
        "/ocr/%2e%2e/%2E%2E/x",
        "/ocr/%2fattacker.example",
        "ocr/status/x",
        "/ocr/status/x?page=1",
        "/ocr/status/x#frag",
        "/ocr/status/\\x",
        "",
    ],
)
def test_request_refuses_a_path_that_leaves_the_api_before_sending(
    emu: LeapOCREmulator, make_client: Any, path: str
) -> None:
    client = make_client(api_key=emu.api_key, base_url=emu.base_url)
    with pytest.raises(ValidationError):
        client.request("GET", path)
    assert emu.requests == []


def test_request_refuses_bad_methods_params_and_bodies(
    emu: LeapOCREmulator, make_client: Any
) -> None:
    client = make_client(api_key=emu.api_key, base_url=emu.base_url)
    with pytest.raises(ValidationError, match="method"):
        client.request("BREW", "/ocr/models")
    with pytest.raises(ValidationError, match="params"):
        client.request("GET", "/ocr/models", params=[("a", "b")])
    with pytest.raises(ValidationError, match="JSON"):
        client.request("POST", "/ocr/models", json={"a": object()})
    assert emu.requests == []


# --- upload_http_client= ---------------------------------------------------------------


def test_part_uploads_go_through_the_callers_upload_client(
    emu: LeapOCREmulator, make_client: Any, flavor: str
) -> None:
    seen: list[httpx.Request] = []
    own: httpx.Client | httpx.AsyncClient
    if flavor == "sync":
        own = httpx.Client(event_hooks={"request": [seen.append]})
    else:

        async def hook(request: httpx.Request) -> None:
            seen.append(request)

        own = httpx.AsyncClient(event_hooks={"request": [hook]})
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, upload_http_client=own)
    client.process_file(pdf_bytes(2048))
    assert [r.method for r in seen] == ["PUT"]
    assert "x-api-key" not in {name.lower() for name in seen[0].headers}
    uploads = [r for r in emu.requests if r.route == "upload_part"]
    assert len(uploads) == 1 and "x-api-key" not in uploads[0].headers
    client.close()
    assert not own.is_closed  # the caller's: not closed by the SDK
    if isinstance(own, httpx.Client):
        own.close()
    else:
        asyncio.run(own.aclose())


def test_upload_http_client_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"upload_http_client must be an httpx\.Client"):
        LeapOCR("key", upload_http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(
        ConfigurationError, match=r"upload_http_client must be an httpx\.AsyncClient"
    ):
        AsyncLeapOCR("key", upload_http_client=httpx.Client())  # type: ignore[arg-type]


# --- errors that say where --------------------------------------------------------------


def test_a_connection_error_names_scheme_host_and_port_and_what_to_check(
    dead_url: str, make_client: Any
) -> None:
    client = make_client(base_url=dead_url, max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        client.get_status(JOB)
    message = str(caught.value)
    assert f"GET {dead_url}/ocr/status/{JOB}" in message
    assert "LEAPOCR_BASE_URL" in message and "network" in message


def test_a_connection_error_never_shows_a_password(dead_url: str, make_client: Any) -> None:
    with_password = dead_url.replace("http://", "http://user:hunter2@")
    client = make_client(base_url=with_password, max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        client.get_status(JOB)
    assert "hunter2" not in str(caught.value)
    assert dead_url.split("//")[1].split("/")[0] in str(caught.value)  # host and port


def test_an_upload_connection_error_names_the_host_but_not_the_signature(
    api: Any, base_url: str, dead_url: str, make_client: Any
) -> None:
    dead_part = dead_url.replace("/api/v1", "/bucket/part-1") + "?X-Signature=s3cr3t&X-Expires=9"
    api.expect_request(f"{API}/ocr/uploads/direct", method="POST").respond_with_json(
        {
            "job_id": JOB,
            "upload_type": "multipart",
            "parts": [{"part_number": 1, "start_byte": 0, "end_byte": 99, "upload_url": dead_part}],
        }
    )
    api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_json(
        {"message": "deleted"}
    )
    client = make_client(base_url=base_url, max_retries=0)
    with pytest.raises(UploadError) as caught:
        client.process_file(pdf_bytes(100))
    message = str(caught.value)
    assert dead_url.replace("/api/v1", "/bucket/part-1") in message
    assert "s3cr3t" not in message and "X-Signature" not in message
    assert "LEAPOCR_BASE_URL" not in message  # the storage host is not the API's


def test_a_404_on_submission_points_at_the_base_url_not_a_job_id(
    api: Any, base_url: str, make_client: Any
) -> None:
    api.expect_request(f"{API}/ocr/uploads/direct", method="POST").respond_with_response(
        json_response({"error": {"code": "NOT_FOUND", "message": "no route"}}, status=404)
    )
    client = make_client(base_url=base_url)
    with pytest.raises(NotFoundError) as caught:
        client.process_file(pdf_bytes(100))
    assert "check the job id" not in str(caught.value)
    assert "LEAPOCR_BASE_URL" in str(caught.value)
    assert caught.value.status_code == 404
