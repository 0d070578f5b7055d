"""Fixtures for the emulator tests: a running emulator, a raw httpx client, and helpers
that run uploads and check every reply with ``tests.openapi_checks.conform`` (its schema in
openapi.yaml and, where the vendored 2026 specs declare the operation, theirs too)."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.openapi_checks import conform

# One TLS context for every client: httpx builds a new one per client otherwise, which is
# slow (clients here only speak plain HTTP to 127.0.0.1 anyway).
TLS = ssl.create_default_context()


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> Any:
    """Assert an error response in the service's shape; return its body."""
    assert response.status_code == status, response.text
    body = conform(response)
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["code"] == code
    return body


INVOICE_PAGES = [
    "INVOICE\nInvoice Number: INV-2026-0042\nDate: 2026-11-02\nVendor: Northwind Ltd.",
    "Line Items\nSubtotal: 1,200.00\nTotal Amount: 1234.56\nItem Count: 7\nPaid: yes",
    "Thank you for your business.",
]


@pytest.fixture
def invoice_pdf() -> bytes:
    return make_pdf(INVOICE_PAGES)


@pytest.fixture
def make_emu(
    leapocr_emulator_factory: Callable[..., LeapOCREmulator],
) -> Callable[..., LeapOCREmulator]:
    """Start an emulator with custom keywords; stopped after the test (the plugin's fixture)."""
    return leapocr_emulator_factory


@pytest.fixture
def emu(make_emu: Callable[..., LeapOCREmulator]) -> LeapOCREmulator:
    return make_emu(processing_seconds=0.05, seed=1)


def raw(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A one-off request without the API key (e.g. to an upload URL)."""
    return httpx.request(method, url, verify=TLS, **kwargs)


def api_client(emulator: LeapOCREmulator, **kwargs: Any) -> httpx.Client:
    kwargs.setdefault("verify", TLS)
    return httpx.Client(
        base_url=emulator.base_url, headers={"X-API-Key": emulator.api_key}, **kwargs
    )


@pytest.fixture
def client(emu: LeapOCREmulator) -> Iterator[httpx.Client]:
    with api_client(emu) as http:
        yield http


def initiate(http: httpx.Client, size: int, **fields: Any) -> Any:
    payload = {"file_name": "doc.pdf", "content_type": "application/pdf", "file_size": size}
    payload.update(fields)
    response = http.post("/ocr/uploads/direct", json=payload)
    assert response.status_code == 200, response.text
    return conform(response)


def put_parts(data: bytes, upload: Any) -> list[dict[str, Any]]:
    """PUT every part (without the API key) and return the complete request's parts."""
    parts = []
    with httpx.Client(verify=TLS) as storage:
        for part in upload["parts"]:
            chunk = data[part["start_byte"] : part["end_byte"] + 1]
            response = storage.put(part["upload_url"], content=chunk)
            assert response.status_code == 200, response.text
            parts.append({"part_number": part["part_number"], "etag": response.headers["ETag"]})
    return parts


def upload(http: httpx.Client, data: bytes, **fields: Any) -> str:
    """Run the whole direct upload; return the job id."""
    started = initiate(http, len(data), **fields)
    parts = put_parts(data, started)
    response = http.post(f"/ocr/uploads/{started['job_id']}/complete", json={"parts": parts})
    conform(response)
    assert response.status_code == 200, response.text
    job_id: str = started["job_id"]
    return job_id


def wait_result(http: httpx.Client, job_id: str, timeout: float = 10.0, **params: Any) -> Any:
    """Poll the result endpoint until it answers 200; return the body."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(f"/ocr/result/{job_id}", params=params)
        body = conform(response)
        if response.status_code == 200:
            return body
        assert response.status_code == 202
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {body}"
        time.sleep(0.01)
