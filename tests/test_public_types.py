"""Type checkers see the public API as documented: ``mypy --strict`` and ``pyright``.

``tests/typing/check_public_types.py`` pins what they infer (``make typing`` checks it);
here, the README's batch example passes ``mypy --strict`` as written (``if item.ok:``
narrows) and pyright in the form the README gives pyright users (flags compared with
``is``), and a misspelt option of ``process`` / ``process_many`` fails both (the options
are a ``TypedDict``, not ``Any``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Each misspelt call is followed by the same call spelt right: only the first may fail.
MISSPELT = """\
from leapocr_sdk import AsyncLeapOCR, LeapOCR


def blocking(client: LeapOCR) -> None:
    client.process("invoice.pdf", modle="pro-v2")  # line 5
    client.process("invoice.pdf", model="pro-v2")
    for _ in client.process_many(["a.pdf"], poll_intervall=1.0):  # line 7
        pass
    for _ in client.process_many(["a.pdf"], poll_interval=1.0):
        pass


async def concurrent(client: AsyncLeapOCR) -> None:
    await client.process("invoice.pdf", extract_bounding_box=True)  # line 14
    await client.process("invoice.pdf", extract_bounding_boxes=True)
    client.process_many(["a.pdf"], file_name="a.pdf")  # line 16: one document's option
    client.process_many(["a.pdf"], timeout=60)
    client.process_many(["a.pdf"], journal="b.sqlite", modle="pro-v2")  # line 18
    client.process_many(["a.pdf"], journal="b.sqlite", model="pro-v2")
"""
MISSPELT_LINES = {5, 7, 14, 16, 18}


def readme_batch_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Many documents", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's 'Many documents' section has no Python example"
    return match.group(1)


def readme_batch_example_for_pyright() -> str:
    """The example with its flags compared with ``is``, as the README tells pyright users
    (pyright does not narrow on the truth of an attribute)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pyright narrows only on flags compared with `is`" in text
    example = readme_batch_example()
    pyright_form = re.sub(r"\bif item\.(ok|skipped):", r"if item.\1 is True:", example)
    assert pyright_form.count(" is True:") == 2, example
    return pyright_form


def mypy(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def pyright(path: Path) -> subprocess.CompletedProcess[str]:
    found = BIN / "pyright"
    command = str(found) if found.exists() else shutil.which("pyright")
    if command is None:
        pytest.fail("pyright is not installed: `make install` (it is in the dev extra)")
    return subprocess.run(
        [command, "--pythonpath", sys.executable, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    ("checker", "written"),
    [(mypy, readme_batch_example), (pyright, readme_batch_example_for_pyright)],
    ids=["mypy", "pyright"],
)
def test_the_readme_batch_example_type_checks(checker, written, tmp_path: Path) -> None:
    example = tmp_path / "readme_batch_example.py"
    example.write_text(written(), encoding="utf-8")
    done = checker(example)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("checker", [mypy, pyright], ids=["mypy", "pyright"])
def test_a_misspelt_option_fails_type_checking(checker, tmp_path: Path) -> None:
    snippet = tmp_path / "misspelt.py"
    snippet.write_text(MISSPELT, encoding="utf-8")
    done = checker(snippet)
    assert done.returncode != 0
    flagged = {int(n) for n in re.findall(r"misspelt\.py:(\d+):(?:\d+ -)? error", done.stdout)}
    assert flagged == MISSPELT_LINES, done.stdout
