"""JobResult.to_pandas and to_dataframe against the emulator with the real pandas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from leapocr_sdk import JobResult, JobStatus, PageResult, ValidationError
from leapocr_sdk.integrations.pandas import DOCUMENT_COLUMNS, PAGE_COLUMNS, to_dataframe
from leapocr_sdk.testing import LeapOCREmulator
from tests.integrations.conftest import SCHEMA


def test_to_pandas_has_one_row_per_page(
    make_client: Any, leapocr_emulator: LeapOCREmulator, scans: Path
) -> None:
    client = make_client(
        api_key=leapocr_emulator.api_key, base_url=leapocr_emulator.base_url, real_sleep=True
    )
    result = client.process(str(scans / "a.pdf"), poll_interval=0.02)
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert tuple(frame.columns) == PAGE_COLUMNS
    assert frame.to_dict("records") == [
        {
            "page_number": 1,
            "text": "Invoice Number: A-1\nTotal: 10.5",
            "confidence": 0.99,
            "width": 612,
            "height": 792,
            "has_bounding_boxes": False,
        },
        {
            "page_number": 2,
            "text": "page two of a",
            "confidence": 0.99,
            "width": 612,
            "height": 792,
            "has_bounding_boxes": False,
        },
    ]


def test_to_dataframe_has_one_row_per_document_with_data_flattened(
    make_client: Any, leapocr_emulator: LeapOCREmulator, scans: Path, broken: Path
) -> None:
    client = make_client(
        api_key=leapocr_emulator.api_key, base_url=leapocr_emulator.base_url, real_sleep=True
    )
    sources = [str(scans / "a.pdf"), str(scans / "b.pdf"), str(broken)]
    items = list(client.process_many(sources, schema=SCHEMA, poll_interval=0.02))
    frame = to_dataframe(items)
    frame = frame.sort_values(
        "source", key=lambda s: s.map(lambda v: Path(v).name), ignore_index=True
    )

    assert list(frame.columns) == [
        *DOCUMENT_COLUMNS,
        "data.invoice_number",
        "data.total",
        "data.vendor",
    ]
    rows = frame.to_dict("records")
    assert [Path(r["source"]).name for r in rows] == ["a.pdf", "b.pdf", "broken.pdf"]
    assert rows[0]["status"] == "completed" and rows[0]["pages"] == 2
    assert rows[0]["data.invoice_number"] == "A-1" and rows[0]["data.total"] == 10.5
    # One page of standard-v2 with a schema: 1 credit and the structured surcharge, 1.
    assert rows[1]["credits"] == 2 and rows[1]["data.invoice_number"] == "B-2"
    assert rows[1]["job_id"] in leapocr_emulator.jobs
    assert rows[2]["status"] == "failed" and rows[2]["pages"] == 0 and rows[2]["credits"] == 0
    assert "could not be read" in rows[2]["error"]
    assert pd.isna(rows[2]["data.invoice_number"])
    assert pd.isna(rows[0]["error"])


def test_to_dataframe_of_results_and_skipped_items(
    make_client: Any, leapocr_emulator: LeapOCREmulator, scans: Path, tmp_path: Path
) -> None:
    client = make_client(
        api_key=leapocr_emulator.api_key, base_url=leapocr_emulator.base_url, real_sleep=True
    )
    journal = str(tmp_path / "j.sqlite")
    first = list(client.process_many([str(scans / "b.pdf")], journal=journal, poll_interval=0.02))
    again = list(client.process_many([str(scans / "b.pdf")], journal=journal, poll_interval=0.02))
    assert again[0].skipped

    results = to_dataframe([first[0].result])
    assert results.loc[0, "source"] == "b.pdf" and results.loc[0, "credits"] == 1
    skipped = to_dataframe(again)
    assert skipped.loc[0, "status"] == "skipped" and skipped.loc[0, "credits"] == 0
    assert list(to_dataframe([]).columns) == list(DOCUMENT_COLUMNS)
    with pytest.raises(ValidationError, match="takes JobResults or BatchItems, got a str"):
        to_dataframe(["a.pdf"])  # type: ignore[list-item]


def test_nested_data_becomes_dotted_columns_and_lists_stay_values() -> None:
    result = JobResult(
        job_id="job-1",
        status=JobStatus.COMPLETED,
        credits_used=3,
        processing_time_seconds=None,
        model="pro-v2",
        result_format="structured",
        pages=(PageResult(page_number=1, text=None, data=None, result=None),),
        data={
            "vendor": {"name": "ACME", "address": {"city": "Oslo"}},
            "lines": [1, 2],
            "empty": {},
        },
        file_name="x.pdf",
    )
    (row,) = to_dataframe([result]).to_dict("records")
    assert row["data.vendor.name"] == "ACME" and row["data.vendor.address.city"] == "Oslo"
    assert row["data.lines"] == [1, 2] and row["data.empty"] == {}


def test_without_pandas_the_error_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "from leapocr_sdk import JobResult, JobStatus\n"
        "r = JobResult('j', JobStatus.COMPLETED, 1, None, None, None, (), None)\n"
        "try:\n    r.to_pandas()\n"
        "except ModuleNotFoundError as exc:\n    print(exc)\n"
        "try:\n    import leapocr_sdk.integrations.pandas\n"
        "except ModuleNotFoundError as exc:\n    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (
        out.stdout.splitlines()
        == ["pandas is not installed: pip install 'leapocr-sdk[pandas]'"] * 2
    )
