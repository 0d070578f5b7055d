"""Keys and hosts: where the API key may go (the API host, over TLS) and where it never
shows up (reprs, logs, errors, tracebacks, upload URLs, other hosts).

Also the emulator's own key check and its 401 body, so that the tests above would notice
a client that sends no key or the wrong one.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import logging
import shutil
import ssl
import subprocess
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from leapocr_sdk import (
    APIConnectionError,
    APIError,
    AsyncLeapOCR,
    AuthenticationError,
    ConfigurationError,
    LeapOCR,
    LeapOCRError,
    UploadError,
)
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.conftest import API_KEY
from tests.openapi_checks import check_response_body
from tests.reliability.conftest import DocumentServer, free_port

JOB = "123e4567-e89b-12d3-a456-426614174000"
WRONG_KEY = "sk-wrong-0123456789-secret"


def assert_no_key(text: str, *keys: str) -> None:
    for key in (API_KEY, *keys):
        assert key not in text, f"the API key leaked into: {text[:300]!r}"


def everything_about(exc: BaseException) -> str:
    """Every way an error is shown: message, repr, attributes, notes, the formatted
    traceback with its chain, and the traceback with every frame's local variables."""
    parts = [
        str(exc),
        repr(exc),
        repr(vars(exc)),
        "".join(traceback.format_exception(exc)),
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format()),
    ]
    return "\n".join(parts)


# --- reprs ------------------------------------------------------------------------------------


def test_key_not_in_repr_or_str_of_clients(make_client: Callable[..., Any]) -> None:
    client = make_client(base_url="https://api.leapocr.com/api/v1")
    inner = getattr(client, "client", None) or client._client  # the client under the bridge
    for text in (repr(client), str(inner), repr(inner), f"{inner!r}", repr(vars(inner))):
        assert_no_key(text)
    assert "api.leapocr.com" in repr(client)


def test_key_from_the_environment_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEAPOCR_API_KEY", API_KEY)
    with LeapOCR() as client:
        assert_no_key(repr(client) + repr(vars(client)))


# --- logs ---------------------------------------------------------------------------------------


def test_key_not_in_debug_logs(
    emulator: LeapOCREmulator, make_client: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A full life cycle at DEBUG on every logger (the SDK's, httpx's, httpcore's, the
    emulator's): upload with a retried part, wait, status, models, delete, and errors."""
    caplog.set_level(logging.DEBUG)
    client = make_client(base_url=emulator.base_url, timeout=2.0)
    data = make_pdf(["logged page 1", "logged page 2"])
    emulator.faults.fail("upload_part", 503)
    emulator.faults.fail("status", 500)
    job = client.process_file(data)
    emulator.wait_for_job(job.job_id)
    assert [p.text for p in client.wait_until_done(job.job_id).pages] == [
        "logged page 1",
        "logged page 2",
    ]
    client.get_status(job.job_id)
    client.list_models()
    client.delete_job(job.job_id)
    with pytest.raises(APIError):
        client.delete_job(job.job_id)  # 404: already deleted
    with pytest.raises(AuthenticationError):
        make_client(base_url=emulator.base_url, api_key=WRONG_KEY).list_models()
    assert len(caplog.records) > 20, "expected DEBUG records from the SDK and httpx"
    assert any(r.name == "leapocr_sdk" and "retry" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert_no_key(record.getMessage() + repr(record.args) + repr(record.__dict__), WRONG_KEY)
    assert_no_key(caplog.text, WRONG_KEY)


# --- errors and tracebacks ---------------------------------------------------------------------

ErrorMaker = Callable[[LeapOCREmulator, Callable[..., Any], DocumentServer], None]


def _auth(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    build(api_key=WRONG_KEY).get_status(JOB)


def _server_error(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    emu.faults.fail("models", 500, count=2)
    build(max_retries=1).list_models()


def _rate_limit(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    emu.faults.fail("models", 429, count=2, headers={"Retry-After": "1"})
    build(max_retries=1).list_models()


def _upload(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    emu.faults.issue_expired_urls = True
    build().process_file(make_pdf(["x"]))


def _connection(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    build(base_url=f"http://127.0.0.1:{free_port()}/api/v1", max_retries=1).list_models()


def _timeout(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    emu.faults.slow("submit_url", 2.0)
    build(timeout=0.3).process_url(docs.add("t.pdf", make_pdf(["t"])))


def _unexpected(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    emu.faults.malformed("models", kind="non_json")
    build().list_models()


def _not_found(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    build().get_status(JOB)


def _job_failed(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    client = build()
    job = client.process_file(b"%PDF-1.7 broken", file_name="x.pdf")
    emu.wait_for_job(job.job_id)
    client.wait_until_done(job.job_id)


def _wait_timeout(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    client = build()
    job = client.process_file(make_pdf(["slow"]))
    emu.faults.override_status(job.job_id, "processing")
    client.wait_until_done(job.job_id, poll_interval=0.01, timeout=0.05)


def _configuration(emu: LeapOCREmulator, build: Callable[..., Any], docs: DocumentServer) -> None:
    build(base_url="http://api.leapocr.com/api/v1")


ERRORS: dict[str, ErrorMaker] = {
    "AuthenticationError": _auth,
    "ServerError": _server_error,
    "RateLimitError": _rate_limit,
    "UploadError": _upload,
    "APIConnectionError": _connection,
    "APITimeoutError": _timeout,
    "UnexpectedResponseError": _unexpected,
    "NotFoundError": _not_found,
    "JobFailedError": _job_failed,
    "WaitTimeoutError": _wait_timeout,
    "ConfigurationError": _configuration,
}


@pytest.mark.parametrize("expected", list(ERRORS))
def test_key_not_in_errors_or_tracebacks(
    expected: str,
    emulator: LeapOCREmulator,
    make_client: Callable[..., Any],
    doc_server: DocumentServer,
) -> None:
    base_url = emulator.base_url

    def build(**kwargs: Any) -> Any:
        kwargs.setdefault("base_url", base_url)
        kwargs.setdefault("timeout", 2.0)
        return make_client(**kwargs)

    with pytest.raises(LeapOCRError) as caught:
        ERRORS[expected](emulator, build, doc_server)
    assert type(caught.value).__name__ == expected
    text = everything_about(caught.value)  # with locals: no repr may fail
    if expected == "ConfigurationError":
        # Raised inside the constructor: the frames that received ``api_key`` as an argument
        # hold it as a local, like any argument; the message, repr and the plain traceback
        # must still be clean (and formatting with locals must work on a half-built client).
        assert "LeapOCR(base_url=None)" in text
        text = "\n".join(
            [
                str(caught.value),
                repr(caught.value),
                "".join(traceback.format_exception(caught.value)),
            ]
        )
    assert_no_key(text, WRONG_KEY)


# --- where the key goes ------------------------------------------------------------------------


def test_key_never_sent_to_upload_urls(
    emulator: LeapOCREmulator, make_client: Callable[..., Any]
) -> None:
    """Also when the caller's own http_client carries the key in its default headers."""
    for client in (
        make_client(base_url=emulator.base_url),
        make_client(base_url=emulator.base_url, upload_concurrency=2),
    ):
        data = make_pdf(["upload without key"])
        job = client.process_file(data)
        assert emulator.wait_for_job(job.job_id).file_bytes == data
    with (
        httpx.Client(headers={"X-API-Key": API_KEY}) as own,
        LeapOCR(api_key=API_KEY, base_url=emulator.base_url, http_client=own) as client,
    ):
        client.process_file(make_pdf(["the caller's client"]))
    puts = [r for r in emulator.requests if r.route == "upload_part"]
    assert len(puts) == 3 and all(r.status == 200 for r in puts)
    assert all("x-api-key" not in r.headers for r in puts)
    assert all(API_KEY not in json.dumps(r.headers) for r in puts)
    assert emulator.key_leaks == 0
    api_calls = [r for r in emulator.requests if r.route != "upload_part"]
    assert api_calls and all(r.headers.get("x-api-key") == API_KEY for r in api_calls)


def _redirect(api: Any, path: str, method: str, target: str, status: int = 302) -> None:
    api.expect_request(path, method=method).respond_with_data(
        "", status=status, headers={"Location": target}
    )


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_are_not_followed_to_another_host(
    status: int,
    api: Any,
    base_url: str,
    make_client: Callable[..., Any],
    doc_server: DocumentServer,
    flavor: str,
) -> None:
    other = doc_server.origin
    _redirect(api, f"/api/v1/ocr/status/{JOB}", "GET", f"{other}/api/v1/ocr/status/{JOB}", status)
    _redirect(api, "/api/v1/ocr/uploads/url", "POST", f"{other}/steal", status)
    client = make_client(base_url=base_url)
    with pytest.raises(APIError) as caught:
        client.get_status(JOB)
    assert caught.value.status_code == status
    with pytest.raises(APIError):
        client.process_url("https://example.com/a.pdf")
    # A caller's own client that follows redirects does not follow them for the SDK.
    own: Any = httpx.Client(follow_redirects=True) if flavor == "sync" else None
    if own is not None:
        with (
            own,
            LeapOCR(api_key=API_KEY, base_url=base_url, http_client=own) as mine,
            pytest.raises(APIError),
        ):
            mine.get_status(JOB)
    assert doc_server.received == [], "the other host got a request"


def test_redirects_not_followed_by_a_callers_async_client(
    api: Any, base_url: str, doc_server: DocumentServer
) -> None:
    _redirect(api, "/api/v1/ocr/models", "GET", f"{doc_server.origin}/api/v1/ocr/models")

    async def scenario() -> None:
        async with (
            httpx.AsyncClient(follow_redirects=True) as own,
            AsyncLeapOCR(api_key=API_KEY, base_url=base_url, http_client=own) as client,
        ):
            await client.list_models()

    with pytest.raises(APIError) as caught:
        asyncio.run(scenario())
    assert caught.value.status_code == 302
    assert doc_server.received == []


def test_upload_url_redirect_is_not_followed(
    api: Any, base_url: str, make_client: Callable[..., Any], doc_server: DocumentServer
) -> None:
    """An upload URL answering 307 to another host: not followed, UploadError for part 1."""
    storage = DocumentServer()
    try:
        storage.redirects["/up/1"] = (307, f"{doc_server.origin}/steal")
        upload_url = f"{storage.origin}/up/1?X-Signature=abc"
        part = {"part_number": 1, "start_byte": 0, "end_byte": 9, "upload_url": upload_url}
        api.expect_request("/api/v1/ocr/uploads/direct", method="POST").respond_with_json(
            {"job_id": JOB, "parts": [part]}
        )
        api.expect_request(f"/api/v1/ocr/delete/{JOB}", method="DELETE").respond_with_json({})
        with pytest.raises(UploadError) as caught:
            make_client(base_url=base_url).process_file(b"%PDF-1.7xx")  # ten bytes, one part
    finally:
        storage.stop()
    assert caught.value.part_number == 1 and caught.value.status_code == 307
    assert [method for method, _, _ in storage.received] == ["PUT"]
    assert "x-api-key" not in storage.received[0][2]
    assert doc_server.received == []


def test_plain_http_upload_url_to_a_remote_host_is_refused(
    api: Any, base_url: str, make_client: Callable[..., Any]
) -> None:
    api.expect_request("/api/v1/ocr/uploads/direct", method="POST").respond_with_json(
        {
            "job_id": JOB,
            "parts": [
                {
                    "part_number": 1,
                    "start_byte": 0,
                    "end_byte": 9,
                    "upload_url": "http://storage.example.com/u/1",
                }
            ],
        }
    )
    api.expect_request(f"/api/v1/ocr/delete/{JOB}", method="DELETE").respond_with_json({})
    with pytest.raises(UploadError, match=r"plain http to storage\.example\.com: refused"):
        make_client(base_url=base_url).process_file(b"%PDF-1.7xx")  # ten bytes, one part
    assert [r.path for r, _ in api.log] == [
        "/api/v1/ocr/uploads/direct",
        f"/api/v1/ocr/delete/{JOB}",
    ]


# --- plain http and TLS --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://api.leapocr.com/api/v1",
        "http://10.1.2.3:8080/api/v1",
        "http://192.168.0.10/api/v1",
        "http://0.0.0.0:8080/api/v1",
        "http://localhost.evil.example/api/v1",
        "http://127.0.0.1.nip.io/api/v1",
        "HTTP://API.LEAPOCR.COM/api/v1",
    ],
)
def test_plain_http_to_a_remote_host_needs_explicit_consent(
    url: str, make_client: Callable[..., Any]
) -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http=True"):
        make_client(base_url=url)
    assert make_client(base_url=url, allow_insecure_http=True).base_url == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/api/v1",
        "http://localhost/api/v1",
        "http://[::1]:9/api/v1",
        "http://127.5.6.7/api/v1",
        "http://api.localhost/api/v1",
    ],
)
def test_plain_http_to_loopback_is_allowed(url: str, make_client: Callable[..., Any]) -> None:
    assert make_client(base_url=url).base_url == url


def _ssl_context(client: httpx.Client | httpx.AsyncClient) -> ssl.SSLContext:
    transport: Any = client._transport  # httpx 0.28: HTTP(S)Transport -> httpcore pool
    context = transport._pool._ssl_context
    assert isinstance(context, ssl.SSLContext)
    return context


def test_tls_verification_is_on_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEAPOCR_BASE_URL", raising=False)
    with LeapOCR(api_key=API_KEY) as client:
        assert client.base_url.startswith("https://")
        for http in (client._http, client._uploads()):
            context = _ssl_context(http)
            assert context.verify_mode is ssl.CERT_REQUIRED
            assert context.check_hostname is True
            assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_tls_verification_is_on_by_default_async() -> None:
    async def contexts() -> list[ssl.SSLContext]:
        async with AsyncLeapOCR(api_key=API_KEY) as client:
            return [_ssl_context(client._http), _ssl_context(client._uploads())]

    for context in asyncio.run(contexts()):
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname is True


class _TLSServer:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate; records headers."""

    def __init__(self, directory: Path) -> None:
        self.cert, key = directory / "cert.pem", directory / "key.pem"
        subprocess.run(
            [
                str(shutil.which("openssl")),
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
                "-keyout",
                str(key),
                "-out",
                str(self.cert),
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        self.received: list[dict[str, str]] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner.received.append({k.lower(): v for k, v in self.headers.items()})
                body = json.dumps({"models": [{"name": "pro-v1", "credits_per_page": 3}]})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}/api/v1"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[_TLSServer]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    server = _TLSServer(tmp_path)
    yield server
    server.stop()


def test_an_untrusted_certificate_is_refused(
    tls_server: _TLSServer, make_client: Callable[..., Any]
) -> None:
    """A self-signed server: the handshake fails, so no request (and no key) reaches it."""
    client = make_client(base_url=tls_server.base_url, max_retries=0, timeout=5.0)
    with pytest.raises(APIConnectionError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify"):
        client.list_models()
    assert tls_server.received == []
    # The control: trusting that certificate explicitly makes the same call work.
    trusted = ssl.create_default_context(cafile=str(tls_server.cert))
    with (
        httpx.Client(verify=trusted) as own,
        LeapOCR(api_key=API_KEY, base_url=tls_server.base_url, http_client=own) as client,
    ):
        assert [m.name for m in client.list_models()] == ["pro-v1"]
    assert tls_server.received[0]["x-api-key"] == API_KEY


# --- the emulator's own key check ---------------------------------------------------------

OPERATIONS = [
    ("uploadFromRemoteURL", "POST", "/ocr/uploads/url", {"url": "https://example.com/a.pdf"}),
    (
        "directUpload",
        "POST",
        "/ocr/uploads/direct",
        {"file_name": "a.pdf", "content_type": "application/pdf", "file_size": 10},
    ),
    (
        "completeDirectUpload",
        "POST",
        f"/ocr/uploads/{JOB}/complete",
        {"parts": [{"part_number": 1, "etag": '"x"'}]},
    ),
    ("getJobStatus", "GET", f"/ocr/status/{JOB}", None),
    ("getJobResult", "GET", f"/ocr/result/{JOB}", None),
    ("deleteJob", "DELETE", f"/ocr/delete/{JOB}", None),
    ("listOCRModels", "GET", "/ocr/models", None),
]


@pytest.mark.parametrize(("operation", "method", "path", "body"), OPERATIONS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": WRONG_KEY},
        {"X-API-Key": ""},
        {"X-API-Key": API_KEY.upper()},
        {"Authorization": f"Bearer {API_KEY}"},
        {"X-API-Key": API_KEY[:-1] + "X"},
        {"X-API-Key": API_KEY + API_KEY},
    ],
    ids=["none", "wrong", "empty", "wrong-case", "bearer", "near-miss", "doubled"],
)
def test_emulator_refuses_a_missing_or_wrong_key_with_the_contract_401(
    operation: str,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    emulator: LeapOCREmulator,
) -> None:
    response = httpx.request(
        method, emulator.base_url + path, json=body, headers=headers, timeout=5.0
    )
    assert response.status_code == 401
    payload = response.json()
    assert payload == {
        "code": "AUTHENTICATION_ERROR",
        "error": {"message": "Missing or invalid API key"},
        "details": None,
    }
    check_response_body(operation, 401, payload)
    assert emulator.jobs == {}  # nothing happened


def test_emulator_accepts_the_key_under_any_header_case(emulator: LeapOCREmulator) -> None:
    for name in ("X-API-Key", "x-api-key", "X-API-KEY"):
        response = httpx.get(emulator.base_url + "/ocr/models", headers={name: API_KEY})
        assert response.status_code == 200, name


def test_emulator_counts_a_key_sent_to_an_upload_url(emulator: LeapOCREmulator) -> None:
    """The emulator's storage refuses (and counts) a PUT carrying the key: the leak
    detector the upload tests rely on."""
    headers = {"X-API-Key": API_KEY}
    ticket = httpx.post(
        emulator.base_url + "/ocr/uploads/direct",
        json={"file_name": "a.pdf", "content_type": "application/pdf", "file_size": 4},
        headers=headers,
    ).json()
    url = ticket["parts"][0]["upload_url"]
    leaked = httpx.put(url, content=b"%PDF", headers=headers)
    assert leaked.status_code == 400 and "must not receive an X-API-Key" in leaked.text
    assert emulator.key_leaks == 1
    clean = httpx.put(url, content=b"%PDF")
    assert clean.status_code == 200 and clean.headers["etag"].startswith('"')
    assert emulator.key_leaks == 1


def test_sdk_with_a_wrong_key_gets_authentication_error_once(
    emulator: LeapOCREmulator, make_client: Callable[..., Any]
) -> None:
    client = make_client(base_url=emulator.base_url, api_key=WRONG_KEY)
    with pytest.raises(AuthenticationError) as caught:
        client.list_models()
    error = caught.value
    assert (error.status_code, error.code) == (401, "AUTHENTICATION_ERROR")
    assert "Missing or invalid API key" in str(error)
    assert "check the API key passed to the client or in LEAPOCR_API_KEY" in str(error)
    assert emulator.count("models") == 1  # a 401 is never retried
    assert client.sleeps == []


def test_restarted_emulator_keeps_its_key_and_jobs(make_client: Callable[..., Any]) -> None:
    """The restart row of the faults matrix relies on this."""
    emu = LeapOCREmulator(api_key=API_KEY, port=free_port(), processing_seconds=0.01).start()
    try:
        client = make_client(base_url=emu.base_url)
        job = client.process_file(make_pdf(["kept"]))
        emu.wait_for_job(job.job_id)
        port = emu.port
        emu.stop()
        emu.start()
        assert emu.port == port
        assert [p.text for p in client.get_result(job.job_id).pages] == ["kept"]
    finally:
        emu.stop()
