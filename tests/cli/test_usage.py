"""Exit codes for bad usage (2) and for an API that refuses (3), and --help."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from leapocr_sdk import cli
from leapocr_sdk._cli.signals import Interrupted
from leapocr_sdk._contract import MODEL_CATALOGUE
from leapocr_sdk.testing import LeapOCREmulator
from tests.cli.conftest import FAST, Run


def test_exit_codes_are_named_constants() -> None:
    assert (cli.EXIT_OK, cli.EXIT_USAGE, cli.EXIT_API, cli.EXIT_JOB, cli.EXIT_INTERRUPTED) == (
        0,
        2,
        3,
        4,
        130,
    )
    # A stop is 128 + its signal, as a shell reports it.
    for signum, code in (
        (signal.SIGINT, cli.EXIT_INTERRUPTED),
        (signal.SIGPIPE, cli.EXIT_BROKEN_PIPE),
        (signal.SIGTERM, cli.EXIT_TERMINATED),
    ):
        assert Interrupted(signum).exit_code == code


def test_help_documents_exit_codes_and_output(main_in_process: Callable[..., Run]) -> None:
    run = main_in_process("process", "--help")
    assert run.code == 0
    for text in ("exit codes:", "130", "JSON object per", "--out DIR", "<!-- page N -->"):
        assert text in run.stdout
    assert "exit codes:" in main_in_process("--help").stdout


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="no-command"),
        pytest.param(["process"], id="no-input"),
        pytest.param(["frobnicate"], id="unknown-command"),
        pytest.param(["process", "a.pdf", "--instruction", "x", "--template", "t"], id="exclusive"),
        pytest.param(["process", "a.pdf", "--template", "t", "--model", "pro-v2"], id="exclusive2"),
        pytest.param(["process", "a.pdf", "--format", "per_page_structured"], id="dropped-format"),
        pytest.param(["process", "a.pdf", "--no-wait", "--delete"], id="no-wait-delete"),
        pytest.param(["process", "a.pdf", "--no-wait", "--out", "d"], id="no-wait-out"),
        pytest.param(["process", "a.pdf", "--concurrency", "0"], id="concurrency-0"),
        pytest.param(["process", "a.pdf", "--format", "pdf"], id="bad-format"),
        pytest.param(["process", "a.pdf", "--timeout", "nan"], id="bad-timeout"),
        pytest.param(["--json", "--human", "models"], id="json-and-human"),
    ],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # In-process: main() returns argparse's exit code instead of exiting.
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert "usage:" in captured.err
    assert captured.out == ""


def test_usage_error_as_a_subprocess(run_cli: Callable[..., Run]) -> None:
    run = run_cli("process", "a.pdf", "--instruction", "x", "--template", "t")
    assert run.code == 2
    assert "--template cannot be combined with --instruction" in run.stderr


def test_missing_file_exits_2_with_an_error_event(run_cli: Callable[..., Run]) -> None:
    run = run_cli("process", "missing.pdf", *FAST)
    assert run.code == 2
    [error] = run.of("error")
    assert error["source"] == "missing.pdf"
    assert error["error"] == "ValidationError"
    assert error["exit_code"] == 2
    assert "file not found" in error["message"]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--schema", "broken.json"], id="schema-not-json"),
        pytest.param(["--schema", "list.json"], id="schema-not-an-object"),
        pytest.param(["--schema", "absent.json"], id="schema-missing"),
        pytest.param(["--instruction", "x" * 101], id="instruction-too-long"),
        pytest.param(["--model", "no such model!"], id="bad-model-name"),
    ],
)
def test_bad_options_exit_2_before_any_request(
    main_in_process: Callable[..., Run],
    pdf: Callable[..., Path],
    tmp_path: Path,
    emu: LeapOCREmulator,
    args: list[str],
) -> None:
    pdf()
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    run = main_in_process("process", "invoice.pdf", *args)
    assert run.code == 2
    [error] = run.events
    assert error["event"] == "error" and error["error"] == "ValidationError"
    assert emu.requests == []


def test_bad_job_id_exits_2_before_any_request(
    main_in_process: Callable[..., Run], emu: LeapOCREmulator
) -> None:
    run = main_in_process("status", "../etc/passwd")
    assert run.code == 2
    assert emu.requests == []


def test_no_api_key_exits_2(run_cli: Callable[..., Run], pdf: Callable[..., Path]) -> None:
    pdf()
    run = run_cli("process", "invoice.pdf", emu=None)
    assert run.code == 2
    [error] = run.events
    assert error["error"] == "ConfigurationError"
    assert "LEAPOCR_API_KEY" in error["message"]


def test_no_api_key_in_human_mode_says_so_on_stderr(main_in_process: Callable[..., Run]) -> None:
    run = main_in_process("--human", "models", emu=None)
    assert run.code == 2
    assert run.stdout == ""
    assert "leapocr: error:" in run.stderr and "LEAPOCR_API_KEY" in run.stderr


def test_wrong_api_key_exits_3(run_cli: Callable[..., Run], pdf: Callable[..., Path]) -> None:
    pdf()
    run = run_cli("process", "invoice.pdf", *FAST, env={"LEAPOCR_API_KEY": "wrong-key"})
    assert run.code == 3
    [error] = run.of("error")
    assert error["error"] == "AuthenticationError"
    assert error["status_code"] == 401
    assert "wrong-key" not in run.stdout + run.stderr


def test_api_key_option_overrides_the_environment(
    run_cli: Callable[..., Run], emu: LeapOCREmulator, pdf: Callable[..., Path]
) -> None:
    wrong = run_cli("--api-key", "wrong-key", "models")
    assert wrong.code == 3
    # given after the subcommand, with a bad key in the environment
    right = run_cli("models", "--api-key", emu.api_key, env={"LEAPOCR_API_KEY": "wrong-key"})
    assert right.code == 0
    assert len(right.of("model")) == len(MODEL_CATALOGUE)


def test_base_url_option_overrides_the_environment(
    run_cli: Callable[..., Run], emu: LeapOCREmulator
) -> None:
    run = run_cli("--base-url", "http://127.0.0.1:9/api/v1", "--max-retries", "0", "models")
    assert run.code == 3
    assert run.events[0]["error"] == "APIConnectionError"
    assert run_cli("models", "--base-url", emu.base_url).code == 0


def test_insufficient_credits_exits_3(
    run_cli: Callable[..., Run],
    emulator_factory: Callable[..., LeapOCREmulator],
    pdf: Callable[..., Path],
) -> None:
    poor = emulator_factory(credits=0)
    pdf()
    run = run_cli("process", "invoice.pdf", *FAST, emu=poor)
    assert run.code == 3
    assert run.of("error")[0]["status_code"] == 402


def test_unknown_job_exits_3(run_cli: Callable[..., Run]) -> None:
    run = run_cli("status", "00000000-0000-0000-0000-000000000000")
    assert run.code == 3
    [error] = run.events
    assert error["error"] == "NotFoundError" and error["exit_code"] == 3
    assert error["status_code"] == 404
