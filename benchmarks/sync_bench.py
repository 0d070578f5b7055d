"""The blocking client against raw httpx: one ``LeapOCR`` shared by 32 threads doing
``get_status``, and a 1 GiB upload with ``process_file``.

``python benchmarks/sync_bench.py [--smoke]`` prints the rows as JSON; ``measure(smoke)``
returns them (one dict per figure: value, bound, spread, raw medians). The emulator runs
in its own process (``emulator_server.py``, a fresh one per round); every
measurement runs in a fresh worker process (``worker.py``, imports done before the
timer starts); the contenders alternate round by round, and each figure is the median
of the per-round ratios, with their spread.

- Status calls: ``status-threads`` workers, ours (``LeapOCR``) and raw (one
  ``httpx.Client``), each with the same threads and calls per thread; the figure is
  ours' calls per second over raw's (higher is better).
- Upload: the workers of the 1 GiB row of ``scale_targets.py`` (``upload`` with
  ``ours-sync`` and ``raw-threads-stream``, the same part concurrency); the figure is
  ours' wall time over raw's (lower is better). The emulator hands out a cheap ETag
  instead of hashing every byte, as in that row.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from concurrent_waits import API_KEY, Server  # noqa: E402

THREADS = 32
STATUS_FIGURE = "`LeapOCR` shared by 32 threads, `get_status` throughput vs raw `httpx.Client`"
UPLOAD_FIGURE = "1 GiB blocking upload vs raw httpx threads"
UPLOAD_PAIR = ("ours-sync", "raw-threads-stream")


def _worker(params: dict[str, Any], attempts: int = 2) -> dict[str, Any]:
    """One measurement in a fresh process; one that failed (a connection dropped under a
    loaded machine) is taken again once, and its failure kept in ``failed_before``."""
    command = [sys.executable, str(HERE / "worker.py"), json.dumps(params)]
    failures: list[str] = []
    for _ in range(attempts):
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
            return {**result, "failed_before": failures}
        failures.append(" | ".join(done.stderr.strip().splitlines()[-2:]))
    raise RuntimeError(f"{params['scenario']}/{params['impl']} failed: {failures[-1]}")


def _job_id(base_url: str) -> str:
    """One finished job on the emulator at ``base_url`` (the status every call reads)."""
    from leapocr_sdk import LeapOCR

    with LeapOCR(API_KEY, base_url=base_url) as client:
        job = client.process_url("https://example.com/a.pdf", output_type="markdown")
        return job.job_id


def _row(
    figure: str, ratios: list[float], bound: float, better: str, detail: dict[str, Any]
) -> dict[str, Any]:
    return {
        "figure": figure,
        "value": statistics.median(ratios),
        "bound": bound,
        "better": better,
        "spread": [min(ratios), max(ratios)],
        "unit": "x",
        "detail": {"rounds": len(ratios), "ratios": ratios, **detail},
    }


def measure_status(rounds: int, calls: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {"ours-sync": [], "raw-sync": []}
    ratios = []
    for round_ in range(rounds):
        order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
        rates = {}
        server = Server((0.0, 0.0))  # one per round, serving both contenders in turn
        try:
            job_id = _job_id(server.base_url)
            for impl in order:
                params: dict[str, Any] = {"scenario": "status-threads", "impl": impl}
                params.update(api_key=API_KEY)
                params.update(base_url=server.base_url, job_id=job_id)
                params.update(threads=THREADS, calls=calls)
                result = _worker(params)
                runs[impl].append(result)
                rates[impl] = result["per_second"]
        finally:
            server.close()
        ratios.append(rates["ours-sync"] / rates["raw-sync"])
    detail = {
        "retried": [f for rows in runs.values() for r in rows for f in r["failed_before"]],
        "threads": THREADS,
        "calls_per_thread": calls,
        **{
            f"{impl} calls/s median": statistics.median(r["per_second"] for r in rows)
            for impl, rows in runs.items()
        },
        **{
            f"{impl} client CPU us/call median": statistics.median(
                1e6 * r["cpu"] / r["calls"] for r in rows
            )
            for impl, rows in runs.items()
        },
    }
    return _row(STATUS_FIGURE, ratios, 0.95, "higher", detail)


def measure_upload(rounds: int, mib: int) -> dict[str, Any]:
    from leapocr_sdk import _constants as C
    from leapocr_sdk.testing import make_pdf

    runs: dict[str, list[dict[str, Any]]] = {impl: [] for impl in UPLOAD_PAIR}
    ratios = []
    with tempfile.TemporaryDirectory(prefix="leapocr-bench-") as folder:
        path = Path(folder) / "big.pdf"
        with path.open("wb") as out:  # a PDF's first bytes, then a sparse tail of zeros
            out.write(make_pdf(["1 GiB upload"]))
            out.truncate(mib * 1024 * 1024)
        for round_ in range(rounds):
            order = UPLOAD_PAIR if round_ % 2 == 0 else tuple(reversed(UPLOAD_PAIR))
            walls = {}
            server = Server((0.0, 0.0), etag_mode="fast")  # one per round, as above
            try:
                for impl in order:
                    params: dict[str, Any] = {"scenario": "upload", "impl": impl}
                    params.update(api_key=API_KEY)
                    params.update(base_url=server.base_url, path=str(path))
                    params.update(concurrency=C.DEFAULT_UPLOAD_CONCURRENCY)
                    result = _worker(params)
                    runs[impl].append(result)
                    walls[impl] = result["wall"]
            finally:
                server.close()
            ratios.append(walls["ours-sync"] / walls["raw-threads-stream"])
    detail = {
        "retried": [f for rows in runs.values() for r in rows for f in r["failed_before"]],
        "size_mib": mib,
        "concurrency": C.DEFAULT_UPLOAD_CONCURRENCY,
        **{
            f"{impl} wall s median": statistics.median(r["wall"] for r in rows)
            for impl, rows in runs.items()
        },
        **{
            f"{impl} client CPU s median": statistics.median(r["cpu"] for r in rows)
            for impl, rows in runs.items()
        },
    }
    return _row(UPLOAD_FIGURE, ratios, 1.10, "lower", detail)


def measure(smoke: bool) -> list[dict[str, Any]]:
    """Both rows: tiny sizes in seconds (``smoke``), else the full sizes (5 rounds of
    32 x 150 status calls, 3 rounds of the 1 GiB upload)."""
    if smoke:
        return [measure_status(3, 5), measure_upload(3, 12)]
    return [measure_status(5, 150), measure_upload(3, 1024)]


if __name__ == "__main__":
    print(json.dumps(measure("--smoke" in sys.argv[1:]), indent=2))
