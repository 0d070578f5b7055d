"""``leapocr status``, ``result``, ``delete``, ``models``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from leapocr_sdk._contract import MODEL_CATALOGUE
from leapocr_sdk.testing import LeapOCREmulator
from tests.cli.conftest import Run


def test_status_result_delete_of_a_submitted_job(
    run_cli: Callable[..., Run], pdf: Callable[..., Path], emu: LeapOCREmulator, tmp_path: Path
) -> None:
    pdf()
    submitted = run_cli("process", "invoice.pdf", "--no-wait")
    assert submitted.code == 0
    job_id = str(submitted.events[0]["job_id"])
    emu.wait_for_job(job_id)

    status = run_cli("status", job_id)
    assert status.code == 0
    assert status.events == [
        {
            "event": "status",
            "job_id": job_id,
            "status": "completed",
            "progress": 1.0,
            "processed_pages": 2,
            "total_pages": 2,
        }
    ]

    fetched = run_cli("result", job_id)
    [done] = fetched.events
    assert done["event"] == "done" and done["job_id"] == job_id
    assert fetched.stdout.startswith("<!-- page 1 -->\nInvoice Number: INV-7")

    to_file = run_cli("--human", "result", job_id, "--out", "res")
    assert to_file.code == 0 and to_file.stdout == ""
    assert f"res/{job_id}.md" in to_file.stderr
    text = (tmp_path / "res" / f"{job_id}.md").read_text(encoding="utf-8")
    assert text.startswith("<!-- page 1 -->\nInvoice Number: INV-7")

    deleted = run_cli("delete", job_id)
    assert deleted.code == 0
    assert deleted.events == [{"event": "deleted", "job_id": job_id}]
    assert emu.get_job(job_id).deleted_at is not None
    again = run_cli("delete", job_id)
    assert again.code == 3  # 404: already deleted
    assert again.events[0]["error"] == "NotFoundError"


def test_status_and_result_of_a_running_job(
    run_cli: Callable[..., Run],
    pdf: Callable[..., Path],
    emulator_factory: Callable[..., LeapOCREmulator],
) -> None:
    slow = emulator_factory(processing_seconds=30)
    pdf()
    job_id = run_cli("process", "invoice.pdf", "--no-wait", emu=slow).events[0]["job_id"]
    status = run_cli("--human", "status", job_id, emu=slow)
    assert status.code == 0
    assert status.stdout.startswith(job_id) and (
        "pending" in status.stdout or "processing" in status.stdout
    )
    result = run_cli("result", job_id, emu=slow)
    assert result.code == 4
    assert result.events[0]["error"] == "JobNotReadyError"


def test_models(run_cli: Callable[..., Run]) -> None:
    run = run_cli("models")
    assert run.code == 0
    models = {m["name"]: m["credits_per_page"] for m in run.of("model")}
    assert models == {spec.name: spec.credits_per_page for spec in MODEL_CATALOGUE}
    assert all(m["display_name"] and m["description"] for m in run.of("model"))


def test_models_as_a_table(run_cli: Callable[..., Run]) -> None:
    human = run_cli("--human", "models")
    lines = human.stdout.splitlines()
    assert lines[0].split()[:3] == ["MODEL", "NAME", "CREDITS/PAGE"]
    assert any(line.startswith("pro-v1") and " 3 " in line for line in lines)


def test_status_of_a_deleted_job_says_deleted(
    run_cli: Callable[..., Run],
    pdf: Callable[..., Path],
    emulator_factory: Callable[..., LeapOCREmulator],
) -> None:
    slow = emulator_factory(processing_seconds=30)
    pdf()
    submitted = run_cli("process", "invoice.pdf", "--no-wait", emu=slow)
    job_id = str(submitted.events[0]["job_id"])
    assert run_cli("delete", job_id, emu=slow).code == 0  # deleted while processing
    deleted_at = slow.get_job(job_id).deleted_at
    assert deleted_at is not None

    status = run_cli("status", job_id, emu=slow)
    assert status.code == 4  # the job is gone: as `result` and `wait` say
    [record] = status.events
    assert record["event"] == "status" and record["job_id"] == job_id
    assert record["status"] == "deleted"
    assert record["deleted_at"].startswith(
        datetime.fromtimestamp(deleted_at, UTC).strftime("%Y-%m-%dT%H:%M")
    )

    human = run_cli("--human", "status", job_id, env={"COLUMNS": "200"}, emu=slow)
    assert human.code == 4
    line = human.stdout.strip()
    assert line.startswith(f"{job_id}  deleted") and "processing" not in line

    result = run_cli("result", job_id, emu=slow)
    assert result.code == 4
    assert result.of("error")[0]["error"] == "JobDeletedError"
