"""The emulator's 2026 behaviour: option rules, templates, new fields, images, 1 GiB uploads,
page details, ETags with or without quotes, /health; every body checked against the vendored
2026 specs (tests/data/)."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from leapocr_sdk import _contract
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from leapocr_sdk.testing.extract import IMAGE_PAGE_MARKER
from tests.openapi_checks import conform, matches_2026

from .conftest import (
    INVOICE_PAGES,
    TLS,
    api_client,
    assert_error,
    initiate,
    put_parts,
    upload,
    wait_result,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
SCHEMA = {
    "type": "object",
    "properties": {"invoice_number": {"type": "string"}, "total_amount": {"type": "number"}},
}
MIB = 1024 * 1024


# -- errors -----------------------------------------------------------------------------------


def error_2026(response: httpx.Response, status: int, code: str) -> Any:
    body = assert_error(response, status, code)
    assert code in _contract.ERROR_CODES
    return matches_2026(body, "response.ErrorResponse")


# -- images -----------------------------------------------------------------------------------


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\xff" * width for _ in range(height)))
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp(width: int, height: int, kind: str) -> bytes:
    if kind == "VP8X":
        body = b"\x00" * 4 + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    elif kind == "VP8L":
        body = b"\x2f" + ((width - 1) | (height - 1) << 14).to_bytes(4, "little") + b"\x00"
    else:
        body = b"\x00\x00\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\x00" * 2
    chunk = kind.encode().ljust(4) + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def tiff(width: int, height: int, order: str) -> bytes:
    mark = b"II*\x00" if order == "<" else b"MM\x00*"
    entries = struct.pack(order + "HHIH2x", 256, 3, 1, width)
    entries += struct.pack(order + "HHII", 257, 4, 1, height)
    return mark + struct.pack(order + "IH", 8, 2) + entries + struct.pack(order + "I", 0)


IMAGES = {
    "png": ("image/png", png(40, 30), (40, 30)),
    "jpeg": ("image/jpeg", jpeg(640, 480), (640, 480)),
    "webp-vp8": ("image/webp", webp(320, 200, "VP8 "), (320, 200)),
    "webp-vp8l": ("image/webp", webp(1000, 3000, "VP8L"), (1000, 3000)),
    "webp-vp8x": ("image/webp", webp(4000, 2500, "VP8X"), (4000, 2500)),
    "tiff-le": ("image/tiff", tiff(2480, 3508, "<"), (2480, 3508)),
    "tiff-be": ("image/tiff", tiff(300, 70000, ">"), (300, 70000)),
}


@pytest.mark.parametrize("name", list(IMAGES))
def test_images_are_one_page_without_text(client: httpx.Client, name: str) -> None:
    content_type, data, (width, height) = IMAGES[name]
    job_id = upload(client, data, file_name=f"scan.{name}", content_type=content_type)
    result = wait_result(client, job_id)
    matches_2026(result, "models.OCRResultResponse")
    (page,) = result["pages"]
    assert page["result"].startswith(IMAGE_PAGE_MARKER)
    assert "does not do OCR" in page["result"]
    assert page["dimensions"] == {"width": width, "height": height}
    assert page["confidence"] == 0.0 and page["has_bounding_boxes"] is False
    assert result["credits_used"] == 1


def test_image_structured_fields_are_null_and_boxes_empty(client: httpx.Client) -> None:
    job_id = upload(
        client,
        png(8, 8),
        file_name="a.png",
        content_type="image/png",
        format="structured",
        schema=SCHEMA,
        extract_bounding_boxes=True,
    )
    (page,) = wait_result(client, job_id)["pages"]
    assert page["result"] == {"invoice_number": None, "total_amount": None}
    assert page["has_bounding_boxes"] is True and page["bounding_boxes"] == []


def test_a_broken_image_fails_the_job(client: httpx.Client) -> None:
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    job_id = upload(client, broken, file_name="a.png", content_type="image/png")
    result = wait_result(client, job_id)
    assert result["status"] == "failed" and "PNG image could not be read" in result["error_message"]


# -- pages: confidence, dimensions, bounding boxes --------------------------------------------


def test_pages_carry_confidence_dimensions_and_boxes(client: httpx.Client) -> None:
    pages = ["INVOICE\nInvoice Number: INV-1\nDate: 2026", ""]
    job_id = upload(client, make_pdf(pages), extract_bounding_boxes=True)
    result = matches_2026(wait_result(client, job_id), "models.OCRResultResponse")
    first, blank = result["pages"]
    assert first["confidence"] == 0.99 and blank["confidence"] == 0.0
    assert first["dimensions"] == {"width": 612, "height": 792}  # US Letter, 1 px a point
    assert first["has_bounding_boxes"] is True
    boxes = first["bounding_boxes"]
    assert [box["text"] for box in boxes] == pages[0].split("\n")
    assert [box["bounds"]["y"] for box in boxes] == [61, 75, 89]  # 14 pt leading, from the top
    for box in boxes:
        assert box["bounds"]["x"] == 72 and box["bounds"]["height"] == 13
        assert all(isinstance(v, int) for v in box["bounds"].values())
        assert box["type"] == "paragraph" and box["metadata"] == {"font_size": 11.0}
    assert boxes[1]["bounds"]["width"] > boxes[0]["bounds"]["width"]  # a longer line
    assert blank["bounding_boxes"] == []


def test_larger_lines_are_headings(client: httpx.Client) -> None:
    pdf = make_pdf(["# Invoice\nInvoice Number: INV-1\n# Totals\nTotal: 5"])
    job_id = upload(client, pdf, extract_bounding_boxes=True)
    (page,) = wait_result(client, job_id)["pages"]
    assert page["result"] == "Invoice\nInvoice Number: INV-1\nTotals\nTotal: 5"
    boxes = [(box["type"], box["text"], box["metadata"]) for box in page["bounding_boxes"]]
    heading = {"font_size": 18.0, "level": 1}
    assert boxes == [
        ("heading", "Invoice", heading),
        ("paragraph", "Invoice Number: INV-1", {"font_size": 11.0}),
        ("heading", "Totals", heading),
        ("paragraph", "Total: 5", {"font_size": 11.0}),
    ]
    tops = [box["bounds"]["y"] for box in page["bounding_boxes"]]
    assert tops == sorted(tops) and page["bounding_boxes"][0]["bounds"]["height"] == 22


def test_without_extract_bounding_boxes_pages_have_none(
    client: httpx.Client, invoice_pdf: bytes
) -> None:
    result = wait_result(client, upload(client, invoice_pdf))
    for page in result["pages"]:
        assert page["has_bounding_boxes"] is False and "bounding_boxes" not in page
        assert page["confidence"] == 0.99 and page["dimensions"]["width"] == 612


# -- option rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"format": "structured"}, "schema"),
        ({"format": "structured", "schema": {}}, "schema"),
        ({"schema": SCHEMA}, "schema"),  # markdown is the default format
        ({"format": "markdown", "schema": SCHEMA}, "schema"),
        ({"format": "per_page_structured", "schema": SCHEMA}, "format"),
        ({"template_slug": "unknown"}, "template_slug"),
        ({"instructions": "x" * 101}, "instructions"),
    ],
)
def test_option_rules(client: httpx.Client, fields: dict[str, Any], field: str) -> None:
    for route, payload in (
        ("/ocr/uploads/direct", {"file_name": "a.pdf", "content_type": "application/pdf"}),
        ("/ocr/uploads/url", {"url": "https://example.com/a.pdf"}),
    ):
        response = client.post(route, json={**payload, "file_size": 10, **fields})
        body = error_2026(response, 400, "VALIDATION_ERROR")
        assert body["details"]["field"] == field, body


@pytest.mark.parametrize("clash", ["format", "model", "schema", "instructions"])
def test_template_slug_excludes_the_options_it_sets(
    emu: LeapOCREmulator, client: httpx.Client, clash: str
) -> None:
    emu.add_template("invoice", schema=SCHEMA)
    value = {"format": "structured", "model": "pro-v2", "schema": SCHEMA, "instructions": "x"}
    response = client.post(
        "/ocr/uploads/url",
        json={"url": "https://example.com/a.pdf", "template_slug": "invoice", clash: value[clash]},
    )
    body = error_2026(response, 400, "VALIDATION_ERROR")
    assert body["details"]["fields"] == ["template_slug", clash]
    assert "template_slug cannot be combined with " + clash in body["error"]["message"]


def test_schema_and_instructions_go_together(client: httpx.Client, invoice_pdf: bytes) -> None:
    job_id = upload(
        client, invoice_pdf, format="structured", schema=SCHEMA, instructions="Invoice fields"
    )
    result = wait_result(client, job_id)
    assert result["pages"][0]["result"] == {
        "invoice_number": "INV-2026-0042",
        "total_amount": 1234.56,
    }
    markdown = upload(client, invoice_pdf, format="markdown", instructions="Keep the tables")
    assert wait_result(client, markdown)["pages"][0]["result"] == INVOICE_PAGES[0]


def test_defaults_are_standard_v2_and_markdown(emu: LeapOCREmulator, client: httpx.Client) -> None:
    started = initiate(client, 10)
    job = emu.get_job(started["job_id"])
    assert (job.model, job.result_format) == (_contract.DEFAULT_MODEL, _contract.DEFAULT_FORMAT)
    assert (job.model, job.result_format) == ("standard-v2", "markdown")


# -- templates --------------------------------------------------------------------------------


def test_template_jobs_take_the_templates_options(
    emu: LeapOCREmulator, client: httpx.Client, invoice_pdf: bytes
) -> None:
    emu.add_template("invoice", name="Invoice Extractor", schema=SCHEMA, model="pro-v2")
    job_id = upload(client, invoice_pdf, template_slug="invoice", extract_bounding_boxes=True)
    result = matches_2026(wait_result(client, job_id), "models.OCRResultResponse")
    assert (result["result_format"], result["model"]) == ("structured", "pro-v2")
    assert result["template_name"] == "Invoice Extractor"
    assert result["pages"][0]["result"] == {
        "invoice_number": "INV-2026-0042",
        "total_amount": 1234.56,
    }
    assert result["pages"][0]["has_bounding_boxes"] is True
    assert result["credits_used"] == 15  # 3 pages x (pro-v2 3 + structured 1 + boxes 1)
    status = matches_2026(conform(client.get(f"/ocr/status/{job_id}")), "status.Response")
    assert status["template_name"] == "Invoice Extractor"
    view = emu.get_job(job_id)
    assert (view.template_slug, view.template_name) == ("invoice", "Invoice Extractor")


def test_add_template_defaults_and_checks(emu: LeapOCREmulator) -> None:
    emu.add_template("notes", format="markdown")
    notes = emu.templates["notes"]
    assert (notes.name, notes.result_format, notes.model) == ("notes", "markdown", None)
    with pytest.raises(ValueError, match="format must be one of markdown, structured"):
        emu.add_template("x", format="per_page_structured")
    with pytest.raises(ValueError, match="unknown model 'x-9'"):
        emu.add_template("x", model="x-9")


def test_save_as_template(emu: LeapOCREmulator, client: httpx.Client, invoice_pdf: bytes) -> None:
    job_id = upload(
        client,
        invoice_pdf,
        file_name="Invoice 2026 (March).pdf",
        format="structured",
        schema=SCHEMA,
        instructions="Invoice fields",
        model="pro-v2",
        save_as_template=True,
    )
    slug = f"invoice-2026-march-{job_id[:8]}"
    assert emu.get_job(job_id).saved_template_slug == slug
    saved = emu.templates[slug]
    assert (saved.name, saved.result_format, saved.schema, saved.instructions, saved.model) == (
        "Invoice 2026 (March).pdf",
        "structured",
        SCHEMA,
        "Invoice fields",
        "pro-v2",
    )
    again = upload(client, invoice_pdf, template_slug=slug)
    result = wait_result(client, again)
    assert result["template_name"] == "Invoice 2026 (March).pdf" and result["model"] == "pro-v2"
    assert result["pages"][0]["result"]["invoice_number"] == "INV-2026-0042"
    assert emu.get_job(again).saved_template_slug is None


# -- uploads: sizes, content types, ETags -----------------------------------------------------


def test_one_gib_is_the_largest_upload(client: httpx.Client) -> None:
    started = matches_2026(initiate(client, _contract.MAX_FILE_SIZE), "upload.DirectUploadResponse")
    parts = started["parts"]
    assert len(parts) == started["total_chunks"] == 205
    assert parts[-1]["end_byte"] == _contract.MAX_FILE_SIZE - 1
    assert all(p["end_byte"] - p["start_byte"] + 1 == _contract.PART_SIZE for p in parts[:-1])
    response = client.post(
        "/ocr/uploads/direct",
        json={
            "file_name": "a.pdf",
            "content_type": "application/pdf",
            "file_size": _contract.MAX_FILE_SIZE + 1,
        },
    )
    assert error_2026(response, 400, "VALIDATION_ERROR")["details"]["field"] == "file_size"


@pytest.mark.parametrize("content_type", _contract.CONTENT_TYPES)
def test_every_accepted_content_type(client: httpx.Client, content_type: str) -> None:
    initiate(client, 10, content_type=content_type + "; charset=binary")


def test_complete_accepts_etags_with_or_without_quotes(
    emu: LeapOCREmulator, client: httpx.Client
) -> None:
    data = make_pdf(["Unquoted"], pad_to=50 * MIB + 1)
    started = initiate(client, len(data))
    parts = put_parts(data, started)
    assert all(p["etag"].startswith('"') for p in parts)
    mixed = [{**p, "etag": p["etag"].strip('"')} if i % 2 else p for i, p in enumerate(parts)]
    complete = f"/ocr/uploads/{started['job_id']}/complete"
    done = matches_2026(
        conform(client.post(complete, json={"parts": mixed})), "upload.DirectUploadCompleteResponse"
    )
    # Retrying with the other spelling of the same ETags is the same completion.
    again = conform(client.post(complete, json={"parts": parts}))
    assert again == done
    assert wait_result(client, started["job_id"])["pages"][0]["result"] == "Unquoted"
    assert emu.get_job(started["job_id"]).file_bytes == data


def test_parts_are_spooled_to_files_not_kept_in_memory(
    emu: LeapOCREmulator, client: httpx.Client
) -> None:
    data = make_pdf(["On disk"])
    started = initiate(client, len(data))
    put_parts(data, started)
    job = emu.get_job(started["job_id"])
    assert job.file_path is None  # not completed yet
    upload_dir = Path(emu._store.new_file()).parent  # the store's temporary directory
    assert any(path.read_bytes() == data for path in upload_dir.iterdir())
    emu.stop()
    assert not upload_dir.exists()  # stopping removes every stored document


EMULATOR_PROCESS = """
import sys
from leapocr_sdk.testing import LeapOCREmulator
emulator = LeapOCREmulator(processing_seconds=0.05).start()
print(emulator.base_url, flush=True)
sys.stdin.read()  # until the test closes stdin
emulator.stop()
# The peak resident size of this process since exec (ru_maxrss would count the parent's
# memory at fork time), in bytes.
with open("/proc/self/status") as status:
    peak = next(line for line in status if line.startswith("VmHWM:"))
print(int(peak.split()[1]) * 1024, flush=True)
"""


def test_a_large_upload_is_not_held_in_memory(tmp_path: Path) -> None:
    size = 80 * MIB
    document = tmp_path / "large.pdf"
    document.write_bytes(make_pdf(["Large\nInvoice Number: L-80"], pad_to=size))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", EMULATOR_PROCESS],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdin is not None and process.stdout is not None
        base_url = process.stdout.readline().strip()
        headers = {"X-API-Key": "test-key"}
        with httpx.Client(base_url=base_url, headers=headers, verify=TLS) as http:
            payload = {"file_name": "large.pdf", "content_type": "application/pdf"}
            started = http.post("/ocr/uploads/direct", json={**payload, "file_size": size}).json()
            parts = []
            with document.open("rb") as stream, httpx.Client(verify=TLS) as storage:
                for part in started["parts"]:
                    stream.seek(part["start_byte"])
                    chunk = stream.read(part["end_byte"] - part["start_byte"] + 1)
                    etag = storage.put(part["upload_url"], content=chunk).headers["ETag"]
                    parts.append({"part_number": part["part_number"], "etag": etag})
            complete = f"/ocr/uploads/{started['job_id']}/complete"
            assert http.post(complete, json={"parts": parts}).status_code == 200
            result = wait_result(http, started["job_id"], timeout=60)
        assert result["pages"][0]["result"] == "Large\nInvoice Number: L-80"
        process.stdin.close()
        peak = int(process.stdout.readline())
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # Holding the upload would take 80 MiB (twice, to join the parts) on top of the
    # interpreter; spooled, the emulator's peak stays far below the document's size.
    assert peak < size * 3 // 4, f"peak RSS {peak / MIB:.0f} MiB for an 80 MiB upload"


def test_stopping_while_parts_are_joined_is_quiet_and_restart_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator = LeapOCREmulator(processing_seconds=0.05).start()
    data = make_pdf(["Restart"], pad_to=50 * MIB + 1)
    with api_client(emulator) as http:
        started = initiate(http, len(data))
        parts = put_parts(data, started)
        conform(http.post(f"/ocr/uploads/{started['job_id']}/complete", json={"parts": parts}))
    emulator.stop()  # while the parts are being joined, most likely
    emulator.start()
    try:
        with api_client(emulator) as http:
            job_id = upload(http, make_pdf(["Again"]))
            assert wait_result(http, job_id)["pages"][0]["result"] == "Again"
    finally:
        emulator.stop()
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert not errors, caplog.text


def test_url_uploads_take_file_name_and_images(
    emu: LeapOCREmulator, client: httpx.Client, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/scan").respond_with_data(jpeg(800, 600), content_type="image/jpeg")
    response = client.post(
        "/ocr/uploads/url",
        json={"url": httpserver.url_for("/scan"), "file_name": "receipt.jpg"},
    )
    job_id = matches_2026(conform(response), "upload.RemoteURLUploadResponse")["job_id"]
    result = wait_result(client, job_id)
    assert result["file_name"] == "receipt.jpg"
    assert result["pages"][0]["dimensions"] == {"width": 800, "height": 600}
    assert emu.get_job(job_id).file_bytes == jpeg(800, 600)


# -- status, result, errors, health -----------------------------------------------------------


def test_status_and_result_carry_times_and_names(client: httpx.Client, invoice_pdf: bytes) -> None:
    job_id = upload(client, invoice_pdf, file_name="invoice.pdf")
    result = wait_result(client, job_id)
    status = matches_2026(conform(client.get(f"/ocr/status/{job_id}")), "status.Response")
    assert status["file_name"] == result["file_name"] == "invoice.pdf"
    assert status["created_at"] == result["created_at"] and status["created_at"].endswith("Z")
    assert (
        status["completed_at"] == result["completed_at"]
        and result["completed_at"] >= result["created_at"]
    )
    assert isinstance(status["processing_time"], int) and "template_name" not in status


def test_running_jobs_have_no_completed_at(make_emu: Callable[..., LeapOCREmulator]) -> None:
    emulator = make_emu(processing_seconds=30)
    with api_client(emulator) as http:
        job_id = upload(http, make_pdf(["slow"]))
        status = matches_2026(conform(http.get(f"/ocr/status/{job_id}")), "status.Response")
        assert "completed_at" not in status
        running = http.get(f"/ocr/result/{job_id}")
        assert running.status_code == 202
        matches_2026(running.json(), "models.OCRStatusResponse")


def test_error_bodies_use_the_2026_codes(
    make_emu: Callable[..., LeapOCREmulator], client: httpx.Client
) -> None:
    unknown = "123e4567-e89b-12d3-a456-426614174000"
    error_2026(client.get(f"/ocr/status/{unknown}"), 404, "NOT_FOUND")
    error_2026(client.get("/ocr/status/nope"), 400, "BAD_REQUEST")
    with httpx.Client(base_url=client.base_url, verify=TLS) as anonymous:
        error_2026(anonymous.get(f"/ocr/status/{unknown}"), 401, "AUTHENTICATION_ERROR")
    poor = make_emu(credits=0)
    with api_client(poor) as http:
        response = http.post("/ocr/uploads/url", json={"url": "https://example.com/a.pdf"})
        error_2026(response, 402, "LESS_CREDITS")
    limited = make_emu(rate_limit=1)
    with api_client(limited) as http:
        http.get("/ocr/models")
        error_2026(http.get("/ocr/models"), 429, "TOO_MANY_REQUESTS")
    wrong_method = client.put("/ocr/models")
    assert wrong_method.status_code == 405
    assert matches_2026(wrong_method.json(), "response.ErrorResponse")["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("path", ["/health", "/api/v1/health"])
def test_health_needs_no_key(emu: LeapOCREmulator, path: str) -> None:
    response = httpx.get(emu.url + path, verify=TLS)
    assert response.status_code == 200
    body = matches_2026(response.json(), "health.HealthStatus", spec="service")
    assert body["status"] == "healthy" and body["checks"]["documents"]["status"] == "healthy"
    assert body["summary"] == {"healthy": 1, "degraded": 0, "down": 0, "total": 1}


def test_models_match_the_service_spec(client: httpx.Client) -> None:
    body = matches_2026(
        conform(client.get("/ocr/models")), "models_list.ModelsListResponse", spec="service"
    )
    assert [m["name"] for m in body["models"]] == [m.name for m in _contract.MODEL_CATALOGUE]


def test_the_error_codes_are_the_specs() -> None:
    for name in ("sdk", "service"):
        spec = json.loads((DATA / f"leapocr-{name}-openapi-2026.json").read_text())
        enum = spec["components"]["schemas"]["response.ErrorCode"]["enum"]
        assert enum == list(_contract.ERROR_CODES)
