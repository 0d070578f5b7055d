"""The service's 2026 contract (docs/wire.md) as the facade speaks it:
the model catalogue, the new keywords on the wire, document types read from the first
bytes, the new result fields, deleted jobs, LESS_CREDITS, delete's 204 and ``health()``.
Every request goes to a local server and is checked against openapi.yaml."""

from __future__ import annotations

import inspect
import io
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from werkzeug import Response

from leapocr_sdk import (
    BoundingBox,
    BoxBounds,
    HealthStatus,
    InsufficientCreditsError,
    JobDeletedError,
    JobResult,
    JobStatus,
    LeapOCRError,
    Model,
    ModelInfo,
    PageDimensions,
    ServerError,
    ValidationError,
    _contract,
    builtin_models,
    estimate_credits,
)
from tests.openapi_checks import check_response_body
from tests.sdk.helpers import (
    API,
    JOB,
    api_log,
    json_response,
    serve_upload,
    service_error,
    service_result,
    service_result_status,
    service_status,
    split,
)

URL = "https://example.com/invoice.pdf"
SCHEMA = {"type": "object", "properties": {"total": {"type": "number"}}}


def body_of(request: Any) -> Any:
    return json.loads(request.get_data())


# --- the model catalogue ---------------------------------------------------------------------


def test_model_enum_is_the_catalogue():
    assert [m.value for m in Model] == [spec.name for spec in _contract.MODEL_CATALOGUE]
    for member, spec in zip(Model, _contract.MODEL_CATALOGUE, strict=True):
        assert member.name == spec.name.upper().replace("-", "_")
        assert (member.generation, member.display_name) == (spec.generation, spec.display_name)
        assert (member.credits_per_page, member.description) == (
            spec.credits_per_page,
            spec.description,
        )
    assert list(Model)[:2] == [Model.STANDARD_V2, Model.PRO_V2]
    assert (Model.STANDARD_V2.credits_per_page, Model.PRO_V2.credits_per_page) == (1, 3)
    assert {m.value: m.generation for m in Model} == {
        "standard-v2": 2,
        "pro-v2": 2,
        "standard-v1": 1,
        "english-pro-v1": 1,
        "pro-v1": 1,
    }


def test_builtin_models_lists_the_catalogue_offline():
    models = builtin_models()
    assert models == [
        ModelInfo(
            spec.name,
            spec.display_name,
            spec.credits_per_page,
            spec.description,
            surcharge_per_page=spec.surcharge_per_page,
        )
        for spec in _contract.MODEL_CATALOGUE
    ]
    assert models[0] == Model.STANDARD_V2.info()
    assert [m.name for m in models] == [m.value for m in Model]


def test_estimate_credits_defaults_to_standard_v2():
    default = inspect.signature(estimate_credits).parameters["model"].default
    assert default is Model.STANDARD_V2
    assert estimate_credits(5) == 5
    assert estimate_credits(4, Model.PRO_V2) == 12
    assert estimate_credits(4, "pro-v2") == 12
    with pytest.raises(ValidationError, match="list_models"):
        estimate_credits(4, "acme-custom-v3")


def test_a_custom_model_name_passes_through(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_json({"job_id": JOB})
    make_client(base_url=base_url).process_url(URL, model="acme-custom-v3")
    (request,) = api_log(api)
    assert body_of(request) == {"url": URL, "format": "markdown", "model": "acme-custom-v3"}


# --- options on the wire ---------------------------------------------------------------------


def test_per_page_structured_warns_and_is_still_sent(httpserver, make_client, flavor):
    # The service refuses per_page_structured since 2026 (it is outside openapi.yaml's
    # enum, so this test's server is not the contract-checked ``api`` fixture): the SDK
    # warns, sends it as asked, and the service's 400 reaches the caller.
    httpserver.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_json(
        service_error("VALIDATION_ERROR", "Invalid format parameter"), status=400
    )
    client = make_client(base_url=httpserver.url_for(API))
    with (
        pytest.warns(DeprecationWarning, match="per_page_structured") as warned,
        pytest.raises(LeapOCRError, match="Invalid format parameter"),
    ):
        client.process_url(URL, output_type="per_page_structured", schema=SCHEMA)
    assert "STRUCTURED" in str(warned[0].message)
    if flavor == "sync":  # the warning points at the caller's line
        assert warned[0].filename == __file__
    (request, _response) = httpserver.log[0]
    assert body_of(request) == {
        "url": URL,
        "format": "per_page_structured",
        "model": "standard-v2",
        "schema": SCHEMA,
    }
    httpserver.check_assertions()


def test_process_file_sends_the_new_keywords(threaded_api, threaded_base_url, make_client):
    data = PNG
    serve_upload(threaded_api, split(len(data), [len(data)]))
    client = make_client(base_url=threaded_base_url)

    client.process_file(
        data,
        file_name="scan.png",
        model=Model.PRO_V2,
        schema=SCHEMA,
        instruction="Totals in EUR",
        extract_bounding_boxes=True,
        save_as_template=True,
    )
    client.process_file(data, template_slug="invoice", extract_bounding_boxes=True)

    first, second = (body_of(r) for r in api_log(threaded_api, "POST", f"{API}/ocr/uploads/direct"))
    assert first == {
        "file_name": "scan.png",
        "content_type": "image/png",
        "file_size": len(data),
        "format": "structured",
        "model": "pro-v2",
        "schema": SCHEMA,
        "instructions": "Totals in EUR",
        "extract_bounding_boxes": True,
        "save_as_template": True,
    }
    assert second == {
        "file_name": "document.png",
        "content_type": "image/png",
        "file_size": len(data),
        "template_slug": "invoice",
        "extract_bounding_boxes": True,
    }


# --- document types, from the first bytes ----------------------------------------------------

PDF = b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(3000)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(3000)
TIFF_LE = b"II*\x00\x08\x00\x00\x00" + os.urandom(3000)
TIFF_BE = b"MM\x00*\x00\x00\x00\x08" + os.urandom(3000)
WEBP = b"RIFF" + (3004).to_bytes(4, "little") + b"WEBPVP8 " + os.urandom(3000)

KINDS = [
    pytest.param(PDF, "application/pdf", ".pdf", id="pdf"),
    pytest.param(PNG, "image/png", ".png", id="png"),
    pytest.param(JPEG, "image/jpeg", ".jpg", id="jpeg"),
    pytest.param(TIFF_LE, "image/tiff", ".tif", id="tiff-le"),
    pytest.param(TIFF_BE, "image/tiff", ".tif", id="tiff-be"),
    pytest.param(WEBP, "image/webp", ".webp", id="webp"),
]


def open_as(how: str, data: bytes, tmp_path, extension: str) -> tuple[Any, str]:
    """``data`` as a path, bytes, a file object or a pipe, and the name the job gets."""
    if how == "path":
        path = tmp_path / f"scan{extension}"
        path.write_bytes(data)
        return path, f"scan{extension}"
    if how == "bytes":
        return data, f"document{extension}"
    if how == "file-object":
        return io.BytesIO(data), f"document{extension}"
    read_fd, write_fd = os.pipe()  # not seekable; small enough for the pipe buffer
    os.write(write_fd, data)
    os.close(write_fd)
    pipe = os.fdopen(read_fd, "rb")
    assert not pipe.seekable()
    return pipe, f"document{extension}"


@pytest.mark.parametrize("how", ["path", "bytes", "file-object", "pipe"])
@pytest.mark.parametrize(("data", "content_type", "extension"), KINDS)
def test_content_type_comes_from_the_first_bytes(
    threaded_api, threaded_base_url, make_client, tmp_path, how, data, content_type, extension
):
    state = serve_upload(threaded_api, split(len(data), [len(data)]))
    file, name = open_as(how, data, tmp_path, extension)
    try:
        make_client(base_url=threaded_base_url).process_file(file)
    finally:
        if hasattr(file, "close"):
            file.close()
    (initiate,) = state.initiates
    assert (initiate["content_type"], initiate["file_name"]) == (content_type, name)
    assert state.bodies(1) == [data]


def test_type_comes_from_the_bytes_not_the_name(threaded_api, threaded_base_url, make_client):
    state = serve_upload(threaded_api, split(len(PNG), [len(PNG)]))
    make_client(base_url=threaded_base_url).process_file(PNG, file_name="scan.pdf")
    assert (state.initiates[0]["file_name"], state.initiates[0]["content_type"]) == (
        "scan.pdf",
        "image/png",
    )


def test_pdf_marker_after_leading_bytes(threaded_api, threaded_base_url, make_client):
    data = b"\x00" * 1000 + PDF  # readers accept up to 1 KiB before %PDF-
    state = serve_upload(threaded_api, split(len(data), [len(data)]))
    make_client(base_url=threaded_base_url).process_file(data)
    assert state.initiates[0]["content_type"] == "application/pdf"


TEXT = b"Dear customer,\nplease find the invoice attached.\n" * 20


def test_a_text_file_named_pdf_is_refused_before_any_request(api, base_url, make_client, tmp_path):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(TEXT)
    client = make_client(base_url=base_url)
    read_fd, write_fd = os.pipe()
    os.write(write_fd, TEXT)
    os.close(write_fd)
    with path.open("rb") as handle, os.fdopen(read_fd, "rb") as pipe:
        for file, kwargs in [
            (path, {}),
            (str(path), {}),
            (TEXT, {"file_name": "invoice.pdf"}),
            (handle, {}),
            (pipe, {"file_name": "invoice.pdf"}),
            (b"\x00" * 1100 + b"%PDF-1.7", {}),  # the marker too far in
        ]:
            with pytest.raises(ValidationError, match="not a document the service reads") as info:
                client.process_file(file, **kwargs)
            message = str(info.value)
            assert "PDF, PNG, JPEG, TIFF or WebP" in message
            assert "nothing was sent" in message
    assert api.log == []


def test_process_file_with_a_url_points_at_process_url(api, base_url, make_client):
    client = make_client(base_url=base_url)
    for url in ("https://example.com/invoice.pdf", "HTTP://example.com/a.pdf"):
        with pytest.raises(ValidationError, match=r"process_url\(\)"):
            client.process_file(url)
    assert api.log == []


# --- results: the new page and job fields ----------------------------------------------------

BOXES = [
    {
        "bounds": {"x": 72, "y": 90, "width": 400, "height": 24},
        "text": "Invoice 2024-117",
        "type": "heading",
        "metadata": {"level": 1},
    },
    {
        "bounds": {"x": 72, "y": 130, "width": 460, "height": 60},
        "text": "Total: 12",
        "type": "paragraph",
    },
]


def rich_result(**extra: Any) -> dict[str, Any]:
    body = service_result(
        [(1, "# Invoice 2024-117\n\nTotal: 12"), (2, "Thank you")], model="pro-v2"
    )
    body["pages"][0].update(
        confidence=0.97,
        dimensions={"width": 1700, "height": 2200},
        has_bounding_boxes=True,
        bounding_boxes=BOXES,
    )
    body.update(
        completed_at="2026-03-01T10:00:05+01:00",
        created_at="2026-03-01T09:59:50",  # no zone: read as UTC
        template_name="Invoices",
        **extra,
    )
    check_response_body("getJobResult", 200, body)
    return body


def test_result_pages_carry_confidence_dimensions_and_boxes(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(rich_result())
    result = make_client(base_url=base_url).get_result(JOB)

    first, second = result.pages
    assert first.confidence == 0.97
    assert first.dimensions == PageDimensions(width=1700, height=2200)
    assert first.has_bounding_boxes is True
    assert first.bounding_boxes == (
        BoundingBox(
            bounds=BoxBounds(x=72, y=90, width=400, height=24),
            text="Invoice 2024-117",
            type="heading",
            metadata={"level": 1},
        ),
        BoundingBox(
            bounds=BoxBounds(x=72, y=130, width=460, height=60),
            text="Total: 12",
            type="paragraph",
            metadata=None,
        ),
    )
    # Fields the service did not send are None, not zero or empty.
    assert (second.confidence, second.dimensions) == (None, None)
    assert (second.bounding_boxes, second.has_bounding_boxes) == (None, None)

    assert result.file_name == "invoice.pdf"
    assert result.template_name == "Invoices"
    assert result.model == "pro-v2"
    assert result.total_pages == 2
    assert result.completed_at == datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC)
    assert result.completed_at.utcoffset() == timedelta(hours=1)
    assert result.created_at == datetime(2026, 3, 1, 9, 59, 50, tzinfo=UTC)
    assert result.created_at.tzinfo is not None


def test_result_without_the_new_fields(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(service_result([(1, "text")]))
    result = make_client(base_url=base_url).get_result(JOB)
    assert (result.created_at, result.completed_at, result.template_name) == (None, None, None)
    (page,) = result.pages
    assert (page.confidence, page.dimensions, page.bounding_boxes) == (None, None, None)


def test_status_carries_times_names_and_template(api, base_url, make_client):
    body = service_status("completed", processed=2, total=2)
    body.update(
        created_at="2026-03-01T09:59:50Z",
        completed_at="2026-03-01T10:00:05",
        template_name="Invoices",
    )
    check_response_body("getJobStatus", 200, body)
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(body)
    info = make_client(base_url=base_url).get_status(JOB)
    assert info.file_name == "invoice.pdf"
    assert info.template_name == "Invoices"
    assert info.created_at == datetime(2026, 3, 1, 9, 59, 50, tzinfo=UTC)
    assert info.completed_at == datetime(2026, 3, 1, 10, 0, 5, tzinfo=UTC)
    assert info.created_at.tzinfo is not None and info.completed_at.tzinfo is not None
    assert info.deleted_at is None


def test_result_to_dict_is_json_ready_and_round_trips(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(rich_result())
    result = make_client(base_url=base_url).get_result(JOB)

    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["job_id"] == JOB
    assert data["status"] == "completed"
    assert data["file_name"] == "invoice.pdf"
    assert data["template_name"] == "Invoices"
    assert datetime.fromisoformat(data["completed_at"]) == result.completed_at
    assert datetime.fromisoformat(data["created_at"]) == result.created_at
    first = data["pages"][0]
    assert first["confidence"] == 0.97
    assert first["dimensions"] == {"width": 1700, "height": 2200}
    assert first["bounding_boxes"][0] == BOXES[0]
    assert first["bounding_boxes"][1] == {**BOXES[1], "metadata": None}
    assert data["pages"][1]["bounding_boxes"] is None
    assert [p["text"] for p in data["pages"]] == [p.text for p in result.pages]
    assert result.pages[0].to_dict() == first
    # Every field of JobResult is in the dict, under its own name.
    # Every field but the Python type of a schema (not data: see JobResult.parsed).
    assert set(data) == {field.name for field in attrs.fields(JobResult)} - {"schema_type"}
    rebuilt = JobResult(
        **{
            **data,
            "status": JobStatus(data["status"]),
            "pages": result.pages,
            "created_at": datetime.fromisoformat(data["created_at"]),
            "completed_at": datetime.fromisoformat(data["completed_at"]),
        }
    )
    assert rebuilt == result


# --- deleted jobs ----------------------------------------------------------------------------

DELETED_AT = "2026-03-02T08:00:00Z"


def deleted_result() -> dict[str, Any]:
    """A deleted job's result: the pages redacted, deleted_at set."""
    body = service_result([], total=0)
    body.update(deleted_at=DELETED_AT)
    check_response_body("getJobResult", 200, body)
    return body


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda: json_response(deleted_result()), id="200"),
        pytest.param(
            lambda: json_response(service_result_status("processing", deleted_at=DELETED_AT), 202),
            id="202",
        ),
    ],
)
def test_a_deleted_job_never_reads_as_a_result(api, base_url, make_client, answer):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_response(answer())
    status = service_status("completed", processed=2, total=2)
    status.update(deleted_at=DELETED_AT)
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(status)
    client = make_client(base_url=base_url)

    with pytest.raises(JobDeletedError, match="was deleted") as info:
        client.get_result(JOB)
    assert info.value.job_id == JOB
    assert "submit the document again" in str(info.value)
    with pytest.raises(JobDeletedError):
        client.wait_until_done(JOB, poll_interval=0.01, timeout=5)
    assert client.get_status(JOB).deleted_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    # Each call asked once: a deleted job is not polled until the timeout.
    assert len(api_log(api, "GET", f"{API}/ocr/result/{JOB}")) == 2


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda: Response(status=204), id="204-no-body"),
        pytest.param(
            lambda: json_response({"id": JOB, "status": "completed", "deleted_at": DELETED_AT}),
            id="200-job",
        ),
    ],
)
def test_delete_accepts_204_and_200(api, base_url, make_client, answer):
    api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_response(answer())
    assert make_client(base_url=base_url).delete_job(JOB) is None
    ((request, response),) = api.log
    assert request.method == "DELETE"
    assert response.status_code in (200, 204)


# --- LESS_CREDITS -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [402, 403])
def test_less_credits_is_insufficient_credits_whatever_the_status(
    api, base_url, make_client, status
):
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_json(
        service_error("LESS_CREDITS", "not enough credits for 12 pages"), status=status
    )
    with pytest.raises(InsufficientCreditsError, match="not enough credits") as info:
        make_client(base_url=base_url).process_url(URL)
    assert (info.value.status_code, info.value.code) == (status, "LESS_CREDITS")
    assert len(api.log) == 1  # not retried


# --- health ------------------------------------------------------------------------------------

HEALTHY = {
    "status": "healthy",
    "service": "api",
    "version": "2.4.1",
    "timestamp": "2026-03-01T10:00:00Z",
    "checks": {"database": {"status": "healthy", "response_time": "2ms"}},
    "summary": {"healthy": 1, "degraded": 0, "down": 0, "total": 1},
}
UNHEALTHY = {
    "status": "unhealthy",
    "service": "api",
    "version": "2.4.1",
    "checks": {"database": {"status": "down", "message": "connection refused"}},
    "summary": {"healthy": 0, "degraded": 0, "down": 1, "total": 1},
}


def test_health_when_healthy(api, base_url, make_client):
    check_response_body("getHealthStatus", 200, HEALTHY)
    api.expect_request(f"{API}/health", method="GET").respond_with_json(HEALTHY)
    health = make_client(base_url=base_url).health()
    assert isinstance(health, HealthStatus)
    assert (health.status, health.healthy, health.version) == ("healthy", True, "2.4.1")
    assert health.checks == HEALTHY["checks"]
    assert health.raw == HEALTHY


def test_health_503_is_an_answer_not_retried(api, base_url, make_client):
    check_response_body("getHealthStatus", 503, UNHEALTHY)
    api.expect_request(f"{API}/health", method="GET").respond_with_json(UNHEALTHY, status=503)
    client = make_client(base_url=base_url, max_retries=3)
    health = client.health()
    assert (health.status, health.healthy) == ("unhealthy", False)
    assert health.checks["database"]["status"] == "down"
    assert len(api.log) == 1
    assert client.sleeps == []


def test_health_500_is_a_server_error(api, base_url, make_client):
    api.expect_request(f"{API}/health", method="GET").respond_with_json(
        service_error("SYSTEM_ERROR", "health check crashed"), status=500
    )
    with pytest.raises(ServerError, match="health check crashed") as info:
        make_client(base_url=base_url, max_retries=3).health()
    assert (info.value.status_code, info.value.code) == (500, "SYSTEM_ERROR")
    assert len(api.log) == 1
