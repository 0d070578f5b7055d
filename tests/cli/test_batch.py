"""``leapocr process`` as a resumable batch: journal, directories, summary, kill -9."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.cli.conftest import FAST, Run, cli_command, cli_env

JOURNAL = ".leapocr-journal.sqlite"


def write_documents(directory: Path, count: int) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    for n in range(count):
        (directory / f"doc{n:02}.pdf").write_bytes(make_pdf([f"document {n}"]))
        names.append(f"doc{n:02}.pdf")
    return names


def journal_states(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return dict(db.execute("SELECT state, count(*) FROM sources GROUP BY state").fetchall())


def test_killed_halfway_and_run_again_pays_for_each_document_once(
    tmp_path: Path, emulator_factory: Callable[..., LeapOCREmulator], run_cli: Callable[..., Run]
) -> None:
    emu = emulator_factory(processing_seconds=0.05)
    write_documents(tmp_path / "docs", 50)
    command = ["process", "docs", "--out", "out", "--concurrency", "4", *FAST]
    child = subprocess.Popen(
        cli_command(*command),
        cwd=tmp_path,
        env=cli_env(emu),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stderr is not None
        done = 0
        while done < 25:
            line = child.stderr.readline()
            assert line, "the command ended before it was killed"
            done += json.loads(line)["event"] == "done"
        # Hold every poll: the run settles with each slot waiting on a submitted job and
        # no submission in flight; kill it there (a kill mid-submission is the journal's
        # "sent" case, reported rather than resubmitted: see tests/batch).
        emu.faults.set_latency(60.0, "result")
        journal = tmp_path / "out" / JOURNAL
        settled: dict[str, int] = {}
        for _ in range(200):
            states = journal_states(journal)
            if states.get("submitted") == 4 and set(states) <= {"done", "submitted"}:
                if states == settled:
                    break
                settled = states
            time.sleep(0.05)
        else:
            raise AssertionError(f"the run did not settle: {journal_states(journal)}")
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        child.kill()
        child.wait()
    finished_before = settled["done"]
    assert finished_before >= 25
    emu.faults.reset()

    run = run_cli(*command, emu=emu)
    assert run.code == 0, run.stderr
    assert len(run.of("skipped")) == finished_before
    assert len(run.of("done")) == 50 - finished_before
    assert len(run.of("submitted")) == 50 - finished_before - 4  # 4 were waited on
    assert emu.count("initiate") == emu.count("complete") == len(emu.jobs) == 50
    for n in range(50):
        text = (tmp_path / "out" / f"doc{n:02}.md").read_text(encoding="utf-8")
        assert text == f"<!-- page 1 -->\ndocument {n}\n"
    [summary] = run.of("summary")
    assert summary["skipped"] == finished_before and summary["failed"] == 0
    assert summary["done"] == summary["pages"] == summary["credits"] == 50 - finished_before


def test_directories_mean_their_supported_files(
    tmp_path: Path, run_cli: Callable[..., Run], emu: LeapOCREmulator
) -> None:
    write_documents(tmp_path / "in", 2)
    write_documents(tmp_path / "in" / "sub", 1)
    (tmp_path / "in" / "notes.txt").write_text("not a document")
    (tmp_path / "in" / ".hidden.pdf").write_bytes(make_pdf(["hidden"]))
    flat = run_cli("process", "in", "--out", "flat", *FAST)
    assert flat.code == 0
    assert sorted(Path(e["source"]).name for e in flat.of("done")) == ["doc00.pdf", "doc01.pdf"]
    deep = run_cli("process", "in", "--recursive", "--out", "deep", *FAST)
    assert deep.code == 0
    assert sorted(e["source"] for e in deep.of("done")) == [
        str(Path("in") / "doc00.pdf"),
        str(Path("in") / "doc01.pdf"),
        str(Path("in") / "sub" / "doc00.pdf"),
    ]
    assert sorted(p.name for p in (tmp_path / "deep").glob("*.md")) == [
        "doc00-2.md",
        "doc00.md",
        "doc01.md",
    ]
    (tmp_path / "empty").mkdir()
    empty = run_cli("process", "empty", *FAST)
    assert empty.code == 2 and "no documents in directory 'empty'" in empty.stderr


def test_summary_line_and_a_second_run_skips_everything(
    tmp_path: Path, run_cli: Callable[..., Run], emu: LeapOCREmulator
) -> None:
    write_documents(tmp_path, 2)
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7 but broken inside")
    args = ["--human", "process", "doc00.pdf", "doc01.pdf", "bad.pdf", "--out", "out", *FAST]
    first = run_cli(*args)
    assert first.code == 4
    line = first.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        r"3 documents: 2 ok, 1 failed · 2 pages · 2 credits \(estimated 2\) · \d+\.\d s",
        line,
    ), line
    second = run_cli(*args)
    assert second.code == 4  # bad.pdf failed before: reported, not retried
    assert "add --retry-failed to retry it" in second.stderr
    assert "retry_failed" not in second.stderr  # the CLI speaks flags, not keywords
    assert "3 documents: 0 ok, 1 failed, 2 done earlier" in second.stderr
    assert "done in an earlier run" in second.stderr and "doc00.md" in second.stderr
    assert emu.count("initiate") == 3
    third = run_cli(*args, "--retry-failed")
    assert third.code == 4 and emu.count("initiate") == 4


def test_journal_options(tmp_path: Path, run_cli: Callable[..., Run], emu: LeapOCREmulator) -> None:
    write_documents(tmp_path, 1)
    run_cli("process", "doc00.pdf", "--out", "out", "--no-journal", *FAST)
    assert not (tmp_path / "out" / JOURNAL).exists()
    run_cli("process", "doc00.pdf", "--out", "out", "--no-journal", *FAST)
    assert emu.count("initiate") == 2  # no journal: processed again
    first = run_cli("process", "doc00.pdf", "--journal", "state/j.sqlite", *FAST)
    assert first.code == 0 and (tmp_path / "state" / "j.sqlite").exists()
    again = run_cli("process", "doc00.pdf", "--journal", "state/j.sqlite", *FAST)
    assert [e["event"] for e in again.events] == ["skipped"]
    assert emu.count("initiate") == 3
