"""LeapOCRLoader against the emulator with the real langchain_core, sync and async."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from leapocr_sdk import AsyncLeapOCR, ConfigurationError, JobFailedError, LeapOCR, ValidationError
from leapocr_sdk.integrations.langchain import LeapOCRLoader
from leapocr_sdk.testing import LeapOCREmulator
from tests.integrations.conftest import SCHEMA

Load = Callable[[Any], list[Any]]


def by_page(docs: list[Document]) -> dict[tuple[str, int], Document]:
    return {(Path(d.metadata["source"]).name, d.metadata["page_number"]): d for d in docs}


def test_page_mode_gives_one_document_per_page_with_its_metadata(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, scans: Path, load: Load
) -> None:
    loader = LeapOCRLoader(sorted(scans.glob("*.pdf")), poll_interval=0.02)
    assert isinstance(loader, BaseLoader)
    docs = load(loader)

    assert all(isinstance(d, Document) for d in docs)
    pages = by_page(docs)
    assert sorted(pages) == [("a.pdf", 1), ("a.pdf", 2), ("b.pdf", 1)]
    assert pages[("a.pdf", 2)].page_content == "page two of a"
    first = pages[("a.pdf", 1)]
    assert first.page_content == "Invoice Number: A-1\nTotal: 10.5"
    job = leapocr_emulator.get_job(first.metadata["job_id"])
    assert first.metadata == {
        "source": str(scans / "a.pdf"),
        "page_number": 1,
        "total_pages": 2,
        "job_id": job.id,
        "model": "standard-v2",
        "credits_used": 2,
        "confidence": 0.99,
    }
    assert len(leapocr_emulator.jobs) == 2  # one job per source


def test_single_mode_joins_the_pages_of_a_source(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, scans: Path, load: Load
) -> None:
    docs = load(LeapOCRLoader([scans / "a.pdf"], mode="single", poll_interval=0.02))
    (doc,) = docs
    assert doc.page_content == "Invoice Number: A-1\nTotal: 10.5\n\npage two of a"
    assert "page_number" not in doc.metadata
    assert doc.metadata["total_pages"] == 2 and doc.metadata["confidence"] == 0.99


def test_structured_output_is_the_json_of_data(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, scans: Path, load: Load
) -> None:
    docs = load(LeapOCRLoader([scans / "b.pdf"], mode="single", schema=SCHEMA, poll_interval=0.02))
    (doc,) = docs
    assert json.loads(doc.page_content) == {"invoice_number": "B-2", "total": 20, "vendor": None}
    assert leapocr_emulator.get_job(doc.metadata["job_id"]).result_format == "structured"


def test_a_failed_source_raises_by_default(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, broken: Path, load: Load
) -> None:
    with pytest.raises(JobFailedError) as caught:
        load(LeapOCRLoader([broken], poll_interval=0.02))
    assert f"source: {broken}" in caught.value.__notes__
    assert caught.value.error_message


def test_on_error_skip_warns_and_keeps_the_rest(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, scans: Path, broken: Path, load: Load
) -> None:
    missing = scans / "missing.pdf"
    loader = LeapOCRLoader([scans / "b.pdf", broken, missing], on_error="skip", poll_interval=0.02)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        docs = load(loader)
    assert [Path(d.metadata["source"]).name for d in docs] == ["b.pdf"]
    messages = sorted(str(w.message) for w in seen if w.category is UserWarning)
    assert len(messages) == 2
    assert messages[0].startswith(f"LeapOCR skipped {broken}: ")
    assert messages[1].startswith(f"LeapOCR skipped {missing}: ") and "not found" in messages[1]


def test_bad_mode_or_on_error_is_refused_before_any_request(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None
) -> None:
    with pytest.raises(ValidationError, match="mode must be 'page' or 'single', got 'pages'"):
        LeapOCRLoader(["a.pdf"], mode="pages")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="on_error must be 'raise' or 'skip'"):
        LeapOCRLoader(["a.pdf"], on_error="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="colour"):
        LeapOCRLoader(["a.pdf"], colour="blue").load()
    assert leapocr_emulator.requests == []


def test_a_loader_run_with_a_journal_never_pays_twice(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, scans: Path, tmp_path: Path, load: Load
) -> None:
    journal = tmp_path / "loader.sqlite"
    sources = sorted(scans.glob("*.pdf"))
    first = load(LeapOCRLoader(sources, journal=journal, poll_interval=0.02))
    credits_after_first = {job.id: job.credits_used for job in leapocr_emulator.jobs.values()}

    again = load(LeapOCRLoader(sources, journal=journal, poll_interval=0.02))

    assert len(leapocr_emulator.jobs) == 2  # nothing submitted again
    assert {j.id: j.credits_used for j in leapocr_emulator.jobs.values()} == credits_after_first
    assert sorted((d.page_content, d.metadata["job_id"]) for d in again) == sorted(
        (d.page_content, d.metadata["job_id"]) for d in first
    )


def test_a_run_stopped_early_resumes_without_paying_twice(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, tmp_path: Path
) -> None:
    from leapocr_sdk.testing import make_pdf

    sources = []
    for n in range(6):
        path = tmp_path / f"doc{n}.pdf"
        path.write_bytes(make_pdf([f"document {n}"]))
        sources.append(path)
    journal = tmp_path / "loader.sqlite"
    lazy = LeapOCRLoader(sources, journal=journal, concurrency=2, poll_interval=0.02).lazy_load()
    assert isinstance(lazy, Generator)
    taken = [next(lazy), next(lazy)]
    lazy.close()  # the consumer stops (a crash, a break) with documents in flight

    # The next run finishes the batch; a source whose submission was cut off may have
    # reached the service, so it is reported rather than paid for twice.
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        rest = LeapOCRLoader(sources, journal=journal, on_error="skip", poll_interval=0.02).load()
    reported = {str(w.message).split(": ")[0].removeprefix("LeapOCR skipped ") for w in seen}
    assert all("not submitted again" in str(w.message) for w in seen)

    loaded = {d.metadata["source"] for d in rest}
    assert loaded | reported == {str(p) for p in sources} and not loaded & reported
    assert {d.page_content for d in taken} <= {d.page_content for d in rest}
    paid: dict[str, int] = {}
    for job in leapocr_emulator.jobs.values():
        if job.credits_used:
            paid[job.file_name] = paid.get(job.file_name, 0) + 1
    assert set(paid.values()) == {1}  # no document paid twice
    assert {Path(s).name for s in loaded} <= set(paid)


def test_a_given_client_is_used_and_left_open(
    leapocr_emulator: LeapOCREmulator, scans: Path
) -> None:
    with LeapOCR(leapocr_emulator.api_key, base_url=leapocr_emulator.base_url) as client:
        docs = LeapOCRLoader([scans / "b.pdf"], client=client, poll_interval=0.02).load()
        assert [d.page_content for d in docs] == ["Invoice Number: B-2\nTotal: 20"]
        assert client.list_models()  # still open
        # aload() with a blocking client runs the blocking loader in a thread.
        again = asyncio.run(
            LeapOCRLoader([scans / "b.pdf"], client=client, poll_interval=0.02).aload()
        )
        assert [d.page_content for d in again] == [d.page_content for d in docs]

    async def main() -> list[Document]:
        async with AsyncLeapOCR(
            leapocr_emulator.api_key, base_url=leapocr_emulator.base_url
        ) as aclient:
            got = await LeapOCRLoader([scans / "b.pdf"], client=aclient, poll_interval=0.02).aload()
            assert await aclient.list_models()
            with pytest.raises(ConfigurationError, match="use alazy_load"):
                LeapOCRLoader([scans / "b.pdf"], client=aclient).load()
            return got

    assert [d.page_content for d in asyncio.run(main())] == ["Invoice Number: B-2\nTotal: 20"]
    assert len(leapocr_emulator.jobs) == 3


def test_a_bytes_source_is_named_by_its_jobs_file_name(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, scans: Path, load: Load
) -> None:
    document = (scans / "b.pdf").read_bytes()
    (doc,) = load(LeapOCRLoader([document], poll_interval=0.02))
    assert doc.metadata["source"] == "document.pdf"  # the job's file name
