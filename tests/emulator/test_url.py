"""Submission from a URL: the emulator downloads the document itself."""

from __future__ import annotations

import socket
import threading

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


class _DocumentHost:
    """A document server on 127.0.0.1 that counts the connections it accepts and can hang
    up after each answer while announcing keep-alive (a host closing idle connections)."""

    def __init__(self, document: bytes, *, hang_up: bool) -> None:
        self.connections = 0
        self.requests = 0
        self._document, self._hang_up = document, hang_up
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as reader:
            while reader.readline().startswith(b"GET "):
                while reader.readline() not in (b"\r\n", b""):
                    pass
                self.requests += 1
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(self._document)}\r\n\r\n"
                connection.sendall(head.encode() + self._document)
                if self._hang_up:
                    return

    def close(self) -> None:
        self._listener.close()


@pytest.mark.parametrize("hang_up", [False, True], ids=["kept-alive", "host-hangs-up"])
def test_url_jobs_share_kept_alive_connections_to_the_document_host(
    client: httpx.Client, invoice_pdf: bytes, hang_up: bool
) -> None:
    # URL jobs one after another reuse one connection to the document's host; a host that
    # closed the kept-alive connection meanwhile is asked again on a new one, and the job
    # is not failed for it.
    host = _DocumentHost(invoice_pdf, hang_up=hang_up)
    try:
        results = []
        for number in range(4):
            body = {"url": f"{host.url}/doc-{number}.pdf"}
            job_id = conform(client.post("/ocr/uploads/url", json=body))["job_id"]
            results.append(wait_result(client, job_id))
    finally:
        host.close()
    assert [result["status"] for result in results] == ["completed"] * 4
    assert [page["result"] for page in results[-1]["pages"]] == INVOICE_PAGES
    assert host.requests == 4
    assert host.connections == (4 if hang_up else 1)
