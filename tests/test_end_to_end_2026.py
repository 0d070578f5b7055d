"""The 2026 contract end to end, sync and async, against the offline emulator.

What the 2026 contract brought: a 300 MiB PDF and a PNG go through ``process_file``
with the client's memory bounded; ``standard-v2``, ``extract_bounding_boxes`` and
``save_as_template`` work end to end and the pages carry confidence, dimensions and
bounding boxes; templates, deleted jobs, ``health()`` and the model catalogue.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import (
    JobDeletedError,
    JobStatus,
    Model,
    ValidationError,
    builtin_models,
    estimate_credits,
)
from leapocr_sdk.testing import IMAGE_PAGE_MARKER, LeapOCREmulator, make_pdf

PAGES = [
    "INVOICE\nInvoice Number: INV-2026-7\nVendor: Acme Ltd.",
    "Total Amount: 99.5\nPaid: true\nThank you.",
]
SCHEMA = {
    "type": "object",
    "properties": {"invoice_number": {"type": "string"}, "total_amount": {"type": "number"}},
}
MiB = 1024 * 1024


def make_png(width: int, height: int) -> bytes:
    """A valid grey PNG of ``width`` x ``height`` pixels (standard library only)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.1, credits=10_000)


@pytest.fixture
def client(emu: LeapOCREmulator, make_client: Any) -> Any:
    return make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)


def test_standard_v2_with_bounding_boxes_and_a_saved_template(
    emu: LeapOCREmulator, client: Any
) -> None:
    job = client.process_file(
        make_pdf(PAGES),
        file_name="invoice.pdf",
        model=Model.STANDARD_V2,
        extract_bounding_boxes=True,
        save_as_template=True,
    )
    result = client.wait_until_done(job.job_id, poll_interval=0.02, timeout=20)
    assert result.model == "standard-v2" and result.result_format == "markdown"
    # Bounding boxes cost 1 credit a page more (the product page).
    assert result.credits_used == len(PAGES) * (Model.STANDARD_V2.credits_per_page + 1)
    assert result.credits_used == estimate_credits(len(PAGES), extract_bounding_boxes=True)
    assert result.file_name == "invoice.pdf"
    assert result.completed_at is not None and result.completed_at.tzinfo is not None
    assert [page.text for page in result.pages] == PAGES
    for page in result.pages:
        assert page.confidence is not None and 0.0 <= page.confidence <= 1.0
        assert page.dimensions is not None and page.dimensions.width > 0
        assert page.has_bounding_boxes is True
        assert page.bounding_boxes, f"page {page.page_number} has no bounding boxes"
        texts = [box.text or "" for box in page.bounding_boxes]
        assert any("Invoice Number" in t or "Total Amount" in t for t in texts)
        for box in page.bounding_boxes:
            assert box.bounds is not None
            assert 0 <= box.bounds.x < page.dimensions.width
            assert 0 <= box.bounds.y < page.dimensions.height
            assert box.bounds.width > 0 and box.bounds.height > 0
    json.dumps(result.to_dict())  # JSON-ready, boxes included
    info = client.get_status(job.job_id)
    assert info.file_name == "invoice.pdf" and info.created_at is not None


def test_a_png_goes_through_process_file(emu: LeapOCREmulator, client: Any) -> None:
    job = client.process_file(make_png(64, 48))
    assert emu.get_job(job.job_id).file_name == "document.png"
    result = client.wait_until_done(job.job_id, poll_interval=0.02, timeout=20)
    assert result.status is JobStatus.COMPLETED and len(result.pages) == 1
    page = result.pages[0]
    assert page.text is not None and page.text.startswith(IMAGE_PAGE_MARKER)
    assert "PNG image, 64x48 px" in page.text
    assert page.dimensions is not None
    assert (page.dimensions.width, page.dimensions.height) == (64, 48)


def test_a_text_file_named_pdf_is_refused_before_any_request(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    path = tmp_path / "notes.pdf"
    path.write_text("just some notes, not a PDF\n")
    with pytest.raises(ValidationError, match="no credits were used"):
        client.process_file(path)
    assert emu.requests == []


def test_structured_with_schema_and_instruction_then_a_template(
    emu: LeapOCREmulator, client: Any
) -> None:
    job = client.process_file(
        make_pdf(PAGES), schema=SCHEMA, instruction="Invoice fields", model=Model.PRO_V2
    )
    result = client.wait_until_done(job.job_id, poll_interval=0.02, timeout=20)
    assert result.result_format == "structured"
    assert result.data == {"invoice_number": "INV-2026-7", "total_amount": 99.5}
    assert result.credits_used == len(PAGES) * (3 + 1)  # pro-v2 with its structured surcharge
    emu.add_template("invoices", name="Invoice Extractor", schema=SCHEMA)
    job = client.process_file(make_pdf(PAGES), template_slug="invoices")
    result = client.wait_until_done(job.job_id, poll_interval=0.02, timeout=20)
    assert result.data == {"invoice_number": "INV-2026-7", "total_amount": 99.5}
    assert client.get_status(job.job_id).template_name == "Invoice Extractor"


def test_a_deleted_job_never_reads_as_a_result(emu: LeapOCREmulator, client: Any) -> None:
    job = client.process_file(make_pdf(PAGES))
    client.wait_until_done(job.job_id, poll_interval=0.02, timeout=20)
    client.delete_job(job.job_id)
    with pytest.raises(JobDeletedError, match="deleted"):
        client.get_result(job.job_id)
    with pytest.raises(JobDeletedError):
        client.wait_until_done(job.job_id, poll_interval=0.02, timeout=5)
    assert client.get_status(job.job_id).deleted_at is not None


def test_health_and_the_model_catalogue(emu: LeapOCREmulator, client: Any) -> None:
    health = client.health()
    assert health.healthy is True and health.status
    listed = {m.name: m.credits_per_page for m in client.list_models()}
    assert listed == {m.name: m.credits_per_page for m in builtin_models()}
    assert listed["standard-v2"] == 1 and listed["pro-v2"] == 3


UPLOADER = textwrap.dedent(
    """
    import json, sys
    from leapocr_sdk import LeapOCR, AsyncLeapOCR

    def high_water_kib():  # VmHWM starts anew at exec; ru_maxrss would carry the parent's
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith("VmHWM:"))
        return int(line.split()[1])

    flavor, base_url, key, path = sys.argv[1:5]
    baseline = high_water_kib()
    if flavor == "sync":
        with LeapOCR(key, base_url=base_url) as client:
            job = client.process_file(path)
    else:
        import asyncio
        async def main():
            async with AsyncLeapOCR(key, base_url=base_url) as client:
                return await client.process_file(path)
        job = asyncio.run(main())
    peak = high_water_kib()
    print(json.dumps({"job_id": job.job_id, "baseline_kib": baseline, "peak_kib": peak}))
    """
)


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_300_mib_pdf_uploads_with_bounded_memory(
    flavor: str, leapocr_emulator_factory: Any, tmp_path: Path
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.1, credits=10_000)
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf(["A very large scan"], pad_to=300 * MiB))  # freed right away
    done = subprocess.run(
        [sys.executable, "-c", UPLOADER, flavor, emu.base_url, emu.api_key, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    parts = [r for r in emu.requests if r.route == "upload_part"]
    assert len(parts) == 60  # 300 MiB in 5 MiB parts
    assert emu.count("complete") == 1
    # The whole file never sits in the uploader's memory: its peak stays far below 300 MiB
    # (4 parts of 5 MiB in flight, read in 1 MiB chunks, plus the interpreter and httpx).
    assert report["peak_kib"] < 150 * 1024, report
    job = emu.wait_for_job(report["job_id"], timeout=120)
    assert (job.status, job.file_size, job.page_texts) == (
        "completed",
        300 * MiB,
        ("A very large scan",),
    )
