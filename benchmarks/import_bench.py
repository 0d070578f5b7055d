"""Import cost: ``from leapocr_sdk import AsyncLeapOCR, LeapOCR`` beyond ``import httpx``.

What a user of a client pays at import, in two environments: the development venv
(``.venv``, every extra and tool installed) and a plain install (a venv under ``.bench/``
with only the runtime dependencies and this checkout installed without its own
dependencies, created on first use and reused). Each round starts one fresh process per
contender, interleaved (``import httpx`` alone, then the SDK's import, order rotated
round by round), after one warm-up round that writes the bytecode caches; the figure is
the median CPU time of the SDK's processes minus the median of the baseline's (wall times
are in the detail: on a shared machine they swing with the load, CPU time does not).

``python benchmarks/import_bench.py [--smoke]`` prints the rows as JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PLAIN_VENV = ROOT / ".bench" / "import-plain-venv"
STATEMENT = "from leapocr_sdk import AsyncLeapOCR, LeapOCR"
BASELINE = "import httpx"
BOUND_MS = 20.0
# Variables that would change what is imported or how: no bytecode cache means compiling
# every module from source; PYTHONPATH or a startup file would add imports of their own.
_SCRUBBED = ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONPROFILEIMPORTTIME")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in _SCRUBBED}


def plain_python() -> Path:
    """The plain install's interpreter (the venv is made once, then reused)."""
    python = PLAIN_VENV / "bin" / "python"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    stamp = PLAIN_VENV / ".installed"
    wanted = json.dumps(requirements)
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(PLAIN_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements], check=True)
    # The checkout itself, editable (a path entry, no import hook): the code as it is now.
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return python


def _run(python: Path, code: str) -> tuple[float, float]:
    """One fresh process: its wall time and its CPU time (user + system), in seconds."""
    start = time.perf_counter()
    # Started from / so that the checkout is found only as installed, not as the cwd.
    child = subprocess.Popen([str(python), "-c", code], env=_env(), cwd="/")
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, [str(python), "-c", code])
    return wall, usage.ru_utime + usage.ru_stime


def measure_python(python: Path, rounds: int) -> dict[str, Any]:
    """Fresh-process medians of the baseline and of the SDK's import, interleaved.

    The figure is CPU time (user + system) of each process: on a shared machine the wall
    time of a fresh process swings by far more than an import costs when other work
    competes for the cores, while its CPU time does not. Wall medians are in the detail.
    """
    contenders = {"httpx": BASELINE, "sdk": STATEMENT}
    for code in contenders.values():  # bytecode caches and the page cache
        _run(python, code)
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            took, used = _run(python, contenders[name])
            wall[name].append(took)
            cpu[name].append(used)
    base = statistics.median(cpu["httpx"])
    # Each round's SDK process against the same round's baseline: the spread of the figure.
    paired = [(sdk - httpx) * 1000 for sdk, httpx in zip(cpu["sdk"], cpu["httpx"], strict=True)]
    return {
        "value": round((statistics.median(cpu["sdk"]) - base) * 1000, 2),
        "spread": [round(min(paired), 2), round(max(paired), 2)],
        "detail": {
            "python": str(python),
            "rounds": rounds,
            "httpx_cpu_ms_median": round(base * 1000, 2),
            "sdk_cpu_ms_median": round(statistics.median(cpu["sdk"]) * 1000, 2),
            "paired_cpu_ms_median": round(statistics.median(paired), 2),
            "httpx_wall_ms_median": round(statistics.median(wall["httpx"]) * 1000, 2),
            "sdk_wall_ms_median": round(statistics.median(wall["sdk"]) * 1000, 2),
            "load_average": os.getloadavg()[0],
        },
    }


def measure(smoke: bool) -> list[dict[str, Any]]:
    """One row per environment: the development venv, then the plain install."""
    rounds = 3 if smoke else 41
    environments = [("development venv", Path(sys.executable))]
    environments.append(("plain install", plain_python()))
    rows = []
    for label, python in environments:
        found = measure_python(python, rounds)
        rows.append(
            {
                "figure": f"import beyond `import httpx` ({label})",
                "value": found["value"],
                "bound": BOUND_MS,
                "better": "lower",
                "spread": found["spread"],
                "unit": "ms",
                "detail": {"statement": STATEMENT, **found["detail"]},
            }
        )
    return rows


if __name__ == "__main__":
    print(json.dumps(measure("--smoke" in sys.argv[1:]), indent=2))
