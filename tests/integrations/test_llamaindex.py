"""LeapOCRReader against the emulator with the real llama_index.core, sync and async."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from llama_index.core import SimpleDirectoryReader
from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document

from leapocr_sdk import AsyncLeapOCR, ConfigurationError, JobFailedError, LeapOCR, ValidationError
from leapocr_sdk.integrations.llamaindex import LeapOCRReader
from leapocr_sdk.testing import IMAGE_PAGE_MARKER, LeapOCREmulator
from tests.integrations.conftest import SCHEMA


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_simple_directory_reader_reads_pdfs_and_images_through_leapocr(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, scans: Path, flavor: str
) -> None:
    reader = LeapOCRReader(poll_interval=0.02)
    assert isinstance(reader, BaseReader)
    directory = SimpleDirectoryReader(
        str(scans), file_extractor={".pdf": reader, ".png": reader}, raise_on_error=True
    )
    docs = directory.load_data() if flavor == "sync" else asyncio.run(directory.aload_data())

    assert all(isinstance(d, Document) for d in docs)
    pages = {(d.metadata["file_name"], d.metadata["page_number"]): d for d in docs}
    assert sorted(pages) == [("a.pdf", 1), ("a.pdf", 2), ("b.pdf", 1), ("c.png", 1)]
    assert pages[("a.pdf", 2)].text == "page two of a"
    assert pages[("c.png", 1)].text.startswith(IMAGE_PAGE_MARKER)
    first = pages[("a.pdf", 1)]
    assert first.text == "Invoice Number: A-1\nTotal: 10.5"
    meta = first.metadata
    assert meta["source"] == str(scans / "a.pdf")
    assert {k: meta[k] for k in ("total_pages", "model", "credits_used", "confidence")} == {
        "total_pages": 2,
        "model": "standard-v2",
        "credits_used": 2,
        "confidence": 0.99,
    }
    assert leapocr_emulator.get_job(meta["job_id"]).file_name == "a.pdf"
    assert meta["file_size"] == (scans / "a.pdf").stat().st_size  # SimpleDirectoryReader's own
    assert len(leapocr_emulator.jobs) == 3


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_load_data_with_extra_info_and_structured_output(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, scans: Path, flavor: str
) -> None:
    reader = LeapOCRReader(schema=SCHEMA, poll_interval=0.02)
    path = scans / "b.pdf"
    if flavor == "sync":
        docs = reader.load_data(path, extra_info={"batch": "december"})
    else:
        docs = asyncio.run(reader.aload_data(path, extra_info={"batch": "december"}))
    (doc,) = docs
    assert json.loads(doc.text) == {"invoice_number": "B-2", "total": 20, "vendor": None}
    assert doc.metadata["batch"] == "december" and doc.metadata["page_number"] == 1


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_a_failed_document_raises_its_error(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, broken: Path, tmp_path: Path, flavor: str
) -> None:
    reader = LeapOCRReader(poll_interval=0.02)

    def read(path: Path) -> list[Document]:
        return reader.load_data(path) if flavor == "sync" else asyncio.run(reader.aload_data(path))

    with pytest.raises(JobFailedError) as caught:
        read(broken)
    assert f"source: {broken}" in caught.value.__notes__
    with pytest.raises(ValidationError, match="not found"):
        read(tmp_path / "missing.pdf")
    assert len(leapocr_emulator.jobs) == 1  # the missing file was never submitted


def test_a_given_client_is_used_and_left_open(
    leapocr_emulator: LeapOCREmulator, scans: Path
) -> None:
    with LeapOCR(leapocr_emulator.api_key, base_url=leapocr_emulator.base_url) as client:
        reader = LeapOCRReader(client=client, poll_interval=0.02)
        assert [d.text for d in reader.load_data(scans / "b.pdf")] == [
            "Invoice Number: B-2\nTotal: 20"
        ]
        assert [d.text for d in asyncio.run(reader.aload_data(scans / "b.pdf"))] == [
            "Invoice Number: B-2\nTotal: 20"
        ]
        assert client.list_models()

    async def main() -> list[Document]:
        async with AsyncLeapOCR(
            leapocr_emulator.api_key, base_url=leapocr_emulator.base_url
        ) as aclient:
            reader = LeapOCRReader(client=aclient, poll_interval=0.02)
            with pytest.raises(ConfigurationError, match="use aload_data"):
                reader.load_data(scans / "b.pdf")
            return await reader.aload_data(scans / "b.pdf")

    assert [d.text for d in asyncio.run(main())] == ["Invoice Number: B-2\nTotal: 20"]
    with pytest.raises(ConfigurationError, match="client must be a LeapOCR"):
        LeapOCRReader(client="key")  # type: ignore[arg-type]
