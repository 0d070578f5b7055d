"""Modules the clients load on first use, so ``from leapocr_sdk import LeapOCR`` stays light.

The flows, batches, the journal (and with it ``sqlite3``), pages, pricing and the result
types (attrs) are imported when a client first needs them, not when the client's module
is. A module stands in as a ``LazyModule`` until one of its attributes is read::

    if TYPE_CHECKING:
        from . import _batch as batch
    else:
        batch = lazy("._batch", __package__)

Type checkers see the real module; at run time ``batch.process_many`` imports ``_batch``
the first time it is read.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """A module, imported the first time one of its attributes is read."""

    __slots__ = ("_module", "_name", "_package")

    def __init__(self, name: str, package: str | None = None) -> None:
        self._name = name
        self._package = package
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            # import_module waits for another thread's import of the same module to end.
            module = self._module = importlib.import_module(self._name, self._package)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy(name: str, package: str | None = None) -> Any:
    """``name`` (relative to ``package`` if it starts with a dot), loaded on first use."""
    return LazyModule(name, package)
