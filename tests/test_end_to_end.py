"""Every public method, sync and async, end to end against the offline emulator."""

from __future__ import annotations

from typing import Any

import pytest

from leapocr_sdk import (
    AuthenticationError,
    InsufficientCreditsError,
    JobDeletedError,
    JobFailedError,
    JobNotReadyError,
    JobStatus,
    Model,
    NotFoundError,
    OutputFormat,
)
from leapocr_sdk._contract import MODEL_CATALOGUE
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

PAGES = [
    "Invoice Number: INV-7\nVendor: Acme Ltd.\nFirst page text",
    "Total Amount: 99.5\nPaid: true\nSecond page text",
    "Third page, no fields",
]
SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "total_amount": {"type": "number"},
        "paid": {"type": "boolean"},
    },
}


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.1, credits=1000)


@pytest.fixture
def client(emu: LeapOCREmulator, make_client: Any) -> Any:
    return make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)


def test_file_to_markdown_and_delete(emu: LeapOCREmulator, client: Any, tmp_path: Any) -> None:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(make_pdf(PAGES))
    progress: list[tuple[int, int]] = []
    job = client.process_file(
        path, model=Model.PRO_V1, on_upload_progress=lambda s, t: progress.append((s, t))
    )
    assert job.status is JobStatus.PENDING
    assert progress[-1] == (path.stat().st_size, path.stat().st_size)
    seen: list[JobStatus] = []
    result = client.wait_until_done(
        job.job_id, poll_interval=0.02, timeout=10, on_progress=lambda i: seen.append(i.status)
    )
    assert [page.text for page in result.pages] == PAGES
    assert [page.page_number for page in result.pages] == [1, 2, 3]
    assert result.credits_used == 3 * Model.PRO_V1.credits_per_page
    assert result.model == "pro-v1" and result.result_format == "markdown"
    assert seen[-1] is JobStatus.COMPLETED
    assert emu.credits == 1000 - 9
    info = client.get_status(job.job_id)
    assert (info.status, info.progress, info.total_pages) == (JobStatus.COMPLETED, 1.0, 3)
    assert client.get_result(job.job_id).pages == result.pages
    client.delete_job(job.job_id)
    with pytest.raises(JobDeletedError):
        client.get_result(job.job_id)
    with pytest.raises(NotFoundError):
        client.delete_job(job.job_id)
    assert emu.key_leaks == 0


def test_url_to_structured(emu: LeapOCREmulator, client: Any, httpserver: Any) -> None:
    httpserver.expect_request("/doc.pdf").respond_with_data(
        make_pdf(PAGES), content_type="application/pdf"
    )
    job = client.process_url(
        httpserver.url_for("/doc.pdf"), output_type=OutputFormat.STRUCTURED, schema=SCHEMA
    )
    result = client.wait_until_done(job.job_id, poll_interval=0.02, timeout=10)
    assert result.data == {"invoice_number": "INV-7", "total_amount": 99.5, "paid": True}
    assert result.result_format == "structured"


def test_result_before_done_and_failed_job(client: Any) -> None:
    job = client.process_file(make_pdf(PAGES))
    with pytest.raises(JobNotReadyError):
        client.get_result(job.job_id)
    bad = client.process_file(b"%PDF-1.7 but broken inside", file_name="bad.pdf")
    with pytest.raises(JobFailedError) as failed:
        client.wait_until_done(bad.job_id, poll_interval=0.02, timeout=10)
    assert failed.value.job_id == bad.job_id and failed.value.error_message


def test_models_credits_and_auth(emu: LeapOCREmulator, client: Any, make_client: Any) -> None:
    models = {m.name: m.credits_per_page for m in client.list_models()}
    assert models == {spec.name: spec.credits_per_page for spec in MODEL_CATALOGUE}
    emu.credits = 0
    with pytest.raises(InsufficientCreditsError):
        client.process_file(make_pdf(["x"]))
    wrong = make_client(api_key="wrong-key", base_url=emu.base_url)
    with pytest.raises(AuthenticationError) as denied:
        wrong.list_models()
    assert denied.value.status_code == 401 and "wrong-key" not in str(denied.value)


def test_large_upload_in_parts(emu: LeapOCREmulator, client: Any, tmp_path: Any) -> None:
    path = tmp_path / "big.pdf"
    path.write_bytes(make_pdf(["Big document"], pad_to=56 * 1024 * 1024))
    job = client.process_file(path)
    puts = [r for r in emu.requests if r.route == "upload_part"]
    assert len(puts) == 12 and all("x-api-key" not in r.headers for r in puts)
    assert emu.count("complete") == 1
    result = client.wait_until_done(job.job_id, poll_interval=0.02, timeout=20)
    assert result.pages[0].text == "Big document"
