"""The performance targets in one run: every ``benchmarks/*_bench.py``, one table.

``make bench`` runs ``.venv/bin/python benchmarks/targets.py`` after ``sdk_comparison.py``;
``make bench-smoke`` runs it with ``--smoke`` (every row tiny). ``--only TOPIC...`` runs
some of the modules. A smoke run or one with ``--only`` only prints its table, unless
``--results-dir`` and ``--readme`` say where to write it.

Each ``<topic>_bench.py`` module has ``measure(smoke: bool) -> list[dict]``, one dict per
row: ``figure``, ``value``, ``bound``, ``better`` ("lower" or "higher"), ``spread``
([min, max] over the rounds), ``unit`` and ``detail`` (the raw numbers; a ``note`` in it
is shown in the table: why a target is missed). The modules run one after the other,
each in its own process (``--measure-one``), so that a crash or a hang loses only that
module's rows: the table shows its error instead. A module the table expects but that is
not there is shown as missing, with the figures it should measure.

A full run writes ``benchmarks/results/targets.json`` (the machine, the load before and
after, the git commit, every row; the previous run is kept as ``targets.previous.json``
and every figure more than 20 % worse than there is flagged), the table to
``benchmarks/results/targets.md`` and into README.md between the two markers below.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib.util
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS_DIR = HERE / "results"
README = ROOT / "README.md"
BEGIN = "<!-- performance-table:begin (written by benchmarks/targets.py) -->"
END = "<!-- performance-table:end -->"
SUFFIX = "_bench.py"
REGRESSION = 1.2  # a figure this much worse than the previous run's is flagged
TIMEOUT_FULL = 900.0  # seconds a module's full run may take (the contract says 3 minutes)
TIMEOUT_SMOKE = 300.0

# The modules the table expects, in the table's order, with the figures each one measures
# and their targets: what is shown for a module that is not there or that failed. The
# rows of a module that ran come from the module itself.
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "pacing": [
        ("30 documents under 10 requests / 6 s: share of API requests answered 429", "≤ 2 %"),
        ("same: wall against the floor the budget allows", "≤ 1.1x"),
    ],
    "results": [
        ("20,000-page `get_result`, sync and async, vs raw httpx", "≤ 1.15x"),
    ],
    "sync": [
        ("`LeapOCR` shared by 32 threads, `get_status` throughput vs raw httpx", "≥ 0.95x"),
        ("1 GiB blocking upload vs raw httpx threads", "≤ 1.10x"),
    ],
    "import": [("import beyond `import httpx`", "≤ 20 ms")],
    "polling": [
        ("polling detection delay vs fixed interval at equal requests: median", "≤ 0.6x"),
        ("polling detection delay vs fixed interval at equal requests: p95", "≤ 0.8x"),
    ],
    "scale": [
        ("10,000 waits: memory per job vs raw httpx", "≤ 1.0x"),
        ("emulator job pipeline vs the client's rate in a 2,000-job batch", "≥ 4x"),
    ],
    "kept": [
        ("100 MiB uploads, 1 GiB async upload, upload memory, 1,000-job CPU per request", "—"),
    ],
}


# --- the contract -----------------------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def row_problems(row: Any) -> list[str]:
    """What is wrong with one row of ``measure()`` (nothing: it follows the contract)."""
    if not isinstance(row, dict):
        return [f"a row must be a dict, not {type(row).__name__}"]
    problems = []
    if not isinstance(row.get("figure"), str) or not row["figure"].strip():
        problems.append("'figure' must be a non-empty string")
    for key in ("value", "bound"):
        if not _number(row.get(key)):
            problems.append(f"'{key}' must be a finite number, not {row.get(key)!r}")
    if row.get("better") not in ("lower", "higher"):
        problems.append(f"'better' must be 'lower' or 'higher', not {row.get('better')!r}")
    spread = row.get("spread")
    if not (
        isinstance(spread, list | tuple)
        and len(spread) == 2
        and all(_number(v) for v in spread)
        and spread[0] <= spread[1]
    ):
        problems.append(f"'spread' must be [min, max] with min <= max, not {spread!r}")
    if not isinstance(row.get("unit"), str):
        problems.append("'unit' must be a string")
    detail = row.get("detail")
    if not isinstance(detail, dict):
        problems.append("'detail' must be a dict")
    else:
        if "note" in detail and not isinstance(detail["note"], str):
            problems.append("'detail.note' must be a string")
        try:
            json.dumps(detail, allow_nan=False)
        except (TypeError, ValueError) as exc:
            problems.append(f"'detail' must be plain JSON: {exc}")
    unknown = set(row) - {"figure", "value", "bound", "better", "spread", "unit", "detail"}
    if unknown:
        problems.append(f"unknown keys {sorted(unknown)}")
    return problems


def rows_problems(rows: Any) -> list[str]:
    """What is wrong with the whole answer of ``measure()``."""
    if not isinstance(rows, list) or not rows:
        return ["measure() must return a non-empty list of rows"]
    problems = []
    for index, row in enumerate(rows):
        problems += [f"row {index}: {problem}" for problem in row_problems(row)]
    figures = [row.get("figure") for row in rows if isinstance(row, dict)]
    if len(set(figures)) != len(figures):
        problems.append("two rows have the same figure")
    return problems


def met(row: dict[str, Any]) -> bool:
    if row["better"] == "lower":
        return bool(row["value"] <= row["bound"])
    return bool(row["value"] >= row["bound"])


# --- running the modules ----------------------------------------------------------------


def discover(directory: Path) -> dict[str, Path]:
    """Every ``<topic>_bench.py`` in ``directory``, by topic."""
    return {path.name.removesuffix(SUFFIX): path for path in sorted(directory.glob("*" + SUFFIX))}


def measure_one(path: Path, smoke: bool, output: Path) -> None:
    """In the child process: import the module, call ``measure(smoke)``, write the rows."""
    sys.path.insert(0, str(path.parent))  # the modules import their neighbours
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    rows = module.measure(smoke)
    output.write_text(json.dumps(rows, allow_nan=True))


def run_module(path: Path, smoke: bool, timeout: float) -> dict[str, Any]:
    """One module in a fresh process (its own session, so its servers die with it)."""
    started = time.perf_counter()
    tail: collections.deque[str] = collections.deque(maxlen=12)
    with tempfile.TemporaryDirectory(prefix="leapocr-targets-") as folder:
        output = Path(folder) / "rows.json"
        command = [sys.executable, __file__, "--measure-one", str(path), "--output", str(output)]
        if smoke:
            command.append("--smoke")
        child = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            cwd=ROOT,
        )
        assert child.stdout is not None
        stream = child.stdout

        def pump() -> None:  # the module's own progress, to our stderr
            for line in stream:
                tail.append(line.rstrip())
                print(f"  [{path.stem}] {line.rstrip()}", file=sys.stderr, flush=True)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        error = None
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            error = f"no answer within {timeout:.0f} s"
        with_children_gone(child.pid)
        reader.join(timeout=10)
        rows: Any = None
        if error is None and child.returncode != 0:
            last = [line for line in tail if line.strip()][-3:]
            error = f"exit status {child.returncode}: " + " | ".join(last)
        elif error is None:
            rows = json.loads(output.read_text())
            problems = rows_problems(rows)
            if problems:
                error = "rows break the contract: " + "; ".join(problems)
    answer = {
        "path": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
        "seconds": round(time.perf_counter() - started, 1),
        "error": error,
        "rows": rows if error is None else [],
    }
    if error is not None and rows is not None:  # measured, but not as the contract says
        answer["rejected_rows"] = rows
    return answer


def with_children_gone(session: int) -> None:
    """Stop whatever the module left running in its session (an emulator, a worker)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(session, signal.SIGKILL)


# --- the machine --------------------------------------------------------------------------


def _first(path: str, prefix: str) -> str:
    try:
        with open(path) as lines:
            for line in lines:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, timeout=30)
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def machine() -> dict[str, Any]:
    memory = _first("/proc/meminfo", "MemTotal")
    try:
        httpx_version = metadata.version("httpx")
    except metadata.PackageNotFoundError:
        httpx_version = "not installed"
    return {
        "cpu": _first("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(int(memory.split()[0]) / 2**20, 1) if memory != "unknown" else None,
        "python": platform.python_version(),
        "httpx": httpx_version,
        "os": platform.platform(),
    }


def git_commit() -> dict[str, Any]:
    changed = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": _git("rev-parse", "HEAD"),
        "branch": _git("rev-parse", "--abbrev-ref", "HEAD"),
        "uncommitted_files": len(changed.splitlines()) if changed else 0,
    }


# --- judging and reporting ------------------------------------------------------------------


def order(topics: Sequence[str]) -> list[str]:
    """The expected topics first, in the table's order, then any others by name."""
    return [t for t in EXPECTED if t in topics] + sorted(t for t in topics if t not in EXPECTED)


def build_rows(modules: dict[str, dict[str, Any]], wanted: Sequence[str]) -> list[dict[str, Any]]:
    """The table's rows: measured ones judged, failed and missing modules said as such."""
    table = []
    for topic in order(list(wanted)):
        module = modules.get(topic)
        if module and not module["error"]:
            for row in module["rows"]:
                table.append({**row, "module": topic, "met": met(row)})
            continue
        why = module["error"] if module else f"benchmarks/{topic}{SUFFIX} is missing"
        state = "error" if module else "missing"
        for figure, target in EXPECTED.get(topic, [(f"benchmarks/{topic}{SUFFIX}", "—")]):
            table.append(
                {"figure": figure, "module": topic, "state": state, "why": why, "target": target}
            )
    return table


def regressions(rows: list[dict[str, Any]], previous: dict[str, Any] | None) -> list[str]:
    """Figures more than ``REGRESSION`` times worse than in the previous (full) run."""
    if not previous or previous.get("smoke"):
        return []
    then = {row["figure"]: row for row in previous.get("rows", []) if "value" in row}
    flagged = []
    for row in rows:
        old = then.get(row["figure"])
        if "value" not in row or not old or not old["value"]:
            continue
        worse = row["value"] / old["value"]
        if row["better"] == "higher":
            worse = old["value"] / row["value"] if row["value"] else math.inf
        if worse > REGRESSION:
            flagged.append(
                f"{row['figure']}: {_value(row['value'], row['unit'])}, was "
                f"{_value(old['value'], old['unit'])} ({worse:.2f}x worse)"
            )
    return flagged


def _value(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "%":
        return f"{value:.1f} %"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}".rstrip()
    return f"{value:.3g} {unit}".rstrip()


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| figure | today (spread) | target | met |", "|---|---|---|---|"]
    for row in rows:
        if "value" not in row:
            state = "not measured: " + ("module missing" if row["state"] == "missing" else "error")
            lines.append(
                f"| {_cell(row['figure'])} | {_cell(row['state'] + ': ' + row['why'])} | "
                f"{_cell(row['target'])} | **{state}** |"
            )
            continue
        unit = row["unit"]
        low, high = row["spread"]
        today = f"{_value(row['value'], unit)} ({_value(low, unit)} to {_value(high, unit)})"
        sign = "≤" if row["better"] == "lower" else "≥"
        verdict = "met" if row["met"] else "**not met**"
        note = row["detail"].get("note")
        if note:
            verdict += f": {note}"
        lines.append(
            f"| {_cell(row['figure'])} | {_cell(today)} | {sign} {_value(row['bound'], unit)} | "
            f"{_cell(verdict)} |"
        )
    return "\n".join(lines)


def report(data: dict[str, Any]) -> str:
    m = data["machine"]
    git = data["git"]
    commit = (git["commit"] or "unknown")[:10]
    if git["uncommitted_files"]:
        commit += f" + {git['uncommitted_files']} uncommitted files"
    load = f"{data['load_before'][0]:.2f} before, {data['load_after'][0]:.2f} after"
    took = ", ".join(f"{t} {m_['seconds']:.0f} s" for t, m_ in data["modules"].items())
    lines = [
        f"Run {data['date']} ({'smoke: tiny sizes, not figures' if data['smoke'] else 'full'}), "
        f"commit {commit}; {m['cpu']}, {m['usable_cores']} of {m['cores']} cores, "
        f"{m['ram_gib']} GiB RAM, {m['os']}, Python {m['python']}, httpx {m['httpx']}; "
        f"1-minute load {load}; {data['seconds']:.0f} s ({took or 'no modules'}). "
        "Each figure is a median over its rounds, the spread the lowest and highest round.",
        "",
        table(data["rows"]),
    ]
    if data["regressions"]:
        lines += ["", "Worse than the previous run (more than 20 %):"]
        lines += [f"- {flag}" for flag in data["regressions"]]
    return "\n".join(lines) + "\n"


def splice(readme: str, text: str) -> str:
    """``readme`` with ``text`` between the markers (which must be there, once each)."""
    if (
        readme.count(BEGIN) != 1
        or readme.count(END) != 1
        or readme.index(BEGIN) > readme.index(END)
    ):
        raise SystemExit(f"README must hold {BEGIN!r} then {END!r}, once each")
    head, rest = readme.split(BEGIN)
    _, tail = rest.split(END)
    return f"{head}{BEGIN}\n{text}{END}{tail}"


# --- the command --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="every row tiny; only printed")
    parser.add_argument("--modules-dir", type=Path, default=HERE, help="where *_bench.py are")
    parser.add_argument("--only", nargs="+", metavar="TOPIC", help="these modules (by topic)")
    parser.add_argument("--results-dir", type=Path, help="write targets.json/.md here")
    parser.add_argument("--readme", type=Path, help="the README to write the table into")
    parser.add_argument("--timeout", type=float, help="seconds per module")
    parser.add_argument("--measure-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure_one:
        measure_one(args.measure_one.resolve(), args.smoke, args.output)
        return 0
    found = discover(args.modules_dir.resolve())
    wanted = args.only or [*EXPECTED, *found]
    timeout = args.timeout or (TIMEOUT_SMOKE if args.smoke else TIMEOUT_FULL)
    started = time.perf_counter()
    data: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "smoke": args.smoke,
        "machine": machine(),
        "git": git_commit(),
        "load_before": list(os.getloadavg()),
        "modules": {},
    }
    for topic in order(list(dict.fromkeys(wanted))):
        if topic not in found:
            print(f"[targets] {topic}: benchmarks/{topic}{SUFFIX} is missing", file=sys.stderr)
            continue
        print(f"[targets] {topic}: {found[topic].name}", file=sys.stderr, flush=True)
        data["modules"][topic] = result = run_module(found[topic], args.smoke, timeout)
        state = result["error"] or f"{len(result['rows'])} rows"
        print(f"[targets] {topic}: {result['seconds']:.0f} s, {state}", file=sys.stderr)
    data["load_after"] = list(os.getloadavg())
    data["seconds"] = round(time.perf_counter() - started, 1)
    data["rows"] = build_rows(data["modules"], list(dict.fromkeys(wanted)))
    partial = args.smoke or bool(args.only)  # printed; written only where asked to
    results_dir = args.results_dir or (None if partial else RESULTS_DIR)
    json_path = results_dir / "targets.json" if results_dir else None
    previous = None
    if json_path and json_path.exists():
        previous = json.loads(json_path.read_text())
    data["regressions"] = [] if args.smoke else regressions(data["rows"], previous)
    text = report(data)
    print(text)
    if results_dir and json_path:
        results_dir.mkdir(parents=True, exist_ok=True)
        if previous is not None:
            shutil.copy(json_path, results_dir / "targets.previous.json")
        json_path.write_text(json.dumps(data, indent=1) + "\n")
        (results_dir / "targets.md").write_text("# Performance targets\n\n" + text)
    readme = args.readme or (None if partial else README)
    if readme:
        readme.write_text(splice(readme.read_text(), text))
    failed = [topic for topic, module in data["modules"].items() if module["error"]]
    if failed:
        print(f"[targets] failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
