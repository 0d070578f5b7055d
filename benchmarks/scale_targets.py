"""The scale benchmarks (CPU per request at 1,000 jobs, 20,000-page results, detection
delay, 10,000 jobs, a 1 GiB upload): measure, then judge against each target, then report,
each target written once.

``make bench`` runs this after ``sdk_comparison.py``;
``python benchmarks/scale_targets.py [--quick]`` alone; ``--big-upload-only`` measures
only the 1 GiB upload row and judges it beside the other figures of the last saved run;
``--smoke`` (run by ``make bench-smoke``) runs every row at a tiny size and writes
nothing. The emulator runs in its own process (``emulator_server.py``); every
measurement runs in a fresh worker process with its imports done before the timer
starts; contenders are interleaved round by round and each figure is a median with its
spread (min-max). Results go to ``benchmarks/results/scale-targets.json`` (the previous
run is kept beside it as ``scale-targets.previous.json`` and every figure that got more
than 20 % worse is flagged), the table to ``benchmarks/results/scale-targets.md``, the
plots to ``benchmarks/results/*.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from concurrent_waits import API_KEY, HERE, Server, measure

RESULTS = HERE / "results" / "scale-targets.json"
PREVIOUS = HERE / "results" / "scale-targets.previous.json"
TABLE = HERE / "results" / "scale-targets.md"
RESULT_PAGES_TARGET = 20_000  # the result size the result_time target is judged at
REGRESSION = 1.2  # a figure this much worse than the last saved run is flagged

# Each target once: (name, what is compared, the bound on the ratio).
TARGETS = {
    "scale_cpu": ("client CPU per request, 1,000 jobs: ours / raw httpx at its best cap", 1.2),
    "result_time": ("20,000-page get_result: now / sequential 250-page paging", 0.3),
    "poll_median": ("median detection delay: predicted / growing interval", 0.3),
    "poll_p95": ("p95 detection delay: predicted / growing interval", 0.4),
    "poll_requests": ("requests per job: predicted / growing interval", 1.0),
    "ten_thousand_wall": ("10,000 jobs: wall / (slowest job + 2 capped poll intervals)", 1.0),
    "ten_thousand_memory": ("10,000 jobs: client peak RSS / 100 MiB", 1.0),
    "big_upload_wall": ("1 GiB upload (205 parts): wall / raw httpx, same concurrency", 1.1),
    "big_upload_memory": (
        "1 GiB upload: peak memory above idle / (concurrency x part size + 16 MiB)",
        1.0,
    ),
}
# The 1 GiB row's contenders: (worker, the raw httpx contender it is compared with).
BIG_UPLOAD_PAIRS = {"ours-sync": "raw-threads-stream", "ours-async": "raw-async-stream"}
BIG_UPLOAD_FLOOR = "raw-socket"  # plain sockets, sendfile: the floor


# --- measure ------------------------------------------------------------------------------


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure_scale(cfg: argparse.Namespace) -> dict[str, Any]:
    """Jobs against wall, CPU and requests; ours at its default cap beside raw at each cap."""
    from leapocr_sdk import _constants as C

    out: dict[str, Any] = {"caps": {}, "curve": []}
    server = Server(cfg.processing)
    try:
        for round_ in range(cfg.rounds):
            for cap in cfg.caps:
                for impl in ("ours", "raw") if round_ % 2 == 0 else ("raw", "ours"):
                    row = measure(server, impl, cfg.jobs, cap, 0.5)
                    out["caps"].setdefault(f"{impl}-{cap}", []).append(row)
                    print(json.dumps(row), flush=True)
        for jobs in cfg.curve:
            row = measure(server, "ours", jobs, C.MAX_IN_FLIGHT, 0.5)
            out["curve"].append(row)
            print(json.dumps(row), flush=True)
    finally:
        server.close()
    return out


def measure_ten_thousand(cfg: argparse.Namespace) -> dict[str, Any]:
    from leapocr_sdk import _constants as C

    server = Server((20.0, 30.0))
    try:
        row = measure(server, "ours", cfg.many, C.MAX_IN_FLIGHT, C.DEFAULT_POLL_INTERVAL)
    finally:
        server.close()
    row["slowest_job_s"] = 30.0  # the emulator's longest job; waits start after creation
    row["bound_s"] = 30.0 + 2 * C.DEFAULT_POLL_INTERVAL * C.POLL_CAP_FACTOR
    print(json.dumps(row), flush=True)
    return row


def measure_results(cfg: argparse.Namespace) -> dict[str, Any]:
    """get_result of big results: now (limit 1000, 8 at a time), before (250, one by one),
    raw httpx (1000, 8 at a time)."""
    from leapocr_sdk import LeapOCR
    from leapocr_sdk.testing import make_pdf

    out: dict[str, Any] = {}
    server = Server((0.0, 0.0))
    try:
        for pages in cfg.result_pages:
            pdf = make_pdf([_page_text(n) for n in range(1, pages + 1)])
            with LeapOCR(api_key=API_KEY, base_url=server.base_url, timeout=600) as client:
                job = client.process_file(pdf)
                client.wait_until_done(job.job_id, poll_interval=0.5, timeout=900)
            times: dict[str, list[float]] = {"now": [], "before": [], "raw": []}
            for round_ in range(cfg.rounds):
                order = list(times) if round_ % 2 == 0 else list(reversed(times))
                for impl in order:
                    times[impl].append(_result_worker(server.base_url, job.job_id, impl, pages))
            out[str(pages)] = {impl: spread(values) for impl, values in times.items()}
            print(json.dumps({"pages": pages, **out[str(pages)]}), flush=True)
    finally:
        server.close()
    return out


def _page_text(number: int) -> str:
    line = "the quick brown fox jumps over the lazy dog; 0123456789"
    return "\n".join(f"Page {number}, line {index}: {line}" for index in range(24))


def _result_worker(base_url: str, job_id: str, impl: str, pages: int) -> float:
    command = [sys.executable, __file__, "--result-worker", impl, base_url, job_id, str(pages)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def result_worker(impl: str, base_url: str, job_id: str, pages: int) -> None:
    """Import everything, then time one whole read of the result."""
    import httpx

    from leapocr_sdk import LeapOCR
    from leapocr_sdk import _constants as C

    if (
        impl == "before"
    ):  # the paging sequential 250-page paging: 250 pages a request, one at a time
        C.RESULT_PAGE_LIMIT, C.RESULT_FETCH_CONCURRENCY = 250, 1
    if impl == "raw":
        took = asyncio.run(_raw_result(httpx, base_url, job_id))
    else:
        with LeapOCR(api_key=API_KEY, base_url=base_url, timeout=600) as client:
            client.get_status(job_id)  # connections and first-use imports outside the timer
            start = time.perf_counter()
            got = len(client.get_result(job_id).pages)
            took = time.perf_counter() - start
            assert got == pages, got
    print(took)


async def _raw_result(httpx: Any, base_url: str, job_id: str) -> float:
    url = f"{base_url}/ocr/result/{job_id}"
    async with httpx.AsyncClient(headers={"X-API-Key": API_KEY}, timeout=600) as raw:
        await raw.get(f"{base_url}/ocr/status/{job_id}")
        start = time.perf_counter()
        first = (await raw.get(url, params={"page": 1, "limit": 1000})).json()
        gate = asyncio.Semaphore(8)

        async def page(number: int) -> Any:
            async with gate:
                return (await raw.get(url, params={"page": number, "limit": 1000})).json()

        count = first["pagination"]["total_pages"]
        rest = await asyncio.gather(*(page(n) for n in range(2, count + 1)))
        assert sum(len(body["pages"]) for body in [first, *rest]) > 0
        return time.perf_counter() - start


def measure_polling(cfg: argparse.Namespace) -> dict[str, Any]:
    out = {}
    for policy in ("growing", "predicted"):
        command = [sys.executable, str(HERE / "polling_delay.py"), "--jobs", str(cfg.poll_jobs)]
        command += ["--policy", policy, "--seconds", *map(str, cfg.poll_seconds)]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        out[policy] = json.loads(done.stdout)
        print(json.dumps(out[policy]), flush=True)
    return out


def measure_first_call(runs: int) -> dict[str, Any]:
    """Milliseconds to build the first get_result request after ``import leapocr_sdk``
    (httpx and attrs imported before: they are the SDK's anyway)."""
    code = (
        "import time, httpx, attrs, leapocr_sdk; from leapocr_sdk import _requests as r; "
        "t = time.perf_counter(); r.get_result('j', 1, 1000); "
        "print((time.perf_counter() - t) * 1000)"
    )
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
        for _ in range(runs)
    ]
    return spread(times)


def _warm(path: Path) -> None:
    """Read ``path`` once, so that every contender reads it from the page cache: the first
    read of a fresh sparse file fills the cache with zeroed pages, about 2.8 s of kernel
    CPU a GiB on this machine, which would fall on whichever contender ran first."""
    with path.open("rb", buffering=0) as source:
        while source.read(16 * 1024 * 1024):
            pass


def measure_big_upload(
    cfg: argparse.Namespace, contenders: list[str] | None = None, latency: float = 0.0
) -> dict[str, Any]:
    """A ``cfg.upload_mib`` MiB upload: ours (sync, async), raw httpx with the same
    concurrency, and raw sockets, each in a fresh worker process (``worker.py``)
    against a fresh emulator process with the cheap ETag; raw sockets once more against
    the default MD5 ETag, to show what hashing costs. Interleaved, round by round, from a
    file already in the page cache (``_warm``).

    ``contenders`` picks some of them (``benchmarks/kept_bench.py`` runs two);
    ``latency`` is added by the emulator to every reply. ``runs`` in the answer keeps
    each round's worker answer, contender by contender, in round order."""
    from leapocr_sdk import _constants as C
    from leapocr_sdk._contract import PART_SIZE
    from leapocr_sdk.testing import make_pdf

    if contenders is None:
        contenders = [*BIG_UPLOAD_PAIRS, *BIG_UPLOAD_PAIRS.values(), BIG_UPLOAD_FLOOR, "md5"]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
    with tempfile.TemporaryDirectory(prefix="leapocr-bench-") as folder:
        path = Path(folder) / "big.pdf"
        with path.open("wb") as out:  # a PDF's first bytes, then a sparse tail of zeros
            out.write(make_pdf(["1 GiB upload"]))
            out.truncate(cfg.upload_mib * 1024 * 1024)
        _warm(path)
        for round_ in range(cfg.rounds):
            for name in contenders if round_ % 2 == 0 else list(reversed(contenders)):
                etag_mode = "md5" if name == "md5" else "fast"
                server = Server((0.0, 0.0), latency, etag_mode=etag_mode)
                impl = BIG_UPLOAD_FLOOR if name == "md5" else name
                params = {"scenario": "upload", "impl": impl, "api_key": API_KEY}
                params.update(
                    base_url=server.base_url,
                    path=str(path),
                    concurrency=C.DEFAULT_UPLOAD_CONCURRENCY,
                )
                try:
                    command = [sys.executable, str(HERE / "worker.py"), json.dumps(params)]
                    done = subprocess.run(command, capture_output=True, text=True, check=True)
                finally:
                    server.close()
                row = json.loads(done.stdout.strip().splitlines()[-1])
                runs[name].append(row)
                print(json.dumps({"contender": name, **row}), flush=True)
    parts = -(-cfg.upload_mib * 1024 * 1024 // PART_SIZE)
    bound_mib = C.DEFAULT_UPLOAD_CONCURRENCY * PART_SIZE / 2**20 + 16
    return {
        "size_mib": cfg.upload_mib,
        "parts": parts,
        "concurrency": C.DEFAULT_UPLOAD_CONCURRENCY,
        "memory_bound_mib": bound_mib,
        "wall": {name: spread([r["wall"] for r in rows]) for name, rows in runs.items()},
        "client_cpu": {name: spread([r["cpu"] for r in rows]) for name, rows in runs.items()},
        "peak_rss_mib": {name: max(r["peak_rss_mib"] for r in rows) for name, rows in runs.items()},
        "peak_above_idle_mib": {
            name: max(r["peak_above_idle_mib"] for r in rows) for name, rows in runs.items()
        },
        "runs": runs,
    }


# --- judge --------------------------------------------------------------------------------


def judge(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    verdicts: dict[str, dict[str, Any]] = {}

    def verdict(key: str, figure: str, ratio: float, flavor: str = "") -> None:
        what, bound = TARGETS[key]
        name, what = (f"{key}_{flavor}", f"{what} ({flavor})") if flavor else (key, what)
        verdicts[name] = {"what": what, "figure": figure, "ratio": ratio, "bound": bound}
        verdicts[name]["met"] = ratio <= bound

    big = data.get("big_upload")
    if big:
        wall, above = big["wall"], big["peak_above_idle_mib"]
        for ours, raw in BIG_UPLOAD_PAIRS.items():
            flavor = ours.removeprefix("ours-")
            verdict(
                "big_upload_wall",
                f"{wall[ours]['median']:.2f} s vs {wall[raw]['median']:.2f} s ({raw}); "
                f"floor {wall[BIG_UPLOAD_FLOOR]['median']:.2f} s",
                wall[ours]["median"] / wall[raw]["median"],
                flavor,
            )
            verdict(
                "big_upload_memory",
                f"{above[ours]:.1f} MiB above idle (VmHWM {big['peak_rss_mib'][ours]:.0f} MiB), "
                f"bound {big['memory_bound_mib']:.0f} MiB",
                above[ours] / big["memory_bound_mib"],
                flavor,
            )
    caps = data["scale"]["caps"]

    def per_request(key: str) -> float:
        return statistics.median(r["client_cpu_per_request_ms"] for r in caps[key])

    from leapocr_sdk import _constants as C

    raw_best = min((k for k in caps if k.startswith("raw-")), key=per_request)
    ours = f"ours-{C.MAX_IN_FLIGHT}"
    if ours in caps:
        verdict(
            "scale_cpu",
            f"{per_request(ours):.2f} ms (cap {C.MAX_IN_FLIGHT}) vs raw "
            f"{per_request(raw_best):.2f} ms ({raw_best})",
            per_request(ours) / per_request(raw_best),
        )
    results = data["results"].get(str(RESULT_PAGES_TARGET))
    if results:
        now, before = results["now"]["median"], results["before"]["median"]
        verdict("result_time", f"{now:.2f} s vs {before:.2f} s", now / before)
    poll = data["polling"]
    old, new = poll["growing"], poll["predicted"]
    for key, field in (
        ("poll_median", "median_delay_s"),
        ("poll_p95", "p95_delay_s"),
        ("poll_requests", "requests_per_job"),
    ):
        verdict(key, f"{new[field]:.2f} vs {old[field]:.2f}", new[field] / old[field])
    many = data.get("ten_thousand")
    if many:
        verdict(
            "ten_thousand_wall",
            f"{many['wall']:.1f} s (bound {many['bound_s']:.0f} s)",
            many["wall"] / many["bound_s"],
        )
        verdict(
            "ten_thousand_memory",
            f"{many['peak_rss_mib']:.0f} MiB",
            many["peak_rss_mib"] / 100,
        )
    return verdicts


def regressions(data: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    if not previous:
        return []
    flagged = []
    for key, now in data["verdicts"].items():
        then = previous.get("verdicts", {}).get(key)
        if then and now["ratio"] > then["ratio"] * REGRESSION:
            flagged.append(f"{key}: ratio {now['ratio']:.2f}, was {then['ratio']:.2f}")
    return flagged


# --- report -------------------------------------------------------------------------------


def report(data: dict[str, Any]) -> str:
    lines = ["| target | measured | ratio | bound | met |", "|---|---|---|---|---|"]
    for v in data["verdicts"].values():
        met = "met" if v["met"] else "**not met**"
        lines.append(f"| {v['what']} | {v['figure']} | {v['ratio']:.2f} | ≤ {v['bound']} | {met} |")
    lines += [
        "",
        "| contender (1,000 jobs) | client CPU/request | requests | wall | emulator CPU |",
    ]
    lines.append("|---|---|---|---|---|")
    for key, rows in data["scale"]["caps"].items():
        cpu = spread([r["client_cpu_per_request_ms"] for r in rows])
        lines.append(
            f"| {key} | {cpu['median']:.2f} ms ({cpu['min']:.2f}-{cpu['max']:.2f}) | "
            f"{statistics.median(r['requests'] for r in rows):.0f} | "
            f"{statistics.median(r['wall'] for r in rows):.1f} s | "
            f"{statistics.median(r['emulator_cpu'] for r in rows):.2f} s |"
        )
    big = data.get("big_upload")
    if big:
        lines += [
            "",
            f"| {big['size_mib']:,} MiB upload ({big['parts']} parts, concurrency "
            f"{big['concurrency']}) | wall | client CPU | peak above idle | VmHWM |",
            "|---|---|---|---|---|",
        ]
        for name, wall in big["wall"].items():
            label = "raw-socket, MD5 ETags (emulator default)" if name == "md5" else name
            above, peak = big["peak_above_idle_mib"][name], big["peak_rss_mib"][name]
            cpu = big["client_cpu"][name]
            lines.append(
                f"| {label} | {wall['median']:.2f} s ({wall['min']:.2f}-{wall['max']:.2f}) | "
                f"{cpu['median']:.2f} s ({cpu['min']:.2f}-{cpu['max']:.2f}) | "
                f"{above:.1f} MiB | {peak:.0f} MiB |"
            )
    lines += ["", "| result pages | now | sequential 250-page paging | raw httpx (8 at a time) |"]
    lines.append("|---|---|---|---|")
    for pages, row in data["results"].items():
        cells = [f"{row[k]['median']:.2f} s ({row[k]['min']:.2f}-{row[k]['max']:.2f})" for k in row]
        lines.append(f"| {int(pages):,} | " + " | ".join(cells) + " |")
    first = data["first_call_ms"]
    lines += ["", f"First request built after import: {first['median']:.1f} ms (median)."]
    lines.append(f"Runs of this table: {data['when']}, quick={data['quick']}.")
    if data.get("big_upload_when"):  # --big-upload-only added that row to a saved run
        lines.append(f"The upload row alone (--big-upload-only): {data['big_upload_when']}.")
    for flag in data["regressions"]:
        lines.append(f"REGRESSION: {flag}")
    return "\n".join(lines) + "\n"


def plot(data: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = sorted(data["scale"]["curve"], key=lambda r: r["jobs"])
    if data.get("ten_thousand"):
        curve.append(data["ten_thousand"])
    jobs = [r["jobs"] for r in curve]
    figure, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for axis, field, label in zip(
        axes,
        ("wall", "client_cpu", "requests"),
        ("wall time (s)", "client CPU (s)", "requests"),
        strict=True,
    ):
        axis.plot(jobs, [r[field] for r in curve], marker="o", label="AsyncLeapOCR")
        if field == "client_cpu":
            axis.plot(jobs, [r["emulator_cpu"] for r in curve], marker="s", label="emulator")
            axis.legend()
        axis.set_xscale("log")
        axis.set_xlabel("concurrent wait_until_done")
        axis.set_ylabel(label)
    figure.tight_layout()
    figure.savefig(HERE / "results" / "concurrent-waits.png", dpi=90)
    figure, axis = plt.subplots(figsize=(5, 3.6))
    pages = sorted(int(p) for p in data["results"])
    for impl in ("now", "before", "raw"):
        values = [data["results"][str(p)][impl]["median"] for p in pages]
        axis.plot(pages, values, marker="o", label=impl)
    axis.set_xlabel("result pages")
    axis.set_ylabel("get_result time (s)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(HERE / "results" / "result-pages.png", dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round")
    parser.add_argument("--smoke", action="store_true", help="every row tiny; writes nothing")
    parser.add_argument("--big-upload-only", action="store_true", help="only the 1 GiB row")
    parser.add_argument("--rounds", type=int, help="rounds of interleaved contenders")
    parser.add_argument("--result-worker", nargs=4)
    cfg = parser.parse_args()
    if cfg.result_worker:
        impl, base_url, job_id, pages = cfg.result_worker
        result_worker(impl, base_url, job_id, int(pages))
        return
    small = cfg.quick or cfg.smoke
    cfg.rounds = cfg.rounds or (1 if small else 2)
    cfg.jobs = 50 if cfg.smoke else 200 if cfg.quick else 1000
    cfg.caps = [16] if small else [8, 16, 32, 100]
    cfg.curve = [] if cfg.smoke else [100] if cfg.quick else [100, 300, 3000]
    cfg.processing = (0.2, 0.4) if cfg.smoke else (8.0, 12.0)
    cfg.many = 0 if small else 10_000
    cfg.result_pages = [50] if cfg.smoke else [1000] if cfg.quick else [1000, 5000, 20000]
    cfg.poll_jobs = 4 if cfg.smoke else 10 if cfg.quick else 60
    cfg.poll_seconds = (0.2, 0.6) if cfg.smoke else (5.0, 60.0)
    cfg.upload_mib = 12 if cfg.smoke else 1024
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else None
    data: dict[str, Any] = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": small}
    if cfg.big_upload_only:
        assert previous is not None, "--big-upload-only needs a saved run to add the row to"
        data = {**previous, "big_upload_when": data["when"]}
        data["big_upload"] = measure_big_upload(cfg)
    else:
        data["polling"] = measure_polling(cfg)
        data["results"] = measure_results(cfg)
        data["scale"] = measure_scale(cfg)
        data["ten_thousand"] = measure_ten_thousand(cfg) if cfg.many else None
        data["big_upload"] = measure_big_upload(cfg)
        data["first_call_ms"] = measure_first_call(2 if cfg.smoke else 7)
    data["verdicts"] = judge(data)
    if cfg.smoke:  # the code ran end to end; tiny figures are not results
        data["regressions"] = []
        print(report(data))
        return
    data["regressions"] = regressions(data, previous)
    if previous is not None:
        shutil.copy(RESULTS, PREVIOUS)
    RESULTS.write_text(json.dumps(data, indent=1))
    text = report(data)
    TABLE.write_text(text)
    plot(data)
    print(text)


if __name__ == "__main__":
    main()
