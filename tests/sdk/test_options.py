"""Processing options as one typed object: composed once at the public edge, checked
before any request, carried to the wire as given. Sync and async, against the emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import DocumentOptions, JobOptions, ValidationError
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

FAST = {"poll_interval": 0.02}


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.02)


@pytest.fixture
def client(emu: LeapOCREmulator, make_client: Any) -> Any:
    return make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)


@pytest.mark.parametrize(
    ("misspelt", "meant"),
    [("modle", "model"), ("poll_intervall", "poll_interval"), ("extract_bounding_box", None)],
)
def test_a_misspelt_option_names_the_one_meant_before_any_request(
    emu: LeapOCREmulator, client: Any, misspelt: str, meant: str | None
) -> None:
    hint = f"did you mean '{meant}'" if meant else "did you mean 'extract_bounding_boxes'"
    with pytest.raises(ValidationError, match=f"unknown processing option '{misspelt}': {hint}"):
        client.process(make_pdf(["x"]), **{misspelt: True})
    with pytest.raises(ValidationError, match=f"unknown processing option '{misspelt}'"):
        list(client.process_many([make_pdf(["x"])], **{misspelt: True}))
    assert emu.requests == [] and emu.jobs == {}


def test_an_option_unlike_any_lists_them_all(emu: LeapOCREmulator, client: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        client.process(make_pdf(["x"]), colour="blue")
    message = str(caught.value)
    assert message.startswith("unknown processing option 'colour': the options are ")
    listed = message.rsplit("the options are ", 1)[1].split(", ")
    assert listed == sorted(DocumentOptions.__annotations__)
    assert emu.requests == []


def test_process_many_refuses_one_documents_file_name(emu: LeapOCREmulator, client: Any) -> None:
    with pytest.raises(ValidationError, match="file_name names one document"):
        list(client.process_many([make_pdf(["x"])], file_name="a.pdf"))
    assert emu.requests == []


def test_every_option_of_a_typed_dict_reaches_the_job(
    emu: LeapOCREmulator, client: Any, tmp_path: Path
) -> None:
    waiting: JobOptions = {"poll_interval": 0.02, "timeout": 30.0}
    one: DocumentOptions = {
        **waiting,
        "file_name": "renamed.pdf",
        "model": "pro-v1",
        "instruction": "Find the total",
        "extract_bounding_boxes": True,
        "output_type": "markdown",
    }
    result = client.process(make_pdf(["x"]), **one)
    job = emu.get_job(result.job_id)
    assert (job.file_name, job.model, job.instructions) == (
        "renamed.pdf",
        "pro-v1",
        "Find the total",
    )
    assert job.extract_bounding_boxes and job.result_format == "markdown"

    batch: JobOptions = {**waiting, "model": "pro-v1", "extract_bounding_boxes": True}
    items = list(client.process_many([make_pdf(["a"]), make_pdf(["b"])], **batch))
    assert all(item.result is not None for item in items)
    jobs = [emu.get_job(item.job_id) for item in items]
    assert all(j.model == "pro-v1" and j.extract_bounding_boxes for j in jobs)
    assert len(emu.jobs) == 3


def test_bad_option_values_fail_before_any_request(emu: LeapOCREmulator, client: Any) -> None:
    for options in (
        {"extract_bounding_boxes": "yes"},
        {"poll_interval": 0},
        {"on_progress": "print"},
        {"template_slug": "t", "model": "pro-v1"},
    ):
        with pytest.raises(ValidationError):
            client.process(make_pdf(["x"]), **options)
        with pytest.raises(ValidationError):
            list(client.process_many([make_pdf(["x"])], **options))
    assert emu.requests == []
