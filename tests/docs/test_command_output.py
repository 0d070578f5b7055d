"""Every block of the docs that shows a command's output is that command's real output.

A block after ``<!-- output-of: COMMAND -->`` must equal what COMMAND prints (run here,
with an 88-column terminal). After changing a command's texts, rewrite the blocks with
``LEAPOCR_UPDATE_GOLDEN=1 python -m pytest tests/docs/test_command_output.py`` and review
the diff.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.examples import DOCS

MARKED = re.compile(r"(<!--\s*output-of:\s*(.+?)\s*-->\n```text\n)(.*?)(^```)", re.M | re.S)
COMMANDS = {"leapocr": [sys.executable, "-c", "from leapocr_sdk.cli import main; main()"]}


def marked_blocks() -> list[tuple[Path, str, str]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for match in MARKED.finditer(page.read_text(encoding="utf-8")):
            found.append((page, match.group(2), match.group(3)))
    return found


def output_of(command: str) -> str:
    program, *args = shlex.split(command)
    done = subprocess.run(
        [*COMMANDS[program], *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "88", "LEAPOCR_API_KEY": ""},
        check=True,
        timeout=60,
    )
    return done.stdout


def update(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    fresh = MARKED.sub(lambda m: m.group(1) + output_of(m.group(2)) + m.group(4), text)
    page.write_text(fresh, encoding="utf-8")


BLOCKS = marked_blocks()


@pytest.mark.parametrize(
    ("page", "command", "shown"),
    BLOCKS,
    ids=[f"{p.relative_to(DOCS)}:{c}" for p, c, _ in BLOCKS],
)
def test_a_shown_output_is_the_real_one(page: Path, command: str, shown: str) -> None:
    if os.environ.get("LEAPOCR_UPDATE_GOLDEN"):
        update(page)
        return
    assert shown == output_of(command), (
        f"{page.relative_to(DOCS)} shows a stale `{command}`: rewrite it with "
        "LEAPOCR_UPDATE_GOLDEN=1 python -m pytest tests/docs/test_command_output.py"
    )


def test_the_cli_guide_shows_the_help() -> None:
    assert any(c == "leapocr --help" and p.name == "cli.md" for p, c, _ in BLOCKS)
