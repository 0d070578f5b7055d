"""The cron soak: overlapping ``leapocr process`` runs on one tree, two of them killed.

Three runs of ``leapocr process docs --recursive --out out --delete`` start a moment
apart on one tree of documents (nested folders, the same file names in several folders)
and share the journal in ``out``, as cron runs do when one outlasts its interval. Halfway
through, part uploads are held so that uploads are in flight, then one run is killed with
SIGKILL and another is sent SIGTERM (what a cron timeout, systemd or Kubernetes sends);
the third finishes. A fourth run of the same command then collects whatever is left.

Counted on the emulator and on disk afterwards:

- every document was processed, and paid for, by exactly one job: that job completed,
  read exactly that document (its size and page count), and its credits are the ones the
  balance lost; the journal names it as the document's job;
- every other job is one whose upload never completed: never processed, charged
  nothing;
- no job is left on the emulator: every one was deleted, except a job the service created
  for the SIGKILLed run's last request whose answer (the job's id) the run died before
  journaling: with no way to list jobs, no run can learn its id;
- every result is in ``out``, mirroring the tree (``out/<folder>/<name>.md``), complete
  (each page's text, as the document holds it), and nothing else is there.

``LEAPOCR_SOAK_JOBS`` sets the number of documents (30 in the normal run; ``make soak``
runs 500).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.cli.conftest import cli_command, cli_env

DOCUMENTS = int(os.environ.get("LEAPOCR_SOAK_JOBS", "30"))
CONCURRENCY = 4 if DOCUMENTS <= 50 else 8
CREDITS = 10**9
HOLD = 3.0  # seconds each part upload is held while the two runs are stopped
JOURNAL = ".leapocr-journal.sqlite"
FOLDERS = ("", "2026", "2026/01", "2026/02", "archive/2026/01", "scans (old)")
NAMES = ("invoice", "receipt", "scan 0 (copy)")
COMMAND = (
    "process", "docs", "--recursive", "--out", "out", "--delete",
    "--concurrency", str(CONCURRENCY), "--poll-interval", "0.05",
)  # fmt: skip


@dataclass(frozen=True)
class Document:
    """One document of the tree: where it is, what it holds, where its result goes."""

    relative: Path  # under docs/
    pages: tuple[str, ...]
    size: int

    @property
    def output(self) -> Path:  # under out/
        return self.relative.with_suffix(".md")

    @property
    def markdown(self) -> str:
        return "\n".join(
            f"<!-- page {number} -->\n{text}\n" for number, text in enumerate(self.pages, 1)
        )


def write_tree(root: Path, count: int) -> dict[Path, Document]:
    """``count`` documents in nested folders, each file name used in several folders."""
    documents: dict[Path, Document] = {}
    for index in range(count):
        folder = FOLDERS[index % len(FOLDERS)]
        turn = index // len(FOLDERS)
        name = NAMES[turn % len(NAMES)]
        if turn >= len(NAMES):
            name += f" {turn // len(NAMES)}"
        relative = Path(folder, name + ".pdf")
        pages = tuple(
            f"Document {index:04d}, page {page}\nFolder: {folder or '.'}\nName: {name}"
            for page in range(1, 2 + index % 2)
        )
        data = make_pdf(list(pages))
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        documents[relative] = Document(relative, pages, len(data))
    return documents


@dataclass
class Run:
    """One ``leapocr process`` subprocess, its stderr events read as they come."""

    name: str
    child: subprocess.Popen[str]
    events: list[dict[str, Any]] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, name: str, cwd: Path, emu: LeapOCREmulator) -> Run:
        child = subprocess.Popen(
            cli_command(*COMMAND),
            cwd=cwd,
            env=cli_env(emu),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        run = cls(name, child)
        assert child.stdout is not None and child.stderr is not None
        for stream, sink in ((child.stdout, run.stdout), (child.stderr, run.lines)):
            threading.Thread(target=_drain, args=(stream, sink), daemon=True).start()
        return run

    def wait(self, timeout: float) -> int:
        code = self.child.wait(timeout=timeout)
        deadline = time.monotonic() + 5
        streams = (self.child.stdout, self.child.stderr)
        while any(s is not None and not s.closed for s in streams) and time.monotonic() < deadline:
            time.sleep(0.01)  # the readers reach the end of the pipes
        self.events = [json.loads(line) for line in self.lines if line.startswith("{")]
        return code

    def kinds(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["event"] == kind]

    @property
    def text(self) -> str:
        return "".join(self.lines) + "".join(self.stdout)


def _drain(stream: Any, sink: list[str]) -> None:
    with stream:
        for line in stream:
            sink.append(line)


def history(runs: list[Run], job_id: str) -> list[str]:
    """What each run said about a job: ``run: event source``."""
    return [
        f"{run.name}: {event['event']} {event.get('source')}"
        for run in runs
        for event in run.events
        if event.get("job_id") == job_id
    ]


def journal_job_ids(path: Path) -> set[str]:
    """Every job id the journal holds now."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return {job_id for (job_id,) in db.execute("SELECT job_id FROM sources") if job_id}


def uploading_pids(path: Path, job_ids: set[str]) -> set[int]:
    """The processes whose journal leases hold one of ``job_ids`` (owner: host, pid, token)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT owner, job_id FROM sources WHERE owner IS NOT NULL").fetchall()
    return {int(owner.split("\t")[1]) for owner, job_id in rows if job_id in job_ids}


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def outputs_in(out: Path) -> set[Path]:
    """The results written under ``out`` (hidden files aside: the journal, temporaries)."""
    if not out.exists():
        return set()
    return {
        path.relative_to(out)
        for path in out.rglob("*")
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(out).parts)
    }


@pytest.mark.slow
@pytest.mark.deadline(120 + DOCUMENTS * 0.6)
def test_cron_soak_overlapping_and_killed_runs_pay_once_and_leave_nothing(
    tmp_path: Path,
    emulator_factory: Callable[..., LeapOCREmulator],
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu = emulator_factory(processing_seconds=(0.2, 0.6), credits=CREDITS, seed=16)
    documents = write_tree(tmp_path / "docs", DOCUMENTS)
    out = tmp_path / "out"
    started = time.monotonic()
    runs: list[Run] = []
    try:
        # Three overlapping runs, a moment apart.
        for name in ("run1", "run2", "run3"):
            runs.append(Run.start(name, tmp_path, emu))
            wait_until(lambda: len(emu.jobs) >= len(runs), 30, f"{name} to create a job")

        # Halfway: hold every part upload, let uploads begin, then stop two runs.
        wait_until(lambda: len(outputs_in(out)) >= DOCUMENTS // 2, 60, "half the results")
        hold_from = time.time()
        emu.faults.set_latency(HOLD, "upload_part")
        # The runs to stop are two with an upload held: a run that finds every document
        # done or taken by another ends on its own, and which run does depends on timing.
        uploading: list[Run] = []

        def two_runs_uploading() -> bool:
            held = {view.id for view in emu.jobs.values() if view.created_at >= hold_from}
            pids = uploading_pids(out / JOURNAL, held)
            uploading[:] = [run for run in runs if run.child.pid in pids]
            return len(uploading) >= 2

        wait_until(two_runs_uploading, 30, "two runs with uploads in flight")
        time.sleep(0.3)
        killed, stopped = uploading[:2]
        (finishing,) = [run for run in runs if run not in (killed, stopped)]
        runs[:] = [killed, stopped, finishing]
        killed_at = time.time()
        killed.child.send_signal(signal.SIGKILL)
        codes = [killed.wait(timeout=10)]
        journaled_at_kill = journal_job_ids(out / JOURNAL)
        time.sleep(0.3)  # uploads are still held
        stopped.child.send_signal(signal.SIGTERM)
        codes.append(stopped.wait(timeout=30))
        emu.faults.set_latency(0.0, "upload_part")
        assert len(outputs_in(out)) < DOCUMENTS, "the runs were stopped after the batch"
        codes.append(finishing.wait(timeout=60 + DOCUMENTS * 0.5))

        # The next cron run collects whatever is left.
        runs.append(Run.start("next", tmp_path, emu))
        codes.append(runs[-1].wait(timeout=60 + DOCUMENTS * 0.5))
    finally:
        for run in runs:
            if run.child.poll() is None:
                run.child.kill()
                run.child.wait()
    wall = time.monotonic() - started

    for run in runs:
        assert "Traceback" not in run.text, f"{run.name}: {run.text[-3000:]}"
        assert emu.api_key not in run.text

    # Every result is where the tree says, complete; nothing else was written.
    assert outputs_in(out) == {document.output for document in documents.values()}
    for document in documents.values():
        assert (out / document.output).read_text(encoding="utf-8") == document.markdown
    leftovers = [
        path.name
        for path in out.rglob(".*")
        if path.is_file() and not path.name.startswith(JOURNAL)
    ]

    # Each document was processed and paid for exactly once, by the job the journal names.
    jobs = emu.jobs
    processed = {job_id: view for job_id, view in jobs.items() if view.complete_calls}
    half_uploaded = {job_id: view for job_id, view in jobs.items() if not view.complete_calls}
    with sqlite3.connect(out / JOURNAL) as db:
        rows = db.execute("SELECT location, state, job_id FROM sources").fetchall()
    journaled = {Path(location).resolve(): (state, job_id) for location, state, job_id in rows}
    by_document: dict[Path, str] = {}
    for relative, document in documents.items():
        state, job_id = journaled[(tmp_path / "docs" / relative).resolve()]
        assert state == "done", f"{relative}: {state} in the journal"
        assert job_id in processed, f"{relative}: its journaled job {job_id} was not processed"
        view = processed[job_id]
        assert (view.status, view.file_size) == ("completed", document.size), relative
        assert (view.processed_pages, view.total_pages) == (len(document.pages),) * 2
        by_document[relative] = job_id
    assert len(journaled) == len(documents)
    extra = set(processed) - set(by_document.values())
    assert not extra, f"{len(processed)} jobs processed {len(documents)} documents: " + "; ".join(
        f"{job_id} ({processed[job_id].file_name}) in {history(runs, job_id)}" for job_id in extra
    )
    assert set(by_document.values()) == set(processed)
    rates = {view.credits_used / view.total_pages for view in processed.values()}
    assert len(rates) == 1 and min(rates) > 0, rates  # one model, every page charged
    spent = sum(view.credits_used for view in jobs.values())
    assert CREDITS - (emu.credits or 0) == spent
    assert spent == min(rates) * sum(len(document.pages) for document in documents.values())

    # The other jobs were deleted before their upload completed: never processed or charged.
    for view in half_uploaded.values():
        assert (view.total_pages, view.credits_used) == (0, 0), view.id
    assert half_uploaded, "no upload was in flight when the runs were stopped: hold them longer"
    # No job is left on the emulator.
    # Except, at most, the jobs the service created for the killed run's last requests
    # whose answer it died before journaling: no run can know their ids (the service
    # lists no jobs), so none can delete them. They were never processed or charged.
    unknowable = {
        view.id
        for view in half_uploaded.values()
        if view.deleted_at is None
        and view.created_at <= killed_at
        and view.id not in journaled_at_kill
        and not history(runs, view.id)
    }
    assert len(unknowable) <= CONCURRENCY
    left = [view for view in jobs.values() if view.deleted_at is None and view.id not in unknowable]
    assert not left, "left on the emulator: " + "; ".join(
        f"{view.id} ({view.file_name}, {view.status}, complete called {view.complete_calls}x) "
        f"in {history(runs, view.id)}"
        for view in left
    )
    assert emu.key_leaks == 0

    # The killed run died at once; the stopped one cleaned up and said so (128 + SIGTERM);
    # the others ended with every document saved.
    assert codes == [-signal.SIGKILL, 143, 0, 0], [run.text[-2000:] for run in runs[2:]]
    assert stopped.events[-1] == {"event": "interrupted", "exit_code": 143, "signal": "SIGTERM"}
    assert runs[-1].kinds("error") == finishing.kinds("error") == []

    with capsys.disabled():
        print(
            f"\ncron soak: {DOCUMENTS} documents, {len(jobs)} jobs ({len(processed)} processed, "
            f"{len(half_uploaded) - len(unknowable)} half-uploaded and deleted, "
            f"{len(unknowable)} created as the SIGKILL landed, id never journaled), "
            f"{spent} credits, "
            f"{emu.count('initiate')} initiate / {emu.count('complete')} complete / "
            f"{emu.count('delete')} delete requests, results per run "
            f"{[len(run.kinds('done')) for run in runs]}, skipped per run "
            f"{[len(run.kinds('skipped')) for run in runs]}, hidden leftovers "
            f"{len(leftovers)}, wall {wall:.1f}s"
        )


@pytest.mark.deadline(60)
def test_a_run_killed_while_deleting_a_saved_result_s_job_is_not_paid_for_again(
    tmp_path: Path, emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    # The job is deleted on the service, but the answer is lost and the delete is retried:
    # a kill -9 now finds the result saved and its job gone. The journal must already say
    # so, or the next run submits (and pays for) the document again.
    emu = emulator_factory(processing_seconds=0.1)
    documents = write_tree(tmp_path / "docs", 1)
    emu.faults.drop("delete", count=10, after_handling=True)
    run = Run.start("killed", tmp_path, emu)
    try:
        wait_until(
            lambda: any(view.deleted_at is not None for view in emu.jobs.values()),
            30,
            "the job's deletion",
        )
        run.child.send_signal(signal.SIGKILL)
        assert run.wait(timeout=10) == -signal.SIGKILL
    finally:
        run.child.kill()
        run.child.wait()
    emu.faults.reset()

    again = Run.start("next", tmp_path, emu)
    assert again.wait(timeout=30) == 0, again.text
    assert (emu.count("initiate"), len(emu.jobs)) == (1, 1)  # paid for once
    assert (len(again.kinds("skipped")), again.kinds("submitted")) == (1, [])
    (document,) = documents.values()
    assert (tmp_path / "out" / document.output).read_text(encoding="utf-8") == document.markdown
