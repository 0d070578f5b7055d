"""A 20,000-page ``get_result`` against raw httpx doing the same requests, sync and async.

``python benchmarks/results_bench.py [--smoke]`` prints the two rows as JSON.

The emulator runs in its own process (``emulator_server.py``) with 20 ms added to each
reply, holding one finished job of ``PAGES`` pages. Each contender reads the whole result
in a fresh worker process, its imports done and ``CONCURRENCY`` connections opened
before the timer starts:

- ``sdk-sync``: ``LeapOCR.get_result`` (1,000 pages a request, ``CONCURRENCY`` at a time);
- ``raw-sync``: one ``httpx.Client`` shared by ``CONCURRENCY`` threads, each reply's JSON
  parsed;
- ``sdk-async``: ``AsyncLeapOCR.get_result``;
- ``raw-async``: one ``httpx.AsyncClient``, ``CONCURRENCY`` requests at a time, each
  reply's JSON parsed.

Rounds are interleaved (the order alternates); each row is the median over rounds of the
SDK's time over raw httpx's in the same round, with the spread of those ratios.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
API_KEY = "bench-key-0123456789"
PAGES = 20_000
LIMIT = 1000
CONCURRENCY = 4
LATENCY = 0.02
ROUNDS = 5
BOUND = 1.15
PAIRS = {"sync": ("sdk-sync", "raw-sync"), "async": ("sdk-async", "raw-async")}
FIGURE = "20,000-page get_result, {flavor}, vs raw httpx (limit 1000, 4 in parallel)"


class Emulator:
    """``emulator_server.py`` in its own process, stopped by ``close``."""

    def __init__(self, latency: float) -> None:
        command = [sys.executable, str(HERE / "emulator_server.py"), "--api-key", API_KEY]
        command += ["--latency", str(latency)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url:
            self.close()
            raise RuntimeError("the emulator did not start")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _page_text(number: int) -> str:
    """About 1.7 KB of text; one line, which the emulator reads twice as fast as 24."""
    line = "the quick brown fox jumps over the lazy dog; 0123456789"
    return " ".join(f"Page {number}, line {index}: {line}" for index in range(24))


def finished_job(base_url: str, pages: int) -> str:
    """Submit a ``pages``-page PDF and wait until its result is ready; its job id."""
    from leapocr_sdk import LeapOCR
    from leapocr_sdk.testing import make_pdf

    pdf = make_pdf([_page_text(n) for n in range(1, pages + 1)])
    with LeapOCR(api_key=API_KEY, base_url=base_url, timeout=600) as client:
        job = client.process_file(pdf, file_name="big.pdf")
        client.wait_until_done(job.job_id, poll_interval=0.2, timeout=900)
    return job.job_id


def run_worker(impl: str, base_url: str, job_id: str, pages: int) -> tuple[float, float]:
    """One contender in a fresh process: seconds to read the whole result, and the CPU
    seconds its process spent meanwhile."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", impl]
    command += [base_url, job_id, str(pages)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"worker {impl} failed: {done.stderr.strip()[-2000:]}")
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def measure(smoke: bool) -> list[dict[str, Any]]:
    """The two rows (sync, async): the SDK's time over raw httpx's, median of rounds."""
    pages = 200 if smoke else PAGES
    rounds = 3 if smoke else ROUNDS
    started = time.perf_counter()
    emulator = Emulator(LATENCY)
    try:
        job_id = finished_job(emulator.base_url, pages)
        setup = time.perf_counter() - started
        times: dict[str, list[float]] = {impl: [] for pair in PAIRS.values() for impl in pair}
        cpu: dict[str, list[float]] = {impl: [] for impl in times}
        for round_ in range(rounds):
            order = list(times) if round_ % 2 == 0 else list(reversed(times))
            for impl in order:
                wall, used = run_worker(impl, emulator.base_url, job_id, pages)
                times[impl].append(wall)
                cpu[impl].append(used)
    finally:
        emulator.close()
    rows = []
    for flavor, (ours, raw) in PAIRS.items():
        ratios = [mine / theirs for mine, theirs in zip(times[ours], times[raw], strict=True)]
        rows.append(
            {
                "figure": FIGURE.format(flavor=flavor),
                "value": round(statistics.median(ratios), 3),
                "bound": BOUND,
                "better": "lower",
                "spread": [round(min(ratios), 3), round(max(ratios), 3)],
                "unit": "x",
                "detail": {
                    "pages": pages,
                    "limit": LIMIT,
                    "concurrency": CONCURRENCY,
                    "latency_s": LATENCY,
                    "rounds": rounds,
                    "setup_s": round(setup, 1),
                    "total_s": round(time.perf_counter() - started, 1),
                    "ratios": [round(r, 3) for r in ratios],
                    f"{ours}_median_s": round(statistics.median(times[ours]), 4),
                    f"{raw}_median_s": round(statistics.median(times[raw]), 4),
                    f"{ours}_s": [round(t, 4) for t in times[ours]],
                    f"{raw}_s": [round(t, 4) for t in times[raw]],
                    # the client's CPU while reading (steadier than the wall on a busy machine)
                    f"{ours}_cpu_median_s": round(statistics.median(cpu[ours]), 4),
                    f"{raw}_cpu_median_s": round(statistics.median(cpu[raw]), 4),
                    "cpu_ratio": round(
                        statistics.median(cpu[ours]) / statistics.median(cpu[raw]), 3
                    ),
                },
            }
        )
    return rows


# --- the contenders (each in its own process) ------------------------------------------


def worker(impl: str, base_url: str, job_id: str, pages: int) -> tuple[float, float]:
    """Import and connect, then time one whole read of the result: (wall, CPU) seconds."""
    import httpx

    from leapocr_sdk import _constants as C

    C.RESULT_PAGE_LIMIT, C.RESULT_FETCH_CONCURRENCY = LIMIT, CONCURRENCY
    if impl == "sdk-sync":
        return _sdk_sync(base_url, job_id, pages)
    if impl == "sdk-async":
        return asyncio.run(_sdk_async(base_url, job_id, pages))
    if impl == "raw-sync":
        return _raw_sync(httpx, base_url, job_id, pages)
    if impl == "raw-async":
        return asyncio.run(_raw_async(httpx, base_url, job_id, pages))
    raise ValueError(impl)


def _sdk_sync(base_url: str, job_id: str, pages: int) -> tuple[float, float]:
    from concurrent.futures import ThreadPoolExecutor

    from leapocr_sdk import LeapOCR

    with LeapOCR(api_key=API_KEY, base_url=base_url, timeout=600) as client:
        with ThreadPoolExecutor(CONCURRENCY) as pool:  # the connections, opened untimed
            list(pool.map(client.get_status, [job_id] * CONCURRENCY))
        client.get_result(job_id)  # first-use imports and code paths, untimed
        start, cpu = time.perf_counter(), time.process_time()
        got = len(client.get_result(job_id).pages)
        took = time.perf_counter() - start, time.process_time() - cpu
    assert got == pages, got
    return took


async def _sdk_async(base_url: str, job_id: str, pages: int) -> tuple[float, float]:
    from leapocr_sdk import AsyncLeapOCR

    async with AsyncLeapOCR(api_key=API_KEY, base_url=base_url, timeout=600) as client:
        await asyncio.gather(*(client.get_status(job_id) for _ in range(CONCURRENCY)))
        await client.get_result(job_id)
        start, cpu = time.perf_counter(), time.process_time()
        got = len((await client.get_result(job_id)).pages)
        took = time.perf_counter() - start, time.process_time() - cpu
    assert got == pages, got
    return took


def _raw_sync(httpx: Any, base_url: str, job_id: str, pages: int) -> tuple[float, float]:
    from concurrent.futures import ThreadPoolExecutor

    url = f"{base_url}/ocr/result/{job_id}"
    headers = {"X-API-Key": API_KEY}
    with httpx.Client(headers=headers, timeout=600) as raw, ThreadPoolExecutor(CONCURRENCY) as pool:

        def page(number: int) -> Any:
            reply = raw.get(url, params={"page": number, "limit": LIMIT})
            reply.raise_for_status()
            return reply.json()

        list(pool.map(lambda _: raw.get(f"{base_url}/ocr/status/{job_id}"), range(CONCURRENCY)))
        page(1)
        start, cpu = time.perf_counter(), time.process_time()
        first = page(1)
        count = first["pagination"]["total_pages"]
        rest = list(pool.map(page, range(2, count + 1)))
        took = time.perf_counter() - start, time.process_time() - cpu
    got = sum(len(body["pages"]) for body in [first, *rest])
    assert got == pages, got
    return took


async def _raw_async(httpx: Any, base_url: str, job_id: str, pages: int) -> tuple[float, float]:
    url = f"{base_url}/ocr/result/{job_id}"
    headers = {"X-API-Key": API_KEY}
    async with httpx.AsyncClient(headers=headers, timeout=600) as raw:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def page(number: int) -> Any:
            async with gate:
                reply = await raw.get(url, params={"page": number, "limit": LIMIT})
            reply.raise_for_status()
            return reply.json()

        status = f"{base_url}/ocr/status/{job_id}"
        await asyncio.gather(*(raw.get(status) for _ in range(CONCURRENCY)))
        await page(1)
        start, cpu = time.perf_counter(), time.process_time()
        first = await page(1)
        count = first["pagination"]["total_pages"]
        rest = await asyncio.gather(*(page(n) for n in range(2, count + 1)))
        took = time.perf_counter() - start, time.process_time() - cpu
    got = sum(len(body["pages"]) for body in [first, *rest])
    assert got == pages, got
    return took


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        impl, base_url, job_id, pages = sys.argv[2:6]
        wall, cpu = worker(impl, base_url, job_id, int(pages))
        print(wall, cpu, flush=True)
        return
    print(json.dumps(measure(smoke="--smoke" in sys.argv[1:]), indent=2))


if __name__ == "__main__":
    main()
