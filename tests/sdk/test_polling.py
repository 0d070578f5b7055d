"""wait_until_done: what ends the wait, what each poll reports, how the interval grows,
and that the whole wait keeps to its timeout (an injected clock: no real waiting)."""

from __future__ import annotations

import itertools
import math

import pytest

from leapocr_sdk import JobFailedError, JobStatus, JobStatusInfo, WaitTimeoutError
from leapocr_sdk import _constants as C
from tests.sdk.helpers import (
    API,
    JOB,
    Script,
    json_response,
    reference_result,
    reference_status,
    service_error,
    service_result,
    service_result_status,
)


def running(processed: int = 0, total: int = 4, status: str = "processing"):
    return json_response(
        service_result_status(status, processed_pages=processed, total_pages=total), 202
    )


def virtual_clock(make_client, **kwargs):
    """A client whose clock is the sum of the sleeps it asked for (plus ``extra``)."""
    box: dict = {"extra": 0.0}
    client = make_client(clock=lambda: box["extra"] + sum(box["client"].sleeps), **kwargs)
    box["client"] = client
    return client, box


def test_polls_until_completed_reporting_every_poll(api, base_url, make_client):
    script = Script(
        running(status="pending"),
        running(1, 4),
        json_response(reference_status("processing", 0.75), 202),
        json_response(service_result([(1, "a"), (2, "b"), (3, "c"), (4, "d")])),
    )
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(script)
    seen: list[JobStatusInfo] = []
    client = make_client(base_url=base_url)

    result = client.wait_until_done(JOB, poll_interval=1.0, on_progress=seen.append)

    assert result.status is JobStatus.COMPLETED
    assert [p.text for p in result.pages] == ["a", "b", "c", "d"]
    assert script.count == 4
    assert [(i.job_id, i.status, i.progress) for i in seen] == [
        (JOB, JobStatus.PENDING, 0.0),
        (JOB, JobStatus.PROCESSING, 0.25),
        (JOB, JobStatus.PROCESSING, 0.75),
        (JOB, JobStatus.COMPLETED, 1.0),
    ]
    assert seen[1].processed_pages == 1 and seen[1].total_pages == 4
    # within the documented bounds (when within them is test_poll_policy's subject)
    assert len(client.sleeps) == 3
    assert all(C.POLL_MIN_FACTOR <= s <= C.POLL_CAP_FACTOR for s in client.sleeps)


def test_partially_done_ends_the_wait(api, base_url, make_client):
    script = Script(
        running(2, 3),
        json_response(service_result([(1, "x"), (3, "z")], status="partially_done", total=3)),
    )
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(script)
    seen: list[JobStatusInfo] = []
    result = make_client(base_url=base_url).wait_until_done(JOB, on_progress=seen.append)
    assert result.status is JobStatus.PARTIALLY_DONE
    assert [p.page_number for p in result.pages] == [1, 3]
    assert seen[-1].status is JobStatus.PARTIALLY_DONE


def test_reference_shapes_end_the_wait(api, base_url, make_client):
    script = Script(
        json_response(reference_status("processing", 0.5), 202),
        json_response(reference_result([(1, "only page", None)], data={"k": "v"})),
    )
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(script)
    result = make_client(base_url=base_url).wait_until_done(JOB)
    assert result.data == {"k": "v"}
    assert result.pages[0].text == "only page"


def test_finished_status_without_a_readable_result_polls_again(api, base_url, make_client):
    script = Script(
        running(4, 4, status="completed"),
        json_response(service_result([(1, "done")])),
    )
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url)
    assert client.wait_until_done(JOB).pages[0].text == "done"
    assert script.count == 2 and len(client.sleeps) == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (running(1, 4, status="failed"), "from the status endpoint"),
        (
            json_response(
                service_result_status("failed", error_message="Failed to process page 5"), 202
            ),
            "Failed to process page 5",
        ),
        (json_response(reference_status("failed", 0.25), 202), "from the status endpoint"),
    ],
    ids=["service-no-reason", "service-reason", "reference"],
)
def test_failed_raises_job_failed(api, base_url, make_client, answer, reason):
    script = Script(running(0, 4), answer)
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(script)
    # Without a reason in the answer, the SDK asks the status endpoint for one.
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(
        {"id": JOB, "status": "failed", "error_message": "from the status endpoint"}
    )
    seen: list[JobStatusInfo] = []
    with pytest.raises(JobFailedError) as info:
        make_client(base_url=base_url).wait_until_done(JOB, on_progress=seen.append)
    assert info.value.job_id == JOB
    assert info.value.error_message == reason
    assert reason in str(info.value)
    assert [i.status for i in seen] == [JobStatus.PROCESSING, JobStatus.FAILED]
    status_calls = [r for r, _ in api.log if "/ocr/status/" in r.path]
    assert len(status_calls) == (0 if reason == "Failed to process page 5" else 1)


def test_without_progress_the_interval_grows_gently_up_to_a_cap(api, base_url, make_client):
    pending = [running(0, 20, status="pending") for _ in range(15)]
    script = Script(*pending, json_response(service_result([(1, "x")])))
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url)

    client.wait_until_done(JOB, poll_interval=0.5, timeout=600)

    sleeps = client.sleeps
    assert len(sleeps) == 15
    assert sleeps[0] == 0.5
    assert sleeps == sorted(sleeps)
    assert all(1.0 < b / a <= 1.5 for a, b in itertools.pairwise(sleeps) if b < max(sleeps))
    cap = 0.5 * C.POLL_CAP_FACTOR
    assert max(sleeps) == pytest.approx(cap)
    assert sleeps[-3:] == pytest.approx([cap] * 3)


def test_total_wait_respects_the_timeout(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(Script(running(1, 4)))
    client, _box = virtual_clock(make_client, base_url=base_url)
    seen: list[JobStatusInfo] = []

    with pytest.raises(WaitTimeoutError) as info:
        client.wait_until_done(JOB, poll_interval=2.0, timeout=11.0, on_progress=seen.append)

    assert sum(client.sleeps) == pytest.approx(11.0)  # the last sleep was cut short
    assert client.sleeps[:3] == pytest.approx([2.0, 2.5, 3.125])
    assert client.sleeps[-1] < 2.0 * C.POLL_GROWTH ** (len(client.sleeps) - 1)
    assert len(seen) == len(client.sleeps) + 1  # a poll after the last sleep, then give up
    last = info.value.last_status
    assert last is not None and last.status is JobStatus.PROCESSING
    assert info.value.timeout == 11.0


def test_time_spent_in_requests_counts_against_the_timeout(api, base_url, make_client):
    client, box = virtual_clock(make_client, base_url=base_url)

    def slow_poll(_request):
        box["extra"] += 3.0  # each poll "takes" three seconds
        return running(1, 4)

    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(slow_poll)

    with pytest.raises(WaitTimeoutError):
        client.wait_until_done(JOB, poll_interval=1.0, timeout=10.0)

    polls = len(api.log)
    assert polls == 3  # 3 s, sleep 1, 3 s, sleep 1.25, 3 s: past 10 s
    assert sum(client.sleeps) + 3.0 * polls <= 10.0 + 3.0
    assert sum(client.sleeps) < 10.0


def test_a_failed_poll_is_retried_within_the_wait(api, base_url, make_client):
    script = Script(
        running(1, 2),
        json_response(service_error("SYSTEM_ERROR", "hiccup"), 503, {"Retry-After": "1"}),
        json_response(service_result([(1, "p1"), (2, "p2")])),
    )
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url)
    result = client.wait_until_done(JOB, poll_interval=3.0)
    assert [p.text for p in result.pages] == ["p1", "p2"]
    assert client.sleeps == [3.0, 1.0]  # poll interval, then the 503's Retry-After


def test_wait_fetches_every_result_page(api, base_url, make_client):
    total = 7

    first = [True]  # the first page-1 request finds the job still running

    def answer(request):
        page, limit = int(request.args["page"]), int(request.args["limit"])
        if page == 1 and first[0]:
            first[0] = False
            return running(3, total)
        numbers = range((page - 1) * limit + 1, min(page * limit, total) + 1)
        # Claim a small page size so that the SDK must follow the pagination.
        return json_response(
            service_result(
                [(n, f"t{n}") for n in numbers],
                page=page,
                limit=limit,
                total=total,
                total_pages=math.ceil(total / limit),
            )
        )

    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(answer)
    result = make_client(base_url=base_url).wait_until_done(JOB)
    assert [p.text for p in result.pages] == [f"t{n}" for n in range(1, total + 1)]


def test_first_poll_of_a_job_this_client_just_submitted_waits_one_interval(
    api, base_url, make_client
):
    api.expect_request(f"{API}/ocr/uploads/url", method="POST").respond_with_json(
        {"job_id": JOB, "status": "pending"}
    )
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(
        Script(running(), json_response(service_result([(1, "a")])))
    )
    client, _box = virtual_clock(make_client, base_url=base_url)

    job = client.process_url("https://example.com/a.pdf")
    result = client.wait_until_done(job.job_id, poll_interval=1.5)

    assert [p.text for p in result.pages] == ["a"]
    assert client.sleeps[0] == pytest.approx(1.5)  # no poll right after the submission
    assert len(client.sleeps) == 2  # then one interval between the two polls


def test_a_job_submitted_elsewhere_is_polled_at_once(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(service_result([(1, "a")]))
    client = make_client(base_url=base_url)

    client.wait_until_done(JOB, poll_interval=1.5)

    assert client.sleeps == []
