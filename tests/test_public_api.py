"""The public API, pinned: every exported name with its signature and docstring.

This golden record lists every public name of ``leapocr_sdk``, ``leapocr_sdk.testing``,
``leapocr_sdk.webhooks`` and ``leapocr_sdk.journal``: its qualified name, its kind, its
``inspect.signature`` and ``inspect.getdoc``; for classes, the same for each public
member; and the ``help()`` text of the two clients. Moving code between private modules
must leave it byte-identical: a change here is a change users see. After a deliberate
change (a new keyword, a reworded docstring), rewrite the record with
``LEAPOCR_UPDATE_GOLDEN=1 pytest tests/test_public_api.py`` and review its diff.
"""

from __future__ import annotations

import enum
import importlib
import inspect
import os
import pydoc
import re
import sys
from pathlib import Path
from typing import Any

import pytest

GOLDEN = Path(__file__).resolve().parent / "data" / "public-api.golden.txt"
MODULES = ("leapocr_sdk", "leapocr_sdk.testing", "leapocr_sdk.webhooks", "leapocr_sdk.journal")
CLIENTS = ("LeapOCR", "AsyncLeapOCR")
# help() renders differently from one Python minor version to the next.
HELP_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def _signature(obj: Any) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return "(no signature)"


def _doc(obj: Any) -> str:
    return inspect.getdoc(obj) or "(no docstring)"


def _kind(obj: Any) -> str:
    if isinstance(obj, type):
        if issubclass(obj, BaseException):
            return "exception"
        if issubclass(obj, enum.Enum):
            return "enum"
        return "class"
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return "async function" if inspect.iscoroutinefunction(obj) else "function"
    return f"value {type(obj).__name__}"


def _members(cls: type) -> list[tuple[str, Any]]:
    """The public members a class defines or inherits from the SDK (not from object)."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or klass.__module__.split(".")[0] not in ("leapocr_sdk",):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") and name not in ("__init__", "__call__"):
                continue
            found[name] = value
    return sorted(found.items())


def _member_entry(name: str, value: Any) -> list[str]:
    if isinstance(value, property):
        return [f"  .{name}: property", _indent(_doc(value), 4)]
    if isinstance(value, (staticmethod, classmethod)):
        value = value.__func__
    if inspect.isfunction(value):
        kind = "async method" if inspect.iscoroutinefunction(value) else "method"
        return [f"  .{name}{_signature(value)}: {kind}", _indent(_doc(value), 4)]
    if isinstance(value, enum.Enum):
        return [f"  .{name} = {value.value!r}"]
    return [f"  .{name}: {type(value).__name__}"]


def _indent(text: str, width: int) -> str:
    pad = " " * width
    return "\n".join(pad + line if line else "" for line in text.splitlines())


def public_api() -> str:
    """The record, as text: one block per public name, modules in order, names sorted."""
    lines: list[str] = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        lines.append(f"# module {module_name}")
        for name in sorted(module.__all__):
            obj = getattr(module, name)
            qualified = f"{getattr(obj, '__module__', module_name)}.{name}"
            if not isinstance(obj, type) and not callable(obj):
                lines.append(f"{module_name}.{name} = {obj!r}")
                continue
            lines.append(f"{qualified}{_signature(obj)}: {_kind(obj)}")
            lines.append(_indent(_doc(obj), 2))
            if isinstance(obj, type):
                for member_name, value in _members(obj):
                    lines.extend(_member_entry(member_name, value))
        lines.append("")
    return "\n".join(lines) + "\n"


def client_help() -> str:
    """``help()`` of the two clients, as a user sees it (addresses removed)."""
    import leapocr_sdk

    parts = [f"# help() on Python {HELP_VERSION}"]
    for name in CLIENTS:
        text = pydoc.render_doc(getattr(leapocr_sdk, name), renderer=pydoc.plaintext)  # type: ignore[attr-defined]
        parts.append(_ADDRESS.sub("", text))
    return "\n".join(parts)


def _golden_text() -> str:
    return public_api() + "\n" + client_help()


def test_the_public_api_is_the_golden_record() -> None:
    text = _golden_text()
    if os.environ.get("LEAPOCR_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    recorded = GOLDEN.read_text(encoding="utf-8")
    api, _, recorded_help = recorded.partition("\n# help() on Python ")
    assert public_api() == api, (
        "the public API changed; if on purpose, rewrite the record with "
        "LEAPOCR_UPDATE_GOLDEN=1 pytest tests/test_public_api.py and review its diff"
    )
    if not recorded_help.startswith(HELP_VERSION + "\n"):
        pytest.skip(f"help() was recorded on another Python than {HELP_VERSION}")
    assert client_help() == "# help() on Python " + recorded_help


def test_exports_name_their_public_module() -> None:
    """``help()`` and the docs show ``leapocr_sdk.X``, whatever private module defines X."""
    import leapocr_sdk

    for name in leapocr_sdk.__all__:
        obj = getattr(leapocr_sdk, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert obj.__module__ == "leapocr_sdk", name
