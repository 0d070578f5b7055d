"""Reading the Python blocks of a docs page as programs to run (tests/docs)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
FILE_MARKER = re.compile(r"<!--\s*file:\s*(\S+)\s*-->\s*$")
PAGE_MARKER = re.compile(r"^<!--\s*docs-test:\s*(\w+)\s*-->", re.M)


class Block(NamedTuple):
    line: int
    code: str
    file: str | None  # written to this file name in the work directory, not run


class Page(NamedTuple):
    """A docs page: its programs (each block, or all blocks as one for a notebook page),
    the files its blocks define, and its kind (``plain``, ``notebook``, ``heavy``)."""

    path: Path
    kind: str
    programs: list[tuple[int, str]]
    files: dict[str, str]

    @property
    def name(self) -> str:
        return self.path.relative_to(DOCS).as_posix()


def blocks(text: str) -> list[Block]:
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = FILE_MARKER.search(before)
        found.append(
            Block(
                text.count("\n", 0, match.start()) + 1,
                match.group(1),
                marker.group(1) if marker else None,
            )
        )
    return found


def read_page(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    marker = PAGE_MARKER.search(text)
    kind = marker.group(1) if marker else "plain"
    found = blocks(text)
    files = {b.file: b.code for b in found if b.file}
    runnable = [b for b in found if not b.file]
    if kind == "notebook" and runnable:
        # Cells run in order in one interpreter; a bare last expression is shown, as Jupyter
        # shows it (its repr must work).
        cells = [_show_last_expression(b.code) for b in runnable]
        programs = [(runnable[0].line, "\n".join(cells))]
    else:
        programs = [(b.line, b.code) for b in runnable]
    return Page(path, kind, programs, files)


def _show_last_expression(code: str) -> str:
    import ast

    tree = ast.parse(code)
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body[-1]
        shown = ast.Expr(
            ast.Call(
                ast.Name("print", ast.Load()),
                [ast.Call(ast.Name("_display", ast.Load()), [last.value], [])],
                [],
            )
        )
        tree.body[-1] = shown
        ast.fix_missing_locations(tree)
        return ast.unparse(tree)
    return code


NOTEBOOK_PRELUDE = """
def _display(value):
    # What Jupyter would render: the HTML view if there is one, else the repr.
    html = getattr(value, "_repr_html_", None)
    return html() if html is not None else repr(value)
"""
