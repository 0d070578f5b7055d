"""Job progression, results, pagination, structured extraction and deletion."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.openapi_checks import conform

from .conftest import api_client, assert_error, raw, upload, wait_result

UNKNOWN = "6f0e0a52-4a3e-4bd4-a3a4-1f2e3d4c5b6a"
INVOICE_SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "date": {"type": "string"},
        "vendor": {"type": "string"},
        "total_amount": {"type": "number"},
        "subtotal": {"type": ["number", "null"]},
        "item_count": {"type": "integer"},
        "paid": {"type": "boolean"},
        "customer": {"type": "string"},
    },
}


def test_job_progresses_page_by_page(
    make_emu: Callable[..., LeapOCREmulator],
) -> None:
    emulator = make_emu(processing_seconds=1.0)
    pdf = make_pdf([f"page {n}" for n in range(1, 6)])
    with api_client(emulator) as http:
        job_id = upload(http, pdf)
        seen: list[tuple[str, int]] = []
        codes: set[int] = set()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            status = conform(http.get(f"/ocr/status/{job_id}"))
            assert status["id"] == job_id and status["file_name"] == "doc.pdf"
            assert status["result_format"] == "markdown"
            seen.append((status["status"], status["processed_pages"]))
            result = http.get(f"/ocr/result/{job_id}")
            body = conform(result)
            codes.add(result.status_code)
            if result.status_code == 202:
                assert body["status"] in ("pending", "processing")
                assert body["job_id"] == job_id
            if status["status"] == "completed" and result.status_code == 200:
                break
            time.sleep(0.03)
    statuses = [s for s, _ in seen]
    assert statuses[0] == "pending" and statuses[-1] == "completed"
    assert "processing" in statuses
    order = {"pending": 0, "processing": 1, "completed": 2}
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)
    processed = [n for _, n in seen]
    assert processed == sorted(processed)  # monotonic
    assert len({n for s, n in seen if s == "processing"}) >= 3  # page by page
    assert seen[-1] == ("completed", 5)
    assert codes == {200, 202}
    assert status["total_pages"] == 5 and status["processing_time"] >= 0


def test_processing_seconds_range_and_seed(make_emu: Callable[..., LeapOCREmulator]) -> None:
    durations = []
    for _ in range(2):
        emulator = make_emu(processing_seconds=(0.01, 0.2), seed=42)
        with api_client(emulator) as http:
            job_id = upload(http, make_pdf(["x"]))
            durations.append(emulator.get_job(job_id).processing_seconds)
            assert job_id == str(next(iter(emulator.jobs)))
    assert durations[0] == durations[1] and 0.01 <= durations[0] <= 0.2


def test_same_seed_same_ids(make_emu: Callable[..., LeapOCREmulator]) -> None:
    ids = []
    for _ in range(2):
        with api_client(make_emu(seed=7)) as http:
            ids.append(upload(http, make_pdf(["x"])))
    assert ids[0] == ids[1]


def test_result_fields(client: httpx.Client, invoice_pdf: bytes) -> None:
    job_id = upload(client, invoice_pdf, model="english-pro-v1")
    result = wait_result(client, job_id)
    assert result["job_id"] == job_id and result["status"] == "completed"
    assert result["file_name"] == "doc.pdf" and result["result_format"] == "markdown"
    assert result["model"] == "english-pro-v1" and result["credits_used"] == 6
    assert result["processed_pages"] == result["total_pages"] == 3
    assert result["completed_at"].endswith("Z")
    assert [p["page_number"] for p in result["pages"]] == [1, 2, 3]
    assert len({p["id"] for p in result["pages"]}) == 3
    assert result["pagination"] == {"page": 1, "limit": 100, "total": 3, "total_pages": 1}


def test_pagination(client: httpx.Client) -> None:
    job_id = upload(client, make_pdf([f"page {n}" for n in range(1, 8)]))
    wait_result(client, job_id)
    collected = []
    for page in (1, 2, 3):
        body = conform(client.get(f"/ocr/result/{job_id}", params={"page": page, "limit": 3}))
        assert body["pagination"] == {"page": page, "limit": 3, "total": 7, "total_pages": 3}
        collected += [p["result"] for p in body["pages"]]
    assert collected == [f"page {n}" for n in range(1, 8)]
    beyond = conform(client.get(f"/ocr/result/{job_id}", params={"page": 4, "limit": 3}))
    assert beyond["pages"] == [] and beyond["pagination"]["total"] == 7
    one = conform(client.get(f"/ocr/result/{job_id}", params={"limit": 1000}))
    assert len(one["pages"]) == 7


@pytest.mark.parametrize(
    "params",
    [{"page": 0}, {"page": -1}, {"page": "x"}, {"limit": 0}, {"limit": 1001}, {"limit": "1.5"}],
)
def test_pagination_out_of_range(client: httpx.Client, params: dict[str, Any]) -> None:
    job_id = upload(client, make_pdf(["x"]))
    assert_error(client.get(f"/ocr/result/{job_id}", params=params), 400)


def test_max_result_limit(make_emu: Callable[..., LeapOCREmulator]) -> None:
    with api_client(make_emu(max_result_limit=2)) as http:
        job_id = upload(http, make_pdf(["a", "b", "c"]))
        wait_result(http, job_id, limit=2)
        assert_error(http.get(f"/ocr/result/{job_id}", params={"limit": 3}), 400)


@pytest.mark.parametrize("route", ["status", "result"])
def test_unknown_and_malformed_job_ids(client: httpx.Client, route: str) -> None:
    assert_error(client.get(f"/ocr/{route}/{UNKNOWN}"), 404, "NOT_FOUND")
    assert_error(client.get(f"/ocr/{route}/job_abc123"), 400)
    assert_error(client.delete(f"/ocr/delete/{UNKNOWN}"), 404)
    assert_error(client.delete("/ocr/delete/not-a-uuid"), 400)


def test_structured_extraction(client: httpx.Client, invoice_pdf: bytes) -> None:
    job_id = upload(client, invoice_pdf, format="structured", schema=INVOICE_SCHEMA)
    result = wait_result(client, job_id)
    assert result["result_format"] == "structured"
    first, second, third = (page["result"] for page in result["pages"])
    # Page 1 carries the document-level object, filled from every page.
    assert first == {
        "invoice_number": "INV-2026-0042",
        "date": "2026-11-02",
        "vendor": "Northwind Ltd.",
        "total_amount": 1234.56,
        "subtotal": 1200.0,
        "item_count": 7,
        "paid": True,
        "customer": None,
    }
    assert second["total_amount"] == 1234.56
    assert second["subtotal"] == 1200.0
    assert second["item_count"] == 7 and isinstance(second["item_count"], int)
    assert second["paid"] is True
    assert set(third.values()) == {None}


def test_structured_casts_only_what_parses(client: httpx.Client) -> None:
    pdf = make_pdf(["Total Amount: about ten\nItem Count: 2.5\nPaid: maybe\nNote-Text: ok"])
    schema = {
        "type": "object",
        "properties": {
            "total_amount": {"type": "number"},
            "item_count": {"type": "integer"},
            "paid": {"type": "boolean"},
            "note_text": {"type": "string"},
        },
    }
    result = wait_result(client, upload(client, pdf, format="structured", schema=schema))
    assert result["pages"][0]["result"] == {
        "total_amount": None,
        "item_count": None,
        "paid": None,
        "note_text": "ok",
    }


def test_template_without_schema_returns_every_key_value(
    emu: LeapOCREmulator, client: httpx.Client, invoice_pdf: bytes
) -> None:
    emu.add_template("invoice")
    job_id = upload(client, invoice_pdf, template_slug="invoice")
    second = wait_result(client, job_id)["pages"][1]["result"]
    assert second == {
        "subtotal": "1,200.00",
        "total_amount": "1234.56",
        "item_count": "7",
        "paid": "yes",
    }


def test_delete_redacts_the_job(
    emu: LeapOCREmulator, client: httpx.Client, invoice_pdf: bytes
) -> None:
    emu.add_template("invoice", name="Invoice Extractor", schema=INVOICE_SCHEMA)
    job_id = upload(client, invoice_pdf, template_slug="invoice")
    wait_result(client, job_id)
    response = client.delete(f"/ocr/delete/{job_id}")
    body = conform(response)
    assert body["id"] == job_id and body["status"] == "completed"
    assert body["deleted_at"].endswith("Z")
    assert body["credits_used"] == 6  # 3 structured standard-v2 pages: (1 + 1) each
    assert body["template_name"] == "Invoice Extractor" and body["template_id"]
    job = emu.get_job(job_id)
    assert job.file_bytes is None and job.page_texts is None and job.results is None
    after = conform(client.get(f"/ocr/result/{job_id}"))
    assert after["deleted_at"] == body["deleted_at"]
    assert after["pages"] == [
        {"id": page_id, "page_number": number, "result": None}
        for number, page_id in enumerate((p["id"] for p in after["pages"]), start=1)
    ]
    assert len(after["pages"]) == 3 and after["status"] == "completed"
    status = conform(client.get(f"/ocr/status/{job_id}"))
    assert status["status"] == "completed" and status["deleted_at"] == body["deleted_at"]
    assert_error(client.delete(f"/ocr/delete/{job_id}"), 404, "NOT_FOUND")


def test_delete_while_processing_freezes_the_job(
    make_emu: Callable[..., LeapOCREmulator], invoice_pdf: bytes
) -> None:
    emulator = make_emu(processing_seconds=30, credits=50)
    with api_client(emulator) as http:
        job_id = upload(http, invoice_pdf)
        body = conform(http.delete(f"/ocr/delete/{job_id}"))
        assert body["status"] == "pending" and body["completed_at"] == ""
        result = conform(http.get(f"/ocr/result/{job_id}"))
        assert result["pages"] == [] and "deleted_at" in result
        assert emulator.credits == 50


def test_upload_after_delete_is_refused(client: httpx.Client) -> None:
    data = make_pdf(["x"])
    started = client.post(
        "/ocr/uploads/direct",
        json={"file_name": "a.pdf", "content_type": "application/pdf", "file_size": len(data)},
    ).json()
    conform(client.delete(f"/ocr/delete/{started['job_id']}"))
    assert raw("PUT", started["parts"][0]["upload_url"], content=data).status_code == 404
    parts = [{"part_number": 1, "etag": '"x"'}]
    assert_error(
        client.post(f"/ocr/uploads/{started['job_id']}/complete", json={"parts": parts}), 404
    )


def test_unknown_routes_and_methods(emu: LeapOCREmulator, client: httpx.Client) -> None:
    assert client.get("/ocr/jobs").status_code == 404
    assert client.delete(f"/ocr/jobs/{UNKNOWN}").status_code == 404
    assert client.post("/ocr/models").status_code == 405
    assert raw("GET", emu.url + "/nowhere").status_code == 404
    assert {r.route for r in emu.requests} == {"unknown", "models"}
