"""Fault injection: failures, dropped connections, latency, slow and malformed responses."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.openapi_checks import conform

from .conftest import api_client, assert_error, initiate, put_parts, raw, upload, wait_result

UNKNOWN = "6f0e0a52-4a3e-4bd4-a3a4-1f2e3d4c5b6a"


def test_fail_next_requests_with_status_and_headers(
    emu: LeapOCREmulator, client: httpx.Client
) -> None:
    emu.faults.fail("models", 503, count=2, headers={"Retry-After": "1"})
    for _ in range(2):
        response = client.get("/ocr/models")
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        body = response.json()
        assert body["code"] == "SYSTEM_ERROR" and body["error"]["message"]
    assert client.get("/ocr/models").status_code == 200
    assert [r.status for r in emu.requests] == [503, 503, 200]


def test_fail_with_rate_limit_headers_and_custom_body(
    emu: LeapOCREmulator, client: httpx.Client
) -> None:
    reset = str(int(time.time()) + 2)
    emu.faults.fail(
        "status", 429, headers={"X-RateLimit-Reset": reset, "X-RateLimit-Remaining": "0"}
    )
    limited = client.get(f"/ocr/status/{UNKNOWN}")
    assert_error(limited, 429, "TOO_MANY_REQUESTS")
    assert limited.headers["X-RateLimit-Reset"] == reset
    emu.faults.fail(
        "status",
        500,
        body={"code": "SYSTEM_ERROR", "error": {"message": "boom"}, "details": None},
    )
    assert assert_error(client.get(f"/ocr/status/{UNKNOWN}"), 500)["error"]["message"] == "boom"
    emu.faults.fail("status", 502, body="<html>bad gateway</html>", content_type="text/html")
    response = client.get(f"/ocr/status/{UNKNOWN}")
    assert response.status_code == 502 and response.text == "<html>bad gateway</html>"
    assert response.headers["content-type"] == "text/html"
    assert_error(client.get(f"/ocr/status/{UNKNOWN}"), 404)


def test_injected_failures_skip_handling(emu: LeapOCREmulator, client: httpx.Client) -> None:
    emu.faults.fail("initiate", 500)
    response = client.post(
        "/ocr/uploads/direct",
        json={"file_name": "a.pdf", "content_type": "application/pdf", "file_size": 9},
    )
    assert response.status_code == 500
    assert emu.jobs == {}


def test_fail_storage_put(emu: LeapOCREmulator, client: httpx.Client) -> None:
    data = make_pdf(["x"])
    started = initiate(client, len(data))
    emu.faults.fail("upload_part", 500, body=b"<Error><Code>InternalError</Code></Error>")
    url = started["parts"][0]["upload_url"]
    assert raw("PUT", url, content=data).status_code == 500
    assert raw("PUT", url, content=data).status_code == 200


def test_wildcard_route(emu: LeapOCREmulator, client: httpx.Client) -> None:
    emu.faults.fail("*", 503, count=2)
    emu.faults.fail("models", 500)
    assert client.get("/ocr/models").status_code == 500  # the specific route first
    assert client.get("/ocr/models").status_code == 503
    assert client.get(f"/ocr/status/{UNKNOWN}").status_code == 503
    assert client.get("/ocr/models").status_code == 200


def test_invalid_fault_arguments(emu: LeapOCREmulator) -> None:
    with pytest.raises(ValueError, match="unknown route"):
        emu.faults.fail("stauts", 500)
    with pytest.raises(ValueError, match="count"):
        emu.faults.drop("status", count=0)
    with pytest.raises(ValueError, match="kind"):
        emu.faults.malformed("status", kind="xml")  # type: ignore[arg-type]


def test_drop_connection_before_handling(emu: LeapOCREmulator, client: httpx.Client) -> None:
    emu.faults.drop("initiate")
    payload = {"file_name": "a.pdf", "content_type": "application/pdf", "file_size": 9}
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/ocr/uploads/direct", json=payload)
    assert emu.jobs == {}
    assert conform(client.post("/ocr/uploads/direct", json=payload))["job_id"]
    assert [r.status for r in emu.requests] == [None, 200]


def test_drop_connection_mid_part_upload(emu: LeapOCREmulator, client: httpx.Client) -> None:
    data = make_pdf(["x"], pad_to=5 * 1024 * 1024)
    started = initiate(client, len(data))
    url = started["parts"][0]["upload_url"]
    emu.faults.drop("upload_part")
    with pytest.raises(httpx.TransportError):
        raw("PUT", url, content=data)
    [record] = [r for r in emu.requests if r.route == "upload_part"]
    assert record.status is None and 0 < record.body_size < len(data)
    parts = put_parts(data, started)  # a retry succeeds
    conform(client.post(f"/ocr/uploads/{started['job_id']}/complete", json={"parts": parts}))


def test_drop_after_handling_then_retry_complete(
    emu: LeapOCREmulator, client: httpx.Client
) -> None:
    data = make_pdf(["retry me"])
    started = initiate(client, len(data))
    parts = put_parts(data, started)
    emu.faults.drop("complete", after_handling=True)
    path = f"/ocr/uploads/{started['job_id']}/complete"
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(path, json={"parts": parts})
    assert conform(client.post(path, json={"parts": parts}))["status"] == "pending"
    assert wait_result(client, started["job_id"])["pages"][0]["result"] == "retry me"


def test_latency_applies_to_every_request(emu: LeapOCREmulator, client: httpx.Client) -> None:
    data = make_pdf(["x"])
    started = initiate(client, len(data))
    emu.faults.set_latency(0.05)
    begin = time.monotonic()
    client.get("/ocr/models")
    raw("PUT", started["parts"][0]["upload_url"], content=data)
    assert time.monotonic() - begin >= 0.1
    emu.faults.set_latency(0)
    emu.faults.set_latency(0.2, route="status")
    begin = time.monotonic()
    client.get("/ocr/models")
    assert time.monotonic() - begin < 0.15


def test_slow_response_triggers_read_timeout(emu: LeapOCREmulator) -> None:
    emu.faults.slow("models", 3.0)
    with api_client(emu, timeout=httpx.Timeout(5.0, read=0.2)) as http:
        with pytest.raises(httpx.ReadTimeout):
            http.get("/ocr/models")
        assert http.get("/ocr/models").status_code == 200


@pytest.mark.parametrize("kind", ["truncated", "non_json"])
def test_malformed_bodies(emu: LeapOCREmulator, client: httpx.Client, kind: str) -> None:
    emu.faults.malformed("models", kind=kind)  # type: ignore[arg-type]
    response = client.get("/ocr/models")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    if kind == "truncated":
        assert response.headers["content-type"] == "application/json"
        assert response.text.startswith('{"models": [')
    else:
        assert response.headers["content-type"] == "text/html"
    conform(client.get("/ocr/models"))


def test_unknown_status_value(emu: LeapOCREmulator, client: httpx.Client) -> None:
    job_id = upload(client, make_pdf(["x"]))
    emu.wait_for_job(job_id)
    emu.faults.override_status(job_id, "quantum_superposition")
    # Not a status of the contract's enum (the point of the fault): read without the checker.
    response = client.get(f"/ocr/status/{job_id}")
    assert response.status_code == 200
    assert response.json()["status"] == "quantum_superposition"
    response = client.get(f"/ocr/result/{job_id}")
    assert response.status_code == 202
    assert response.json()["status"] == "quantum_superposition"
    emu.faults.override_status(job_id, "failed")
    failed = conform(client.get(f"/ocr/result/{job_id}"))
    assert failed["status"] == "failed" and failed["pages"] == []
    emu.faults.override_status(job_id, None)
    assert conform(client.get(f"/ocr/result/{job_id}"))["status"] == "completed"


def test_expire_issued_upload_urls(emu: LeapOCREmulator, client: httpx.Client) -> None:
    data = make_pdf(["x"])
    old = initiate(client, len(data))
    time.sleep(0.01)
    emu.faults.expire_upload_urls()
    time.sleep(0.01)
    new = initiate(client, len(data))
    expired = raw("PUT", old["parts"][0]["upload_url"], content=data)
    assert expired.status_code == 403 and b"expired" in expired.content
    assert raw("PUT", new["parts"][0]["upload_url"], content=data).status_code == 200


def test_reset_faults(emu: LeapOCREmulator, client: httpx.Client) -> None:
    job_id = upload(client, make_pdf(["x"]))
    emu.faults.fail("models", 500, count=5)
    emu.faults.drop("status", count=5)
    emu.faults.slow("models", 5, count=5)
    emu.faults.malformed("models", count=5)
    emu.faults.set_latency(5)
    emu.faults.override_status(job_id, "weird")
    emu.faults.issue_expired_urls = True
    emu.faults.expire_upload_urls()
    emu.reset_faults()
    assert emu.faults.issue_expired_urls is False
    begin = time.monotonic()
    conform(client.get("/ocr/models"))
    assert conform(client.get(f"/ocr/status/{job_id}"))["status"] != "weird"
    data = make_pdf(["y"])
    started = initiate(client, len(data))
    assert raw("PUT", started["parts"][0]["upload_url"], content=data).status_code == 200
    assert time.monotonic() - begin < 1


def test_faults_are_consumed_exactly_once_under_concurrency(
    emu: LeapOCREmulator,
) -> None:
    emu.faults.fail("models", 503, count=50)
    barrier = threading.Barrier(20)

    def poll(_: int) -> list[int]:
        with api_client(emu) as http:  # shares one TLS context: cheap to build
            barrier.wait()
            return [http.get("/ocr/models").status_code for _ in range(5)]

    with ThreadPoolExecutor(20) as pool:
        codes = [code for codes in pool.map(poll, range(20)) for code in codes]
    assert codes.count(503) == 50 and codes.count(200) == 50
