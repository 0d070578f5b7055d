"""Authentication, models, credits and rate limiting."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from leapocr_sdk.testing import LeapOCREmulator
from tests.openapi_checks import conform

from .conftest import (
    TLS,
    api_client,
    assert_error,
    initiate,
    put_parts,
    raw,
    upload,
    wait_result,
)

JOB = "0b7e7c4e-8f1a-4c5e-9d55-5f1c1f6f1a11"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/ocr/models"),
        ("GET", f"/ocr/status/{JOB}"),
        ("GET", f"/ocr/result/{JOB}"),
        ("DELETE", f"/ocr/delete/{JOB}"),
        ("POST", "/ocr/uploads/direct"),
        ("POST", "/ocr/uploads/url"),
        ("POST", f"/ocr/uploads/{JOB}/complete"),
    ],
)
def test_every_route_needs_the_api_key(emu: LeapOCREmulator, method: str, path: str) -> None:
    with httpx.Client(verify=TLS, base_url=emu.base_url) as anonymous:
        body = assert_error(anonymous.request(method, path), 401, "AUTHENTICATION_ERROR")
        assert body["error"]["message"]
        wrong = anonymous.request(method, path, headers={"X-API-Key": "nope"})
        assert_error(wrong, 401, "AUTHENTICATION_ERROR")


def test_api_key_header_name_is_case_insensitive(emu: LeapOCREmulator) -> None:
    for name in ("X-API-Key", "x-api-key", "X-API-KEY"):
        response = raw("GET", emu.base_url + "/ocr/models", headers={name: emu.api_key})
        assert response.status_code == 200


def test_custom_api_key(make_emu: Callable[..., LeapOCREmulator]) -> None:
    emulator = make_emu(api_key="sk-other")
    with api_client(emulator) as http:
        assert http.get("/ocr/models").status_code == 200
    assert (
        raw("GET", emulator.base_url + "/ocr/models", headers={"X-API-Key": "test-key"}).status_code
        == 401
    )


def test_models(client: httpx.Client) -> None:
    body = conform(client.get("/ocr/models"))
    assert body["count"] == 5
    by_name = {m["name"]: m for m in body["models"]}
    assert {n: (m["display_name"], m["credits_per_page"]) for n, m in by_name.items()} == {
        "standard-v2": ("Standard v2", 1),
        "pro-v2": ("Pro v2", 3),
        "standard-v1": ("Standard v1", 1),
        "english-pro-v1": ("English Pro v1", 2),
        "pro-v1": ("Pro v1", 3),
    }
    assert [m["name"] for m in body["models"]][:2] == ["standard-v2", "pro-v2"]
    assert by_name["english-pro-v1"]["description"] == "Premium quality, English documents only"


def test_unknown_model_is_refused_until_registered(
    emu: LeapOCREmulator, client: httpx.Client, invoice_pdf: bytes
) -> None:
    response = client.post(
        "/ocr/uploads/direct",
        json={
            "file_name": "a.pdf",
            "content_type": "application/pdf",
            "file_size": 10,
            "model": "x-1",
        },
    )
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert body["details"]["field"] == "model"
    emu.add_model("x-1", 5, display_name="Custom X")
    assert "x-1" in [m["name"] for m in conform(client.get("/ocr/models"))["models"]]
    job_id = upload(client, invoice_pdf, model="x-1")
    assert wait_result(client, job_id)["credits_used"] == 15


@pytest.mark.parametrize(
    ("model", "cost"),
    [("standard-v2", 1), ("pro-v2", 3), ("standard-v1", 1), ("english-pro-v1", 2), ("pro-v1", 3)],
)
def test_credits_are_charged_per_page_by_model(
    make_emu: Callable[..., LeapOCREmulator], invoice_pdf: bytes, model: str, cost: int
) -> None:
    emulator = make_emu(credits=100)
    with api_client(emulator) as http:
        job_id = upload(http, invoice_pdf, model=model)
        result = wait_result(http, job_id)
    assert result["model"] == model
    assert result["credits_used"] == 3 * cost
    assert emulator.credits == 100 - 3 * cost
    assert emulator.get_job(job_id).credits_used == 3 * cost


def test_a_job_shown_completed_is_already_charged(
    make_emu: Callable[..., LeapOCREmulator], invoice_pdf: bytes
) -> None:
    # The job store's clock steps a whole job's duration at every reading: a reply that
    # read it once to charge and again to show the state would show a job completed and
    # not charged (credits_used 0).
    emulator = make_emu(credits=100, processing_seconds=60)
    store = emulator._store
    with api_client(emulator) as http:
        job_id = upload(http, invoice_pdf)
        job = store.jobs[job_id]
        deadline = time.monotonic() + 10
        while job.ready_at is None:  # read (its pages known) off the request path
            assert time.monotonic() < deadline, "the document was never read"
            time.sleep(0.01)
        ready, readings = job.ready_at, iter(range(1, 1000))
        store.clock = lambda: ready + job.duration * next(readings) - 1
        shown = [emulator.get_job(job_id) for _ in range(2)]
        replies = [http.get(f"/ocr/result/{job_id}").json() for _ in range(2)]
    assert [view.status for view in shown] == ["processing", "completed"]
    assert [view.credits_used for view in shown] == [0, 3]
    assert [reply["credits_used"] for reply in replies] == [3, 3]


def test_insufficient_credits(make_emu: Callable[..., LeapOCREmulator], invoice_pdf: bytes) -> None:
    emulator = make_emu(credits=4)
    with api_client(emulator) as http:
        # 2 credits can't cover one pro-v1 page.
        emulator.credits = 2
        response = http.post(
            "/ocr/uploads/url", json={"url": "http://127.0.0.1:1/a.pdf", "model": "pro-v1"}
        )
        assert_error(response, 402, "LESS_CREDITS")
        # One standard-v2 page is affordable, but not the document's 3: complete refuses it.
        started = initiate(http, len(invoice_pdf))
        response = http.post(
            f"/ocr/uploads/{started['job_id']}/complete",
            json={"parts": put_parts(invoice_pdf, started)},
        )
        assert_error(response, 402, "LESS_CREDITS")
        assert "3 pages cost 3 credits" in response.json()["error"]["message"]
        assert emulator.credits == 2  # nothing charged
        emulator.credits = 3
        job_id = upload(http, invoice_pdf)  # now it is covered exactly
        wait_result(http, job_id)
        assert emulator.credits == 0
        response = http.post(
            "/ocr/uploads/direct",
            json={"file_name": "a.pdf", "content_type": "application/pdf", "file_size": 10},
        )
        assert_error(response, 402, "LESS_CREDITS")
        emulator.credits = None
        initiate(http, 10)


def test_complete_is_refused_when_credits_ran_out(
    make_emu: Callable[..., LeapOCREmulator], invoice_pdf: bytes
) -> None:
    emulator = make_emu(credits=10)
    with api_client(emulator) as http:
        started = initiate(http, len(invoice_pdf))
        emulator.credits = 0
        with httpx.Client(verify=TLS) as storage:
            etag = storage.put(started["parts"][0]["upload_url"], content=invoice_pdf).headers[
                "ETag"
            ]
        response = http.post(
            f"/ocr/uploads/{started['job_id']}/complete",
            json={"parts": [{"part_number": 1, "etag": etag}]},
        )
        assert_error(response, 402, "LESS_CREDITS")


def test_rate_limit_headers_and_429(make_emu: Callable[..., LeapOCREmulator]) -> None:
    emulator = make_emu(rate_limit=3, rate_window=1.5)
    with api_client(emulator) as http:
        remaining = []
        for _ in range(3):
            response = http.get("/ocr/models")
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Limit"] == "3"
            reset = int(response.headers["X-RateLimit-Reset"])
            assert time.time() - 1 <= reset <= time.time() + 3
            remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        assert remaining == [2, 1, 0]
        limited = http.get("/ocr/models")
        assert_error(limited, 429, "TOO_MANY_REQUESTS")
        assert 1 <= int(limited.headers["Retry-After"]) <= 2
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        # Errors carry the headers too.
        missing = http.get("/ocr/status/" + JOB)
        assert missing.status_code == 429 and "X-RateLimit-Reset" in missing.headers
        time.sleep(float(limited.headers["Retry-After"]) + 0.05)
        recovered = http.get("/ocr/models")
        assert recovered.status_code == 200
        assert recovered.headers["X-RateLimit-Remaining"] == "2"


def test_no_rate_limit_headers_when_disabled(client: httpx.Client) -> None:
    assert "X-RateLimit-Limit" not in client.get("/ocr/models").headers
