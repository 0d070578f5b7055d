"""Scale rows: memory per waiting job at 10,000 concurrent waits, and the emulator's URL-job
pipeline against the rate of the SDK client running a 2,000-job batch.

``python benchmarks/scale_bench.py [--smoke]`` prints the rows as JSON.

**10,000 waits: memory per job vs raw httpx.** The emulator runs in its own process with
jobs that never finish; 10,000 jobs are made once, in its job store directly.
Each round starts one fresh worker process per contender (interleaved, the order flipped
every round): it opens its client, makes one warm-up request, notes its resident memory,
then starts a wait on every job at once. Once the emulator has answered 1,000 polls (every
wait has started, and is polling, queued at the in-flight cap or sleeping) the worker
reports its peak resident memory (``VmHWM``). Memory per job is (peak RSS - RSS before
the waits) / jobs, the same measure for both contenders. ``ours`` is
``AsyncLeapOCR.wait_until_done`` gathered over all jobs; ``raw`` is an
``httpx.AsyncClient`` polling the same result endpoint at the same interval through the
same in-flight cap and pool size.

**Emulator job pipeline vs the client's rate.** The emulator (jobs done as soon as their
document is read) and a small keep-alive document server run in their own processes.
Pipeline: several load-generator processes (``http.client`` on keep-alive connections,
far cheaper per request than the emulator's work) submit 2,000 URL jobs as fast as they
are answered; the rate is 2,000 / (the last job's completion, as the emulator records it,
- the first submission). Client: one fresh process runs ``AsyncLeapOCR.process_many`` over
2,000 URLs (``concurrency=64``, ``poll_interval=0.1``); its rate is 2,000 / its wall. The
row is pipeline rate / client rate: how many such clients the emulator can feed. Before
the first round 50 URL jobs warm the emulator up (its PDF reader imported, its
connection to the document server open); the document server answers each GET with
one write (head and document together, no Nagle delay). The detail also gives the
emulator process's CPU milliseconds per pipeline job.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
API_KEY = "bench-key-0123456789"
WAITS_FIGURE = "10,000 waits: memory per job vs raw httpx"
PIPELINE_FIGURE = "emulator job pipeline vs the client's rate in a 2,000-job batch"
LOAD_PROCESSES = 3  # load generators for the pipeline
LOAD_CONNECTIONS = 8  # keep-alive connections (threads) per load generator
WARM_UP_JOBS = 50  # URL jobs through the emulator before the pipeline's first round
BATCH_CONCURRENCY = 64
BATCH_POLL = 0.1
# The waits' memory is read once the emulator has answered this many polls: by then every
# wait has started and is queued for the client's in-flight cap, polling or sleeping.
SAMPLE_AFTER_POLLS = 1000


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=HERE,
    )


def _ask(process: subprocess.Popen[str], line: str) -> str:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(line + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


def _first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line:
        raise RuntimeError(f"{process.args!r} ended without answering")
    return line


@contextlib.contextmanager
def _process(*args: str) -> Iterator[subprocess.Popen[str]]:
    process = _spawn(*args)
    try:
        yield process
    finally:
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stats(emulator: subprocess.Popen[str]) -> dict[str, Any]:
    return json.loads(_ask(emulator, "stats"))  # type: ignore[no-any-return]


def _emulator(processing: float) -> contextlib.AbstractContextManager[subprocess.Popen[str]]:
    return _process(
        str(HERE / "emulator_server.py"), "--processing", str(processing), str(processing)
    )


def _row(
    figure: str, values: list[float], bound: float, better: str, detail: dict[str, Any]
) -> dict[str, Any]:
    return {
        "figure": figure,
        "value": statistics.median(values),
        "bound": bound,
        "better": better,
        "spread": [min(values), max(values)],
        "unit": "x",
        "detail": detail,
    }


# --- the document server and the load generator --------------------------------------------


def serve_documents() -> None:
    """A keep-alive HTTP server answering every GET with a one-page PDF (until stdin closes)."""
    from leapocr_sdk.testing import make_pdf

    pdf = make_pdf(["Invoice Number: INV-1\nTotal: 42.00"])

    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: {len(pdf)}\r\n\r\n"
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The head and the document in one write, without Nagle's delay: otherwise each
        # download waits ~40 ms for the delayed ACK of the head.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self.wfile.write(head + pdf)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()


def generate_load(base_url: str, origin: str, first: int, count: int) -> None:
    """Submit ``count`` URL jobs (documents ``first``...) on keep-alive connections once told
    ``go``; print their ids as one JSON list."""
    parts = urlsplit(base_url)
    path = parts.path + "/ocr/uploads/url"
    headers = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
    bodies = [
        json.dumps({"url": f"{origin}/doc/{n}.pdf", "format": "markdown"}).encode()
        for n in range(first, first + count)
    ]
    ids: list[str] = []
    lock = threading.Lock()
    connections = [
        http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
        for _ in range(LOAD_CONNECTIONS)
    ]
    for connection in connections:
        connection.connect()
    print("ready", flush=True)
    sys.stdin.readline()

    def submit(connection: http.client.HTTPConnection, share: list[bytes]) -> None:
        for body in share:
            for _ in range(20):  # a refusal (rate limit, fault) is sent again
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status == 200:
                    with lock:
                        ids.append(json.loads(answer)["job_id"])
                    break
                time.sleep(0.05)

    threads = [
        threading.Thread(target=submit, args=(connection, bodies[index::LOAD_CONNECTIONS]))
        for index, connection in enumerate(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(ids), flush=True)


def _submit_jobs(
    emulator: subprocess.Popen[str], base_url: str, origin: str, jobs: int, offset: int = 0
) -> tuple[list[str], float]:
    """Submit ``jobs`` URL jobs from LOAD_PROCESSES generators; (their ids, submission start)."""
    share = -(-jobs // LOAD_PROCESSES)
    spans = [(offset + i, min(share, jobs - i)) for i in range(0, jobs, share)]
    with contextlib.ExitStack() as stack:
        loads = [
            stack.enter_context(
                _process(__file__, "--load", base_url, origin, str(first), str(count))
            )
            for first, count in spans
        ]
        for load in loads:
            assert _first_line(load) == "ready"
        start = time.time()
        for load in loads:
            assert load.stdin is not None
            load.stdin.write("go\n")
            load.stdin.flush()
        ids = [job for load in loads for job in json.loads(_first_line(load))]
    return ids, start


# --- 10,000 waits ----------------------------------------------------------------------------


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


async def _until_told() -> None:
    await asyncio.to_thread(sys.stdin.readline)


async def _waits(
    impl: str, base_url: str, ids: list[str], cap: int, pool: int, poll: float
) -> None:
    """One contender's waits; prints ``ready`` (idle memory noted), starts on ``go``, reports
    on ``sample``."""
    import httpx

    if impl == "ours":
        from leapocr_sdk import AsyncLeapOCR
        from leapocr_sdk import _constants as C

        C.MAX_IN_FLIGHT, C.MAX_CONNECTIONS = cap, pool
        async with AsyncLeapOCR(api_key=API_KEY, base_url=base_url, timeout=600) as client:
            with contextlib.suppress(TimeoutError):  # warm-up: one wait's code paths loaded
                await asyncio.wait_for(client.wait_until_done(ids[0], poll_interval=poll), 0.5)

            def one(job_id: str) -> Any:
                return client.wait_until_done(job_id, poll_interval=poll, timeout=3600)

            await _measure_waits(one, ids)
        return
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    gate = asyncio.Semaphore(cap)
    async with httpx.AsyncClient(limits=limits, headers={"X-API-Key": API_KEY}, timeout=600) as raw:

        async def wait(job_id: str) -> None:
            url = f"{base_url}/ocr/result/{job_id}"
            while True:
                async with gate:
                    reply = await raw.get(url, params={"page": 1, "limit": 1000})
                if reply.status_code == 200:
                    reply.json()
                    return
                await asyncio.sleep(poll)

        await raw.get(f"{base_url}/ocr/result/{ids[0]}", params={"page": 1, "limit": 1000})
        await _measure_waits(wait, ids)


async def _measure_waits(one: Any, ids: list[str]) -> None:
    idle = _rss_kib("VmRSS")
    print("ready", flush=True)
    await _until_told()
    waits = asyncio.gather(*(one(job_id) for job_id in ids))
    await _until_told()
    peak = _rss_kib("VmHWM")
    waits.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waits
    print(json.dumps({"idle_kib": idle, "peak_kib": peak}), flush=True)


def _waits_round(
    emulator: subprocess.Popen[str], base_url: str, impl: str, ids: list[str]
) -> dict[str, Any]:
    from leapocr_sdk import _constants as C

    args = [__file__, "--waits", impl, base_url, str(C.MAX_IN_FLIGHT), str(C.MAX_CONNECTIONS)]
    with _process(*args, str(C.DEFAULT_POLL_INTERVAL)) as worker:
        assert worker.stdin is not None
        worker.stdin.write(json.dumps(ids) + "\n")
        worker.stdin.flush()
        assert _first_line(worker) == "ready"
        before = _stats(emulator)["requests"]
        worker.stdin.write("go\n")
        worker.stdin.flush()
        polls = min(len(ids), SAMPLE_AFTER_POLLS)
        while _stats(emulator)["requests"] - before < polls:
            time.sleep(0.1)
        memory = json.loads(_ask(worker, "sample"))
    memory["per_job_kib"] = (memory["peak_kib"] - memory["idle_kib"]) / len(ids)
    return memory


def measure_waits(smoke: bool) -> dict[str, Any]:
    import httpx

    jobs = 200 if smoke else 10_000
    rounds = 3
    with _emulator(3600.0) as emulator:
        base_url = _first_line(emulator)
        ids = json.loads(_ask(emulator, f"create {jobs}"))
        per_job: dict[str, list[float]] = {"ours": [], "raw": []}
        runs: list[dict[str, Any]] = []
        for round_ in range(rounds):
            for impl in ("ours", "raw") if round_ % 2 == 0 else ("raw", "ours"):
                run = _waits_round(emulator, base_url, impl, ids)
                per_job[impl].append(run["per_job_kib"])
                runs.append({"impl": impl, "round": round_, **run})
                print(json.dumps(runs[-1]), file=sys.stderr)
    ratios = [ours / raw for ours, raw in zip(per_job["ours"], per_job["raw"], strict=True)]
    detail = {
        "measure": "peak RSS (VmHWM) above the RSS before the waits, per job",
        "jobs": jobs,
        "rounds": rounds,
        "httpx": httpx.__version__,
        "ours_kib_per_job": statistics.median(per_job["ours"]),
        "raw_kib_per_job": statistics.median(per_job["raw"]),
        "runs": runs,
    }
    if statistics.median(ratios) > 1.0:
        detail["note"] = (
            "nearly every wait is queued at the in-flight cap when the memory is read; a "
            "queued wait of ours still holds its flow's chain of generators (the wait, the "
            "result read, the retrying send: about 1.9 KiB) and its task's coroutines, raw "
            "httpx's only its coroutine"
        )
    return _row(WAITS_FIGURE, ratios, 1.0, "lower", detail)


# --- the emulator's pipeline against the client's batch --------------------------------------


def _pipeline_round(
    emulator: subprocess.Popen[str], base_url: str, origin: str, jobs: int, offset: int
) -> tuple[float, float]:
    """(URL jobs per second from the first submission to the last completion, the
    emulator process's CPU milliseconds per job)."""
    before = _stats(emulator)
    _, start = _submit_jobs(emulator, base_url, origin, jobs, offset)
    while (stats := _stats(emulator))["finished"] - before["finished"] < jobs:
        time.sleep(0.05)
    cpu_ms = (stats["cpu"] - before["cpu"]) * 1000 / jobs
    return jobs / (stats["last_finished"] - start), cpu_ms


async def _batch(base_url: str, origin: str, first: int, count: int) -> None:
    from leapocr_sdk import AsyncLeapOCR

    urls = [f"{origin}/batch/{n}.pdf" for n in range(first, first + count)]
    async with AsyncLeapOCR(api_key=API_KEY, base_url=base_url, timeout=600) as client:
        print("ready", flush=True)
        await _until_told()
        start = time.perf_counter()
        done = 0
        async for item in client.process_many(
            urls, concurrency=BATCH_CONCURRENCY, poll_interval=BATCH_POLL, output_type="markdown"
        ):
            done += item.ok
        wall = time.perf_counter() - start
    print(json.dumps({"wall": wall, "ok": done}), flush=True)


def _client_round(base_url: str, origin: str, jobs: int, offset: int) -> float:
    with _process(__file__, "--batch", base_url, origin, str(offset), str(jobs)) as worker:
        assert _first_line(worker) == "ready"
        result = json.loads(_ask(worker, "go"))
    if result["ok"] != jobs:
        raise RuntimeError(f"the client's batch finished {result['ok']} of {jobs} jobs")
    return jobs / float(result["wall"])


def measure_pipeline(smoke: bool) -> dict[str, Any]:
    jobs = 100 if smoke else 2_000
    rounds = 3
    pipeline: list[float] = []
    client: list[float] = []
    cpu_ms: list[float] = []
    with (
        _emulator(0.0) as emulator,
        _process(__file__, "--documents") as documents,
    ):
        base_url, origin = _first_line(emulator), _first_line(documents)
        # Warm-up, not measured: the emulator imports its PDF reader and connects to the
        # document server once, before the first round.
        _pipeline_round(emulator, base_url, origin, WARM_UP_JOBS, 0)
        offset = WARM_UP_JOBS
        for round_ in range(rounds):
            order = ("pipeline", "client") if round_ % 2 == 0 else ("client", "pipeline")
            for which in order:
                if which == "pipeline":
                    rate, cpu = _pipeline_round(emulator, base_url, origin, jobs, offset)
                    pipeline.append(rate)
                    cpu_ms.append(cpu)
                else:
                    client.append(_client_round(base_url, origin, jobs, offset))
                offset += jobs
    ratios = [p / c for p, c in zip(pipeline, client, strict=True)]
    detail = {
        "jobs": jobs,
        "rounds": rounds,
        "pipeline_jobs_per_s": statistics.median(pipeline),
        "client_jobs_per_s": statistics.median(client),
        "pipeline_runs": pipeline,
        "client_runs": client,
        "emulator_cpu_ms_per_job": statistics.median(cpu_ms),
        "load_processes": LOAD_PROCESSES,
        "load_connections": LOAD_CONNECTIONS,
        "client": f"process_many(concurrency={BATCH_CONCURRENCY}, poll_interval={BATCH_POLL})",
    }
    if statistics.median(ratios) < 4.0:
        detail["note"] = (
            "the emulator is one Python process (its request handling, the download and "
            "the reading of each document hold one interpreter) on the same 2 shared cores "
            "as the client; the ratio swings with the machine's load"
        )
    return _row(PIPELINE_FIGURE, ratios, 4.0, "higher", detail)


def measure(smoke: bool) -> list[dict[str, Any]]:
    """Both rows (``smoke``: tiny sizes, seconds)."""
    return [measure_waits(smoke), measure_pipeline(smoke)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--only", choices=("waits", "pipeline"))
    parser.add_argument("--documents", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--waits", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--batch", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.documents:
        serve_documents()
    elif args.load:
        base_url, origin, first, count = args.load
        generate_load(base_url, origin, int(first), int(count))
    elif args.waits:
        impl, base_url, cap, pool, poll = args.waits
        ids = json.loads(sys.stdin.readline())
        asyncio.run(_waits(impl, base_url, ids, int(cap), int(pool), float(poll)))
    elif args.batch:
        base_url, origin, first, count = args.batch
        asyncio.run(_batch(base_url, origin, int(first), int(count)))
    elif args.only == "waits":
        print(json.dumps([measure_waits(args.smoke)], indent=2))
    elif args.only == "pipeline":
        print(json.dumps([measure_pipeline(args.smoke)], indent=2))
    else:
        print(json.dumps(measure(args.smoke), indent=2))


if __name__ == "__main__":
    main()
