"""Every public method of LeapOCR and AsyncLeapOCR against a local server, and the
client's configuration: API key and base URL sources, headers, lifecycle, a caller's own
httpx client, and how the Python keywords map onto the wire."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
from typing import Any

import httpx
import pytest

from leapocr_sdk import (
    AsyncLeapOCR,
    ConfigurationError,
    Job,
    JobResult,
    JobStatus,
    JobStatusInfo,
    LeapOCR,
    Model,
    ModelInfo,
    OutputFormat,
    estimate_credits,
)
from tests.conftest import API_KEY
from tests.sdk.helpers import (
    API,
    JOB,
    Script,
    api_log,
    json_response,
    pdf_bytes,
    serve_upload,
    service_result,
    service_result_status,
    service_status,
    split,
)

SCHEMA = {"type": "object", "properties": {"total": {"type": "number"}}}
MODELS_BODY: dict[str, Any] = {
    "models": [
        {
            "name": "standard-v1",
            "display_name": "Standard v1",
            "description": "Baseline model, handles all cases",
            "credits_per_page": 1,
            "surcharge_per_page": 0,
            "priority": 1,
        },
        {
            "name": "pro-v1",
            "display_name": "Pro v1",
            "description": "Highest quality, handles all cases",
            "credits_per_page": 3,
            "priority": 3,
        },
        {"name": "acme-custom-v2", "credits_per_page": 5},
    ],
    "count": 3,
}


def body_of(request: Any) -> Any:
    return json.loads(request.get_data())


# --- submission by URL: keyword mapping on the wire -----------------------------------


@pytest.mark.parametrize(
    ("kwargs", "wire"),
    [
        # Without a template, format and model are always sent (docs/wire.md, "What the SDK sends").
        pytest.param({}, {"format": "markdown", "model": "standard-v2"}, id="no-options"),
        pytest.param(
            {"output_type": OutputFormat.MARKDOWN, "model": Model.PRO_V1},
            {"format": "markdown", "model": "pro-v1"},
            id="markdown-enum-model",
        ),
        pytest.param(
            {"output_type": "structured", "schema": SCHEMA, "model": Model.ENGLISH_PRO_V1},
            {"format": "structured", "schema": SCHEMA, "model": "english-pro-v1"},
            id="structured-schema",
        ),
        pytest.param(
            {"instruction": "Extract invoice details", "model": "acme-custom-v2"},
            {
                "format": "markdown",
                "instructions": "Extract invoice details",
                "model": "acme-custom-v2",
            },
            id="instruction-custom-model",
        ),
        pytest.param(
            {"template_slug": "invoice-template"},
            {"template_slug": "invoice-template"},
            id="template-slug",
        ),
        pytest.param(
            {"schema": SCHEMA},
            {"format": "structured", "schema": SCHEMA, "model": "standard-v2"},
            id="schema-alone-means-structured",
        ),
        pytest.param(
            {"schema": SCHEMA, "instruction": "Totals in EUR"},
            {
                "format": "structured",
                "schema": SCHEMA,
                "instructions": "Totals in EUR",
                "model": "standard-v2",
            },
            id="schema-with-instruction",
        ),
        pytest.param(
            {"model": Model.PRO_V2, "extract_bounding_boxes": True, "save_as_template": True},
            {
                "format": "markdown",
                "model": "pro-v2",
                "extract_bounding_boxes": True,
                "save_as_template": True,
            },
            id="bounding-boxes-and-save-as-template",
        ),
        pytest.param(
            {"template_slug": "invoice-template", "extract_bounding_boxes": True},
            {"template_slug": "invoice-template", "extract_bounding_boxes": True},
            id="template-with-bounding-boxes",
        ),
        pytest.param(
            {"file_name": "march-invoice.pdf"},
            {"file_name": "march-invoice.pdf", "format": "markdown", "model": "standard-v2"},
            id="file-name",
        ),
        pytest.param(
            {"extract_bounding_boxes": False, "save_as_template": False},
            {"format": "markdown", "model": "standard-v2"},
            id="false-flags-not-sent",
        ),
        pytest.param(
            {"model": Model.STANDARD_V1, "instruction": "x" * 100},
            {"format": "markdown", "model": "standard-v1", "instructions": "x" * 100},
            id="instruction-at-limit",
        ),
    ],
)
def test_process_url_maps_keywords_onto_the_wire(api, base_url, make_client, kwargs, wire):
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_json(
        {"job_id": JOB, "status": "pending", "source_url": "https://example.com/a.pdf"}
    )
    client = make_client(base_url=base_url)

    job = client.process_url("https://example.com/a.pdf", **kwargs)

    assert job == Job(job_id=JOB, status=JobStatus.PENDING)
    (request,) = api_log(api)
    # Exactly these keys: nothing under the Python names, no nulls for unset options.
    assert body_of(request) == {"url": "https://example.com/a.pdf", **wire}
    assert request.headers["X-API-Key"] == API_KEY
    assert request.headers["Content-Type"] == "application/json"


def test_process_url_reference_answer_without_status(api, base_url, make_client):
    # The reference shows {"job_id": ...} alone as the answer.
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_json({"job_id": JOB})
    job = make_client(base_url=base_url).process_url("http://example.com/doc.pdf?x=1")
    assert job.job_id == JOB
    assert job.status is JobStatus.PENDING
    assert body_of(api_log(api)[0]) == {
        "url": "http://example.com/doc.pdf?x=1",
        "format": "markdown",
        "model": "standard-v2",
    }


# --- submission of a local file -------------------------------------------------------

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def serve_single_part_upload(api, *, reference_ticket: bool = False) -> None:
    """Initiate answers one part on this server; the PUT answers an ETag; complete answers."""
    part: dict[str, Any] = {
        "part_number": 1,
        "upload_url": api.url_for("/storage/doc?partNumber=1&X-Amz-Signature=abc"),
    }

    def initiate(request):
        size = body_of(request)["file_size"]
        if not reference_ticket:
            part.update(start_byte=0, end_byte=size - 1)
        ticket: dict[str, Any] = {"job_id": JOB, "upload_id": "upload_xyz789", "parts": [part]}
        if not reference_ticket:
            ticket.update(upload_type="multipart", total_chunks=1, chunk_size=5242880)
        return json_response(ticket)

    api.expect_request(f"{API}/ocr/uploads/direct", method="POST").respond_with_handler(initiate)
    api.expect_request("/storage/doc", method="PUT").respond_with_data(
        "", headers={"ETag": '"9bb58f26192e4ba00f01e2e7b136bbd8"'}
    )
    api.expect_request(f"{API}/ocr/uploads/{JOB}/complete", method="POST").respond_with_json(
        {"job_id": JOB, "status": "pending", "message": "Upload completed, processing started"}
    )


def check_single_part_upload(api, data: bytes, file_name: str) -> dict[str, Any]:
    initiate, put, complete = (
        api_log(api, "POST", f"{API}/ocr/uploads/direct"),
        api_log(api, "PUT", "/storage/doc"),
        api_log(api, "POST", f"{API}/ocr/uploads/{JOB}/complete"),
    )
    assert len(initiate) == len(put) == len(complete) == 1
    assert [r.method for r, _ in api.log] == ["POST", "PUT", "POST"]
    wire = body_of(initiate[0])
    assert wire["file_name"] == file_name
    assert wire["file_size"] == len(data)
    assert wire["content_type"] == "application/pdf"
    assert put[0].get_data() == data
    assert put[0].args["X-Amz-Signature"] == "abc"  # the presigned query string kept as issued
    assert "X-API-Key" not in put[0].headers
    assert body_of(complete[0]) == {
        "parts": [{"part_number": 1, "etag": '"9bb58f26192e4ba00f01e2e7b136bbd8"'}]
    }
    return dict(wire)


def test_process_file_from_path(api, base_url, make_client, tmp_path):
    path = tmp_path / "invoice-2024.pdf"
    path.write_bytes(PDF)
    serve_single_part_upload(api)
    client = make_client(base_url=base_url)

    job = client.process_file(path, output_type=OutputFormat.MARKDOWN, model=Model.PRO_V1)

    assert job == Job(job_id=JOB, status=JobStatus.PENDING)
    wire = check_single_part_upload(api, PDF, "invoice-2024.pdf")
    assert wire["format"] == "markdown"
    assert wire["model"] == "pro-v1"


def test_process_file_from_str_path_with_file_name(api, base_url, make_client, tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(PDF)
    serve_single_part_upload(api)
    job = make_client(base_url=base_url).process_file(
        str(path), file_name="renamed.pdf", template_slug="invoice-template"
    )
    assert job.job_id == JOB
    wire = check_single_part_upload(api, PDF, "renamed.pdf")
    assert wire["template_slug"] == "invoice-template"
    assert "instructions" not in wire and "schema" not in wire


def test_process_file_from_bytes(api, base_url, make_client):
    serve_single_part_upload(api)
    job = make_client(base_url=base_url).process_file(
        PDF, output_type="structured", schema=SCHEMA, model="acme-custom-v2"
    )
    assert job.job_id == JOB
    wire = check_single_part_upload(api, PDF, "document.pdf")
    assert (wire["format"], wire["schema"], wire["model"]) == (
        "structured",
        SCHEMA,
        "acme-custom-v2",
    )


def test_process_file_from_binary_file_object(api, base_url, make_client, tmp_path):
    path = tmp_path / "statement.pdf"
    path.write_bytes(PDF)
    serve_single_part_upload(api)
    with path.open("rb") as handle:
        job = make_client(base_url=base_url).process_file(handle, instruction="Totals only")
        assert not handle.closed, "the caller's file object was closed by the SDK"
    assert job.job_id == JOB
    wire = check_single_part_upload(api, PDF, "statement.pdf")
    assert wire["instructions"] == "Totals only"


def test_process_file_from_bytesio_starts_at_current_position(api, base_url, make_client):
    stream = io.BytesIO(b"JUNK" + PDF)
    stream.seek(4)
    serve_single_part_upload(api)
    make_client(base_url=base_url).process_file(stream)
    check_single_part_upload(api, PDF, "document.pdf")


class NonSeekable(io.RawIOBase):
    """A pipe-like binary stream: read only, no seek, no tell, no length."""

    def __init__(self, data: bytes, chunk: int = 1000) -> None:
        self._data = data
        self._pos = 0
        self._chunk = chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self._chunk, len(self._data) - self._pos)
        buffer[:size] = self._data[self._pos : self._pos + size]
        self._pos += size
        return size


def test_process_file_from_non_seekable_stream(api, base_url, make_client):
    serve_single_part_upload(api)
    job = make_client(base_url=base_url).process_file(NonSeekable(PDF), file_name="piped.pdf")
    assert job.job_id == JOB
    check_single_part_upload(api, PDF, "piped.pdf")


def test_process_file_from_a_real_pipe(api, base_url, make_client):
    read_fd, write_fd = os.pipe()
    os.write(write_fd, PDF)  # small enough for the pipe buffer
    os.close(write_fd)
    serve_single_part_upload(api)
    with open(read_fd, "rb", buffering=0) as pipe:
        job = make_client(base_url=base_url).process_file(pipe)
    assert job.job_id == JOB
    check_single_part_upload(api, PDF, "document.pdf")


def test_process_file_reference_ticket_without_byte_ranges(api, base_url, make_client):
    # The upload guide's initiate answer: one part, no start_byte/end_byte.
    serve_single_part_upload(api, reference_ticket=True)
    job = make_client(base_url=base_url).process_file(PDF)
    assert job.job_id == JOB
    check_single_part_upload(api, PDF, "document.pdf")


# --- status, result, wait, delete, models ----------------------------------------------


def test_get_status(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/status/{JOB}", method="GET").respond_with_json(
        service_status("processing", processed=3, total=12)
    )
    info = make_client(base_url=base_url).get_status(JOB)
    assert info == JobStatusInfo(
        job_id=JOB,
        status=JobStatus.PROCESSING,
        progress=0.25,
        processed_pages=3,
        total_pages=12,
        error_message=None,
        file_name="invoice.pdf",
    )
    (request,) = api_log(api)
    assert request.headers["X-API-Key"] == API_KEY
    assert request.get_data() == b""


def test_get_result(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}", method="GET").respond_with_json(
        service_result([(1, "# Invoice"), (2, "Total: 12")], credits_used=2)
    )
    result = make_client(base_url=base_url).get_result(JOB)
    assert isinstance(result, JobResult)
    assert result.job_id == JOB
    assert result.status is JobStatus.COMPLETED
    assert [(p.page_number, p.text) for p in result.pages] == [(1, "# Invoice"), (2, "Total: 12")]
    assert result.markdown == "# Invoice\n\nTotal: 12"
    assert result.credits_used == 2
    (request,) = api_log(api)
    assert request.args["page"] == "1"
    assert 1 <= int(request.args["limit"]) <= 1000


def test_wait_until_done(api, base_url, make_client):
    polls = iter(
        [
            json_response(service_result_status("pending"), 202),
            json_response(
                service_result_status("processing", processed_pages=1, total_pages=2), 202
            ),
            json_response(service_result([(1, "one"), (2, "two")])),
        ]
    )
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(lambda _r: next(polls))
    seen: list[JobStatusInfo] = []
    client = make_client(base_url=base_url)

    result = client.wait_until_done(JOB, poll_interval=0.5, timeout=30, on_progress=seen.append)

    assert [p.text for p in result.pages] == ["one", "two"]
    assert [(i.status, i.progress) for i in seen] == [
        (JobStatus.PENDING, 0.0),
        (JobStatus.PROCESSING, 0.5),
        (JobStatus.COMPLETED, 1.0),
    ]
    assert client.sleeps[0] == 0.5 and len(client.sleeps) == 2


def test_delete_job_uses_the_delete_endpoint(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_json(
        {"id": JOB, "status": "completed", "deleted_at": "2025-01-01T00:00:00Z"}
    )
    assert make_client(base_url=base_url).delete_job(JOB) is None
    (request,) = api_log(api)
    assert (request.method, request.path) == ("DELETE", f"{API}/ocr/delete/{JOB}")
    assert request.headers["X-API-Key"] == API_KEY


def test_delete_job_reference_answer(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_json(
        {"message": "Job deleted successfully"}
    )
    assert make_client(base_url=base_url).delete_job(JOB) is None
    assert len(api_log(api, "DELETE", f"{API}/ocr/delete/{JOB}")) == 1


def test_list_models(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/models", method="GET").respond_with_json(MODELS_BODY)
    models = make_client(base_url=base_url).list_models()
    assert models == [
        ModelInfo("standard-v1", "Standard v1", 1, "Baseline model, handles all cases"),
        ModelInfo("pro-v1", "Pro v1", 3, "Highest quality, handles all cases"),
        ModelInfo("acme-custom-v2", "acme-custom-v2", 5, ""),
    ]
    (request,) = api_log(api)
    assert request.headers["X-API-Key"] == API_KEY


def test_list_models_bare_list(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/models").respond_with_json(MODELS_BODY["models"][:1])
    (model,) = make_client(base_url=base_url).list_models()
    assert (model.name, model.credits_per_page) == ("standard-v1", 1)


# --- configuration -----------------------------------------------------------------------


def test_api_key_from_environment(api, base_url, make_client, monkeypatch):
    monkeypatch.setenv("LEAPOCR_API_KEY", "sk-from-env-42\n")  # as read from a file
    api.expect_request(f"{API}/ocr/models").respond_with_json(MODELS_BODY)
    make_client(api_key=None, base_url=base_url).list_models()
    assert api_log(api)[0].headers["X-API-Key"] == "sk-from-env-42"


def test_explicit_api_key_beats_environment(api, base_url, make_client, monkeypatch):
    monkeypatch.setenv("LEAPOCR_API_KEY", "sk-from-env-42")
    api.expect_request(f"{API}/ocr/models").respond_with_json(MODELS_BODY)
    make_client(base_url=base_url).list_models()
    assert api_log(api)[0].headers["X-API-Key"] == API_KEY


@pytest.mark.parametrize("env_key", [None, "", "   "])
def test_no_api_key_is_a_configuration_error(make_client, monkeypatch, env_key):
    if env_key is None:
        monkeypatch.delenv("LEAPOCR_API_KEY", raising=False)
    else:
        monkeypatch.setenv("LEAPOCR_API_KEY", env_key)
    with pytest.raises(ConfigurationError, match="LEAPOCR_API_KEY"):
        make_client(api_key=None)


def test_base_url_from_environment(api, base_url, make_client, monkeypatch):
    monkeypatch.setenv("LEAPOCR_BASE_URL", base_url + "/")
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(service_status("pending"))
    client = make_client()
    assert client.base_url == base_url
    assert client.get_status(JOB).status is JobStatus.PENDING
    assert api_log(api)[0].path == f"{API}/ocr/status/{JOB}"


def test_explicit_base_url_beats_environment(api, base_url, make_client, monkeypatch):
    monkeypatch.setenv("LEAPOCR_BASE_URL", "https://elsewhere.invalid/api/v1")
    api.expect_request(f"{API}/ocr/models").respond_with_json(MODELS_BODY)
    client = make_client(base_url=base_url)
    assert client.base_url == base_url
    assert len(client.list_models()) == 3


def test_default_base_url(make_client, monkeypatch):
    monkeypatch.delenv("LEAPOCR_BASE_URL", raising=False)
    assert make_client().base_url == "https://api.leapocr.com/api/v1"


@pytest.mark.parametrize(
    "bad", ["ftp://api.example.com", "api.leapocr.com/api/v1", "http://api.example.com/api/v1"]
)
def test_bad_base_url_is_a_configuration_error(make_client, bad):
    # Plain http to a remote host would send the key in clear text.
    with pytest.raises(ConfigurationError):
        make_client(base_url=bad)


@pytest.mark.parametrize(
    ("option", "value"),
    [("max_retries", -1), ("timeout", 0), ("timeout", float("nan")), ("upload_concurrency", 0)],
)
def test_bad_options_are_configuration_errors(make_client, option, value):
    with pytest.raises(ConfigurationError, match=option):
        make_client(**{option: value})


def test_repr_and_logs_never_show_the_key(api, base_url, make_client, caplog):
    caplog.set_level(logging.DEBUG, logger="leapocr_sdk")
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_handler(
        Script(json_response({}, 503), json_response(service_status("completed")))
    )
    client = make_client(base_url=base_url)
    assert client.get_status(JOB).status is JobStatus.COMPLETED
    assert API_KEY not in repr(client)
    assert "LeapOCR" in repr(client)
    assert caplog.records, "expected debug logs of the retry"
    assert API_KEY not in caplog.text


# --- lifecycle ----------------------------------------------------------------------------


def test_context_manager_closes_and_closed_client_refuses(flavor, api, base_url):
    api.expect_request(f"{API}/ocr/models").respond_with_json(MODELS_BODY)
    calls = [
        ("list_models", ()),
        ("get_status", (JOB,)),
        ("get_result", (JOB,)),
        ("wait_until_done", (JOB,)),
        ("delete_job", (JOB,)),
        ("process_url", ("https://example.com/a.pdf",)),
        ("process_file", (PDF,)),
    ]
    refused: list[str] = []
    if flavor == "sync":
        with LeapOCR(api_key=API_KEY, base_url=base_url) as client:
            assert len(client.list_models()) == 3
        for name, args in calls:
            with pytest.raises(ConfigurationError, match="closed") as info:
                getattr(client, name)(*args)
            refused.append(str(info.value))
        client.close()  # closing twice is harmless
        with pytest.raises(ConfigurationError, match="closed"), client:
            pass
    else:

        async def scenario() -> None:
            async with AsyncLeapOCR(api_key=API_KEY, base_url=base_url) as client:
                assert len(await client.list_models()) == 3
            for name, args in calls:
                with pytest.raises(ConfigurationError, match="closed") as info:
                    await getattr(client, name)(*args)
                refused.append(str(info.value))
            await client.aclose()
            with pytest.raises(ConfigurationError, match="closed"):
                async with client:
                    pass

        asyncio.run(scenario())
    assert len(refused) == len(calls)
    assert len(api.log) == 1, "a closed client sent a request"


def test_close_and_aclose(flavor, api, base_url):
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(service_status("pending"))
    if flavor == "sync":
        client = LeapOCR(api_key=API_KEY, base_url=base_url)
        assert client.get_status(JOB).status is JobStatus.PENDING
        client.close()
        with pytest.raises(ConfigurationError):
            client.get_status(JOB)
    else:

        async def scenario() -> None:
            client = AsyncLeapOCR(api_key=API_KEY, base_url=base_url)
            assert (await client.get_status(JOB)).status is JobStatus.PENDING
            await client.aclose()
            with pytest.raises(ConfigurationError):
                await client.get_status(JOB)

        asyncio.run(scenario())
    assert len(api.log) == 1


def test_callers_http_client_is_used_and_not_closed(flavor, api, base_url):
    api.expect_request(f"{API}/ocr/models").respond_with_json(MODELS_BODY)
    api.expect_request("/health").respond_with_data("ok")
    caller_headers = {"X-Caller": "mine"}
    if flavor == "sync":
        http = httpx.Client(headers=caller_headers)
        with LeapOCR(api_key=API_KEY, base_url=base_url, http_client=http) as client:
            assert len(client.list_models()) == 3
        assert not http.is_closed
        assert http.get(api.url_for("/health")).text == "ok"  # still usable
        http.close()
    else:

        async def scenario() -> None:
            http = httpx.AsyncClient(headers=caller_headers)
            async with AsyncLeapOCR(api_key=API_KEY, base_url=base_url, http_client=http) as c:
                assert len(await c.list_models()) == 3
            assert not http.is_closed
            assert (await http.get(api.url_for("/health"))).text == "ok"
            await http.aclose()

        asyncio.run(scenario())
    (request, _health) = [r for r, _ in api.log]
    assert request.headers["X-Caller"] == "mine"  # went through the caller's client
    assert request.headers["X-API-Key"] == API_KEY


def test_callers_http_client_is_not_used_for_upload_urls(flavor, threaded_api):
    """Presigned URLs get the SDK's own plain client: no caller headers, no key."""
    base = threaded_api.url_for(API)
    caller_headers = {"Authorization": "Bearer caller-token", "X-Caller": "mine"}
    data = pdf_bytes(20_000)
    state = serve_upload(threaded_api, split(len(data), [12_000, 8_000]))
    if flavor == "sync":
        with httpx.Client(headers=caller_headers) as http:
            with LeapOCR(api_key=API_KEY, base_url=base, http_client=http) as client:
                assert client.process_file(data).job_id == JOB
            assert not http.is_closed
    else:

        async def scenario() -> None:
            async with httpx.AsyncClient(headers=caller_headers) as http:
                async with AsyncLeapOCR(api_key=API_KEY, base_url=base, http_client=http) as c:
                    assert (await c.process_file(data)).job_id == JOB
                assert not http.is_closed

        asyncio.run(scenario())
    assert len(state.puts) == 2
    for _number, _body, headers in state.puts:
        lowered = {name.lower() for name in headers}
        assert not lowered & {"authorization", "x-caller", "x-api-key"}
    api_calls = [r for r, _ in threaded_api.log if r.path.startswith(API)]
    assert len(api_calls) == 2  # initiate and complete, through the caller's client
    assert all(r.headers["X-Caller"] == "mine" for r in api_calls)


def test_http_client_of_the_wrong_kind_is_refused(flavor):
    if flavor == "sync":
        with pytest.raises(ConfigurationError, match=r"httpx\.Client"):
            LeapOCR(api_key=API_KEY, http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    else:

        async def scenario() -> None:
            with httpx.Client() as http, pytest.raises(ConfigurationError, match="AsyncClient"):
                AsyncLeapOCR(api_key=API_KEY, http_client=http)  # type: ignore[arg-type]

        asyncio.run(scenario())


def test_close_closes_every_client_the_sdk_opened(flavor, threaded_api, monkeypatch):
    """Multi-part upload workers must share one upload client, and close() closes it."""
    base = threaded_api.url_for(API)
    opened: list[Any] = []
    real = httpx.Client if flavor == "sync" else httpx.AsyncClient

    class Tracked(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            opened.append(self)

    monkeypatch.setattr(httpx, real.__name__, Tracked)
    data = pdf_bytes(40_000)
    state = serve_upload(threaded_api, split(len(data), [10_000] * 4), delays={})
    if flavor == "sync":
        with LeapOCR(api_key=API_KEY, base_url=base, upload_concurrency=4) as client:
            assert client.process_file(data).job_id == JOB
    else:

        async def scenario() -> None:
            async with AsyncLeapOCR(api_key=API_KEY, base_url=base, upload_concurrency=4) as c:
                assert (await c.process_file(data)).job_id == JOB

        asyncio.run(scenario())
    assert len(state.puts) == 4
    assert len(opened) == 2, f"expected an API client and one upload client, got {len(opened)}"
    assert all(client.is_closed for client in opened)


# --- enums and helpers ----------------------------------------------------------------------


def test_models_outputs_statuses_and_credits():
    assert [(m.value, m.credits_per_page, m.display_name, m.generation) for m in Model] == [
        ("standard-v2", 1, "Standard v2", 2),
        ("pro-v2", 3, "Pro v2", 2),
        ("standard-v1", 1, "Standard v1", 1),
        ("english-pro-v1", 2, "English Pro v1", 1),
        ("pro-v1", 3, "Pro v1", 1),
    ]
    assert isinstance(Model.PRO_V1, str) and str(Model.PRO_V1) == "pro-v1"
    assert [f.value for f in OutputFormat] == ["markdown", "structured", "per_page_structured"]
    assert [s.value for s in JobStatus] == [
        "pending",
        "processing",
        "completed",
        "partially_done",
        "failed",
    ]
    assert estimate_credits(10, Model.PRO_V1) == 30
    assert estimate_credits(7) == 7
    assert estimate_credits(4, "english-pro-v1") == 8
    with pytest.raises(ValueError, match="list_models"):
        estimate_credits(3, "acme-custom-v2")
    with pytest.raises(ValueError):
        estimate_credits(-1)
