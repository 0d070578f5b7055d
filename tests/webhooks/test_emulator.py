"""The emulator's signed deliveries, received by a local server built on ``construct_event``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from leapocr_sdk.webhooks import JobCompleted, JobCreated, JobFailed, JobStarted

from .conftest import wait_for


@pytest.fixture
def emu(leapocr_emulator_factory: Any) -> LeapOCREmulator:
    return leapocr_emulator_factory(processing_seconds=0.1)


def test_a_job_is_delivered_as_typed_events_to_sync_and_async_users(
    emu: LeapOCREmulator, make_client: Any, make_receiver: Any, tmp_path: Path
) -> None:
    receiver = make_receiver()
    receiver.secret = emu.add_webhook(receiver.url)
    path = tmp_path / "invoice.pdf"
    path.write_bytes(make_pdf(["page one", "page two"]))
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)

    job = client.process_file(path)

    completed = wait_for(lambda: [e for e in receiver.events if isinstance(e, JobCompleted)])
    assert [type(event) for event in receiver.events] == [JobCreated, JobStarted, JobCompleted]
    assert {event.job_id for event in receiver.events} == {job.job_id}
    done = completed[0]
    assert done.status == "completed"
    assert (done.total_pages, done.processed_pages) == (2, 2)
    assert done.credits_used == emu.get_job(job.job_id).credits_used
    assert done.file_name == "invoice.pdf"
    assert done.timestamp.tzinfo is not None
    assert receiver.refused == []
    assert set(receiver.user_agents) == {"LeapOCR-Webhook/1.0"}
    assert len({event.event_id for event in receiver.events}) == 3
    result = client.get_result(done.job_id)  # the event is enough to fetch the result
    assert [page.text for page in result.pages] == ["page one", "page two"]
    # The receiver has the event before the emulator has recorded the answer: wait for it.
    deliveries = wait_for(lambda: len(emu.webhook_deliveries) == 3 and emu.webhook_deliveries)
    assert [(d.event_type, d.attempt, d.status_code, d.ok) for d in deliveries] == [
        ("job.created", 1, 204, True),
        ("job.started", 1, 204, True),
        ("job.completed", 1, 204, True),
    ]
    assert all(d.url == receiver.url and d.job_id == job.job_id for d in deliveries)


def test_a_job_done_between_two_looks_still_gets_every_event_in_order(
    leapocr_emulator_factory: Any, make_receiver: Any, tmp_path: Path
) -> None:
    from leapocr_sdk import LeapOCR

    emu = leapocr_emulator_factory(processing_seconds=0)
    receiver = make_receiver()
    receiver.secret = emu.add_webhook(receiver.url)
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(["instant"]))
    with LeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
        job = client.process_file(path)
        client.wait_until_done(job.job_id, poll_interval=0.01)
    events = wait_for(lambda: len(receiver.events) >= 3 and receiver.events)
    assert [type(event) for event in events] == [JobCreated, JobStarted, JobCompleted]
    emu.stop()
    assert len(emu.webhook_deliveries) == 3  # once each


def test_a_failed_job_is_delivered_as_job_failed(
    emu: LeapOCREmulator, make_client: Any, make_receiver: Any, tmp_path: Path
) -> None:
    receiver = make_receiver()
    receiver.secret = emu.add_webhook(receiver.url, events=["job.failed", "job.completed"])
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\nthis is not really a PDF\n")
    client = make_client(api_key=emu.api_key, base_url=emu.base_url, real_sleep=True)
    job = client.process_file(path)
    failed = wait_for(lambda: receiver.events)
    assert len(failed) == 1  # only the types subscribed to
    assert isinstance(failed[0], JobFailed)
    assert failed[0].job_id == job.job_id
    assert failed[0].error_message == emu.get_job(job.job_id).error_message != ""


def test_a_failing_receiver_is_retried_and_every_attempt_recorded(
    emu: LeapOCREmulator, make_receiver: Any, tmp_path: Path
) -> None:
    from leapocr_sdk import LeapOCR

    receiver = make_receiver(fail_first=2)
    receiver.secret = emu.add_webhook(receiver.url, events=["job.completed"], secret="whsec_test")
    assert receiver.secret == "whsec_test"
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(["text"]))
    with LeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
        job = client.process_file(path)
    events = wait_for(lambda: receiver.events)
    assert [(e.job_id, type(e)) for e in events] == [(job.job_id, JobCompleted)]
    deliveries = wait_for(lambda: len(emu.webhook_deliveries) == 3 and emu.webhook_deliveries)
    assert [(d.attempt, d.status_code) for d in deliveries] == [(1, 500), (2, 500), (3, 204)]
    assert len({d.event_id for d in deliveries}) == 1  # one event, three attempts
    assert events[0].event_id == deliveries[0].event_id


def test_an_unreachable_receiver_is_given_up_after_a_bounded_number_of_attempts(
    emu: LeapOCREmulator, make_receiver: Any, tmp_path: Path
) -> None:
    from leapocr_sdk import LeapOCR
    from leapocr_sdk.testing.webhooks import RETRY_DELAYS

    gone = make_receiver()
    gone.close()  # nothing listens there any more
    emu.add_webhook(gone.url, events=["job.created"])
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(["text"]))
    with LeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
        client.process_file(path)
    attempts = len(RETRY_DELAYS) + 1
    deliveries = wait_for(
        lambda: len(emu.webhook_deliveries) >= attempts and emu.webhook_deliveries
    )
    assert [d.attempt for d in deliveries] == list(range(1, attempts + 1))
    assert all(d.status_code is None and d.error for d in deliveries)
    emu.wait_for_job(deliveries[0].job_id)
    assert len(emu.webhook_deliveries) == attempts  # given up: no further attempt


def test_a_wrong_secret_is_refused_by_the_receiver(
    emu: LeapOCREmulator, make_receiver: Any, tmp_path: Path
) -> None:
    from leapocr_sdk import LeapOCR

    receiver = make_receiver(secret="not-the-secret")
    emu.add_webhook(receiver.url, events=["job.created"])
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf(["text"]))
    with LeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
        client.process_file(path)
    first = wait_for(lambda: emu.webhook_deliveries)[0]
    assert (first.attempt, first.status_code) == (1, 400)
    assert receiver.refused[0] == "signature_mismatch"
    assert receiver.events == []


def test_add_webhook_checks_its_arguments(emu: LeapOCREmulator) -> None:
    with pytest.raises(ValueError, match=r"job\.created"):
        emu.add_webhook("http://127.0.0.1:9/hooks", events=["job.done"])
    with pytest.raises(ValueError, match="http"):
        emu.add_webhook("ftp://127.0.0.1/hooks")
    first = emu.add_webhook("http://127.0.0.1:9/a")
    second = emu.add_webhook("http://127.0.0.1:9/b")
    assert first != second and len(first) > 32


def test_a_webhook_added_before_start_is_delivered_once_started(
    make_receiver: Any, tmp_path: Path
) -> None:
    from leapocr_sdk import LeapOCR

    receiver = make_receiver()
    emu = LeapOCREmulator(processing_seconds=0.05)
    receiver.secret = emu.add_webhook(receiver.url, events=["job.completed"])
    with emu:
        path = tmp_path / "a.pdf"
        path.write_bytes(make_pdf(["text"]))
        with LeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
            job = client.process_file(path)
        assert wait_for(lambda: receiver.events)[0].job_id == job.job_id
