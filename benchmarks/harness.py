"""Plumbing for ``benchmarks/sdk_comparison.py``: the comparison venv, worker processes,
statistics, the table.

Nothing here measures anything by itself: ``sdk_comparison.py`` holds one function per scenario.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKER = ROOT / "benchmarks" / "worker.py"
BENCH_DIR = ROOT / ".bench"
OFFICIAL_VENV = BENCH_DIR / "official-venv"
OFFICIAL_PACKAGE = "leapocr"
OFFICIAL_VERSION = "2.0.1"

# Variables that would change what the worker processes do or measure: proxies (httpx
# honours them, even for 127.0.0.1 unless NO_PROXY says otherwise) and the switch that
# stops Python from caching bytecode (every import would compile from source).
_SCRUBBED_ENV = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "PYTHONDONTWRITEBYTECODE",
)


class BenchError(Exception):
    """A measurement could not be taken (a worker failed, a server misbehaved)."""


def worker_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


# --- the official SDK's own environment ----------------------------------------------


@dataclass
class Official:
    """Where the official SDK's interpreter is, or why there is none."""

    python: Path | None
    reason: str = ""
    httpx_version: str = ""

    def cell(self) -> str:
        return f"n/a ({self.reason})"


def setup_official(*, skip: bool, log: Callable[[str], None]) -> Official:
    """A venv under .bench/ with ``leapocr==2.0.1`` (and this project's httpx version).

    Created on first use and reused after; never touches the project's own venv.
    """
    if skip:
        return Official(None, "skipped")
    python = OFFICIAL_VENV / "bin" / "python"
    stamp = OFFICIAL_VENV / f".installed-{OFFICIAL_PACKAGE}-{OFFICIAL_VERSION}"
    if not (stamp.exists() and python.exists()):
        wanted = f"{OFFICIAL_PACKAGE}=={OFFICIAL_VERSION}"
        log(f"setting up {OFFICIAL_VENV} with {wanted}")
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", str(OFFICIAL_VENV)],
                check=True,
                capture_output=True,
                timeout=120,
            )
            _pip_install(python)
        except (OSError, subprocess.SubprocessError) as exc:
            return Official(
                None, f"cannot install {OFFICIAL_PACKAGE}=={OFFICIAL_VERSION}: {_why(exc)}"
            )
        stamp.touch()
    version = subprocess.run(
        [str(python), "-c", "import httpx; print(httpx.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
        env=worker_env(),
    )
    return Official(python, httpx_version=version.stdout.strip())


def _pip_install(python: Path) -> None:
    """Install the official SDK, with the same httpx as ours when pip can agree to it."""
    wanted = f"{OFFICIAL_PACKAGE}=={OFFICIAL_VERSION}"
    base = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    pinned = subprocess.run(
        [*base, wanted, f"httpx=={metadata.version('httpx')}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if pinned.returncode != 0:
        subprocess.run([*base, wanted], check=True, capture_output=True, text=True, timeout=600)


def _why(exc: BaseException) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        output = (exc.stderr or exc.stdout or "").strip()
        if isinstance(output, bytes):
            output = output.decode("utf-8", "replace")
        lines = [line for line in output.splitlines() if line.strip()]
        return lines[-1][:160] if lines else f"exit status {exc.returncode}"
    return str(exc)[:160]


# --- worker processes ----------------------------------------------------------------


@dataclass
class Runner:
    """Starts ``worker.py`` in a fresh process of the right interpreter."""

    official: Official
    log: Callable[[str], None]
    errors: list[str] = field(default_factory=list)

    def python_for(self, impl: str) -> Path:
        if impl == "official":
            if self.official.python is None:
                raise BenchError(self.official.cell())
            return self.official.python
        return Path(sys.executable)

    def has(self, impl: str) -> bool:
        return impl != "official" or self.official.python is not None

    def run(self, scenario: str, impl: str, params: dict[str, Any], timeout: float = 300) -> Any:
        job = {"scenario": scenario, "impl": impl, **params}
        command = [str(self.python_for(impl)), str(WORKER), json.dumps(job)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=worker_env()
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"{scenario}/{impl}: no answer within {timeout:.0f} s") from exc
        if done.returncode != 0:
            tail = " | ".join(done.stderr.strip().splitlines()[-3:])
            raise BenchError(f"{scenario}/{impl} failed (exit {done.returncode}): {tail}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def record(self, error: BaseException) -> str:
        message = str(error)
        self.errors.append(message)
        self.log(f"ERROR {message}")
        return "error"


def rotate(items: Sequence[str], shift: int) -> list[str]:
    """``items`` starting at ``shift``: each round runs the implementations in another order."""
    if not items:
        return []
    shift %= len(items)
    return [*items[shift:], *items[:shift]]


def timed_commands(commands: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    """Wall time of each command, ``rounds`` times, interleaved round by round."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    env = worker_env()
    for index in range(rounds):
        for name in rotate(list(commands), index):
            start = time.perf_counter()
            subprocess.run(commands[name], check=True, capture_output=True, env=env, timeout=60)
            times[name].append(time.perf_counter() - start)
    return times


# --- statistics and formatting -------------------------------------------------------


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


@dataclass
class Row:
    figure: str
    ours: str
    raw: str = "—"
    official: str = "—"
    ratio: str = "—"
    target: str = "—"
    met: str = "—"

    def cells(self) -> list[str]:
        return [self.figure, self.ours, self.raw, self.official, self.ratio, self.target, self.met]


HEADER = ["figure", "leapocr-sdk", "raw httpx", "official SDK", "ratio", "target", "met?"]


def table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += [
        "| " + " | ".join(cell.replace("|", "/") for cell in row.cells()) + " |" for row in rows
    ]
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{len(os.sched_getaffinity(0))} CPUs (nproc), {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, {_versions('httpx', 'httpcore', 'anyio', 'sniffio')}"
    )


def _versions(*names: str) -> str:
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"no {name}")
    return ", ".join(found)
