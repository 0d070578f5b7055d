"""Direct uploads in several parts against a threaded local server: exact byte ranges,
out-of-order completion, bounded concurrency, ETags passed through byte for byte,
progress, per-part retries, and what happens when a part cannot be uploaded."""

from __future__ import annotations

import pytest

from leapocr_sdk import (
    BadRequestError,
    InsufficientCreditsError,
    Job,
    JobStatus,
    LeapOCRError,
    UploadError,
)
from tests.conftest import API_KEY
from tests.sdk.helpers import (
    API,
    JOB,
    api_log,
    json_response,
    pdf_bytes,
    serve_upload,
    service_error,
    split,
)

MIB = 1024 * 1024
UNEVEN = [300_000, 100_001, 500_000, 148_575]  # 1 MiB in four uneven parts


def check_parts(state, data: bytes) -> None:
    """Every PUT carried exactly its part's inclusive byte range, and no API headers."""
    for number, body, headers in state.puts:
        start, end = state.ranges[number - 1]
        assert body == data[start : end + 1], f"part {number} got the wrong bytes"
        assert int(headers["Content-Length"]) == end - start + 1
        lowered = {name.lower() for name in headers}
        assert "x-api-key" not in lowered and "authorization" not in lowered
        assert API_KEY not in str(headers)


def expected_complete(state) -> dict:
    return {
        "parts": [
            {"part_number": number, "etag": state.etags[number]}
            for number in range(1, len(state.ranges) + 1)
        ]
    }


def test_parts_uploaded_concurrently_out_of_order_then_completed_in_order(
    threaded_api, threaded_base_url, make_client
):
    data = pdf_bytes(MIB)
    # Once all four are in flight, part 1 is held longest and part 3 not at all: they
    # finish in a different order from the one they were issued in.
    state = serve_upload(
        threaded_api, split(MIB, UNEVEN), delays={1: 0.45, 2: 0.15, 3: 0.0, 4: 0.3}, gate=4
    )
    progress: list[tuple[int, int]] = []
    client = make_client(base_url=threaded_base_url, upload_concurrency=4)

    job = client.process_file(data, on_upload_progress=lambda s, t: progress.append((s, t)))

    assert job == Job(job_id=JOB, status=JobStatus.PENDING)
    assert state.initiates == [
        {
            "file_name": "document.pdf",
            "content_type": "application/pdf",
            "file_size": MIB,
            "format": "markdown",
            "model": "standard-v2",
        }
    ]
    assert sorted(state.attempts.items()) == [(1, 1), (2, 1), (3, 1), (4, 1)]
    check_parts(state, data)
    assert state.finish_order[0] == 3 and state.finish_order[-1] == 1
    assert state.max_in_flight == 4
    # complete: every part, ascending part_number, each ETag as returned (quotes included).
    assert state.completes == [expected_complete(state)]
    assert all(etag.startswith('"') and etag.endswith('"') for etag in state.etags.values())
    assert state.deletes == []
    # progress: reaches (total, total), never goes back, always reports the same total.
    assert progress[-1] == (MIB, MIB)
    assert all(total == MIB for _sent, total in progress)
    sent = [s for s, _t in progress]
    assert sent == sorted(sent)
    assert client.sleeps == []
    # The API calls came in the right order around the PUTs.
    methods = [(r.method, r.path.split("/")[-1]) for r, _ in threaded_api.log]
    assert methods[0] == ("POST", "direct") and methods[-1] == ("POST", "complete")


def test_large_part_is_streamed_in_chunks(threaded_api, threaded_base_url, make_client, tmp_path):
    size = 2 * MIB + 12_345
    data = pdf_bytes(size)
    path = tmp_path / "big.pdf"
    path.write_bytes(data)
    state = serve_upload(threaded_api, split(size, [MIB + MIB // 2, size - MIB - MIB // 2]))
    progress: list[tuple[int, int]] = []

    job = make_client(base_url=threaded_base_url).process_file(
        path, on_upload_progress=lambda s, t: progress.append((s, t))
    )

    assert job.job_id == JOB
    check_parts(state, data)
    assert state.initiates[0]["file_name"] == "big.pdf"
    assert state.completes == [expected_complete(state)]
    sent = [s for s, _t in progress]
    assert sent == sorted(sent) and sent[-1] == size
    assert len(set(sent)) >= 3, "a part larger than a chunk should report progress in steps"


@pytest.mark.parametrize("concurrency", [1, 3, None])
def test_upload_concurrency_is_bounded(threaded_api, threaded_base_url, make_client, concurrency):
    data = pdf_bytes(70_000)
    limit = 4 if concurrency is None else concurrency  # the documented default is 4
    # The server holds each PUT until `limit` are in flight, then a little longer: a client
    # keeping to the limit reaches it exactly; one exceeding it is seen doing so.
    state = serve_upload(
        threaded_api,
        split(70_000, [10_000] * 7),
        gate=limit,
        delays={n: 0.05 for n in range(1, 8)},
    )
    options = {} if concurrency is None else {"upload_concurrency": concurrency}
    client = make_client(base_url=threaded_base_url, **options)

    assert client.process_file(data).job_id == JOB

    assert state.max_in_flight == limit
    assert len(state.puts) == 7
    check_parts(state, data)
    assert state.completes == [expected_complete(state)]


def test_failed_part_is_retried_alone(threaded_api, threaded_base_url, make_client):
    data = pdf_bytes(30_000)
    state = serve_upload(
        threaded_api, split(30_000, [12_000, 9_000, 9_000]), failures={2: [500, 503]}
    )
    progress: list[tuple[int, int]] = []
    client = make_client(base_url=threaded_base_url)

    job = client.process_file(data, on_upload_progress=lambda s, t: progress.append((s, t)))

    assert job.job_id == JOB
    assert state.attempts == {1: 1, 2: 3, 3: 1}
    check_parts(state, data)  # every attempt of part 2 resent exactly its range
    assert len(state.bodies(2)) == 3
    assert state.completes == [expected_complete(state)]
    assert len(client.sleeps) == 2 and all(0 < s <= 8 for s in client.sleeps)
    assert progress[-1] == (30_000, 30_000)
    assert state.deletes == []


def test_part_retry_honours_retry_after(threaded_api, threaded_base_url, make_client):
    data = pdf_bytes(20_000)
    state = serve_upload(threaded_api, split(20_000, [10_000, 10_000]), failures={1: [429]})
    client = make_client(base_url=threaded_base_url)
    # The 429 from storage carries no Retry-After here: plain backoff.
    assert client.process_file(data).job_id == JOB
    assert state.attempts == {1: 2, 2: 1}
    assert len(client.sleeps) == 1


@pytest.mark.parametrize(
    ("failures", "max_retries", "attempts", "status"),
    [
        pytest.param([500] * 10, 2, 3, 500, id="500-always"),
        pytest.param([503] * 10, 0, 1, 503, id="503-no-retries"),
        pytest.param([403], 3, 1, 403, id="403-expired-url"),
        pytest.param([400], 3, 1, 400, id="400"),
    ],
)
def test_part_that_fails_for_good(
    threaded_api, threaded_base_url, make_client, failures, max_retries, attempts, status
):
    data = pdf_bytes(30_000)
    state = serve_upload(
        threaded_api,
        split(30_000, [10_000, 10_000, 10_000]),
        failures={2: failures},
        delays={1: 0.05, 3: 0.05},
    )
    client = make_client(base_url=threaded_base_url, max_retries=max_retries)

    with pytest.raises(UploadError) as info:
        client.process_file(data)

    error = info.value
    assert isinstance(error, LeapOCRError)
    assert error.part_number == 2
    assert error.status_code == status
    assert error.job_id == JOB
    assert error.job_deleted is True
    assert "part 2" in str(error) and str(status) in str(error)
    assert API_KEY not in str(error) and API_KEY not in repr(error)
    assert state.attempts[2] == attempts
    assert len(client.sleeps) >= attempts - 1
    assert state.completes == [], "complete must not be sent when a part failed"
    assert state.deletes == [f"{API}/ocr/delete/{JOB}"]
    assert api_log(threaded_api, "POST", f"{API}/ocr/uploads/{JOB}/complete") == []


def test_part_connection_failure_is_retried_then_reported(
    threaded_api, threaded_base_url, make_client, dead_url
):
    data = pdf_bytes(20_000)
    dead_part = dead_url.replace("/api/v1", "/storage/part-2?X-Amz-Signature=sig2")
    state = serve_upload(threaded_api, split(20_000, [10_000, 10_000]), urls={2: dead_part})
    client = make_client(base_url=threaded_base_url, max_retries=2)

    with pytest.raises(UploadError) as info:
        client.process_file(data)

    assert info.value.part_number == 2
    assert info.value.status_code is None
    assert "part 2" in str(info.value)
    assert len(client.sleeps) == 2  # retried max_retries times
    assert state.completes == []
    assert state.deletes == [f"{API}/ocr/delete/{JOB}"]


def test_missing_etag_is_an_upload_error(threaded_api, threaded_base_url, make_client):
    data = pdf_bytes(10_000)
    state = serve_upload(threaded_api, split(10_000, [10_000]), without_etag=frozenset({1}))

    with pytest.raises(UploadError, match="ETag") as info:
        make_client(base_url=threaded_base_url).process_file(data)

    assert info.value.part_number == 1
    assert state.completes == []
    assert state.deletes == [f"{API}/ocr/delete/{JOB}"]


def test_remote_plain_http_upload_url_is_refused(threaded_api, threaded_base_url, make_client):
    data = pdf_bytes(10_000)
    state = serve_upload(
        threaded_api,
        split(10_000, [10_000]),
        urls={1: "http://storage.example.com/bucket/doc?partNumber=1"},
    )
    with pytest.raises(UploadError, match="plain http") as info:
        make_client(base_url=threaded_base_url).process_file(data)
    assert info.value.job_deleted is True
    assert state.puts == [] and state.completes == []
    assert state.deletes == [f"{API}/ocr/delete/{JOB}"]


def test_parts_not_covering_the_file_are_refused(threaded_api, threaded_base_url, make_client):
    data = pdf_bytes(10_000)

    def ticket(_request):
        return json_response(
            {
                "job_id": JOB,
                "parts": [
                    {
                        "part_number": 1,
                        "start_byte": 0,
                        "end_byte": 4_999,
                        "upload_url": threaded_api.url_for("/storage/p1"),
                    },
                    {
                        "part_number": 2,
                        "start_byte": 6_000,  # a gap: bytes 5000..5999 would be lost
                        "end_byte": 9_999,
                        "upload_url": threaded_api.url_for("/storage/p2"),
                    },
                ],
            }
        )

    threaded_api.expect_request(f"{API}/ocr/uploads/direct").respond_with_handler(ticket)
    threaded_api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_json({})

    with pytest.raises(UploadError) as info:
        make_client(base_url=threaded_base_url).process_file(data)

    assert info.value.job_deleted is True
    assert [r.method for r, _ in threaded_api.log] == ["POST", "DELETE"]


def test_refused_initiation_uploads_nothing(threaded_api, threaded_base_url, make_client):
    threaded_api.expect_request(f"{API}/ocr/uploads/direct").respond_with_json(
        service_error("LESS_CREDITS", "not enough credits"), status=402
    )
    with pytest.raises(InsufficientCreditsError, match="not enough credits") as info:
        make_client(base_url=threaded_base_url).process_file(pdf_bytes(1000))
    assert (info.value.status_code, info.value.code) == (402, "LESS_CREDITS")
    assert len(threaded_api.log) == 1  # no retry, no PUT, nothing to delete


def test_refused_completion_deletes_the_job(threaded_api, threaded_base_url, make_client):
    data = pdf_bytes(20_000)
    refusal = json_response(service_error("BAD_REQUEST", "part 2 is missing"), 400)
    state = serve_upload(threaded_api, split(20_000, [10_000, 10_000]), complete_answer=refusal)

    with pytest.raises(BadRequestError, match="part 2 is missing") as info:
        make_client(base_url=threaded_base_url).process_file(data)

    assert info.value.status_code == 400
    assert len(state.puts) == 2 and len(state.completes) == 1
    assert state.deletes == [f"{API}/ocr/delete/{JOB}"]
    explained = " ".join([str(info.value), *getattr(info.value, "__notes__", [])])
    assert JOB in explained and "deleted" in explained
