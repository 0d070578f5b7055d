"""``process_many`` shards on a real Dask ``LocalCluster`` with worker processes.

Each worker makes its own client from the environment (LEAPOCR_API_KEY and
LEAPOCR_BASE_URL); what comes back (items, results, errors) crosses process boundaries
by pickling.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import distributed
import pytest

from leapocr_sdk import BatchItem, JobFailedError, LeapOCR, ValidationError
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

pytestmark = pytest.mark.slow


def process_shard(paths: list[str]) -> list[BatchItem]:
    """What a worker runs: its own client, one shard of the batch."""
    with LeapOCR() as client:
        return list(client.process_many(paths, concurrency=4, poll_interval=0.02))


def process_one(path: str) -> Any:
    with LeapOCR() as client:
        return client.process(path, poll_interval=0.02)


@pytest.fixture
def cluster(
    leapocr_emulator_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, LeapOCREmulator]]:
    emu = leapocr_emulator_factory(processing_seconds=0.05)
    monkeypatch.setenv("LEAPOCR_API_KEY", emu.api_key)  # inherited by the worker processes
    monkeypatch.setenv("LEAPOCR_BASE_URL", emu.base_url)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # tests/ is not on their path
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client, emu
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_process_many_shards_on_a_local_cluster(cluster: Any, tmp_path: Path) -> None:
    client, emu = cluster
    paths = []
    for n in range(24):
        path = tmp_path / f"doc{n:02}.pdf"
        path.write_bytes(make_pdf([f"document {n}"]))
        paths.append(str(path))
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7 but broken inside")
    paths.append(str(tmp_path / "bad.pdf"))
    paths.append(str(tmp_path / "missing.pdf"))
    shards = [paths[i::4] for i in range(4)]
    futures = client.map(process_shard, shards, pure=False)
    items = [item for shard in client.gather(futures) for item in shard]

    assert len(items) == 26
    by_name = {Path(item.source).name: item for item in items}
    for n in range(24):
        item = by_name[f"doc{n:02}.pdf"]
        assert item.ok and item.result is not None and item.result.markdown == f"document {n}"
    failed = by_name["bad.pdf"].error
    assert isinstance(failed, JobFailedError) and failed.job_id and failed.error_message
    missing = by_name["missing.pdf"].error
    assert isinstance(missing, ValidationError) and "file not found" in str(missing)
    assert len(emu.jobs) == 25
    assert len(client.scheduler_info()["workers"]) == 2


def test_an_error_raised_on_a_worker_arrives_whole(cluster: Any, tmp_path: Path) -> None:
    client, _ = cluster
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7 but broken inside")
    future = client.submit(process_one, str(tmp_path / "bad.pdf"), pure=False)
    with pytest.raises(JobFailedError) as caught:
        future.result()
    assert caught.value.job_id in str(caught.value)
    assert (caught.value.error_message or "").startswith("The PDF could not be read")
