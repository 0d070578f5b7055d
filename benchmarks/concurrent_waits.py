"""Many concurrent ``wait_until_done`` on one ``AsyncLeapOCR``, against raw httpx.

``python benchmarks/concurrent_waits.py [--jobs 1000] [--caps 8 16 24 32 64 100] [--rounds 3]``
prints one JSON object per measurement. The emulator runs in its own process
(``emulator_server.py``); each measurement runs in a fresh worker process that creates its
jobs first (untimed), then waits on all of them at once while its own CPU time, wall time
and peak memory are taken; the emulator reports the requests it served and its CPU.
Contenders: ``ours`` with an in-flight cap (``C.MAX_IN_FLIGHT``: the async runner's gate;
the pool size too), ``raw`` httpx with the same cap polling at a fixed interval.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
API_KEY = "bench-key-0123456789"


class Server:
    """emulator_server.py in a subprocess; ``stats()`` asks it for requests and CPU so far."""

    def __init__(
        self, processing: tuple[float, float], latency: float = 0.0, etag_mode: str = "md5"
    ) -> None:
        command = [sys.executable, str(HERE / "emulator_server.py"), "--processing"]
        command += [str(processing[0]), str(processing[1]), "--latency", str(latency)]
        command += ["--etag-mode", etag_mode]
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


def measure(server: Server, impl: str, jobs: int, cap: int, poll: float) -> dict[str, Any]:
    """One worker process: create ``jobs`` jobs, then wait on them all at once."""
    command = [sys.executable, __file__, "--worker", impl, "--base-url", server.base_url]
    command += ["--jobs", str(jobs), "--caps", str(cap), "--poll", str(poll)]
    worker = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert worker.stdin is not None and worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"  # jobs created
    before = server.stats()
    worker.stdin.write("go\n")
    worker.stdin.flush()
    result = json.loads(worker.stdout.readline())
    after = server.stats()
    worker.wait(timeout=60)
    requests = after["requests"] - before["requests"]
    result.update(
        impl=impl,
        cap=cap,
        jobs=jobs,
        requests=requests,
        emulator_cpu=after["cpu"] - before["cpu"],
        client_cpu_per_request_ms=1000 * result["client_cpu"] / max(1, requests),
    )
    return result


# --- the worker ---------------------------------------------------------------------------


async def _ours(base_url: str, jobs: int, cap: int, poll: float) -> dict[str, Any]:
    from leapocr_sdk import AsyncLeapOCR
    from leapocr_sdk import _constants as C
    from leapocr_sdk.testing import make_pdf

    C.MAX_IN_FLIGHT = C.MAX_CONNECTIONS = cap  # the in-flight cap and pool size under test
    pdf = make_pdf(["one page"])
    async with AsyncLeapOCR(api_key=API_KEY, base_url=base_url) as client:
        created = await _create(client, pdf, jobs)
        await _go()
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client.wait_until_done(j, poll_interval=poll) for j in created))
        return _figures(start, cpu)


async def _raw(base_url: str, jobs: int, cap: int, poll: float) -> dict[str, Any]:
    import httpx

    from leapocr_sdk import AsyncLeapOCR
    from leapocr_sdk.testing import make_pdf

    pdf = make_pdf(["one page"])
    async with AsyncLeapOCR(api_key=API_KEY, base_url=base_url) as client:
        created = await _create(client, pdf, jobs)
    limits = httpx.Limits(max_connections=cap, max_keepalive_connections=cap)
    headers = {"X-API-Key": API_KEY}
    gate = asyncio.Semaphore(cap)
    async with httpx.AsyncClient(limits=limits, headers=headers) as raw:

        async def wait(job_id: str) -> None:
            url = f"{base_url}/ocr/result/{job_id}"
            while True:
                async with gate:
                    reply = await raw.get(url, params={"page": 1, "limit": 1000})
                if reply.status_code == 200:
                    reply.json()
                    return
                await asyncio.sleep(poll)

        await _go()
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(wait(j) for j in created))
        return _figures(start, cpu)


async def _create(client: Any, pdf: bytes, jobs: int) -> list[str]:
    gate = asyncio.Semaphore(64)

    async def one() -> str:
        async with gate:
            return (await client.process_file(pdf)).job_id  # type: ignore[no-any-return]

    return list(await asyncio.gather(*(one() for _ in range(jobs))))


async def _go() -> None:
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)


def _peak_rss_mib() -> float:
    """This process's peak RSS: VmHWM, which (unlike ru_maxrss) starts afresh at exec, so
    the driver's memory inherited through fork does not count."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _figures(start: float, cpu: float) -> dict[str, Any]:
    peak = _peak_rss_mib()
    return {
        "wall": time.perf_counter() - start,
        "client_cpu": time.process_time() - cpu,
        "peak_rss_mib": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--caps", type=int, nargs="+", default=[8, 16, 24, 32, 64, 100])
    parser.add_argument("--impls", nargs="+", default=["ours", "raw"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--poll", type=float, default=0.5)
    parser.add_argument("--processing", type=float, nargs=2, default=(8.0, 12.0))
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--worker", choices=("ours", "raw"))
    parser.add_argument("--base-url")
    args = parser.parse_args()
    if args.worker:
        work = _ours if args.worker == "ours" else _raw
        result = asyncio.run(work(args.base_url, args.jobs, args.caps[0], args.poll))
        print(json.dumps(result), flush=True)
        return
    server = Server(tuple(args.processing), args.latency)
    try:
        for round_ in range(args.rounds):  # contenders interleaved, round by round
            for cap in args.caps:
                for impl in args.impls:
                    row = measure(server, impl, args.jobs, cap, args.poll)
                    print(json.dumps({"round": round_, **row}), flush=True)
    finally:
        server.close()
    os._exit(0)


if __name__ == "__main__":
    main()
