"""``process``: one document start to end, sync and async, against the emulator."""

from __future__ import annotations

import asyncio
import io
import pickle
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import (
    APIConnectionError,
    AsyncLeapOCR,
    ConfigurationError,
    JobFailedError,
    LeapOCR,
    LeapOCRError,
    NotResubmittedError,
    UploadError,
    ValidationError,
    WaitTimeoutError,
)
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

FAST = {"poll_interval": 0.02}


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.05)


@pytest.fixture
def client(emu: LeapOCREmulator, make_client: Any) -> Any:
    return make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)


def test_every_kind_of_source(
    emu: LeapOCREmulator, client: Any, tmp_path: Path, httpserver: Any
) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(["from a path"]))
    httpserver.expect_request("/d.pdf").respond_with_data(
        make_pdf(["from a URL"]), content_type="application/pdf"
    )
    sources: list[Any] = [
        path,
        str(path),
        make_pdf(["from bytes"]),
        io.BytesIO(make_pdf(["from a file object"])),
        httpserver.url_for("/d.pdf"),
    ]
    texts = [client.process(source, **FAST).markdown for source in sources]
    assert texts == ["from a path", "from a path", "from bytes", "from a file object", "from a URL"]
    assert emu.count("initiate") == 4 and emu.count("submit_url") == 1


def test_delete_afterwards_and_options_forwarded(emu: LeapOCREmulator, client: Any) -> None:
    result = client.process(make_pdf(["x"]), delete=True, model="pro-v1", **FAST)
    job = emu.get_job(result.job_id)
    assert job.deleted_at is not None and job.model == "pro-v1"
    assert result.credits_used == 3


def test_no_wait_returns_the_job(emu: LeapOCREmulator, client: Any) -> None:
    job = client.process(make_pdf(["x"]), wait=False)
    assert emu.get_job(job.job_id).deleted_at is None
    with pytest.raises(ValidationError, match="delete=True needs wait=True"):
        client.process(make_pdf(["x"]), wait=False, delete=True)


def test_deleted_when_the_job_fails(emu: LeapOCREmulator, client: Any) -> None:
    with pytest.raises(JobFailedError) as caught:
        client.process(b"%PDF-1.7 but broken inside", delete=True, **FAST)
    assert emu.get_job(caught.value.job_id).deleted_at is not None
    assert f"job {caught.value.job_id} was deleted" in caught.value.__notes__


def test_deleted_when_the_wait_times_out(leapocr_emulator_factory: Any, make_client: Any) -> None:
    emu = leapocr_emulator_factory(processing_seconds=30)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    with pytest.raises(WaitTimeoutError) as caught:
        client.process(make_pdf(["slow"]), delete=True, poll_interval=0.02, timeout=0.1)
    assert emu.get_job(caught.value.job_id).deleted_at is not None


def test_deleted_when_interrupted(emu: LeapOCREmulator, client: Any) -> None:
    def interrupt(info: Any) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        client.process(make_pdf(["x"]), delete=True, on_progress=interrupt, **FAST)
    [job] = emu.jobs.values()
    assert job.deleted_at is not None


def test_deleted_when_the_task_is_cancelled(emu: LeapOCREmulator) -> None:
    async def main() -> None:
        async with AsyncLeapOCR(emu.api_key, base_url=emu.base_url) as client:
            polled = asyncio.Event()
            task = asyncio.ensure_future(
                client.process(
                    make_pdf(["x"]),
                    delete=True,
                    poll_interval=0.2,
                    on_progress=lambda i: polled.set(),
                )
            )
            await polled.wait()  # submitted, now waiting
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    [job] = emu.jobs.values()
    assert job.deleted_at is not None


def test_bad_arguments_fail_before_any_request(emu: LeapOCREmulator, client: Any) -> None:
    with pytest.raises(ValidationError, match="unknown processing option"):
        client.process(make_pdf(["x"]), colour="blue")
    with pytest.raises(ValidationError):
        client.process(make_pdf(["x"]), model="no such model!")
    with pytest.raises(ValidationError, match="file not found"):
        client.process("missing.pdf")
    assert emu.requests == []


def test_clients_do_not_travel_between_processes(emu: LeapOCREmulator) -> None:
    with LeapOCR(emu.api_key, base_url=emu.base_url) as client:
        payload = pickle.dumps(client)
    assert emu.api_key.encode() not in payload
    with pytest.raises(ConfigurationError, match="create a client in each worker"):
        pickle.loads(payload)


@pytest.mark.parametrize(
    "error",
    [
        JobFailedError("job-1", "bad scan"),
        WaitTimeoutError("job-1", None, 5.0),
        UploadError("part 2 failed", job_id="job-1", part_number=2, status_code=503),
        APIConnectionError("gone", may_have_been_processed=True),
        NotResubmittedError("failed earlier"),
    ],
)
def test_errors_pickle(error: LeapOCRError) -> None:
    error.add_note("a note")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def test_api_errors_pickle(emu: LeapOCREmulator) -> None:
    with (
        LeapOCR("wrong-key", base_url=emu.base_url) as client,
        pytest.raises(LeapOCRError) as caught,
    ):
        client.process(make_pdf(["x"]))
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is type(caught.value) and copy.status_code == 401  # type: ignore[attr-defined]
    assert str(copy) == str(caught.value)


@pytest.mark.parametrize("name", ["process", "process_many", "as_completed", "wait_many"])
def test_sync_and_async_take_the_same_arguments(name: str) -> None:
    import inspect

    def parameters(cls: type) -> list[tuple[str, Any, Any]]:
        signature = inspect.signature(getattr(cls, name))
        return [(p.name, p.kind, p.default) for p in signature.parameters.values()]

    assert parameters(LeapOCR) == parameters(AsyncLeapOCR)
