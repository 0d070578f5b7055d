"""LeapOCRMapper on a real local Ray cluster (``ray.init(num_cpus=2)``), against an
emulator running in its own process. Ray is large: this module runs in ``make
check-slow`` (marker ``heavy``), which installs the ``ray`` extra in its own venv.

The API key and base URL reach the actors through Ray's ``runtime_env``, never through
the mapper's arguments (those travel in task specs).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk.integrations.ray import OUTPUT_COLUMNS, LeapOCRMapper
from leapocr_sdk.testing import make_pdf

pytestmark = [pytest.mark.heavy, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

# The emulator in a process of its own: prints its address, serves until its stdin
# closes, then prints every job it saw (what the test counts).
EMULATOR = """
import json, sys
from leapocr_sdk.testing import LeapOCREmulator
emu = LeapOCREmulator(processing_seconds=0.05).start()
print(json.dumps({"base_url": emu.base_url, "api_key": emu.api_key}), flush=True)
sys.stdin.read()
jobs = [{"id": j.id, "file_name": j.file_name, "status": j.status,
         "credits_used": j.credits_used, "created_at": j.created_at}
        for j in emu.jobs.values()]
emu.stop()
print(json.dumps(jobs), flush=True)
"""


class Emulator:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", EMULATOR],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.address = json.loads(self.process.stdout.readline())

    def stop(self) -> list[dict[str, Any]]:
        """Stop it; every job it created."""
        out, _ = self.process.communicate(timeout=30)
        return list(json.loads(out))


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator()
    try:
        yield emu
    finally:
        if emu.process.poll() is None:
            emu.process.kill()
            emu.process.wait()


@pytest.fixture
def ray_cluster(emulator: Emulator) -> Iterator[Any]:
    import ray

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={
            "env_vars": {
                "LEAPOCR_API_KEY": emulator.address["api_key"],
                "LEAPOCR_BASE_URL": emulator.address["base_url"],
            }
        },
    )
    try:
        yield ray
    finally:
        ray.shutdown()


def test_map_batches_over_a_local_cluster(
    ray_cluster: Any, emulator: Emulator, tmp_path: Path
) -> None:
    ray = ray_cluster
    paths = []
    for n in range(10):
        path = tmp_path / f"doc{n:02}.pdf"
        path.write_bytes(make_pdf([f"document {n}", f"page two of {n}"]))
        paths.append(str(path))
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7 but broken inside")
    paths += [str(tmp_path / "bad.pdf"), str(tmp_path / "missing.pdf")]

    ds = ray.data.from_items([{"source": p} for p in paths])
    # A Ray dataset is lazy: each consumption (schema(), count(), take_all(), a write) runs
    # the map again, and would pay again. materialize() runs it once.
    out = ds.map_batches(
        LeapOCRMapper,
        concurrency=2,
        batch_size=4,
        fn_constructor_kwargs={"actors": 2, "submit_rate": 50, "poll_interval": 0.02},
    ).materialize()
    schema = out.schema()
    rows = out.take_all()
    jobs = emulator.stop()

    assert tuple(schema.names) == OUTPUT_COLUMNS
    types = dict(zip(schema.names, (str(t) for t in schema.types), strict=True))
    assert types["credits"] == "int64" and types["markdown"] in ("string", "large_string")
    by_name = {Path(row["source"]).name: row for row in rows}
    assert len(rows) == 12 and len(by_name) == 12
    for n in range(10):
        row = by_name[f"doc{n:02}.pdf"]
        assert row["status"] == "completed" and row["error"] is None
        assert row["markdown"] == f"document {n}\n\npage two of {n}"
        assert row["credits"] == 2 and row["data_json"] is None
    assert by_name["bad.pdf"]["status"] == "failed"
    assert "could not be read" in by_name["bad.pdf"]["error"]
    assert by_name["missing.pdf"]["job_id"] is None
    assert "file not found" in by_name["missing.pdf"]["error"]

    # What the service saw: one job per document (the missing file never left), each
    # paid once, and the job ids the rows carry.
    assert len(jobs) == 11
    assert {j["id"] for j in jobs} == {row["job_id"] for row in rows if row["job_id"]}
    assert sum(j["credits_used"] for j in jobs) == 20
