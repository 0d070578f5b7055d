"""``leapocr wait``, ``completion``, ``--allow-insecure-http`` and messages in CLI words."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from leapocr_sdk._cli.messages import cli_message
from leapocr_sdk.errors import (
    AuthenticationError,
    ConfigurationError,
    JobNotReadyError,
    NotResubmittedError,
    WaitTimeoutError,
)
from leapocr_sdk.testing import LeapOCREmulator
from tests.cli.conftest import FAST, Run, cli_command, cli_env


def test_wait_prints_the_result_when_the_job_is_done(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], tmp_path: Path
) -> None:
    pdf()
    submitted = run_cli("process", "invoice.pdf", "--no-wait")
    job_id = submitted.stdout.strip()
    assert submitted.code == 0 and len(job_id) == 36  # the id alone: JOB=$(leapocr ...)
    waited = run_cli("wait", job_id, *FAST)
    assert waited.code == 0
    assert waited.stdout.startswith("<!-- page 1 -->\nInvoice Number: INV-7")
    assert waited.of("done")[0]["job_id"] == job_id
    saved = run_cli("wait", job_id, "--out", "res", *FAST)
    assert saved.code == 0 and saved.stdout == ""
    assert (tmp_path / "res" / f"{job_id}.md").read_text(encoding="utf-8") == waited.stdout


def test_wait_timeout_speaks_cli(
    run_cli: Callable[..., Run],
    pdf: Callable[..., Path],
    emulator_factory: Callable[..., LeapOCREmulator],
) -> None:
    slow = emulator_factory(processing_seconds=30)
    pdf()
    job_id = run_cli("process", "invoice.pdf", "--no-wait", emu=slow).stdout.strip()
    run = run_cli("--human", "wait", job_id, "--timeout", "0.2", *FAST, emu=slow)
    assert run.code == 4
    assert f"check it later with `leapocr status {job_id}`" in run.stderr
    assert "get_status" not in run.stderr
    not_ready = run_cli("--human", "result", job_id, emu=slow)
    assert not_ready.code == 4 and f"run `leapocr wait {job_id}`" in not_ready.stderr


def test_no_api_key_names_the_flag(run_cli: Callable[..., Run], pdf: Callable[..., Path]) -> None:
    pdf()
    run = run_cli("--human", "models", emu=None)
    assert run.code == 2
    assert "pass --api-key or set the LEAPOCR_API_KEY" in run.stderr
    assert "api_key=" not in run.stderr


@pytest.mark.parametrize(
    ("error", "python", "cli"),
    [
        (
            WaitTimeoutError("job-12345678", None, 1.0),
            "get_status()",
            "leapocr status job-12345678",
        ),
        (JobNotReadyError("job-12345678", "pending"), "wait_until_done()", "leapocr wait"),
        (
            NotResubmittedError("x: pass retry_failed=True (CLI: --retry-failed) to retry it"),
            "retry_failed",
            "add --retry-failed",
        ),
        (
            ConfigurationError("no API key: pass api_key=... or set the LEAPOCR_API_KEY variable"),
            "api_key=",
            "pass --api-key",
        ),
    ],
)
def test_messages_map_python_hints_to_flags(error: Exception, python: str, cli: str) -> None:
    assert python in str(error)
    assert python not in cli_message(error) and cli in cli_message(error)


def test_authentication_hint_names_the_flag() -> None:
    error = AuthenticationError("bad key", status_code=401, code="UNAUTHORIZED")
    assert "passed to the client" in str(error)
    assert "given with --api-key" in cli_message(error)


def test_insecure_http_is_refused_unless_allowed(run_cli: Callable[..., Run]) -> None:
    url = "http://10.255.255.1:9/api/v1"  # not localhost: refused before any connection
    refused = run_cli("--human", "models", env={"LEAPOCR_BASE_URL": url})
    assert refused.code == 2 and "--allow-insecure-http" in refused.stderr
    assert "allow_insecure_http" not in refused.stderr
    allowed = run_cli(
        "--human", "--max-retries", "0", "models", "--allow-insecure-http",
        env={"LEAPOCR_BASE_URL": "http://127.0.0.1:9/api/v1"},
    )  # fmt: skip
    assert "--allow-insecure-http" not in allowed.stderr  # past the check: a connection error
    assert allowed.code == 3


def _completion(shell: str, tmp_path: Path) -> Path:
    text = subprocess.run(
        cli_command("completion", shell), capture_output=True, text=True, check=True, timeout=30
    ).stdout
    path = tmp_path / f"leapocr.{shell}"
    path.write_text(text, encoding="utf-8")
    return path


def test_bash_completion_completes_commands_options_and_choices(tmp_path: Path) -> None:
    script = _completion("bash", tmp_path)
    probe = f"""
source {script}
complete -p leapocr
complete_words() {{
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _leapocr; echo "${{COMPREPLY[*]}}"
}}
complete_words leapocr w
complete_words leapocr process --conc
complete_words leapocr --base-url http://x process --format s
complete_words leapocr completion f
"""
    out = subprocess.run(
        ["bash", "-c", probe], capture_output=True, text=True, timeout=30, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "complete -o bashdefault -o filenames -F _leapocr leapocr"
    assert lines[1:] == ["wait webhooks", "--concurrency", "structured", "fish"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion_loads(tmp_path: Path) -> None:
    script = _completion("zsh", tmp_path)
    out = subprocess.run(
        ["zsh", "-f", "-c", f"autoload -U compinit && compinit -u && source {script} && "
         "print -r -- ${_comps[leapocr]}"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "_bash_complete",
        "-o",
        "filenames",
        "-o",
        "bashdefault",
        "-F",
        "_leapocr",
    ]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completion_completes(tmp_path: Path) -> None:
    script = _completion("fish", tmp_path)
    out = subprocess.run(
        ["fish", "--no-config", "-c",
         f"source {script}; complete -C 'leapocr w'; complete -C 'leapocr process --form'"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    completions = [line.split("\t")[0] for line in out.stdout.splitlines()]
    assert {"wait", "webhooks", "--format"} <= set(completions)


def test_completion_needs_a_known_shell() -> None:
    run = subprocess.run(
        cli_command("completion", "tcsh"), env=cli_env(None), capture_output=True, text=True
    )
    assert run.returncode == 2 and "invalid choice: 'tcsh'" in run.stderr
