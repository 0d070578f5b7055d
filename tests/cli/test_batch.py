"""``leapocr process`` as a resumable batch: journal, directories, summary, kill -9."""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from leapocr_sdk._cli.render import source_stem
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
    assert sorted(
        p.relative_to(tmp_path / "deep").as_posix() for p in outputs(tmp_path / "deep")
    ) == [
        "doc00.md",
        "doc01.md",
        "sub/doc00.md",
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


def test_a_result_that_cannot_be_written_is_kept_for_the_next_run(
    tmp_path: Path, run_cli: Callable[..., Run], emu: LeapOCREmulator
) -> None:
    write_documents(tmp_path, 2)
    # out/doc01.md is taken by a directory: renaming a file over it fails, even for root.
    (tmp_path / "out" / "doc01.md").mkdir(parents=True)
    (tmp_path / "out" / "doc01.md" / "keep").write_text("x")
    command = ["process", "doc00.pdf", "doc01.pdf", "--out", "out", "--delete", *FAST]
    first = run_cli(*command)
    assert first.code == 2  # a local file that could not be written (see --help)
    [error] = first.of("error")
    assert error["source"] == "doc01.pdf"
    assert str(Path("out") / "doc01.md") in error["message"]
    assert "run the same command again" in error["message"]
    job_id = error["job_id"]
    assert emu.get_job(job_id).deleted_at is None  # its result is still to be had
    assert {p.name for p in (tmp_path / "out").iterdir()} <= {
        "doc00.md",
        "doc01.md",
        JOURNAL,
        JOURNAL + "-wal",
        JOURNAL + "-shm",
    }  # no temporary file left behind
    with sqlite3.connect(tmp_path / "out" / JOURNAL) as db:
        states = dict(db.execute("SELECT job_id, state FROM sources").fetchall())
    assert states[job_id] == "submitted"  # not done: nothing was written

    shutil.rmtree(tmp_path / "out" / "doc01.md")
    second = run_cli(*command)
    assert second.code == 0, second.stderr
    assert [e["source"] for e in second.of("skipped")] == ["doc00.pdf"]
    [done] = second.of("done")
    assert done["source"] == "doc01.pdf" and done["job_id"] == job_id  # collected, not redone
    assert emu.count("initiate") == len(emu.jobs) == 2
    text = (tmp_path / "out" / "doc01.md").read_text(encoding="utf-8")
    assert text == "<!-- page 1 -->\ndocument 1\n"
    assert all(job.deleted_at is not None for job in emu.jobs.values())


def outputs(directory: Path) -> list[Path]:
    """The result files under ``directory`` (not the journal)."""
    return [p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_recursive_out_mirrors_the_input_tree_whatever_the_argument_order(
    tmp_path: Path, run_cli: Callable[..., Run], pdf: Callable[..., Path], emu: LeapOCREmulator
) -> None:
    tree = {
        "left/a.pdf": "left a",
        "left/sub/a.pdf": "left sub a",
        "left/sub/deeper/scan 0 (copy).pdf": "a name kept as it is",
        "right/b.pdf": "right b",
        "right/sub/c.pdf": "right sub c",
    }
    for name, text in tree.items():
        pdf(name, [text])
    pdf("single/report 2026.pdf", ["a file argument"])
    expected = {
        "a.md": "left a",
        "sub/a.md": "left sub a",
        "sub/deeper/scan 0 (copy).md": "a name kept as it is",
        "b.md": "right b",
        "sub/c.md": "right sub c",
        "report 2026.md": "a file argument",
    }
    for out, order in (("one", ["left", "right"]), ("two", ["right", "left"])):
        run = run_cli(
            "process", *order, "single/report 2026.pdf", "--recursive", "--out", out, *FAST
        )
        assert run.code == 0, run.stderr
        written = {
            p.relative_to(tmp_path / out).as_posix(): p.read_text(encoding="utf-8")
            for p in outputs(tmp_path / out)
        }
        assert written == {name: f"<!-- page 1 -->\n{text}\n" for name, text in expected.items()}
        done = {e["source"]: e["output"] for e in run.of("done")}
        assert done[str(Path("left") / "sub" / "a.pdf")] == str(Path(out) / "sub" / "a.md")
    assert emu.count("initiate") == 12


def test_inputs_that_would_share_an_output_are_refused_before_any_request(
    tmp_path: Path, run_cli: Callable[..., Run], pdf: Callable[..., Path], emu: LeapOCREmulator
) -> None:
    pdf("a/report.pdf", ["first"])
    pdf("b/report.pdf", ["second"])
    pdf("c/sub/report.pdf", ["third"])
    pdf("c/Report.pdf", ["fourth"])
    run = run_cli("process", "a/report.pdf", "b/report.pdf", "--out", "out", *FAST)
    assert run.code == 2
    [error] = run.of("error")
    message = error["message"]
    assert str(Path("out") / "report.md") in message
    assert "a/report.pdf" in message and "b/report.pdf" in message
    # Mirrored trees meet too: c/sub/report.pdf -> out/sub/report.md, but c/Report.pdf
    # and a/report.pdf both want out/report.md (names differing only in case collide on
    # macOS and Windows file systems, so they are refused everywhere).
    tree = run_cli("process", "c", "a/report.pdf", "--recursive", "--out", "out", *FAST)
    assert tree.code == 2
    assert "Report.pdf" in tree.of("error")[0]["message"]
    assert emu.requests == [] and not (tmp_path / "out").exists()
    # Without --out (results on stdout) the same inputs are fine.
    assert run_cli("process", "a/report.pdf", "b/report.pdf", *FAST).code == 0


@pytest.mark.parametrize(
    ("source", "stem"),
    [
        ("scans/scan 0 (copy).pdf", "scan 0 (copy)"),
        ("archive.tar.pdf", "archive.tar"),
        ("https://host/files/r%C3%A9sum%C3%A9%20final.pdf?x=1", "résumé final"),
        ("https://host/files/a%00b.pdf", "a_b"),  # NUL: refused by every file system
        ("https://host/files/a%2Fb.pdf", "b"),  # an encoded slash still ends a path
        ("https://host/files/..", "document"),
        ("https://host/", "document"),
    ],
)
def test_output_names_keep_what_the_file_system_accepts(source: str, stem: str) -> None:
    assert source_stem(source) == stem
