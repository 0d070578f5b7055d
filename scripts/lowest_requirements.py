#!/usr/bin/env python3
"""Print the oldest versions pyproject.toml allows, as pins (`make lower-bounds`).

Every runtime dependency, and those of the extras named as arguments (e.g. `testing`),
must declare a lower bound (`>=`); each becomes `name==bound`.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lowest(requirement: str) -> str:
    found = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?\s*[^;]*?>=\s*([0-9][^,;\s]*)", requirement)
    if found is None:
        raise SystemExit(f"lowest_requirements: {requirement!r} declares no lower bound (>=)")
    return f"{found.group(1)}=={found.group(2)}"


def main(extras: list[str]) -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    print("\n".join(lowest(requirement) for requirement in requirements))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
