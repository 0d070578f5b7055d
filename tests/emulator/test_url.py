"""Submission from a URL: the emulator downloads the document itself."""

from __future__ import annotations

import httpx
import pytest
from pytest_httpserver import HTTPServer

from leapocr_sdk.testing import LeapOCREmulator
from tests.openapi_checks import conform

from .conftest import INVOICE_PAGES, assert_error, wait_result


def test_url_submission(
    emu: LeapOCREmulator, client: httpx.Client, httpserver: HTTPServer, invoice_pdf: bytes
) -> None:
    httpserver.expect_request("/files/invoice.pdf").respond_with_data(
        invoice_pdf, content_type="application/pdf"
    )
    url = httpserver.url_for("/files/invoice.pdf")
    response = client.post("/ocr/uploads/url", json={"url": url, "model": "pro-v1"})
    body = conform(response)
    assert body["status"] == "pending" and body["source_url"] == url
    assert body["created_at"].endswith("Z")
    result = wait_result(client, body["job_id"])
    assert result["file_name"] == "invoice.pdf"
    assert result["model"] == "pro-v1" and result["credits_used"] == 9
    assert [page["result"] for page in result["pages"]] == INVOICE_PAGES
    job = emu.get_job(body["job_id"])
    assert job.source == "url" and job.source_url == url and job.file_size == len(invoice_pdf)
    # The emulator never calls complete for URL jobs, and clients don't either.
    assert emu.count("complete") == 0


def test_url_submission_keeps_the_given_file_name(
    client: httpx.Client, httpserver: HTTPServer, invoice_pdf: bytes
) -> None:
    httpserver.expect_request("/download").respond_with_data(invoice_pdf)
    response = client.post(
        "/ocr/uploads/url", json={"url": httpserver.url_for("/download"), "file_name": "q4.pdf"}
    )
    assert wait_result(client, conform(response)["job_id"])["file_name"] == "q4.pdf"


@pytest.mark.parametrize(
    ("status", "data", "message"),
    [(404, b"missing", "HTTP 404"), (200, b"<html>hello</html>", "not a PDF")],
)
def test_unusable_urls_fail_the_job(
    client: httpx.Client, httpserver: HTTPServer, status: int, data: bytes, message: str
) -> None:
    httpserver.expect_request("/doc.pdf").respond_with_data(data, status=status)
    job_id = conform(client.post("/ocr/uploads/url", json={"url": httpserver.url_for("/doc.pdf")}))[
        "job_id"
    ]
    result = wait_result(client, job_id)
    assert result["status"] == "failed" and message in result["error_message"]
    status_body = conform(client.get(f"/ocr/status/{job_id}"))
    assert status_body["status"] == "failed" and message in status_body["error_message"]


def test_unreachable_url_fails_the_job(client: httpx.Client) -> None:
    job_id = conform(client.post("/ocr/uploads/url", json={"url": "http://127.0.0.1:9/x.pdf"}))[
        "job_id"
    ]
    result = wait_result(client, job_id)
    assert result["status"] == "failed" and "download" in result["error_message"]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"url": 5},
        {"url": "ftp://example.invalid/a.pdf"},
        {"url": "not a url"},
        {"url": "http://127.0.0.1/" + "a" * 2000},
        {"url": "http://127.0.0.1/a.pdf", "format": "html"},
        {"url": "http://127.0.0.1/a.pdf", "instructions": "a", "schema": {"type": "object"}},
        {"url": "http://127.0.0.1/a.pdf", "file_name": ""},
    ],
)
def test_url_submission_validation(client: httpx.Client, payload: dict[str, object]) -> None:
    assert_error(client.post("/ocr/uploads/url", json=payload), 400)
