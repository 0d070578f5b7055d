"""Bad arguments raise ValidationError (also a ValueError) before any request: the
server's log stays empty. Boundary values that are allowed do reach the server."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest

from leapocr_sdk import LeapOCRError, OutputFormat, ValidationError
from tests.sdk.helpers import API, JOB, serve_upload, split

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
URL = "https://example.com/invoice.pdf"


@pytest.fixture
def client(api, base_url, make_client):
    """A client pointed at the test server, checked afterwards to have sent nothing."""
    handle = make_client(base_url=base_url)
    yield handle
    assert api.log == [], f"a request was sent: {[r.path for r, _ in api.log]}"


def assert_invalid(call, *args, match: str | None = None, **kwargs):
    with pytest.raises(ValidationError, match=match) as info:
        call(*args, **kwargs)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, LeapOCRError)
    return info.value


# --- processing options (process_url and process_file share them) ---------------------------

# The 2026 rule (docs/wire.md, "What the SDK sends"): each refusal names what clashed and says
# what to do instead.
WITH_TEMPLATE: list[tuple[dict[str, Any], list[str]]] = [
    ({"output_type": "markdown"}, ["output_type"]),
    ({"output_type": "per_page_structured"}, ["output_type"]),
    ({"model": "pro-v2"}, ["model"]),
    ({"schema": {"type": "object"}}, ["schema"]),
    ({"instruction": "Extract totals"}, ["instruction"]),
    (
        {"instruction": "Extract totals", "schema": {"type": "object"}, "model": "pro-v2"},
        ["model", "schema", "instruction"],
    ),
]


@pytest.mark.parametrize("method", ["process_url", "process_file"])
def test_template_slug_excludes_format_model_schema_and_instruction(client, method):
    target = URL if method == "process_url" else PDF
    for options, clashing in WITH_TEMPLATE:
        error = assert_invalid(
            getattr(client, method),
            target,
            template_slug="invoice",
            match="template_slug cannot be combined with",
            **options,
        )
        message = str(error)
        for name in clashing:
            assert name in message
        assert f"Drop {' and '.join(clashing)}" in message
        assert "drop template_slug" in message


@pytest.mark.parametrize("method", ["process_url", "process_file"])
def test_structured_without_a_schema_is_refused(client, method):
    target = URL if method == "process_url" else PDF
    for output_type in ("structured", OutputFormat.STRUCTURED):
        error = assert_invalid(
            getattr(client, method), target, output_type=output_type, match="needs a schema"
        )
        assert "pass schema=" in str(error)
        assert "output_type='markdown'" in str(error)
    # An instruction alone does not make a schema.
    assert_invalid(
        getattr(client, method),
        target,
        output_type="structured",
        instruction="Extract totals",
        match="needs a schema",
    )


@pytest.mark.parametrize("method", ["process_url", "process_file"])
def test_schema_with_markdown_is_refused(client, method):
    target = URL if method == "process_url" else PDF
    error = assert_invalid(
        getattr(client, method),
        target,
        output_type=OutputFormat.MARKDOWN,
        schema={"type": "object"},
        match="only applies to structured",
    )
    assert "drop the schema" in str(error)


@pytest.mark.parametrize("method", ["process_url", "process_file"])
def test_new_flags_must_be_booleans(client, method):
    target = URL if method == "process_url" else PDF
    for name in ("extract_bounding_boxes", "save_as_template"):
        for value in (1, "yes", None):
            assert_invalid(getattr(client, method), target, match=name, **{name: value})


def test_process_url_file_name_is_checked(client):
    for file_name in ("", "   ", "x" * 256, 7):
        assert_invalid(client.process_url, URL, file_name=file_name, match="file_name")


BAD_OPTIONS: list[tuple[dict[str, Any], str]] = [
    ({"output_type": "pdf"}, "output_type"),
    ({"output_type": "Markdown "}, "output_type"),
    ({"output_type": 1}, "output_type"),
    ({"instruction": "x" * 101}, "101 characters"),
    ({"instruction": ""}, "instruction"),
    ({"instruction": 42}, "instruction"),
    ({"schema": '{"type": "object"}'}, "schema"),
    ({"schema": [{"type": "object"}]}, "schema"),
    ({"schema": {}}, "schema"),
    ({"schema": {"when": object()}}, "schema"),
    ({"template_slug": ""}, "template_slug"),
    ({"model": ""}, "model"),
    ({"model": "pro v1"}, "model"),
    ({"model": 3}, "model"),
]


@pytest.mark.parametrize("method", ["process_url", "process_file"])
def test_bad_options(client, method):
    target = URL if method == "process_url" else PDF
    for options, match in BAD_OPTIONS:
        assert_invalid(getattr(client, method), target, match=match, **options)


# --- URLs ----------------------------------------------------------------------------------------


BAD_URLS = [
    "ftp://example.com/a.pdf",
    "file:///etc/passwd",
    "/tmp/a.pdf",
    "example.com/a.pdf",
    "https://",
    "",
    "https://example.com/a b.pdf",
    "https://example.com/" + "a" * 1981,  # 2001 characters
]


def test_bad_urls(client):
    for url in BAD_URLS:
        assert_invalid(client.process_url, url)


def test_url_must_be_a_string(client):
    for url in (None, b"https://example.com/a.pdf", 3):
        assert_invalid(client.process_url, url, match="string")


def test_url_of_2000_characters_is_sent(api, base_url, make_client):
    url = "https://example.com/" + "a" * 1980
    assert len(url) == 2000
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_json({"job_id": JOB})
    assert make_client(base_url=base_url).process_url(url).job_id == JOB
    assert len(api.log) == 1


# --- files ------------------------------------------------------------------------------------


def test_missing_file(client, tmp_path):
    assert_invalid(client.process_file, tmp_path / "nope.pdf", match="not found")


def test_directory(client, tmp_path):
    assert_invalid(client.process_file, tmp_path, match="directory")
    assert_invalid(client.process_file, str(tmp_path), match="directory")


def test_empty_file(client, tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert_invalid(client.process_file, path, match="empty")


def test_empty_bytes_and_streams(client):
    assert_invalid(client.process_file, b"", match="empty")
    assert_invalid(client.process_file, bytearray(), match="empty")
    assert_invalid(client.process_file, io.BytesIO(b""), match="empty")


def test_file_over_1_gib(client, tmp_path):
    path = tmp_path / "huge.pdf"
    # A sparse file: 1 GiB + 1 byte long without writing 1 GiB; refused before it is read.
    with path.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
    os.truncate(path, 1024**3 + 1)
    assert path.stat().st_size == 1_073_741_825
    error = assert_invalid(client.process_file, path, match="1073741824")
    assert "huge.pdf" in str(error)
    assert "1 GiB" in str(error)
    with path.open("rb") as handle:
        assert_invalid(client.process_file, handle, match="1073741824")


def test_file_object_in_text_mode(client, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(PDF)
    with path.open("r", encoding="latin-1") as handle:
        assert_invalid(client.process_file, handle, match="'rb'")
    assert_invalid(client.process_file, io.StringIO("text"), match="'rb'")


def test_closed_file_object(client, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(PDF)
    handle = path.open("rb")
    handle.close()
    with pytest.raises(ValidationError):
        client.process_file(handle)


def test_file_of_the_wrong_type(client):
    for value in (None, 3, 1.5, ["a.pdf"]):
        assert_invalid(client.process_file, value)


def test_bad_file_names(client):
    for file_name in ("", "   ", "x" * 252 + ".pdf", 7):
        assert_invalid(client.process_file, PDF, file_name=file_name, match="file_name")


def test_upload_progress_must_be_callable(client):
    assert_invalid(client.process_file, PDF, on_upload_progress="print", match="callable")


def test_one_byte_file_is_no_document(client):
    # One byte cannot be a PDF or an image: refused before any request, no credit spent.
    error = assert_invalid(client.process_file, b"%", match="not a document the service reads")
    assert "nothing was sent" in str(error)


def test_smallest_pdf_is_accepted(threaded_api, threaded_base_url, make_client):
    state = serve_upload(threaded_api, split(5, [5]))
    job = make_client(base_url=threaded_base_url).process_file(b"%PDF-")
    assert job.job_id == JOB
    assert state.initiates[0]["file_size"] == 5
    assert state.initiates[0]["content_type"] == "application/pdf"
    assert state.bodies(1) == [b"%PDF-"]


# --- job ids -----------------------------------------------------------------------------------

BAD_JOB_IDS = [
    "../secrets",
    "..",
    f"{JOB}/../../admin",
    f"{JOB}?page=2",
    f"{JOB}#frag",
    f"{JOB} ",
    "job id",
    "a/b",
    "%2e%2e",
    "",
    "\u00e9t\u00e9",
    f"{JOB}\n",
]


@pytest.mark.parametrize("method", ["get_status", "get_result", "wait_until_done", "delete_job"])
def test_job_ids_are_never_spliced_into_paths(client, method):
    for job_id in BAD_JOB_IDS:
        assert_invalid(getattr(client, method), job_id, match="job")
    for not_a_string in (None, 123, b"abc"):
        assert_invalid(getattr(client, method), not_a_string, match="string")


# --- waiting ------------------------------------------------------------------------------------


BAD_WAITS: list[tuple[dict[str, Any], str]] = [
    ({"poll_interval": 0}, "poll_interval"),
    ({"poll_interval": -1.0}, "poll_interval"),
    ({"poll_interval": float("nan")}, "poll_interval"),
    ({"poll_interval": "2"}, "poll_interval"),
    ({"timeout": 0}, "timeout"),
    ({"timeout": float("inf")}, "timeout"),
    ({"timeout": True}, "timeout"),
    ({"on_progress": "print"}, "on_progress"),
]


def test_bad_wait_arguments(client):
    for kwargs, match in BAD_WAITS:
        assert_invalid(client.wait_until_done, JOB, match=match, **kwargs)


def test_validation_happens_before_reading_the_file(client, tmp_path):
    # Options are checked first: a bad option with a missing file names the option.
    error = assert_invalid(
        client.process_file, tmp_path / "missing.pdf", instruction="a", template_slug="b"
    )
    assert "template_slug cannot be combined with instruction" in str(error)
    assert os.listdir(tmp_path) == []
