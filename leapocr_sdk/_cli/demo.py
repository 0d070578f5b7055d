"""``leapocr demo`` (and ``make demo``): LeapOCR end to end, offline, in a few seconds.

Starts the emulator in this process (no key, no network) and runs the ``leapocr``
command on the sample invoice shipped with the package, as a user would type it:

  1. ``leapocr models``                              the models and their credit cost
  2. ``leapocr process sample-invoice.pdf --delete``  progress, then each page's markdown
  3. ``leapocr process ... --schema invoice.json``    a structured extraction, as JSON
  4. the library call behind ``--extract-bounding-boxes``

``run_demo(real=True)`` runs the same steps against the real service with
``LEAPOCR_API_KEY`` (this spends credits).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from .. import cli
from .._client import LeapOCR
from .._validation import DocumentOptions
from ..errors import ConfigurationError
from ..testing import LeapOCREmulator  # the testing extra: checked before this import

SAMPLE_NAME = "sample-invoice.pdf"
DEMO_KEY = "demo-key"
EMULATOR_CREDITS = 1000
INVOICE_SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "date": {"type": "string"},
        "due_date": {"type": "string"},
        "vendor": {"type": "string"},
        "customer": {"type": "string"},
        "currency": {"type": "string"},
        "total_amount": {"type": "number"},
        "paid": {"type": "boolean"},
    },
}


def sample_bytes() -> bytes:
    """The bundled 3-page sample invoice (a PDF with embedded text)."""
    return resources.files("leapocr_sdk.testing").joinpath("data", SAMPLE_NAME).read_bytes()


class _Style:
    """Bold headings on a terminal; plain text in a log (or with NO_COLOR)."""

    def __init__(self) -> None:
        self.fancy = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.fancy else text

    def dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[0m" if self.fancy else text


def _say(text: str = "") -> None:
    print(text, flush=True)


def _heading(style: _Style, number: int, title: str) -> None:
    _say()
    _say(style.bold(f"── {number}. {title} " + "─" * max(0, 60 - len(title))))


def _leapocr(style: _Style, *args: str) -> None:
    """Show the command, then run it through the CLI's own main()."""
    argv = list(args)
    if not sys.stderr.isatty():
        argv.insert(0, "--human")  # readable progress lines in a log, not JSON
    _say(style.bold("$ leapocr " + " ".join(shlex.quote(a) for a in argv)))
    code = cli.main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    if code != cli.EXIT_OK:
        raise ConfigurationError(f"demo: `leapocr {argv[-len(args)]}` failed with exit code {code}")


@contextlib.contextmanager
def _service(style: _Style, real: bool) -> Iterator[LeapOCREmulator | None]:
    """The emulator (started here, stopped at the end), or None for the real service."""
    if real:
        if not os.environ.get("LEAPOCR_API_KEY"):
            raise ConfigurationError("the demo against the real service needs LEAPOCR_API_KEY")
        _say(style.bold("LeapOCR demo against the real service (this spends credits)"))
        yield None
        return
    saved = {name: os.environ.get(name) for name in ("LEAPOCR_BASE_URL", "LEAPOCR_API_KEY")}
    with LeapOCREmulator(
        api_key=DEMO_KEY, processing_seconds=1.5, credits=EMULATOR_CREDITS, seed=42
    ) as emu:
        os.environ["LEAPOCR_BASE_URL"] = emu.base_url
        os.environ["LEAPOCR_API_KEY"] = emu.api_key
        _say(style.bold("LeapOCR demo, offline: the SDK's emulator is running in this process"))
        _say(style.dim("The emulator reads the text embedded in PDFs; it does not do OCR."))
        _say(f"  export LEAPOCR_BASE_URL={emu.base_url}")
        _say(f"  export LEAPOCR_API_KEY={emu.api_key}   # a throwaway test key")
        try:
            yield emu
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        _say()
        _say(style.dim("Stopping the emulator."))


def _show_bounding_boxes(style: _Style, sample: str, poll_interval: float) -> None:
    options = DocumentOptions(extract_bounding_boxes=True, poll_interval=poll_interval)
    keywords = ", ".join(f"{name}={value!r}" for name, value in options.items())
    _say(style.dim(f"# result = client.process(sample, delete=True, {keywords})"))
    with LeapOCR() as client:
        result = client.process(sample, delete=True, **options)  # as printed above
    page = result.pages[0]
    size = f"{page.dimensions.width}x{page.dimensions.height} px" if page.dimensions else "?"
    _say(f"page 1: confidence {page.confidence}, {size}, {len(page.bounding_boxes or ())} blocks")
    for box in (page.bounding_boxes or ())[:5]:
        if box.bounds is not None:
            b = box.bounds
            _say(f"  {box.type or '?':<9} x={b.x:<4} y={b.y:<4} {b.width}x{b.height}  {box.text!r}")


def run_demo(*, real: bool = False) -> None:
    """Run the demo: the emulator (or, with ``real``, the service) and the sample invoice."""
    style = _Style()
    started = time.monotonic()
    poll = "2" if real else "0.2"
    with (
        _service(style, real) as emu,
        tempfile.TemporaryDirectory(prefix="leapocr-demo-") as tmp,
    ):
        sample = Path(tmp) / SAMPLE_NAME
        sample.write_bytes(sample_bytes())
        _heading(style, 1, "The models and what they cost")
        _leapocr(style, "models")

        _heading(style, 2, "A PDF to markdown: progress, then each page")
        _leapocr(style, "process", str(sample), "--poll-interval", poll, "--delete")

        _heading(style, 3, "Structured extraction with a JSON schema")
        schema = Path(tmp) / "invoice-schema.json"
        schema.write_text(json.dumps(INVOICE_SCHEMA, indent=2) + "\n", encoding="utf-8")
        _say(style.dim(f"# {schema}:"))
        _say(json.dumps(INVOICE_SCHEMA, indent=2))
        _leapocr(
            style,
            "process",
            str(sample),
            "--schema",
            str(schema),
            "--poll-interval",
            poll,
            "--delete",
        )

        _heading(
            style, 4, "Where the text sits: confidence, page size and bounding boxes (library)"
        )
        _show_bounding_boxes(style, str(sample), float(poll))

        if emu is not None:
            _heading(style, 5, "Credits")
            used = EMULATOR_CREDITS - (emu.credits or 0)
            _say(
                f"{used} credits used (standard-v2, the default model: 1 credit per page); "
                "every job deleted."
            )
    _say(style.dim(f"Demo finished in {time.monotonic() - started:.1f} s."))
