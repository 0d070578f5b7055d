"""The package surface: every public name resolves, and importing stays light."""

from __future__ import annotations

import subprocess
import sys

import leapocr_sdk


def test_every_public_name_resolves() -> None:
    for name in leapocr_sdk.__all__:
        assert getattr(leapocr_sdk, name) is not None
    assert set(dir(leapocr_sdk)) >= set(leapocr_sdk.__all__)


def test_import_loads_no_generated_layer_and_no_asyncio() -> None:
    code = (
        "import sys; from leapocr_sdk import LeapOCR, Model, OutputFormat; "
        "heavy = [m for m in ('leapocr_sdk._generated', 'asyncio', 'dateutil') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
