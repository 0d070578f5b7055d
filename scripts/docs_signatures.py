"""A griffe extension for the docs site (mkdocs.yml): signatures as a reader needs them.

- A default written with constants of ``leapocr_sdk._constants`` (``C.DEFAULT_TIMEOUT``,
  ``C.DEFAULT_BATCH_CONCURRENCY * 4``) shows its value (``60.0``, ``32``): the reader
  cannot look the private module up.
- An annotation naming another package's class (``httpx.Client``, ``random.Random``) keeps
  its package, so ``Client`` is never mistaken for an SDK class.

The values are read from the module at build time, so the page follows the code.
"""

from __future__ import annotations

import importlib
from typing import Any

import griffe

CONSTANTS_ALIAS = "C"  # how the SDK's modules import leapocr_sdk._constants
FOREIGN_PACKAGES = ("httpx.", "random.", "os.", "asyncio.", "ssl.")


class ShowValues(griffe.Extension):
    """Replace constant defaults by their values and qualify foreign annotations."""

    def __init__(self) -> None:
        super().__init__()
        self._constants = importlib.import_module("leapocr_sdk._constants")

    def on_function_instance(self, *, func: griffe.Function, **kwargs: Any) -> None:
        for parameter in func.parameters:
            default = parameter.default
            if default is not None and f"{CONSTANTS_ALIAS}." in str(default):
                # Our own source (e.g. ``C.DEFAULT_BATCH_CONCURRENCY * 4``), evaluated
                # against the constants module alone.
                value = eval(str(default), {"__builtins__": {}, CONSTANTS_ALIAS: self._constants})
                parameter.default = repr(value)
            annotation = parameter.annotation
            if annotation is not None and not isinstance(annotation, str):
                text = str(annotation)
                if any(package in text for package in FOREIGN_PACKAGES):
                    parameter.annotation = text
