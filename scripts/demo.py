#!/usr/bin/env python3
"""The README's main command (`make demo`): LeapOCR end to end, offline, in a few seconds.

Starts the emulator in this process (no key, no network), makes sure the sample invoice
exists, then runs the `leapocr` command exactly as a user would type it:

  1. `leapocr models`                              the models and their credit cost
  2. `leapocr process sample.pdf --delete`         progress, then the markdown of each page
  3. `leapocr process sample.pdf --schema ...`     a structured extraction, as JSON

and stops the emulator. `--real` (or LEAPOCR_DEMO_REAL=1) runs the same steps against
the real service with LEAPOCR_API_KEY (this spends credits).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leapocr_sdk import cli  # noqa: E402
from leapocr_sdk.testing import LeapOCREmulator  # noqa: E402

SAMPLE = ROOT / "examples" / "sample-invoice.pdf"
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


class Style:
    """Bold headings on a terminal; plain text in a log (or with NO_COLOR)."""

    def __init__(self) -> None:
        self.fancy = sys.stdout.isatty() and not os.environ.get("NO_COLOR")

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.fancy else text

    def dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[0m" if self.fancy else text


STYLE = Style()


def say(text: str = "") -> None:
    print(text, flush=True)


def heading(number: int, title: str) -> None:
    say()
    say(STYLE.bold(f"── {number}. {title} " + "─" * max(0, 60 - len(title))))


def leapocr(*args: str) -> int:
    """Show the command, then run it through the CLI's own main()."""
    argv = list(args)
    if not sys.stderr.isatty():
        argv.insert(0, "--human")  # readable progress lines in a log, not JSON
    say(STYLE.bold("$ leapocr " + " ".join(shlex.quote(a) for a in argv)))
    code = cli.main(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    if code != cli.EXIT_OK:
        raise SystemExit(f"demo: `leapocr {argv[0]}` failed with exit code {code}")
    return code


def relative(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (shorter labels)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def ensure_sample() -> Path:
    if not SAMPLE.exists():
        script = ROOT / "scripts" / "make_sample_pdf.py"
        subprocess.run([sys.executable, str(script), str(SAMPLE)], check=True)
    return SAMPLE


@contextlib.contextmanager
def service(real: bool) -> Iterator[LeapOCREmulator | None]:
    """The emulator (started here, stopped at the end), or None for the real service."""
    if real:
        if not os.environ.get("LEAPOCR_API_KEY"):
            raise SystemExit("demo: --real needs LEAPOCR_API_KEY in the environment")
        say(STYLE.bold("LeapOCR demo against the real service (this spends credits)"))
        yield None
        return
    with LeapOCREmulator(
        api_key=DEMO_KEY, processing_seconds=1.5, credits=EMULATOR_CREDITS, seed=42
    ) as emu:
        os.environ["LEAPOCR_BASE_URL"] = emu.base_url
        os.environ["LEAPOCR_API_KEY"] = emu.api_key
        say(STYLE.bold("LeapOCR demo, offline: the SDK's emulator is running in this process"))
        say(STYLE.dim("The emulator reads the text embedded in PDFs; it does not do OCR."))
        say(f"  export LEAPOCR_BASE_URL={emu.base_url}")
        say(f"  export LEAPOCR_API_KEY={emu.api_key}   # a throwaway test key")
        yield emu
        say()
        say(STYLE.dim("Stopping the emulator."))


def run_demo(real: bool) -> None:
    started = time.monotonic()
    sample = relative(ensure_sample())
    poll = "2" if real else "0.2"
    with service(real) as emu, tempfile.TemporaryDirectory(prefix="leapocr-demo-") as tmp:
        heading(1, "The models and what they cost")
        leapocr("models")

        heading(2, "A PDF to markdown: progress, then each page")
        leapocr("process", sample, "--poll-interval", poll, "--delete")

        heading(3, "Structured extraction with a JSON schema")
        schema = Path(tmp) / "invoice-schema.json"
        schema.write_text(json.dumps(INVOICE_SCHEMA, indent=2) + "\n", encoding="utf-8")
        say(STYLE.dim(f"# {schema}:"))
        say(json.dumps(INVOICE_SCHEMA, indent=2))
        leapocr("process", sample, "--schema", str(schema), "--poll-interval", poll, "--delete")

        if emu is not None:
            heading(4, "Credits")
            used = EMULATOR_CREDITS - (emu.credits or 0)
            say(f"{used} credits used (standard-v2: 1 credit per page); both jobs deleted.")
    say(STYLE.dim(f"Demo finished in {time.monotonic() - started:.1f} s."))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--real",
        action="store_true",
        default=os.environ.get("LEAPOCR_DEMO_REAL") == "1",
        help="use the real service with LEAPOCR_API_KEY instead of the emulator",
    )
    run_demo(parser.parse_args().real)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
