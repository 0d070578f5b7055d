"""The emulator in its own process, for benchmarks:
``python benchmarks/emulator_server.py [options]``.

Prints one line (the API base URL) once it listens, then serves until its stdin closes.
Each line ``stats`` on stdin is answered on stdout with one JSON object: the requests it
received, the CPU seconds this process used so far, the jobs finished and the Unix time
the last of them finished. ``create N`` makes N one-page jobs in the job store directly
(no requests: for benchmarks that need many jobs to exist) and answers their ids.
``--processing LOW HIGH`` sets each job's duration (reported page by page);
``--etag-mode fast`` swaps the MD5 of every uploaded byte for a cheap ETag (for upload
speed runs; the default stays MD5). ``--rate-limit N --rate-window S`` turns on the rate
limiter (N API requests per S seconds); ``stats`` then also counts the API requests
(``api``) and those refused with 429 (``refused``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time

from leapocr_sdk._contract import DEFAULT_MODEL, FORMAT_MARKDOWN
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from leapocr_sdk.testing.jobs import JobRecord


class _Finished:
    """Jobs finished so far, and the Unix time the last of them finished.

    A finished job stays finished, so each look reads only the jobs not seen finished
    before (and those created since): ``stats`` polled through a run of thousands of jobs
    costs the emulator little, and holds its store's lock briefly.
    """

    def __init__(self) -> None:
        self._seen = 0  # jobs of the store looked at (it only ever adds jobs)
        self._running: list[JobRecord] = []
        self.count = 0
        self.last = 0.0

    def __call__(self, emulator: LeapOCREmulator) -> dict[str, float]:
        store = emulator._store
        with store.lock:
            now = store.clock()
            fresh = list(itertools.islice(store.jobs.values(), self._seen, None))
            self._seen += len(fresh)
            running = []
            for job in self._running + fresh:
                end = job.completed_wall(now)
                if end is None:
                    running.append(job)
                else:
                    self.count += 1
                    self.last = max(self.last, end)
            self._running = running
        return {"finished": self.count, "last_finished": self.last}


def _create(emulator: LeapOCREmulator, count: int) -> list[str]:
    """``count`` one-page markdown jobs, read and processing as if just submitted."""
    store = emulator._store
    pdf = make_pdf(["Invoice Number: INV-1\nTotal: 42.00"])
    model = store.model(DEFAULT_MODEL)
    assert model is not None
    ids = []
    for _ in range(count):
        job = store.create(
            source="upload", file_name="doc.pdf", model=model, result_format=FORMAT_MARKDOWN
        )
        path = store.new_file()
        with open(path, "wb") as spool:
            spool.write(pdf)
        store.ingest(job.id, path)
        ids.append(job.id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--api-key", default="bench-key-0123456789")
    parser.add_argument("--processing", type=float, nargs=2, default=(0.0, 0.0))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each reply")
    parser.add_argument("--etag-mode", choices=("md5", "fast"), default="md5")
    parser.add_argument("--rate-limit", type=int, default=None)
    parser.add_argument("--rate-window", type=float, default=60.0)
    args = parser.parse_args()
    low, high = args.processing
    with LeapOCREmulator(
        api_key=args.api_key,
        processing_seconds=(low, high),
        seed=args.seed,
        keep_files=False,
        etag_mode=args.etag_mode,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
    ) as emulator:
        emulator.faults.set_latency(args.latency)
        finished = _Finished()
        print(emulator.base_url, flush=True)
        for line in sys.stdin:  # until the driver closes our stdin (or exits)
            if line.startswith("create "):  # jobs made in the store directly, no requests
                print(json.dumps(_create(emulator, int(line.split()[1]))), flush=True)
            elif line.strip() == "stats":
                requests = sum(emulator.route_counts.values())
                stats: dict[str, float] = {"requests": requests, "cpu": time.process_time()}
                stats.update(finished(emulator))
                if args.rate_limit is not None:
                    api = [r.status for r in emulator.requests if r.route != "upload_part"]
                    stats.update(api=len(api), refused=api.count(429))
                print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
