"""The emulator in its own process, for benchmarks: ``python scripts/bench_server.py [options]``.

Prints one line (the API base URL) once it listens, then serves until its stdin closes.
``--processing LOW HIGH`` sets each job's duration (reported page by page).
"""

from __future__ import annotations

import argparse
import sys

from leapocr_sdk.testing import LeapOCREmulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-key", default="bench-key-0123456789")
    parser.add_argument("--processing", type=float, nargs=2, default=(0.0, 0.0))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    low, high = args.processing
    with LeapOCREmulator(
        api_key=args.api_key, processing_seconds=(low, high), seed=args.seed, keep_files=False
    ) as emulator:
        print(emulator.base_url, flush=True)
        sys.stdin.read()  # until the driver closes our stdin (or exits)


if __name__ == "__main__":
    main()
