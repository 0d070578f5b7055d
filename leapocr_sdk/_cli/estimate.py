"""``leapocr estimate``: pages and credits per file and in total, without sending anything;
and ``--schema`` read as a JSON file or a ``module:Class`` Python type (for ``process`` too).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from .._pages import check_pages, describe
from .._pricing import count_pages, job_page_price
from .._schemas import is_schema_type
from .._sources import is_url, open_source
from .._validation import SubmitOptions, check_options
from ..errors import ValidationError
from .codes import EXIT_OK, EXIT_USAGE
from .ui import Console

_MODULE_CLASS = "module:Class"


def load_schema(value: str) -> dict[str, Any] | type[Any]:
    """``--schema``: the JSON object in a file, or the type ``module:Class`` names (a
    Pydantic model, dataclass or TypedDict, imported from the current directory too)."""
    if not os.path.exists(value) and ":" in value and not value.endswith(".json"):
        return _import_type(value)
    try:
        text = Path(value).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(
            f"cannot read --schema {value!r}: {exc.strerror or exc} (give a JSON schema file "
            f"or a Python type as {_MODULE_CLASS})"
        ) from None
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"--schema {value!r} is not valid JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise ValidationError(f"--schema {value!r} must hold a JSON object (a JSON schema)")
    return schema


def _import_type(value: str) -> type[Any]:
    module_name, _, attribute = value.partition(":")
    if not module_name or not attribute:
        raise ValidationError(f"--schema {value!r}: write {_MODULE_CLASS}, e.g. models:Invoice")
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValidationError(f"--schema {value!r}: cannot import {module_name!r}: {exc}") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    found: object = module
    for part in attribute.split("."):
        found = getattr(found, part, None)
        if found is None:
            raise ValidationError(f"--schema {value!r}: {module_name} has no {attribute!r}")
    if not isinstance(found, type) or not is_schema_type(found):
        raise ValidationError(f"--schema {value!r} is not a Pydantic model, dataclass or TypedDict")
    return found


def estimate(args: argparse.Namespace, console: Console) -> int:
    """Print each file's pages and credits, and the total; nothing is sent."""
    # The pricing flags are named like the options they set (as for ``process``).
    chosen = {name: getattr(args, name) for name in SubmitOptions._fields if hasattr(args, name)}
    schema = load_schema(args.schema) if args.schema else None
    options = check_options(**{**chosen, "schema": schema})
    price = job_page_price(options)
    if price is None:
        raise ValidationError(
            f"no built-in price for model {options.model!r}: `leapocr models` lists the "
            "service's prices"
        )
    selection = check_pages(args.pages)
    rows: list[tuple[str, int | None, int | None]] = []
    for source in args.files:
        pages = _pages_of(source, selection)
        rows.append((source, pages, None if pages is None else pages * price))
    known = [row for row in rows if row[1] is not None]
    total_pages = sum(row[1] or 0 for row in known)
    total_credits = sum(row[2] or 0 for row in known)
    if console.records_json:
        for source, pages, credits in rows:
            console.record("estimate", source=source, pages=pages, credits=credits)
        console.record(
            "total",
            files=len(rows),
            pages=total_pages,
            credits=total_credits,
            credits_per_page=price,
            model=options.model,
            unknown=len(rows) - len(known) or None,
        )
    else:
        table = [("FILE", "PAGES", "CREDITS")]
        table += [(s, _shown(p), _shown(c)) for s, p, c in rows]
        table.append(("total", str(total_pages), str(total_credits)))
        width = [max(len(row[column]) for row in table) for column in range(3)]
        for name, pages_text, credits_text in table:
            console.output(
                f"{name:<{width[0]}}  {pages_text:>{width[1]}}  {credits_text:>{width[2]}}\n"
            )
        console.message(
            f"{options.model}: {price} credits a page with these options; nothing was sent"
        )
    if len(known) < len(rows):
        console.message(
            "leapocr: some pages could not be counted here (a TIFF may hold several pages): "
            "the total leaves them out"
        )
        return EXIT_USAGE
    return EXIT_OK


def _shown(value: int | None) -> str:
    return "?" if value is None else str(value)


def _pages_of(source: str, selection: tuple[int, ...] | None) -> int | None:
    if is_url(source):
        raise ValidationError(
            f"{source!r} is a URL: estimate counts the pages of local files only (download it)"
        )
    with open_source(source, None) as opened:
        pages = count_pages(opened)
        if pages is None and opened.content_type == "application/pdf":
            if importlib.util.find_spec("pypdf") is None:
                raise ValidationError(
                    f"counting the pages of {source!r} needs pypdf, an optional extra: "
                    "pip install 'leapocr-sdk[pdf]'"
                )
            raise ValidationError(f"cannot read the pages of {source!r}: is it a damaged PDF?")
    if selection is None or pages is None:
        return pages
    beyond = [number for number in selection if number > pages]
    if beyond:
        raise ValidationError(
            f"--pages {describe(selection)}: {describe(beyond)} beyond the {pages} pages of "
            f"{source!r}"
        )
    return len(selection)
