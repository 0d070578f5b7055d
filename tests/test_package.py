"""The package surface: every public name resolves, and importing stays light."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import leapocr_sdk


def test_every_public_name_resolves() -> None:
    for name in leapocr_sdk.__all__:
        assert getattr(leapocr_sdk, name) is not None
    assert set(dir(leapocr_sdk)) >= set(leapocr_sdk.__all__)


def test_without_a_tracer_provider_opentelemetry_is_never_imported() -> None:
    """Installed or not, the SDK does not import OpenTelemetry: a client that runs a
    traced operation (which fails here: nothing listens) leaves it unloaded."""
    code = (
        "import sys, socket\n"
        "from leapocr_sdk import LeapOCR, APIConnectionError\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()\n"
        "with LeapOCR('k', base_url=f'http://127.0.0.1:{port}/api/v1', max_retries=0) as c:\n"
        "    try:\n"
        "        c.get_status('job-1')\n"
        "    except APIConnectionError:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_loads_no_generated_layer_and_no_asyncio() -> None:
    code = (
        "import sys; from leapocr_sdk import LeapOCR, Model, OutputFormat; "
        "heavy = [m for m in ('leapocr_sdk._generated', 'asyncio', 'dateutil', 'opentelemetry') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


INTEGRATION_FRAMEWORKS = ("langchain_core", "llama_index", "pandas", "numpy", "pyarrow", "ray")


def test_no_integration_framework_loads_with_the_package() -> None:
    """The optional extras (langchain, llamaindex, pandas, ray) load only when their own
    module of ``leapocr_sdk.integrations`` is imported."""
    code = (
        "import sys\n"
        "import leapocr_sdk, leapocr_sdk.integrations, leapocr_sdk.testing\n"
        "from leapocr_sdk import *\n"
        "from leapocr_sdk.testing import LeapOCREmulator, make_pdf\n"
        "with LeapOCREmulator(processing_seconds=0.01) as emu:\n"
        "    with LeapOCR(emu.api_key, base_url=emu.base_url) as client:\n"
        "        result = client.process(make_pdf(['x']), poll_interval=0.01)\n"
        "        result._repr_html_(), result._repr_markdown_(), result.to_dict()\n"
        f"print(','.join(m for m in {INTEGRATION_FRAMEWORKS!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, leapocr_sdk.integrations.langchain; "
            "print('langchain_core' in sys.modules, 'pandas' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.split() == ["True", "False"]  # the test sees the import for real


# What the clients load on first use, not at `from leapocr_sdk import LeapOCR, AsyncLeapOCR`:
# the flows, batches, the journal and SQLite, pages, pricing, tracing and the result types.
LOADED_ON_FIRST_USE = (
    "sqlite3",
    "attrs",
    "leapocr_sdk._batch",
    "leapocr_sdk.journal",
    "leapocr_sdk._flows",
    "leapocr_sdk._steps",
    "leapocr_sdk._parsing",
    "leapocr_sdk._pages",
    "leapocr_sdk._pricing",
    "leapocr_sdk._sources",
    "leapocr_sdk._tracing",
    "leapocr_sdk.types",
)

FIRST_USE = """
import asyncio, json, sys
from leapocr_sdk import AsyncLeapOCR, LeapOCR
lazy = {lazy!r}
print(json.dumps([m for m in lazy if m in sys.modules]))
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
documents = [make_pdf(["first"]), make_pdf(["second"])]
with LeapOCREmulator(processing_seconds=0.01) as emu:
    options = dict(journal=sys.argv[1], poll_interval=0.01, delete=True)
    if {flavor!r} == "sync":
        with LeapOCR(emu.api_key, base_url=emu.base_url) as client:
            items = list(client.process_many(documents, **options))
    else:
        async def run():
            async with AsyncLeapOCR(emu.api_key, base_url=emu.base_url) as client:
                return [item async for item in client.process_many(documents, **options)]
        items = asyncio.run(run())
    texts = sorted(item.result.pages[0].result for item in items if item.ok)
    print(json.dumps(texts))
    print(json.dumps([m for m in lazy if m not in sys.modules]))
"""


@pytest.mark.parametrize("flavor", ["sync", "async"])
def test_the_clients_load_batches_the_journal_and_the_flows_on_first_use(
    flavor: str, tmp_path: Path
) -> None:
    """``from leapocr_sdk import LeapOCR, AsyncLeapOCR`` leaves them unloaded; a batch
    with a journal, the first use that needs every one of them, loads them and works."""
    code = FIRST_USE.format(lazy=LOADED_ON_FIRST_USE, flavor=flavor)
    journal = tmp_path / "batch.sqlite"
    out = subprocess.run(
        [sys.executable, "-c", code, str(journal)], capture_output=True, text=True, check=True
    )
    at_import, texts, still_missing = map(json.loads, out.stdout.splitlines())
    assert at_import == []
    assert len(texts) == 2 and all(isinstance(text, str) and text for text in texts)
    assert still_missing == []  # the names above are real modules, loaded for real
    assert journal.exists()
