"""A batch under the service's rate limit: how much of it is refused, and how close its
wall comes to the floor the budget allows.

30 documents through ``LeapOCR.process_many(concurrency=8)`` against the emulator limited
to 10 API requests per 6 s (100 a minute, the service's Pro plan), the emulator in its
own process (``emulator_server.py``), each run in a fresh worker process:

- ``paced``: the SDK as it is (client-wide pacing from the ``X-RateLimit-*`` headers);
- ``unpaced``: the same SDK with its pacer told the budget is unknown (the worker
  replaces ``Pacer.available``), so every request goes at once and a 429 is retried
  after ``Retry-After``: what the SDK did before it paced itself.

The floor: the fewest API requests the documents need (an upload's initiate and
complete, and one result request, which answers the status too: 3 a document) divided
by the rate (``limit / window``). A run's wall is from the batch's start to its last
item. Each round runs the two contenders side by side (their own emulators), and the
rounds run side by side too: the work is paced by the budget, not the CPU (about 100
requests a minute each). The jobs take 0.5-1 s; the batch polls at the SDK's default
interval. ``python benchmarks/pacing_bench.py [--smoke]`` prints the rows (the smoke run:
4 documents under 3 requests / 1 s, the figures' wording unchanged, sizes in ``detail``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
API_KEY = "bench-key-0123456789"
CONTENDERS = ("paced", "unpaced")
REQUESTS_PER_DOCUMENT = 3  # initiate, complete, one result request (status included)


def _sizes(smoke: bool) -> dict[str, Any]:
    if smoke:  # the same shape, small and quick
        return {
            "documents": 4,
            "limit": 3,
            "window": 1.0,
            "rounds": 3,
            "processing": 0.1,
            "poll": 0.2,
        }
    return {
        "documents": 30,
        "limit": 10,
        "window": 6.0,
        "rounds": 3,
        "processing": 1.0,
        "poll": None,
    }


class _Emulator:
    def __init__(self, limit: int, window: float, processing: float) -> None:
        command = [sys.executable, str(HERE / "emulator_server.py"), "--processing"]
        command += [str(processing / 2), str(processing), "--rate-limit", str(limit)]
        command += ["--rate-window", str(window), "--api-key", API_KEY]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()

    def stats(self) -> dict[str, float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())  # type: ignore[no-any-return]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


class _Run:
    """One contender's batch in a fresh worker process against its own emulator."""

    def __init__(self, contender: str, sizes: dict[str, Any]) -> None:
        self.contender = contender
        self.emulator = _Emulator(sizes["limit"], sizes["window"], sizes["processing"])
        command = [sys.executable, __file__, "--worker", contender]
        command += ["--base-url", self.emulator.base_url, "--documents", str(sizes["documents"])]
        if sizes["poll"] is not None:
            command += ["--poll", str(sizes["poll"])]
        self.worker = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)

    def result(self) -> dict[str, Any]:
        try:
            out, _ = self.worker.communicate(timeout=170)
            if self.worker.returncode != 0:
                raise RuntimeError(f"{self.contender} worker failed ({self.worker.returncode})")
            result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
            result.update(self.emulator.stats())
            return result
        finally:
            self.emulator.close()


def measure(smoke: bool) -> list[dict[str, Any]]:
    sizes = _sizes(smoke)
    runs: list[_Run] = []
    for _ in range(sizes["rounds"]):
        runs += [_Run(contender, sizes) for contender in CONTENDERS]
        time.sleep(0.2)  # stagger the starts a little (imports)
    results: dict[str, list[dict[str, Any]]] = {c: [] for c in CONTENDERS}
    for run in runs:
        results[run.contender].append(run.result())
    rate = sizes["limit"] / sizes["window"]
    needed = REQUESTS_PER_DOCUMENT * sizes["documents"]
    floor: float = needed / rate

    def share(r: dict[str, Any]) -> float:
        return 100.0 * float(r["refused"]) / max(1, int(r["api"]))

    def ratio(r: dict[str, Any]) -> float:
        return float(r["wall"]) / float(floor)

    detail = {
        "sizes": sizes,
        "floor_seconds": floor,
        "requests_needed": needed,
        "runs": {c: results[c] for c in CONTENDERS},
    }
    rows = []
    for figure, unit, bound, of in (
        (
            "30 documents under 10 requests / 6 s: share of API requests answered 429",
            "%",
            2.0,
            share,
        ),
        (
            "same: wall against the floor the budget allows (API requests the documents "
            "need / rate)",
            "x",
            1.1,
            ratio,
        ),
    ):
        values = [of(r) for r in results["paced"]]
        before = [of(r) for r in results["unpaced"]]
        rows.append(
            {
                "figure": figure,
                "value": statistics.median(values),
                "bound": bound,
                "better": "lower",
                "spread": [min(values), max(values)],
                "unit": unit,
                "detail": {
                    **detail,
                    "unpaced_median": statistics.median(before),
                    "unpaced_spread": [min(before), max(before)],
                },
            }
        )
    return rows


def _worker(contender: str, base_url: str, documents: int, poll: float | None) -> None:
    from leapocr_sdk import LeapOCR
    from leapocr_sdk._pacing import Pacer
    from leapocr_sdk.testing import make_pdf

    if contender == "unpaced":
        Pacer.available = lambda self, now: None  # type: ignore[method-assign]
    sources = [make_pdf([f"document {n}"]) for n in range(documents)]
    with LeapOCR(api_key=API_KEY, base_url=base_url) as client:
        started = time.monotonic()
        if poll is None:
            items = list(client.process_many(sources, concurrency=8))
        else:
            items = list(client.process_many(sources, concurrency=8, poll_interval=poll))
        wall = time.monotonic() - started
    failed = sum(not item.ok for item in items)
    print(json.dumps({"wall": wall, "documents": len(items), "failed": failed}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--worker", choices=CONTENDERS)
    parser.add_argument("--base-url")
    parser.add_argument("--documents", type=int, default=30)
    parser.add_argument("--poll", type=float, default=None)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.base_url, args.documents, args.poll)
        return
    print(json.dumps(measure(args.smoke), indent=2))


if __name__ == "__main__":
    main()
