"""LeapOCRMapper called as Ray calls it (a dict of numpy columns), in this process.

The same class on a real local Ray cluster: tests/integrations/test_ray.py (make
check-slow).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from leapocr_sdk import ValidationError
from leapocr_sdk.integrations.ray import OUTPUT_COLUMNS, LeapOCRMapper
from leapocr_sdk.testing import LeapOCREmulator
from tests.integrations.conftest import SCHEMA


def test_a_batch_comes_back_in_order_one_row_per_source(
    leapocr_emulator: LeapOCREmulator, leapocr_env: None, scans: Path, broken: Path
) -> None:
    mapper = LeapOCRMapper(concurrency=3, poll_interval=0.02)
    a, b = str(scans / "a.pdf"), str(scans / "b.pdf")
    batch = {"source": np.array([b, str(broken), a, b, str(scans / "gone.pdf")]), "n": np.arange(5)}
    out = mapper(batch)
    mapper.close()

    assert tuple(out) == OUTPUT_COLUMNS
    assert out["source"] == [b, str(broken), a, b, str(scans / "gone.pdf")]
    assert out["status"] == ["completed", "failed", "completed", "completed", "failed"]
    assert out["markdown"][0] == out["markdown"][3] == "Invoice Number: B-2\nTotal: 20"
    assert out["markdown"][2] == "Invoice Number: A-1\nTotal: 10.5\n\npage two of a"
    assert out["credits"] == [1, 0, 2, 1, 0]
    assert out["data_json"] == [None] * 5
    assert out["error"][0] is None and "could not be read" in out["error"][1]
    assert "file not found" in out["error"][4] and out["job_id"][4] is None
    assert len(set(out["job_id"][:4])) == 4 and set(out["job_id"][:4]) == set(leapocr_emulator.jobs)
    assert all(type(v) is str for v in out["source"])  # plain str, not numpy scalars


def test_structured_data_and_bytes_sources(leapocr_emulator: LeapOCREmulator, scans: Path) -> None:
    mapper = LeapOCRMapper(
        source_column="pdf",
        api_key=leapocr_emulator.api_key,
        base_url=leapocr_emulator.base_url,
        schema=SCHEMA,
        poll_interval=0.02,
    )
    out = mapper({"pdf": np.array([(scans / "b.pdf").read_bytes()], dtype=object)})
    assert out["status"] == ["completed"] and out["markdown"] == [None]
    assert json.loads(out["data_json"][0]) == {"invoice_number": "B-2", "total": 20, "vendor": None}
    assert out["source"] == ["document.pdf"]
    with pytest.raises(ValidationError, match=r"no column 'pdf' \(columns: \['source'\]\)"):
        mapper({"source": np.array(["x.pdf"])})
    mapper.close()


def test_the_submit_rate_is_shared_among_the_actors(leapocr_env: None) -> None:
    assert LeapOCRMapper(submit_rate=8, actors=4).submit_rate == 2.0
    assert LeapOCRMapper(submit_rate=5).submit_rate == 5.0
    assert LeapOCRMapper().submit_rate is None
    for bad in (
        {"actors": 0},
        {"actors": True},
        {"submit_rate": 0},
        {"submit_rate": "9"},
        {"source_column": ""},
    ):
        with pytest.raises(ValidationError):
            LeapOCRMapper(**bad)


def test_the_mapper_module_does_not_load_ray() -> None:
    code = "import sys, leapocr_sdk.integrations.ray; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
