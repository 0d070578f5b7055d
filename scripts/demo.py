#!/usr/bin/env python3
"""`make demo`: the same code as `leapocr demo` (leapocr_sdk/_cli/demo.py).

`--real` (or LEAPOCR_DEMO_REAL=1) runs the same steps against the real service with
LEAPOCR_API_KEY (this spends credits).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from leapocr_sdk._cli.demo import run_demo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--real",
        action="store_true",
        default=os.environ.get("LEAPOCR_DEMO_REAL") == "1",
        help="use the real service with LEAPOCR_API_KEY instead of the emulator",
    )
    run_demo(real=parser.parse_args().real)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
