"""``leapocr process``: results written, JSON lines, concurrency, failures, --delete."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from leapocr_sdk._contract import MAX_FILE_SIZE
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.cli.conftest import FAST, PAGES, Run, cli_command, cli_env

MARKDOWN = (
    "<!-- page 1 -->\nInvoice Number: INV-7\nVendor: Acme Ltd\nTotal Amount: 12.50\n\n"
    "<!-- page 2 -->\nSecond page\nNothing to extract here\n"
)


def test_single_file_markdown_on_stdout_json_events_on_stderr(
    run_cli: Callable[..., Run], pdf: Callable[..., Path]
) -> None:
    pdf()
    run = run_cli("process", "invoice.pdf", *FAST)
    assert run.code == 0, run.stdout + run.stderr
    assert run.stdout == MARKDOWN  # the result alone: `> a.md` is pure markdown
    submitted, done = run.stderr_events
    assert submitted == {"event": "submitted", "source": "invoice.pdf", "job_id": done["job_id"]}
    assert done["status"] == "completed"
    assert done["format"] == "markdown"
    assert done["pages"] == 2
    assert done["credits_used"] == 2
    assert "output" not in done and "result" not in done


def test_json_flag_keeps_the_single_stream_of_0_1(
    run_cli: Callable[..., Run], pdf: Callable[..., Path]
) -> None:
    pdf()
    run = run_cli("--json", "process", "invoice.pdf", *FAST)
    assert run.code == 0 and run.stderr == ""
    submitted, done = run.records
    assert submitted["event"] == "submitted" and done["event"] == "done"
    assert done["result"] == MARKDOWN


def test_json_events_flag_with_human_stdout(
    run_cli: Callable[..., Run], pdf: Callable[..., Path]
) -> None:
    pdf()
    run = run_cli("process", "invoice.pdf", "--json-events", *FAST)
    assert run.code == 0 and run.stdout == MARKDOWN
    assert [e["event"] for e in run.stderr_events] == ["submitted", "done"]


def test_stdin_as_input(emu: LeapOCREmulator, tmp_path: Path) -> None:
    done = subprocess.run(
        cli_command("process", "-", *FAST),
        cwd=tmp_path,
        env=cli_env(emu),
        input=make_pdf(PAGES),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == MARKDOWN
    events = [json.loads(line) for line in done.stderr.decode().splitlines()]
    assert events[-1]["event"] == "done" and events[-1]["source"] == "-"
    [job] = emu.jobs.values()
    assert job.file_name == "stdin.pdf"


def test_stdin_that_is_not_a_document(emu: LeapOCREmulator, tmp_path: Path) -> None:
    done = subprocess.run(
        cli_command("process", "-", *FAST),
        cwd=tmp_path,
        env=cli_env(emu),
        input=b"just some text",
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "stdin does not hold a document" in done.stderr.decode()
    assert emu.requests == []


def test_markdown_written_to_out_dir(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], tmp_path: Path
) -> None:
    pdf("docs/invoice.pdf")
    run = run_cli("process", "docs/invoice.pdf", "--out", "results", *FAST)
    assert run.code == 0
    [done] = run.of("done")
    assert done["output"] == str(Path("results") / "invoice.md")
    assert "result" not in done
    text = (tmp_path / "results" / "invoice.md").read_text(encoding="utf-8")
    for number, page in enumerate(PAGES, start=1):
        assert f"<!-- page {number} -->\n{page}\n" in text
    names = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert names == [".leapocr-journal.sqlite", "invoice.md"]  # no temp files


def test_human_mode_progress_on_stderr_and_markdown_on_stdout(
    run_cli: Callable[..., Run], pdf: Callable[..., Path]
) -> None:
    pdf()
    run = run_cli("--human", "process", "invoice.pdf", *FAST)
    assert run.code == 0
    assert run.stdout.startswith("<!-- page 1 -->\nInvoice Number: INV-7\n")
    assert "invoice.pdf: uploading" in run.stderr
    assert "invoice.pdf: submitted as job" in run.stderr
    assert "invoice.pdf  2 pages · 2 credits" in run.stderr
    assert "\x1b[" not in run.stderr  # no cursor movement when stderr is not a terminal


def test_structured_with_schema(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], tmp_path: Path, emu: LeapOCREmulator
) -> None:
    pdf()
    schema = {
        "type": "object",
        "properties": {
            "invoice_number": {"type": "string"},
            "vendor": {"type": "string"},
            "total_amount": {"type": "number"},
            "due_date": {"type": "string"},
        },
    }
    (tmp_path / "schema.json").write_text(json.dumps(schema), encoding="utf-8")
    run = run_cli("process", "invoice.pdf", "--schema", "schema.json", "--out", "out", *FAST)
    assert run.code == 0
    [done] = run.of("done")
    assert done["format"] == "structured"  # the default with --schema
    data = json.loads((tmp_path / "out" / "invoice.json").read_text(encoding="utf-8"))
    assert data == {
        "invoice_number": "INV-7",
        "vendor": "Acme Ltd",
        "total_amount": 12.5,
        "due_date": None,
    }
    [job] = emu.jobs.values()
    assert job.schema == schema and job.result_format == "structured"


def test_per_page_structured_is_not_offered(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], emu: LeapOCREmulator
) -> None:
    pdf()
    run = run_cli("--human", "process", "invoice.pdf", "--format", "per_page_structured", *FAST)
    # The 2026 service refuses the format: the command line does not offer it.
    assert run.code == 2 and "invalid choice: 'per_page_structured'" in run.stderr
    assert emu.requests == []


def test_model_and_instruction_are_sent(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], emu: LeapOCREmulator
) -> None:
    pdf()
    args: tuple[str, ...] = (
        "process",
        "invoice.pdf",
        "--model",
        "pro-v1",
        "--instruction",
        "Find the total",
    )
    args += ("--format", "markdown")  # 2026: structured needs a schema; markdown takes both
    run = run_cli(*args, *FAST)
    assert run.code == 0
    [done] = run.of("done")
    assert done["credits_used"] == 10  # 2 pages x (3 credits + the v1 instruction surcharge 2)
    [job] = emu.jobs.values()
    assert (job.model, job.instructions, job.result_format) == (
        "pro-v1",
        "Find the total",
        "markdown",
    )


@pytest.mark.parametrize("wait", [True, False], ids=["wait", "no-wait"])
def test_checked_options_reach_the_job_on_both_paths(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], emu: LeapOCREmulator, wait: bool
) -> None:
    pdf()
    args = ("process", "invoice.pdf", "--model", "pro-v1", "--extract-bounding-boxes")
    run = run_cli(*args, *FAST, *(() if wait else ("--no-wait",)))
    assert run.code == 0, run.stderr
    [job] = emu.jobs.values()
    assert (job.model, job.extract_bounding_boxes, job.result_format) == (
        "pro-v1",
        True,
        "markdown",
    )


def test_many_files_concurrently_one_bad(
    run_cli: Callable[..., Run],
    pdf: Callable[..., Path],
    tmp_path: Path,
    emulator_factory: Callable[..., LeapOCREmulator],
) -> None:
    slow = emulator_factory(processing_seconds=2.0)
    names = [f"doc{i}.pdf" for i in range(5)]
    for i, name in enumerate(names):
        pdf(name, [f"Document {i}\nNumber: {i}"])
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.7 but broken inside")
    run = run_cli(
        "process", *names, "notes.pdf", "--out", "out", "--concurrency", "6", *FAST, emu=slow
    )
    assert run.code == 4
    [error] = run.of("error")
    assert error["source"] == "notes.pdf" and error["exit_code"] == 4
    assert error["error"] == "JobFailedError"
    assert error["error_message"].startswith("The PDF could not be read")
    assert sorted(done["source"] for done in run.of("done")) == names
    for i, name in enumerate(names):
        text = (tmp_path / "out" / name.replace(".pdf", ".md")).read_text(encoding="utf-8")
        assert f"Document {i}\nNumber: {i}" in text
    assert not (tmp_path / "out" / "notes.md").exists()
    # Concurrently: several documents were submitted before the first result was read
    # (one at a time, each submission would follow the previous document's result).
    routes = [r.route for r in sorted(slow.requests, key=lambda r: r.started_at)]
    first_result = routes.index("result")
    assert routes[:first_result].count("initiate") >= 3, "not processed concurrently"


def test_worst_exit_code_wins_and_others_are_written(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], tmp_path: Path
) -> None:
    pdf("good.pdf")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 but broken")
    run = run_cli("process", "good.pdf", "bad.pdf", "--out", "out", *FAST)
    assert run.code == 4
    assert {e["source"]: e["exit_code"] for e in run.of("error")} == {"bad.pdf": 4}
    assert (tmp_path / "out" / "good.md").exists()


def test_cheap_checks_come_before_any_request(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], tmp_path: Path, emu: LeapOCREmulator
) -> None:
    pdf("good.pdf")
    unreadable = pdf("locked.pdf")
    unreadable.chmod(0)
    try:
        readable_anyway = os.access(unreadable, os.R_OK)  # root reads everything
        args = ["good.pdf", "missing.pdf", "ftp://host/a.pdf", "https:/host/b.pdf", "locked.pdf"]
        run = run_cli("process", *args, *FAST)
    finally:
        unreadable.chmod(0o644)
    assert run.code == 2 and run.stdout == ""
    messages = {e["source"]: e["message"] for e in run.of("error")}
    assert "file not found: 'missing.pdf'" in messages["missing.pdf"]
    assert "ftp: URLs cannot be processed" in messages["ftp://host/a.pdf"]
    assert "not a well-formed URL" in messages["https:/host/b.pdf"]
    assert ("locked.pdf" in messages) != readable_anyway
    assert emu.requests == []  # nothing submitted, no credit spent

    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    out = run_cli("process", "good.pdf", "--out", "taken", *FAST)
    assert out.code == 2
    assert "--out 'taken' exists and is not a directory" in out.of("error")[0]["message"]
    assert emu.requests == []


def test_concurrency_is_bounded(
    run_cli: Callable[..., Run],
    pdf: Callable[..., Path],
    emulator_factory: Callable[..., LeapOCREmulator],
) -> None:
    emu = emulator_factory(processing_seconds=0.3)
    names = [f"d{i}.pdf" for i in range(4)]
    for name in names:
        pdf(name, ["x"])
    run = run_cli("process", *names, "--concurrency", "1", *FAST, emu=emu)
    assert run.code == 0
    jobs = sorted(emu.jobs.values(), key=lambda job: job.created_at)
    gaps = [later.created_at - earlier.created_at for earlier, later in itertools.pairwise(jobs)]
    assert min(gaps) >= 0.25, "with --concurrency 1 each job starts after the previous one"


def test_delete_deletes_each_job_after_saving(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], tmp_path: Path, emu: LeapOCREmulator
) -> None:
    pdf("one.pdf")
    pdf("two.pdf")
    run = run_cli("process", "one.pdf", "two.pdf", "--out", "out", "--delete", *FAST)
    assert run.code == 0
    deleted = {event["job_id"] for event in run.of("deleted")}
    assert deleted == {event["job_id"] for event in run.of("done")}
    assert len(deleted) == 2
    for job_id in deleted:
        assert emu.get_job(job_id).deleted_at is not None
    assert (tmp_path / "out" / "one.md").exists() and (tmp_path / "out" / "two.md").exists()


def test_failed_jobs_are_not_deleted(
    run_cli: Callable[..., Run], tmp_path: Path, emu: LeapOCREmulator
) -> None:
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.7 but broken inside")
    run = run_cli("process", "bad.pdf", "--delete", *FAST)
    assert run.code == 4
    assert run.of("deleted") == []
    [job] = emu.jobs.values()
    assert job.status == "failed" and job.deleted_at is None


def test_no_wait_prints_job_ids(run_cli: Callable[..., Run], pdf: Callable[..., Path]) -> None:
    pdf()
    run = run_cli("process", "invoice.pdf", "--no-wait")
    assert run.code == 0
    [submitted] = run.events
    assert submitted["event"] == "submitted" and submitted["job_id"]
    human = run_cli("--human", "process", "invoice.pdf", "--no-wait")
    assert human.code == 0
    assert len(human.stdout.strip()) == 36  # just the job id, for JOB=$(leapocr ...)


def test_wait_timeout_exits_4(
    run_cli: Callable[..., Run],
    pdf: Callable[..., Path],
    emulator_factory: Callable[..., LeapOCREmulator],
) -> None:
    slow = emulator_factory(processing_seconds=30)
    pdf()
    run = run_cli("process", "invoice.pdf", "--timeout", "0.3", *FAST, emu=slow)
    assert run.code == 4
    [error] = run.of("error")
    assert error["error"] == "WaitTimeoutError" and error["job_id"]


def test_url_input(
    run_cli: Callable[..., Run], httpserver: HTTPServer, emu: LeapOCREmulator
) -> None:
    httpserver.expect_request("/files/remote.pdf").respond_with_data(
        make_pdf(["Remote page\nKey: value"]), content_type="application/pdf"
    )
    url = httpserver.url_for("/files/remote.pdf")
    run = run_cli("process", url, "--out", "out", *FAST)
    assert run.code == 0, run.stdout
    [done] = run.of("done")
    assert done["source"] == url
    assert done["output"] == str(Path("out") / "remote.md")
    [job] = emu.jobs.values()
    assert job.source_url == url


def test_ctrl_c_exits_130(
    pdf: Callable[..., Path], tmp_path: Path, emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    slow = emulator_factory(processing_seconds=30)
    pdf()
    child = subprocess.Popen(
        cli_command("process", "invoice.pdf", *FAST),
        cwd=tmp_path,
        env=cli_env(slow),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stderr is not None
        first = json.loads(child.stderr.readline())
        assert first["event"] == "submitted"
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 130
        assert child.stdout.read() == ""
        assert json.loads(child.stderr.read().strip().splitlines()[-1])["event"] == "interrupted"
    finally:
        child.kill()
        child.wait()


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_bars_on_a_terminal(
    pdf: Callable[..., Path], tmp_path: Path, emulator_factory: Callable[..., LeapOCREmulator]
) -> None:
    emu = emulator_factory(processing_seconds=0.5)
    long_name = "scans/2026/november/" + "very-long-supplier-name-" * 3 + "invoice.pdf"
    pdf("one.pdf")
    pdf(long_name)
    primary, secondary = os.openpty()
    try:
        child = subprocess.Popen(
            cli_command("process", "one.pdf", long_name, "--out", "out", *FAST),
            cwd=tmp_path,
            env=cli_env(emu, COLUMNS="80", LINES="24"),
            stdin=subprocess.DEVNULL,
            stdout=secondary,
            stderr=secondary,
        )
        os.close(secondary)
        screen = b""
        while chunk := _read(primary):
            screen += chunk
        assert child.wait(timeout=30) == 0
    finally:
        os.close(primary)
    text = screen.decode("utf-8", "replace")
    assert "processing" in text and "pages" in text  # the live board
    assert "\x1b[" in text  # redrawn in place
    assert "✓ one.pdf" in text and "2 pages · 2 credits" in text
    assert "scans/2026/no…me-invoice.pdf" in text  # shortened in the middle
    assert "2 documents: 2 ok, 0 failed · 4 pages · 4 credits (estimated 4) · " in text
    lines = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text).replace("\r", "\n").split("\n")
    assert max(len(line) for line in lines) < 80  # fits an 80-column terminal
    assert '"event"' not in text  # a person's output, not JSON
    stem = "very-long-supplier-name-" * 3 + "invoice"
    assert (tmp_path / "out" / "one.md").exists() and (tmp_path / "out" / f"{stem}.md").exists()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO once the child has closed the terminal
        return b""


def test_stdin_is_refused_at_the_size_limit_while_reading(
    emu: LeapOCREmulator, tmp_path: Path
) -> None:
    # A stream that goes on past 1 GiB: the command stops reading at the limit.
    spool = tmp_path / "spool"
    spool.mkdir()
    child = subprocess.Popen(
        cli_command("process", "-", *FAST),
        cwd=tmp_path,
        env=cli_env(emu, TMPDIR=str(spool)),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stderr is not None
    chunk = bytes(1 << 20)
    offered = MAX_FILE_SIZE + (256 << 20)
    sent = 0
    try:
        child.stdin.write(make_pdf(["header"]))
        while sent < offered:
            child.stdin.write(chunk)
            sent += len(chunk)
    except BrokenPipeError:
        pass  # the command stopped reading: what a bounded reader does
    finally:
        with contextlib.suppress(BrokenPipeError):
            child.stdin.close()
        stderr = child.stderr.read()
        child.wait(timeout=120)
    assert sent < offered, "the command read past the limit"
    assert child.returncode == 2, stderr
    [error] = [json.loads(line) for line in stderr.decode().splitlines()]
    assert error["event"] == "error" and error["error"] == "ValidationError"
    assert f"at most {MAX_FILE_SIZE} bytes" in error["message"]
    assert emu.requests == []
    assert list(spool.iterdir()) == []  # its copy of stdin is gone
