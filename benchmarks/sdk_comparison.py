"""Benchmarks: leapocr-sdk against raw httpx (the floor) and the official SDK, on the emulator.

``make bench`` (``.venv/bin/python benchmarks/sdk_comparison.py``) measures each figure
(uploads, status calls, jobs from URLs, detection delay, imports, results, batches) and
prints one table of medians with their ratio to the floor, which it also writes to
``benchmarks/results/sdk-comparison.md``. The official SDK (``leapocr`` from PyPI) is
installed only into ``.bench/official-venv``; if it cannot be installed, its column says
why.
``make bench-smoke`` (``--smoke``) runs every scenario tiny, without the official SDK,
and exits non-zero if anything fails. Each measurement runs in a fresh worker process
(``worker.py``); the emulator and the small file server run in this process.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from harness import (
    BENCH_DIR,
    ROOT,
    BenchError,
    Row,
    Runner,
    machine,
    median,
    met,
    ratio,
    rotate,
    seconds,
    setup_official,
    table,
    timed_commands,
    worker_env,
)

from leapocr_sdk import LeapOCR
from leapocr_sdk import _constants as C
from leapocr_sdk._operations import STATUS, UPLOAD_PART
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

API_KEY = "bench-key-0123456789"
MIB = 1024 * 1024
RESULTS = ROOT / "benchmarks" / "results" / "sdk-comparison.md"
ERROR_CELL = "error"


UPLOAD_IMPLS = (
    "ours-sync",
    "ours-async",
    "raw-threads",
    "raw-threads-stream",
    "raw-async",
    "raw-async-stream",
    "raw-sequential",
    "official",
)


@dataclass(frozen=True)
class Config:
    """Sizes and repetitions; ``SMOKE`` shrinks every one of them."""

    smoke: bool = False
    latency: float = 0.020  # injected before every request of the latency-modelling scenarios
    upload_bytes: int = 100 * MIB
    upload_runs: int = 5
    upload_impls: tuple[str, ...] = UPLOAD_IMPLS
    concurrency: int = 4
    status_calls: int = 2000
    status_rounds: int = 5
    jobs: int = 200
    job_seconds: tuple[float, float] = (1.0, 3.0)
    jobs_runs: int = 3
    poll_interval: float = 0.5
    official_intervals: tuple[float, ...] = (0.5, 1.0, 2.0)
    detect_jobs: int = 20
    detect_seconds: tuple[float, float] = (9.0, 12.0)
    import_rounds: int = 31
    import_profile_runs: int = 5
    result_pages: tuple[int, ...] = (250, 500, 1000)
    result_rounds: int = 3  # worker processes per implementation and size, interleaved
    result_repeat: int = 5  # reads per worker process
    batch_documents: int = 1000
    batch_runs: int = 3


FULL = Config()
SMOKE = Config(
    smoke=True,
    upload_bytes=6 * MIB,
    upload_runs=1,
    upload_impls=("ours-sync", "ours-async", "raw-threads-stream"),
    status_calls=20,
    status_rounds=1,
    jobs=5,
    job_seconds=(0.1, 0.3),
    jobs_runs=1,
    poll_interval=0.05,
    official_intervals=(0.05,),
    detect_jobs=3,
    detect_seconds=(0.8, 1.0),
    import_rounds=1,
    import_profile_runs=1,
    result_pages=(50,),
    result_rounds=1,
    result_repeat=2,
    batch_documents=10,
    batch_runs=1,
)


@dataclass
class Bench:
    """What every scenario gets: the settings, the worker runner, a scratch folder, notes."""

    config: Config
    runner: Runner
    workdir: Path
    notes: list[str] = field(default_factory=list)

    def log(self, message: str) -> None:
        self.runner.log(message)

    def worker(self, scenario: str, impl: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """One worker measurement; None (and the error recorded) if it failed."""
        try:
            result: dict[str, Any] = self.runner.run(scenario, impl, params)
        except BenchError as exc:
            self.runner.record(exc)
            return None
        return result


def _emulator(**kwargs: Any) -> LeapOCREmulator:
    return LeapOCREmulator(api_key=API_KEY, keep_files=False, seed=4, **kwargs)


def _make_job(emulator: LeapOCREmulator, pdf: bytes, timeout: float = 120) -> str:
    """A finished job on ``emulator`` (submitted with leapocr-sdk, in this process)."""
    with LeapOCR(API_KEY, base_url=emulator.base_url) as client:
        job_id = client.process_file(pdf, file_name="bench.pdf").job_id
    emulator.wait_for_job(job_id, timeout=timeout)
    return job_id


def _client_params(emulator: LeapOCREmulator) -> dict[str, Any]:
    return {"base_url": emulator.base_url, "api_key": API_KEY}


# --- 1, 2: a large upload: wall time and memory ----------------------------------------

RAW_PARALLEL = ("raw-threads", "raw-threads-stream", "raw-async", "raw-async-stream")


@dataclass
class Uploads:
    """Upload samples per implementation, and the shape of the upload."""

    samples: dict[str, list[dict[str, Any]]]
    parts: int
    part_size: int

    def median(self, impl: str, key: str) -> float | None:
        values = [sample[key] for sample in self.samples.get(impl, [])]
        return median(values) if values else None

    def best_raw(self, key: str) -> str | None:
        """The raw-httpx parallel version with the lowest median ``key``: the floor."""
        measured = [impl for impl in RAW_PARALLEL if self.samples.get(impl)]
        return min(measured, key=lambda impl: self.median(impl, key) or 0.0, default=None)


def _measure_uploads(bench: Bench) -> Uploads:
    cfg = bench.config
    path = bench.workdir / "upload.pdf"
    path.write_bytes(make_pdf(["leapocr-sdk upload benchmark"], pad_to=cfg.upload_bytes))
    impls = [impl for impl in cfg.upload_impls if bench.runner.has(impl)]
    samples: dict[str, list[dict[str, Any]]] = {impl: [] for impl in impls}
    try:
        with _emulator(processing_seconds=0.0) as emulator:
            emulator.faults.set_latency(cfg.latency)
            params = {**_client_params(emulator), "path": str(path), "concurrency": cfg.concurrency}
            for index in range(cfg.upload_runs):
                for impl in rotate(impls, index):
                    result = bench.worker("upload", impl, params)
                    if result is None:
                        continue
                    if result["job_id"]:  # the emulator reads the document after ``complete``
                        emulator.wait_for_job(result["job_id"], timeout=120)
                    samples[impl].append(result)
            puts = [r for r in emulator.requests if r.route == UPLOAD_PART.name]
    finally:
        path.unlink()
    return Uploads(
        samples,
        parts=max((int(r.path.rsplit("/", 1)[1]) for r in puts), default=0),
        part_size=max((r.body_size for r in puts), default=0),
    )


def bench_upload(bench: Bench) -> list[Row]:
    cfg = bench.config
    uploads = _measure_uploads(bench)
    shape = (
        f"{cfg.upload_bytes / MIB:.0f} MiB ({uploads.parts} x {uploads.part_size / MIB:.0f} MiB)"
    )
    rows = [
        _upload_wall_row(bench, uploads, flavor, f"{shape}, {cfg.latency * 1000:.0f} ms latency")
        for flavor in ("sync", "async")
    ]
    floor_impl = uploads.best_raw("wall")
    sequential = uploads.median("raw-sequential", "wall")
    floor = uploads.median(floor_impl, "wall") if floor_impl else None
    official = uploads.median("official", "wall")
    if sequential is not None and floor:
        # How much parallel parts can win on this machine at all: the official SDK sends
        # its parts one at a time, like this raw version does.
        reach = f"; the floor is {ratio(floor, official):.2f}x official" if official else ""
        rows.append(
            Row(
                "same upload, raw httpx one part at a time (reference)",
                "—",
                raw=seconds(sequential),
                ratio=f"{ratio(sequential, floor):.2f}x the floor{reach}",
            )
        )
    rows += [_upload_memory_row(bench, uploads, flavor) for flavor in ("sync", "async")]
    details = ", ".join(
        f"{impl} {seconds(wall)} / {uploads.median(impl, 'peak_above_idle_mib'):.1f} MiB"
        for impl in uploads.samples
        if (wall := uploads.median(impl, "wall")) is not None
    )
    bench.notes.append(
        f"Upload ({cfg.upload_runs} runs each, interleaved; median wall / peak RSS above idle): "
        f"{details}. The raw-httpx floor is its best parallel version (threads or asyncio, each "
        "part read whole or streamed in 1 MiB chunks like leapocr-sdk does), chosen per figure. "
        "Peak RSS is VmHWM after resetting it at idle (/proc/self/clear_refs)."
    )
    if any(r.get("complete_refused") for r in uploads.samples.get("official", [])):
        bench.notes.append(
            "The official SDK strips the quotes from each part's ETag before `complete`; the "
            "contract (docs/wire.md: ETags byte for byte, quotes included) and so the emulator "
            "refuse that with 400. All its parts were sent by then, so its upload time is "
            "measured up to that answer (same requests as a successful upload)."
        )
    return rows


def _upload_wall_row(bench: Bench, uploads: Uploads, flavor: str, shape: str) -> Row:
    figure = f"upload {shape}: wall, {flavor}"
    ours = uploads.median(f"ours-{flavor}", "wall")
    floor_impl = uploads.best_raw("wall")
    floor = uploads.median(floor_impl, "wall") if floor_impl else None
    official = uploads.median("official", "wall")
    ratios, checks = [], []
    if ours is not None and floor:
        ratios.append(f"{ratio(ours, floor):.2f}x raw")
        checks.append(ours <= 1.15 * floor)
    if ours is not None and official:
        ratios.append(f"{ratio(ours, official):.2f}x official")
        checks.append(ours <= 0.5 * official)
    return Row(
        figure,
        seconds(ours) if ours is not None else ERROR_CELL,
        raw=f"{seconds(floor)} ({floor_impl})" if floor else "—",
        official=_official_cell(bench, official, seconds),
        ratio=" · ".join(ratios) or "—",
        target="≤ 1.15x raw; ≤ 0.5x official",
        met=met(all(checks)) if checks else "—",
    )


def _upload_memory_row(bench: Bench, uploads: Uploads, flavor: str) -> Row:
    cfg = bench.config
    key = "peak_above_idle_mib"
    ours = uploads.median(f"ours-{flavor}", key)
    floor_impl = uploads.best_raw(key)
    floor = uploads.median(floor_impl, key) if floor_impl else None
    part_mib = uploads.part_size / MIB
    budget = cfg.concurrency * part_mib + 16
    return Row(
        f"same upload: peak RSS above idle, {flavor}",
        f"{ours:.1f} MiB" if ours is not None else ERROR_CELL,
        raw=f"{floor:.1f} MiB ({floor_impl})" if floor is not None else "—",
        official=_official_cell(bench, uploads.median("official", key), lambda v: f"{v:.1f} MiB"),
        ratio=f"{ratio(ours, floor):.2f}x raw" if ours is not None and floor else "—",
        target=f"≤ {cfg.concurrency} x {part_mib:.0f} + 16 = {budget:.0f} MiB",
        met=met(ours <= budget) if ours is not None else "—",
    )


def _official_cell(bench: Bench, value: float | None, fmt: Callable[[float], str]) -> str:
    if value is not None:
        return fmt(value)
    official = bench.runner.official
    return official.cell() if official.python is None else ERROR_CELL


# --- 3: small calls --------------------------------------------------------------------

STATUS_IMPLS = ("ours-sync", "raw-sync", "ours-async", "raw-async", "official")


def bench_status(bench: Bench) -> list[Row]:
    cfg = bench.config
    impls = [impl for impl in STATUS_IMPLS if bench.runner.has(impl)]
    rates: dict[str, list[float]] = {impl: [] for impl in impls}
    with _emulator(processing_seconds=0.0) as emulator:
        job_id = _make_job(emulator, make_pdf(["status"]))
        params = {**_client_params(emulator), "job_id": job_id, "calls": cfg.status_calls}
        for index in range(cfg.status_rounds):
            for impl in rotate(impls, index):
                result = bench.worker("status", impl, params)
                if result is not None:
                    rates[impl].append(result["per_second"])
        reused = _connections(emulator)
    rate = {impl: median(values) for impl, values in rates.items() if values}
    rows = []
    for flavor in ("sync", "async"):
        ours, raw = rate.get(f"ours-{flavor}"), rate.get(f"raw-{flavor}")
        official = rate.get("official") if flavor == "async" else None
        overhead = (1 / ours - 1 / raw) * 1e6 if ours and raw else None
        rows.append(
            Row(
                f"`get_status` on a kept-alive connection, {flavor}: calls/s",
                f"{ours:,.0f}/s" if ours else ERROR_CELL,
                raw=f"{raw:,.0f}/s" if raw else ERROR_CELL,
                official=_official_cell(bench, official, lambda v: f"{v:,.0f}/s")
                if flavor == "async"
                else "— (async only)",
                ratio=f"{ratio(ours, raw):.2f}x raw ({overhead:+.0f} µs/call)"
                if ours and raw and overhead is not None
                else "—",
                target="≥ 0.85x raw",
                met=met(ours >= 0.85 * raw) if ours and raw else "—",
            )
        )
    bench.notes.append(
        f"Small calls: {cfg.status_rounds} rounds of {cfg.status_calls} sequential calls per "
        f"implementation, no injected latency (the figure is the client's own cost per call, "
        f"on top of the emulator's); {reused}. Raw httpx sends the same GET with the same "
        "headers and decodes the JSON."
    )
    return rows


def _connections(emulator: LeapOCREmulator) -> str:
    records = [r for r in emulator.requests if r.route == STATUS.name]
    ports = {r.client_port for r in records}
    return f"{len(records)} status requests on {len(ports)} connections"


# --- 4, 5: many jobs from URL, and the detection delay -------------------------------


@contextlib.contextmanager
def serve_pdf(pdf: bytes) -> Iterator[str]:
    """A tiny keep-alive HTTP server on 127.0.0.1 answering every GET with ``pdf``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Content-Length", str(len(pdf)))
            self.end_headers()
            self.wfile.write(pdf)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class JobsRun:
    wall: float
    requests: int
    slowest: float  # first submission → the last job's completion, as the emulator tells
    delays: list[float]  # each job's completion → its wait_until_done returning

    @property
    def per_job(self) -> float:
        return self.requests / max(1, len(self.delays))


def _run_jobs(
    bench: Bench, emulator: LeapOCREmulator, impl: str, urls: list[str], interval: float
) -> JobsRun | None:
    emulator.clear_requests()
    params = {**_client_params(emulator), "urls": urls, "poll_interval": interval}
    result = bench.worker("jobs", impl, params)
    if result is None:
        return None
    requests = sum(emulator.route_counts.values())
    finished = _completion_times(emulator, list(result["returned_unix"]))
    start = float(result["start_unix"])
    delays = [float(result["returned_unix"][job]) - done for job, done in finished.items()]
    return JobsRun(result["wall"], requests, max(finished.values()) - start, delays)


def _completion_times(emulator: LeapOCREmulator, job_ids: list[str]) -> dict[str, float]:
    """Each job's ``completed_at`` (Unix time), read from the result endpoint (no latency)."""
    latency = emulator.faults.latency("result")
    emulator.faults.set_latency(0.0)
    try:
        with httpx.Client(base_url=emulator.base_url, headers={"X-API-Key": API_KEY}) as client:
            times = {}
            for job_id in job_ids:
                reply = client.get(f"/ocr/result/{job_id}", params={"page": 1, "limit": 1})
                reply.raise_for_status()
                stamp = reply.json()["completed_at"]
                times[job_id] = datetime.fromisoformat(stamp).timestamp()
    finally:
        emulator.faults.set_latency(latency)
        emulator.clear_requests()
    return times


def bench_jobs(bench: Bench) -> list[Row]:
    cfg, runner = bench.config, bench.runner
    p = cfg.poll_interval
    with (
        serve_pdf(make_pdf(["Invoice Number: INV-1\nTotal: 42.00"])) as origin,
        _emulator(processing_seconds=cfg.job_seconds) as emulator,
    ):
        emulator.faults.set_latency(cfg.latency)
        urls = [f"{origin}/documents/{index}.pdf" for index in range(cfg.jobs)]
        ours_runs = [
            _run_jobs(bench, emulator, "ours-async", urls, p) for _ in range(cfg.jobs_runs)
        ]
        official_runs: dict[float, list[JobsRun | None]] = {}
        ours_at: dict[float, list[JobsRun | None]] = {}  # ours at the official's intervals
        if runner.has("official"):
            for interval in cfg.official_intervals:
                official_runs[interval] = [
                    _run_jobs(bench, emulator, "official", urls, interval)
                    for _ in range(cfg.jobs_runs)
                ]
                ours_at[interval] = [
                    _run_jobs(bench, emulator, "ours-async", urls, interval)
                    for _ in range(cfg.jobs_runs)
                ]
    ours = [run for run in ours_runs if run is not None]
    official = {
        interval: [run for run in runs if run is not None]
        for interval, runs in official_runs.items()
    }
    official = {interval: runs for interval, runs in official.items() if runs}
    low, high = cfg.job_seconds
    label = f"{cfg.jobs} jobs from URL ({low:g}-{high:g} s each), poll_interval={p:g} s"
    if not ours:
        return [Row(f"{label}: wall", ERROR_CELL)]
    wall = median(r.wall for r in ours)
    slowest = median(r.slowest for r in ours)
    requests = median(r.requests for r in ours)
    bound = 1.1 * slowest + p
    # The official SDK at the interval whose wall time comes closest to ours.
    match = min(
        official, key=lambda i: abs(median(r.wall for r in official[i]) - wall), default=None
    )
    off_wall = median(r.wall for r in official[match]) if match is not None else None
    # "Fewer requests for the same wall time": the official SDK's fastest run against our
    # cheapest run (any poll interval) that is no slower.
    fastest = min(official, key=lambda i: median(r.wall for r in official[i]), default=None)
    candidates = {
        interval: [r for r in runs if r is not None] for interval, runs in ours_at.items()
    }
    candidates[p] = ours
    fast_wall = median(r.wall for r in official[fastest]) if fastest is not None else None
    fast_requests = median(r.requests for r in official[fastest]) if fastest is not None else None
    no_slower = {
        interval: (median(r.requests for r in runs), median(r.wall for r in runs))
        for interval, runs in candidates.items()
        if runs and fast_wall is not None and median(r.wall for r in runs) <= fast_wall
    }
    cheapest = min(no_slower, key=lambda i: no_slower[i][0], default=None)
    rows = [
        Row(
            f"{label}: wall",
            f"{seconds(wall)} (slowest job {seconds(slowest)})",
            official=f"{seconds(off_wall)} (poll {match:g} s)"
            if off_wall is not None
            else _official_cell(bench, None, str),
            ratio=f"{ratio(wall, bound):.2f}x bound",
            target=f"≤ 1.1 x slowest + {p:g} s = {seconds(bound)}",
            met=met(wall <= bound),
        ),
        Row(
            f"{label}: HTTP requests",
            f"{requests:,.0f} ({requests / cfg.jobs:.1f}/job)",
            target="—",
            met="—",
        ),
    ]
    if fastest is not None and fast_wall is not None and fast_requests is not None:
        if cheapest is None:
            ours_cell, ratio_cell, ok = "none of our runs as fast", "—", False
        else:
            ours_requests, ours_wall = no_slower[cheapest]
            ours_cell = (
                f"{ours_requests:,.0f} ({ours_requests / cfg.jobs:.1f}/job), "
                f"wall {seconds(ours_wall)} at poll {cheapest:g} s"
            )
            ratio_cell = f"{ratio(ours_requests, fast_requests):.2f}x official requests"
            ok = ours_requests < fast_requests
        rows.append(
            Row(
                f"same {cfg.jobs} jobs: HTTP requests at no more wall time than the official "
                "SDK's fastest run",
                ours_cell,
                official=f"{fast_requests:,.0f} ({fast_requests / cfg.jobs:.1f}/job), "
                f"wall {seconds(fast_wall)} at poll {fastest:g} s",
                ratio=ratio_cell,
                target="fewer requests than official for the same wall time",
                met=met(ok),
            )
        )
    ours_details = "; ".join(
        f"poll {interval:g} s: wall {seconds(median(r.wall for r in runs))}, "
        f"{median(r.requests for r in runs):,.0f} requests, detection median "
        f"{seconds(median(d for r in runs for d in r.delays))}"
        for interval, runs in ((i, [r for r in rs if r is not None]) for i, rs in ours_at.items())
        if runs
    )
    details = "; ".join(
        f"poll {interval:g} s: wall {seconds(median(r.wall for r in runs))}, "
        f"{median(r.requests for r in runs):,.0f} requests, detection median "
        f"{seconds(median(d for r in runs for d in r.delays))}"
        for interval, runs in official.items()
    )
    bench.notes.append(
        f"Many jobs ({cfg.jobs_runs} runs each, {cfg.latency * 1000:.0f} ms latency per request): "
        f"leapocr-sdk polls the result endpoint (a finished job's last poll is its result), "
        f"its interval growing x1.25 per poll up to 4 x poll_interval; slowest job = first "
        f"submission → the last completion per the emulator; leapocr-sdk detection median "
        f"{seconds(median(d for r in ours for d in r.delays))}. "
        f"leapocr-sdk at the official SDK's intervals: {ours_details or 'n/a'}. "
        f"Official SDK (fixed interval, status polls + one result GET): {details or 'n/a'}."
    )
    return rows


def bench_detection(bench: Bench) -> list[Row]:
    cfg, runner = bench.config, bench.runner
    p, cap = cfg.poll_interval, cfg.poll_interval * 4
    with (
        serve_pdf(make_pdf(["detect"])) as origin,
        _emulator(processing_seconds=cfg.detect_seconds) as emulator,
    ):
        emulator.faults.set_latency(cfg.latency)
        urls = [f"{origin}/detect/{index}.pdf" for index in range(cfg.detect_jobs)]
        ours = _run_jobs(bench, emulator, "ours-async", urls, p)
        official = (
            _run_jobs(bench, emulator, "official", urls, p) if runner.has("official") else None
        )

    def cell(run: JobsRun | None) -> str:
        if run is None:
            return ERROR_CELL
        return (
            f"median {seconds(median(run.delays))}, max {seconds(max(run.delays))} "
            f"({run.per_job:.1f} requests/job)"
        )

    figure = (
        f"detection delay (job done → `wait_until_done` returns), {cfg.detect_jobs} jobs of "
        f"{cfg.detect_seconds[0]:g}-{cfg.detect_seconds[1]:g} s, poll_interval={p:g} s"
    )
    return [
        Row(
            figure,
            cell(ours),
            official=cell(official)
            if official or runner.has("official")
            else runner.official.cell(),
            ratio=f"max {ratio(max(ours.delays), cap):.2f}x cap" if ours else "—",
            target=f"≤ the interval at the cap, 4 x {p:g} = {seconds(cap)}",
            met=met(max(ours.delays) <= cap) if ours else "—",
        )
    ]


# --- 7: a batch of documents: process_many against the official README's recipe -------


def bench_batch(bench: Bench) -> list[Row]:
    cfg, runner = bench.config, bench.runner
    n, p = cfg.batch_documents, cfg.poll_interval
    impls = [impl for impl in ("ours-async", "official") if runner.has(impl)]
    samples: dict[str, list[dict[str, Any]]] = {impl: [] for impl in impls}
    with (
        serve_pdf(make_pdf(["Invoice Number: INV-1\nTotal: 42.00"])) as origin,
        _emulator(processing_seconds=cfg.job_seconds) as emulator,
    ):
        emulator.faults.set_latency(cfg.latency)
        params = {
            **_client_params(emulator),
            "urls": [f"{origin}/batch/{index}.pdf" for index in range(n)],
            "poll_interval": p,
            "concurrency": n,  # as many at once as the recipe's gather: the same footing
        }
        for index in range(cfg.batch_runs):
            for impl in rotate(impls, index):
                emulator.clear_requests()
                result = bench.worker("batch", impl, params)
                if result is None:
                    continue
                if result["failed"] or result["ok"] != n:
                    runner.record(BenchError(f"batch {impl}: {result['ok']} of {n} ok"))
                result["requests"] = sum(emulator.route_counts.values())
                samples[impl].append(result)

    def figure(impl: str, key: str) -> float | None:
        values = [sample[key] for sample in samples.get(impl, [])]
        return median(values) if values else None

    low, high = cfg.job_seconds
    label = f"{n:,} documents ({low:g}-{high:g} s each) through `process_many`, delete after"
    rows = []
    for key, name, fmt in (
        ("wall", "wall", seconds),
        ("requests", "HTTP requests per document", lambda v: f"{v / n:.1f}/doc"),
        ("peak_above_idle_mib", "peak RSS above idle", lambda v: f"{v:.1f} MiB"),
    ):
        ours, official = figure("ours-async", key), figure("official", key)
        rows.append(
            Row(
                f"{label}: {name}",
                fmt(ours) if ours is not None else ERROR_CELL,
                official=_official_cell(bench, official, fmt),
                ratio=f"{ratio(ours, official):.2f}x official" if ours and official else "—",
                target="—",
                met="—",
            )
        )
    bench.notes.append(
        f"Batch ({cfg.batch_runs} runs each, interleaved, {cfg.latency * 1000:.0f} ms latency "
        f"per request, poll_interval={p:g} s): leapocr-sdk's `process_many(urls, "
        f"concurrency={n}, delete=True)` against the official README's recipe (gather every "
        "`process_url`, then every `wait_until_done`, then every `delete_job`). Requests are "
        "every API request the emulator received, deletes included."
    )
    return rows


# --- 6: import time --------------------------------------------------------------------


# What a user of the client pays (a bare `import leapocr_sdk` loads names lazily).
OURS_IMPORT = "from leapocr_sdk import AsyncLeapOCR, LeapOCR"
OFFICIAL_IMPORT = "from leapocr import LeapOCR"


def bench_import(bench: Bench) -> list[Row]:
    cfg, official = bench.config, bench.runner.official
    ours_py = sys.executable
    commands = {
        "httpx": [ours_py, "-c", "import httpx"],
        "ours": [ours_py, "-c", OURS_IMPORT],
        "ours-bare": [ours_py, "-c", "import leapocr_sdk"],
    }
    if official.python is not None:
        commands["official-httpx"] = [str(official.python), "-c", "import httpx"]
        commands["official"] = [str(official.python), "-c", OFFICIAL_IMPORT]
    try:
        timed_commands(commands, 1)  # write bytecode caches, warm the page cache
        times = timed_commands(commands, cfg.import_rounds)
    except (OSError, subprocess.SubprocessError) as exc:
        bench.runner.record(BenchError(f"import: {exc}"))
        return [Row(f"`{OURS_IMPORT}` above `import httpx`", ERROR_CELL)]
    ours = median(times["ours"]) - median(times["httpx"])
    theirs = (
        median(times["official"]) - median(times["official-httpx"]) if "official" in times else None
    )
    generated = _loaded_at_import(ours_py, "leapocr_sdk", "leapocr_api")
    heavy = _import_profile(ours_py, OURS_IMPORT, cfg.import_profile_runs)
    bare = median(times["ours-bare"]) - median(times["httpx"])
    bench.notes.append(
        f"Import ({cfg.import_rounds} fresh processes each, interleaved, with bytecode caches): "
        f"`import httpx` alone {seconds(median(times['httpx']))}; the generated layer "
        f"(leapocr_api) is {'loaded' if generated else 'not loaded'} by `{OURS_IMPORT}`. "
        f"What `{OURS_IMPORT}` adds beyond httpx, by `python -X importtime` "
        f"(median of {cfg.import_profile_runs}): {heavy}. A bare `import leapocr_sdk` loads "
        f"its public names on first use: {bare * 1000:+.1f} ms against `import httpx` "
        f"(it does not load httpx at all)."
    )
    if official.python is not None:
        bench.notes.append(
            f"Official SDK's `{OFFICIAL_IMPORT}` beyond httpx, by `python -X importtime`: "
            + _import_profile(str(official.python), OFFICIAL_IMPORT, cfg.import_profile_runs)
            + "."
        )
    return [
        Row(
            f"`{OURS_IMPORT}` above `import httpx` (fresh process)",
            f"+{ours * 1000:.1f} ms",
            raw=f"{median(times['httpx']) * 1000:.0f} ms (httpx itself)",
            official=f"+{theirs * 1000:.1f} ms" if theirs is not None else official.cell(),
            ratio=f"{ratio(ours, theirs):.2f}x official" if theirs else "—",
            target="≤ the official SDK's",
            met=met(ours <= theirs) if theirs is not None else "—",
        )
    ]


def _loaded_at_import(python: str, package: str, module: str) -> bool:
    code = f"import sys, {package}; print({module!r} in sys.modules)"
    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True, env=worker_env()
    )
    return done.stdout.strip() == "True"


_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")
_SAME_PACKAGE = {"attr": "attrs"}  # attrs ships two top-level packages


def _import_profile(python: str, statement: str, runs: int, top: int = 6) -> str:
    """What ``statement`` costs beyond httpx, by top-level package (self time, median)."""
    totals: list[int] = []
    groups: dict[str, list[int]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [python, "-X", "importtime", "-c", f"import httpx; {statement}"],
            capture_output=True,
            text=True,
            check=True,
            env=worker_env(),
        )
        lines = [m for m in map(_IMPORTTIME.match, done.stderr.splitlines()) if m]
        after_httpx = next(
            (i for i, m in enumerate(lines) if m[4] == "httpx" and not m[3].strip()), -1
        )
        run: dict[str, int] = {}
        for found in lines[after_httpx + 1 :]:
            top_level = found[4].split(".")[0]
            key = _SAME_PACKAGE.get(top_level, top_level)
            run[key] = run.get(key, 0) + int(found[1])
        totals.append(sum(run.values()))
        for key, micros in run.items():
            groups.setdefault(key, []).append(micros)
    heaviest = sorted(((k, median(v)) for k, v in groups.items()), key=lambda kv: -kv[1])[:top]
    parts = ", ".join(f"{name} {micros / 1000:.1f} ms" for name, micros in heaviest)
    return f"{median(totals) / 1000:.1f} ms in all; by package (self time): {parts}"


# --- 7: a large result ------------------------------------------------------------------

RESULT_IMPLS = ("ours-sync", "ours-async", "raw-sync", "official")
RESULT_LIMIT = C.RESULT_PAGE_LIMIT  # leapocr-sdk's page size; the others use the same


def _page_text(number: int) -> str:
    line = "the quick brown fox jumps over the lazy dog; 0123456789 ÄÖÜ"
    return "\n".join(f"Page {number}, line {index}: {line}" for index in range(24))


def bench_result(bench: Bench) -> list[Row]:
    cfg, runner = bench.config, bench.runner
    impls = [impl for impl in RESULT_IMPLS if runner.has(impl)]
    measured: dict[int, dict[str, dict[str, Any]]] = {}
    with _emulator(processing_seconds=0.0) as emulator:
        for pages in cfg.result_pages:
            pdf = make_pdf([_page_text(n) for n in range(1, pages + 1)])
            params = {
                **_client_params(emulator),
                "job_id": _make_job(emulator, pdf),
                "repeat": cfg.result_repeat,
                "limit": RESULT_LIMIT,
            }
            measured[pages] = {}
            for index in range(cfg.result_rounds):
                for impl in rotate(impls, index):
                    result = bench.worker("result", impl, params)
                    if result is not None and result["pages"] != pages:
                        runner.record(BenchError(f"result/{impl}: {result['pages']} pages"))
                    elif result is not None:
                        _merge_reads(measured[pages], impl, result)

    def cell(pages: int, impl: str) -> str:
        result = measured[pages].get(impl)
        if result is None:
            return runner.official.cell() if not runner.has(impl) else ERROR_CELL
        took = median(result["times"])
        return (
            f"{seconds(took)}, {pages / took:,.0f} pages/s, {result['peak_above_idle_mib']:.1f} MiB"
        )

    rows = []
    for pages in cfg.result_pages:
        ours = measured[pages].get("ours-sync")
        raw = measured[pages].get("raw-sync")
        async_ = measured[pages].get("ours-async")
        rows.append(
            Row(
                f"`get_result`, {pages:,}-page result: time, pages/s, peak RSS above idle",
                cell(pages, "ours-sync")
                + (f" (async {seconds(median(async_['times']))})" if async_ else ""),
                raw=cell(pages, "raw-sync"),
                official=cell(pages, "official"),
                ratio=f"{ratio(median(ours['times']), median(raw['times'])):.2f}x raw"
                if ours and raw
                else "—",
            )
        )
    rows.append(_linearity_row(cfg, measured))
    bench.notes.append(
        f"Result: {cfg.result_rounds} worker processes per implementation and size, "
        f"interleaved, {cfg.result_repeat} reads each (median time of all reads; median peak "
        f"RSS above idle during a process's first read); {RESULT_LIMIT} pages per request for all "
        "three (the official SDK returns one result page per call, read here in a loop: its "
        "`wait_until_done` returns only the first 100 pages); raw httpx GETs each page and "
        "decodes the JSON; each result page holds about 2 KB of text."
    )
    return rows


def _merge_reads(into: dict[str, dict[str, Any]], impl: str, result: dict[str, Any]) -> None:
    """Pool the read times of several worker processes; keep each one's peak memory."""
    merged = into.setdefault(impl, {"times": [], "peaks": []})
    merged["times"] += result["times"]
    merged["peaks"].append(result["peak_above_idle_mib"])
    merged["peak_above_idle_mib"] = median(merged["peaks"])


def _linearity_row(cfg: Config, measured: dict[int, dict[str, dict[str, Any]]]) -> Row:
    small, large = cfg.result_pages[0], cfg.result_pages[-1]

    def per_page_growth(impl: str) -> float | None:
        a, b = measured[small].get(impl), measured[large].get(impl)
        if a is None or b is None or small == large:
            return None
        return (median(b["times"]) / large) / (median(a["times"]) / small)

    ours, raw, official = (per_page_growth(i) for i in ("ours-sync", "raw-sync", "official"))

    def fmt(value: float | None) -> str:
        return f"{value:.2f}x" if value is not None else "—"

    return Row(
        f"`get_result` time per page, {large:,} vs {small:,} pages",
        fmt(ours),
        raw=fmt(raw),
        official=fmt(official),
        target="linear: ≤ 1.25x",
        met=met(ours <= 1.25) if ours is not None else "—",
    )


# --- the run -----------------------------------------------------------------------------

SCENARIOS: dict[str, Callable[[Bench], list[Row]]] = {
    "upload": bench_upload,
    "status": bench_status,
    "jobs": bench_jobs,
    "detection": bench_detection,
    "import": bench_import,
    "result": bench_result,
    "batch": bench_batch,
}


def render(bench: Bench, rows: list[Row], command: str, took: float) -> str:
    cfg = bench.config
    official = bench.runner.official
    comparison = (
        f"official SDK `leapocr==2.0.1` (httpx {official.httpx_version}) in .bench/official-venv"
        if official.python is not None
        else f"official SDK: {official.cell()}"
    )
    lines = [
        "# leapocr-sdk benchmarks" + (" (smoke run: tiny sizes, not figures)" if cfg.smoke else ""),
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; run took {took:.0f} s",
        f"- machine: {machine()}",
        f"- command: `{command}`",
        f"- compared: raw httpx (the floor, same interpreter); {comparison}",
        "- server: the emulator (leapocr_sdk.testing) on 127.0.0.1, in the benchmark's process; "
        "each implementation runs in a fresh process of its own; figures are medians",
        "",
        table(rows),
        "",
        *[f"- {note}" for note in bench.notes],
    ]
    if bench.runner.errors:
        lines += ["", "Errors:", *[f"- {error}" for error in bench.runner.errors]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, no official SDK")
    parser.add_argument("--skip-official", action="store_true", help="do not install/run it")
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="these scenarios")
    parser.add_argument("--runs", type=int, help="runs per implementation (upload, status, jobs)")
    parser.add_argument(
        "--output",
        type=Path,
        help=f"where to write the table (default: {RESULTS.relative_to(ROOT)}, not for --smoke)",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(
            f"[bench {time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True
        )

    config = SMOKE if args.smoke else FULL
    if args.runs:
        config = replace(
            config, upload_runs=args.runs, status_rounds=args.runs, jobs_runs=args.runs
        )
    official = setup_official(skip=args.smoke or args.skip_official, log=log)
    if official.python is None and not args.smoke:
        log(f"official SDK: {official.cell()}")
    workdir = BENCH_DIR / "tmp"
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(config, Runner(official, log), workdir)
    rows: list[Row] = []
    for name, scenario in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        log(f"scenario {name}")
        try:
            rows += scenario(bench)
        except Exception as exc:  # one broken scenario must not hide the others
            bench.runner.record(BenchError(f"{name}: {type(exc).__name__}: {exc}"))
            rows.append(Row(name, ERROR_CELL))
    command = "make bench-smoke" if args.smoke else "make bench"
    if argv is None and sys.argv[1:] not in ([], ["--smoke"]):
        command = shlex.join([".venv/bin/python", "benchmarks/sdk_comparison.py", *sys.argv[1:]])
    report = render(bench, rows, command, time.perf_counter() - started)
    print(report)
    output = args.output or (None if args.smoke else RESULTS)
    if output is not None:
        output.write_text(report)
        log(f"wrote {output}")
    return 1 if bench.runner.errors else 0


if __name__ == "__main__":
    sys.exit(main())
