"""URL jobs' downloads: redirects, encodings, broken-off bodies, limits and pooled connections."""

from __future__ import annotations

import base64
import gzip
import io
import os
import re
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from leapocr_sdk._contract import DEFAULT_MODEL, MODEL_CATALOGUE
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from leapocr_sdk.testing.downloads import MAX_REDIRECTS, DownloadError, Downloads
from leapocr_sdk.testing.submissions import IN_MEMORY_DOCUMENT
from tests.openapi_checks import conform

from .conftest import INVOICE_PAGES, wait_result


def _submit(client: httpx.Client, url: str) -> str:
    job_id: str = conform(client.post("/ocr/uploads/url", json={"url": url}))["job_id"]
    return job_id


def test_redirects_are_followed(
    client: httpx.Client, httpserver: HTTPServer, invoice_pdf: bytes
) -> None:
    httpserver.expect_request("/old.pdf").respond_with_data(
        "", status=301, headers={"Location": "/moved"}
    )
    httpserver.expect_request("/moved").respond_with_data(
        "see there", status=307, headers={"Location": httpserver.url_for("/files/new.pdf?v=2")}
    )
    httpserver.expect_request("/files/new.pdf", query_string="v=2").respond_with_data(invoice_pdf)
    result = wait_result(client, _submit(client, httpserver.url_for("/old.pdf")))
    assert result["status"] == "completed"
    assert [page["result"] for page in result["pages"]] == INVOICE_PAGES
    assert result["file_name"] == "old.pdf"  # named after the URL submitted


def test_endless_redirects_fail_the_job(client: httpx.Client, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )
    result = wait_result(client, _submit(client, httpserver.url_for("/loop")))
    assert result["status"] == "failed"
    assert f"more than {MAX_REDIRECTS} redirects" in result["error_message"]
    assert len(httpserver.log) == MAX_REDIRECTS + 1


def test_a_compressed_document_is_decoded(
    client: httpx.Client, httpserver: HTTPServer, invoice_pdf: bytes
) -> None:
    httpserver.expect_request("/doc.pdf").respond_with_data(
        gzip.compress(invoice_pdf), headers={"Content-Encoding": "gzip"}
    )
    job_id = _submit(client, httpserver.url_for("/doc.pdf"))
    result = wait_result(client, job_id)
    assert [page["result"] for page in result["pages"]] == INVOICE_PAGES


def test_credentials_in_the_url_are_sent_as_basic_auth(
    client: httpx.Client, httpserver: HTTPServer, invoice_pdf: bytes
) -> None:
    expected = "Basic " + base64.b64encode(b"reader:s3cret pass").decode()

    def answer(request: Request) -> Response:
        ok = request.headers.get("Authorization") == expected
        return Response(invoice_pdf if ok else b"who?", status=200 if ok else 401)

    httpserver.expect_request("/private.pdf").respond_with_handler(answer)
    url = httpserver.url_for("/private.pdf").replace("://", "://reader:s3cret%20pass@")
    assert wait_result(client, _submit(client, url))["status"] == "completed"


class _BrokenHost:
    """Announces more bytes than it sends, then hangs up."""

    def __init__(self, document: bytes) -> None:
        self._document = document
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/doc.pdf"

    def _serve(self) -> None:
        with self._listener:
            connection, _ = self._listener.accept()
        with connection, connection.makefile("rb") as reader:
            while reader.readline() not in (b"\r\n", b""):
                pass
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(self._document) * 2}\r\n\r\n"
            connection.sendall(head.encode() + self._document)


def test_a_body_broken_off_fails_the_job(client: httpx.Client, invoice_pdf: bytes) -> None:
    # The part that arrived is a whole PDF: read anyway, it would complete the job.
    host = _BrokenHost(invoice_pdf)
    result = wait_result(client, _submit(client, host.url))
    assert result["status"] == "failed"
    assert "closed mid-body" in result["error_message"]


def test_a_document_over_the_limit_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big.pdf").respond_with_data(b"%PDF-" + b"x" * 200)
    downloads = Downloads()
    try:
        spool = io.BytesIO()
        with pytest.raises(DownloadError, match="larger than 100 bytes"):
            downloads.fetch(httpserver.url_for("/big.pdf"), spool, 100)
        spool = io.BytesIO()
        downloads.fetch(httpserver.url_for("/big.pdf"), spool, 205)
        assert spool.getvalue() == b"%PDF-" + b"x" * 200
    finally:
        downloads.close()


def test_stopping_closes_the_kept_alive_connections(invoice_pdf: bytes) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    hung_up = threading.Event()

    def serve() -> None:
        with listener:
            connection, _ = listener.accept()
        with connection, connection.makefile("rb") as reader:
            while reader.readline().startswith(b"GET "):
                while reader.readline() not in (b"\r\n", b""):
                    pass
                head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(invoice_pdf)}\r\n\r\n"
                connection.sendall(head.encode() + invoice_pdf)
        hung_up.set()  # the emulator closed its end

    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/doc.pdf"
    emulator = LeapOCREmulator(processing_seconds=0).start()
    try:
        with httpx.Client(base_url=emulator.base_url, headers={"X-API-Key": "test-key"}) as http:
            assert wait_result(http, _submit(http, url))["status"] == "completed"
        time.sleep(0.1)
        assert not hung_up.is_set()  # kept alive for the next document
    finally:
        emulator.stop()
    assert hung_up.wait(5)


class _ChangingHost:
    """Answers every GET with ``documents[path]``, which a test may change meanwhile."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.documents: dict[str, bytes] = {}
        httpserver.expect_request(re.compile("/.*")).respond_with_handler(self._answer)
        self._server = httpserver

    def _answer(self, request: Request) -> Response:
        return Response(self.documents[request.path], content_type="application/pdf")

    def url(self, path: str) -> str:
        return self._server.url_for(path)


@pytest.mark.parametrize("keep_files", [True, False], ids=["kept", "not-kept"])
def test_each_url_job_reads_its_own_document(
    make_emu: Callable[..., LeapOCREmulator], httpserver: HTTPServer, keep_files: bool
) -> None:
    # Documents read are cached by their content's digest: different documents at
    # different URLs, the same document at two URLs, and a document changed at the same
    # URL each give the pages of what was downloaded.
    emu = make_emu(processing_seconds=0, keep_files=keep_files)
    host = _ChangingHost(httpserver)
    one, two = make_pdf(["first"]), make_pdf(["second A", "second B"])
    host.documents = {"/a.pdf": one, "/b.pdf": two, "/copy-of-a.pdf": one}

    sent: dict[str, bytes] = {}  # job id -> the document its URL answered

    def pages(path: str) -> list[str]:
        with httpx.Client(base_url=emu.base_url, headers={"X-API-Key": emu.api_key}) as http:
            job_id = _submit(http, host.url(path))
            sent[job_id] = host.documents[path]
            result = wait_result(http, job_id)
        assert result["status"] == "completed", result
        return [page["result"] for page in result["pages"]]

    assert pages("/a.pdf") == ["first"]
    assert pages("/b.pdf") == ["second A", "second B"]
    assert pages("/copy-of-a.pdf") == ["first"]
    host.documents["/a.pdf"] = make_pdf(["changed", "now two pages"])
    assert pages("/a.pdf") == ["changed", "now two pages"]
    price = next(m.credits_per_page for m in MODEL_CATALOGUE if m.name == DEFAULT_MODEL)
    for job_id, document in sent.items():
        job = emu.get_job(job_id)
        assert job.credits_used == job.total_pages * price
        assert job.file_size == len(document)
        assert job.file_bytes == (document if keep_files else None)


def test_a_large_document_not_kept_goes_through_a_file_that_is_removed(
    make_emu: Callable[..., LeapOCREmulator], httpserver: HTTPServer
) -> None:
    emu = make_emu(processing_seconds=0, keep_files=False)
    small = make_pdf(["small"])
    large = make_pdf(["large"], pad_to=IN_MEMORY_DOCUMENT + 1)
    httpserver.expect_request("/small.pdf").respond_with_data(small)
    httpserver.expect_request("/large.pdf").respond_with_data(large)
    with httpx.Client(base_url=emu.base_url, headers={"X-API-Key": emu.api_key}) as http:
        for name, document in (("small", small), ("large", large)):
            job_id = _submit(http, httpserver.url_for(f"/{name}.pdf"))
            result = wait_result(http, job_id)
            assert [page["result"] for page in result["pages"]] == [name]
            assert emu.get_job(job_id).file_size == len(document)
    directory = emu._store._directory
    assert directory is not None  # the large document made the store's directory
    assert os.listdir(directory) == []  # and its file was removed once read


class _FramingHost:
    """Sends the document framed one way (the test's), counting connections."""

    def __init__(self, document: bytes, framing: str) -> None:
        self.connections = 0
        self._document, self._framing = document, framing
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/{name}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        document = self._document
        with connection, connection.makefile("rb") as reader:
            while reader.readline().startswith(b"GET "):
                while reader.readline() not in (b"\r\n", b""):
                    pass
                if self._framing == "chunked":
                    half = len(document) // 2
                    chunks = b"".join(
                        b"%x;note=1\r\n%s\r\n" % (len(piece), piece)
                        for piece in (document[:half], document[half:])
                    )
                    head = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                    head += b"Transfer-Encoding: chunked\r\n\r\n"
                    connection.sendall(head + chunks + b"0\r\nX-Trailer: yes\r\n\r\n")
                elif self._framing == "content-length":
                    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(document)
                    connection.sendall(head + document)
                else:  # HTTP/1.0, the body runs to the close
                    connection.sendall(b"HTTP/1.0 200 OK\r\n\r\n" + document)
                    return

    def close(self) -> None:
        self._listener.close()


@pytest.mark.parametrize(
    ("framing", "connections"), [("content-length", 1), ("chunked", 1), ("until-close", 3)]
)
def test_every_body_framing_is_read(
    client: httpx.Client, invoice_pdf: bytes, framing: str, connections: int
) -> None:
    # Three documents one after another: a kept-alive connection serves them all, a host
    # that ends each body by closing the connection is connected to for each.
    host = _FramingHost(invoice_pdf, framing)
    try:
        for number in range(3):
            result = wait_result(client, _submit(client, host.url(f"doc-{number}.pdf")))
            assert [page["result"] for page in result["pages"]] == INVOICE_PAGES
    finally:
        host.close()
    assert host.connections == connections


def test_a_url_with_spaces_and_non_ascii_is_requested_percent_encoded(
    client: httpx.Client, httpserver: HTTPServer, invoice_pdf: bytes
) -> None:
    httpserver.expect_request("/files/Q4 résumé.pdf").respond_with_data(invoice_pdf)
    url = httpserver.url_for("/") + "files/Q4 résumé.pdf"
    result = wait_result(client, _submit(client, url))
    assert result["status"] == "completed" and result["file_name"] == "Q4 résumé.pdf"
    assert httpserver.log[-1][0].environ["RAW_URI"] == "/files/Q4%20r%C3%A9sum%C3%A9.pdf"


def test_a_redirect_status_without_location_is_the_document(
    client: httpx.Client, httpserver: HTTPServer, invoice_pdf: bytes
) -> None:
    httpserver.expect_request("/odd.pdf").respond_with_data(invoice_pdf, status=302)
    result = wait_result(client, _submit(client, httpserver.url_for("/odd.pdf")))
    assert [page["result"] for page in result["pages"]] == INVOICE_PAGES
    assert len(httpserver.log) == 1


def test_a_redirect_to_another_scheme_fails_the_job(
    client: httpx.Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/away").respond_with_data(
        "", status=302, headers={"Location": "ftp://127.0.0.1/doc.pdf"}
    )
    result = wait_result(client, _submit(client, httpserver.url_for("/away")))
    assert result["status"] == "failed" and "not an http(s) URL" in result["error_message"]
