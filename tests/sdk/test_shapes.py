"""Both wire shapes (docs/wire.md) parse: job status (service and reference), results
(paginated service pages with ``result``; reference pages with ``text``/``data``),
the document-level ``data`` rules, every status value, and result pagination."""

from __future__ import annotations

import math
import random
import time

import pytest

from leapocr_sdk import JobNotReadyError, JobStatus, PageResult, UnexpectedResponseError
from leapocr_sdk import _constants as C
from leapocr_sdk._contract import RESULT_PAGE_LIMIT_MAX
from tests.sdk.helpers import (
    API,
    JOB,
    Script,
    api_log,
    json_response,
    reference_result,
    reference_status,
    service_result,
    service_result_status,
    service_status,
)

INVOICE = {"invoice_number": "INV-2024-001", "total": 1234.56}

# --- status -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "progress", "processed", "total", "error"),
    [
        (service_status("pending"), JobStatus.PENDING, 0.0, None, None, None),
        (
            service_status("processing", processed=3, total=12),
            JobStatus.PROCESSING,
            0.25,
            3,
            12,
            None,
        ),
        (
            service_status("completed", processed=12, total=12),
            JobStatus.COMPLETED,
            1.0,
            12,
            12,
            None,
        ),
        (
            service_status("partially_done", processed=10, total=12),
            JobStatus.PARTIALLY_DONE,
            1.0,
            10,
            12,
            None,
        ),
        (
            service_status(
                "failed", processed=4, total=16, error_message="Failed to process page 5"
            ),
            JobStatus.FAILED,
            0.25,
            4,
            16,
            "Failed to process page 5",
        ),
        (
            service_status("processing", error_message=""),
            JobStatus.PROCESSING,
            0.0,
            None,
            None,
            None,
        ),
        (reference_status("pending", 0.0), JobStatus.PENDING, 0.0, None, None, None),
        (reference_status("processing", 0.4), JobStatus.PROCESSING, 0.4, None, None, None),
        (reference_status("completed", 1.0), JobStatus.COMPLETED, 1.0, None, None, None),
        (reference_status("failed", 0.5), JobStatus.FAILED, 0.5, None, None, None),
    ],
    ids=[
        "service-pending",
        "service-processing",
        "service-completed",
        "service-partially_done",
        "service-failed",
        "service-empty-error",
        "reference-pending",
        "reference-processing",
        "reference-completed",
        "reference-failed",
    ],
)
def test_status_shapes(api, base_url, make_client, body, status, progress, processed, total, error):
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(body)
    info = make_client(base_url=base_url).get_status(JOB)
    assert info.job_id == JOB
    assert info.status is status
    assert info.progress == pytest.approx(progress)
    assert 0.0 <= info.progress <= 1.0
    assert (info.processed_pages, info.total_pages) == (processed, total)
    assert info.error_message == error


def test_status_values_are_case_insensitive(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(
        {"id": JOB, "status": "Partially_Done"}
    )
    assert make_client(base_url=base_url).get_status(JOB).status is JobStatus.PARTIALLY_DONE


@pytest.mark.parametrize("raw", ["exploded", "", None, 3])
def test_unknown_status_is_an_unexpected_response(api, base_url, make_client, raw):
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json({"id": JOB, "status": raw})
    with pytest.raises(UnexpectedResponseError, match="status") as info:
        make_client(base_url=base_url).get_status(JOB)
    assert info.value.status_code == 200


def test_status_finished_flags():
    finished = {s for s in JobStatus if s.is_finished}
    assert finished == {JobStatus.COMPLETED, JobStatus.PARTIALLY_DONE, JobStatus.FAILED}


# --- results: the service's shape -------------------------------------------------------


def test_service_markdown_result(api, base_url, make_client):
    body = service_result(
        [(2, "## Page two"), (1, "# Page one"), (3, "")],  # out of order
        result_format="markdown",
        credits_used=9,
        model="pro-v1",
    )
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(body)

    result = make_client(base_url=base_url).get_result(JOB)

    assert result.job_id == JOB
    assert result.status is JobStatus.COMPLETED
    assert (result.credits_used, result.model, result.result_format) == (9, "pro-v1", "markdown")
    assert result.processing_time_seconds is None
    assert [p.page_number for p in result.pages] == [1, 2, 3]
    assert result.pages[0] == PageResult(1, "# Page one", None, "# Page one")
    assert result.pages[2].text == ""  # an empty page is still a markdown page
    assert all(p.data is None for p in result.pages)
    assert result.data is None
    assert result.markdown == "# Page one\n\n## Page two\n\n"


def test_service_structured_result(api, base_url, make_client):
    body = service_result([(1, INVOICE)], result_format="structured")
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(body)

    result = make_client(base_url=base_url).get_result(JOB)

    (page,) = result.pages
    assert page == PageResult(1, None, INVOICE, INVOICE)
    assert result.data == INVOICE  # no document-level data: the first page's object
    assert result.result_format == "structured"
    assert result.markdown == ""


def test_service_per_page_structured_result_data_is_first_page(api, base_url, make_client):
    pages = [(3, {"n": 3}), (1, {"n": 1, "nested": {"a": [1, 2]}}), (2, {"n": 2})]
    body = service_result(pages, result_format="per_page_structured")
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(body)

    result = make_client(base_url=base_url).get_result(JOB)

    assert [p.data for p in result.pages] == [{"n": 1, "nested": {"a": [1, 2]}}, {"n": 2}, {"n": 3}]
    assert result.data == {"n": 1, "nested": {"a": [1, 2]}}
    assert all(p.text is None for p in result.pages)


def test_service_partially_done_result(api, base_url, make_client):
    body = service_result([(1, "ok"), (3, "ok too")], status="partially_done", total=3)
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(body)
    result = make_client(base_url=base_url).get_result(JOB)
    assert result.status is JobStatus.PARTIALLY_DONE
    assert [p.page_number for p in result.pages] == [1, 3]


@pytest.mark.parametrize(
    "body",
    [
        service_result_status("processing", processed_pages=2, total_pages=5),
        service_result_status("pending"),
        reference_status("processing", 0.3),
    ],
    ids=["service-processing", "service-pending", "reference-processing"],
)
def test_result_while_running_raises_job_not_ready(api, base_url, make_client, body):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(body, status=202)
    with pytest.raises(JobNotReadyError) as info:
        make_client(base_url=base_url).get_result(JOB)
    assert info.value.job_id == JOB
    assert info.value.status == body["status"]
    assert JOB in str(info.value) and "wait_until_done" in str(info.value)
    assert len(api.log) == 1  # a 202 is an answer, not something to retry


def test_result_200_saying_processing_raises_job_not_ready(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(
        {"job_id": JOB, "status": "processing", "pages": []}
    )
    with pytest.raises(JobNotReadyError) as info:
        make_client(base_url=base_url).get_result(JOB)
    assert info.value.status == "processing"


def test_non_json_result_is_an_unexpected_response(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_data(
        "<html>maintenance</html>", content_type="text/html"
    )
    with pytest.raises(UnexpectedResponseError, match="maintenance") as info:
        make_client(base_url=base_url).get_result(JOB)
    assert info.value.status_code == 200


def test_non_object_json_is_an_unexpected_response(api, base_url, make_client):
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(["completed"])
    with pytest.raises(UnexpectedResponseError, match="JSON object"):
        make_client(base_url=base_url).get_status(JOB)


# --- results: the reference's shape -------------------------------------------------------


def test_reference_result_from_the_api_reference(api, base_url, make_client):
    # The example of the published API reference, with a UUID job id.
    body = {
        "job_id": JOB,
        "status": "completed",
        "credits_used": 3,
        "processing_time_seconds": 45.2,
        "pages": [{"page_number": 1, "text": "Extracted text...", "data": INVOICE}],
        "data": INVOICE,
    }
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(body)

    result = make_client(base_url=base_url).get_result(JOB)

    assert result.job_id == JOB
    assert result.status is JobStatus.COMPLETED
    assert result.credits_used == 3
    assert result.processing_time_seconds == 45.2
    (page,) = result.pages
    assert (page.page_number, page.text, page.data) == (1, "Extracted text...", INVOICE)
    assert page.result == "Extracted text..."
    assert result.data == INVOICE


def test_reference_result_document_data_wins_over_pages(api, base_url, make_client):
    body = reference_result(
        [(1, "page one", {"page": 1}), (2, "page two", {"page": 2})],
        data={"document": True},
    )
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(body)
    result = make_client(base_url=base_url).get_result(JOB)
    assert result.data == {"document": True}
    assert [p.data for p in result.pages] == [{"page": 1}, {"page": 2}]
    assert result.status is JobStatus.COMPLETED  # no status in the body: it is finished
    assert result.job_id == JOB
    assert (result.credits_used, result.processing_time_seconds) == (2, 12.5)


def test_reference_result_without_document_data(api, base_url, make_client):
    body = reference_result([(2, None, {"page": 2}), (1, "cover page", None)])
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(body)
    result = make_client(base_url=base_url).get_result(JOB)
    assert [(p.page_number, p.text, p.data) for p in result.pages] == [
        (1, "cover page", None),
        (2, None, {"page": 2}),
    ]
    assert result.pages[1].result == {"page": 2}
    assert result.data == {"page": 2}  # the first page that has structured data


def test_reference_markdown_result_has_no_data(api, base_url, make_client):
    body = reference_result([(1, "# Title", None), (2, "Body", None)])
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(body)
    result = make_client(base_url=base_url).get_result(JOB)
    assert result.data is None
    assert result.markdown == "# Title\n\nBody"


# --- pagination ------------------------------------------------------------------------------


def test_every_result_page_fetched_in_order(api, base_url, make_client):
    """A result three responses long: the server paginates by the limit the SDK asks for."""
    seen: list[tuple[int, int]] = []
    shape: dict[str, int] = {}

    def answer(request):
        page, limit = int(request.args["page"]), int(request.args["limit"])
        seen.append((page, limit))
        if not shape:  # the first request fixes the size: two full pages and a half
            shape.update(limit=limit, total=2 * limit + max(limit // 2, 1))
        assert limit == shape["limit"], "the limit changed between pages"
        total = shape["total"]
        numbers = list(range((page - 1) * limit + 1, min(page * limit, total) + 1))
        random.Random(page).shuffle(numbers)  # pages within a response in any order
        return json_response(
            service_result(
                [(n, f"text of page {n}") for n in numbers],
                page=page,
                limit=limit,
                total=total,
                total_pages=math.ceil(total / limit),
                credits_used=total,
            )
        )

    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(answer)

    result = make_client(base_url=base_url).get_result(JOB)

    total = shape["total"]
    # the first request, then the others at once (in any order), all at the largest limit
    assert seen[0] == (1, RESULT_PAGE_LIMIT_MAX)
    assert sorted(page for page, _limit in seen) == [1, 2, 3]
    assert [p.page_number for p in result.pages] == list(range(1, total + 1))
    assert all(p.text == f"text of page {p.page_number}" for p in result.pages)
    assert result.credits_used == total
    assert sorted(r.args["page"] for r in api_log(api)) == ["1", "2", "3"]


def test_six_hundred_pages(api, base_url, make_client):
    """600 pages, paginated by whatever limit the SDK sends."""
    total = 600

    def answer(request):
        page, limit = int(request.args["page"]), int(request.args["limit"])
        numbers = range((page - 1) * limit + 1, min(page * limit, total) + 1)
        return json_response(
            service_result(
                [(n, {"page": n}) for n in reversed(numbers)],
                result_format="per_page_structured",
                page=page,
                limit=limit,
                total=total,
                total_pages=math.ceil(total / limit),
            )
        )

    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(answer)
    result = make_client(base_url=base_url).get_result(JOB)

    limit = int(api_log(api)[0].args["limit"])
    assert sorted(int(r.args["page"]) for r in api_log(api)) == list(
        range(1, math.ceil(total / limit) + 1)
    )
    assert [p.data for p in result.pages] == [{"page": n} for n in range(1, total + 1)]
    assert result.data == {"page": 1}


def test_server_capping_the_limit_is_followed(api, base_url, make_client):
    """A server that pages by its own, smaller limit: its pagination decides."""
    total, server_limit = 250, 60

    def answer(request):
        page = int(request.args["page"])
        numbers = range((page - 1) * server_limit + 1, min(page * server_limit, total) + 1)
        return json_response(
            service_result(
                [(n, f"p{n}") for n in numbers],
                page=page,
                limit=server_limit,
                total=total,
                total_pages=math.ceil(total / server_limit),
            )
        )

    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(answer)
    result = make_client(base_url=base_url).get_result(JOB)
    assert [p.page_number for p in result.pages] == list(range(1, total + 1))
    assert sorted(r.args["page"] for r in api_log(api)) == ["1", "2", "3", "4", "5"]


def test_later_result_page_retried_after_a_server_error(api, base_url, make_client):
    def page_of(request):
        page = int(request.args["page"])
        return json_response(
            service_result([(page, f"p{page}")], page=page, total=2, total_pages=2)
        )

    script = Script(page_of, json_response({}, 502), page_of)
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(script)
    client = make_client(base_url=base_url)
    result = client.get_result(JOB)
    assert [p.text for p in result.pages] == ["p1", "p2"]
    assert [r.args["page"] for r in script.requests] == ["1", "2", "2"]
    assert len(client.sleeps) == 1


def _paged(total: int, server_limit: int):
    """A handler paging ``total`` pages by ``server_limit``, each page's text naming it."""

    def answer(request):
        page = int(request.args["page"])
        numbers = range((page - 1) * server_limit + 1, min(page * server_limit, total) + 1)
        return json_response(
            service_result(
                [(n, f"p{n}") for n in numbers],
                page=page,
                limit=server_limit,
                total=total,
                total_pages=math.ceil(total / server_limit),
            )
        )

    return answer


def test_iter_pages_streams_every_page_in_order(api, base_url, make_client):
    """More requests than one window (RESULT_FETCH_CONCURRENCY): pages still in order."""
    total, server_limit = 100, 4  # 25 requests
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(_paged(total, server_limit))
    client = make_client(base_url=base_url)

    pages = list(client.iter_pages(JOB))

    assert [p.page_number for p in pages] == list(range(1, total + 1))
    assert [p.text for p in pages] == [f"p{n}" for n in range(1, total + 1)]
    assert sorted(int(r.args["page"]) for r in api_log(api)) == list(range(1, 26))
    assert client.get_result(JOB).pages == tuple(pages)


def test_iter_pages_of_a_running_job_is_not_ready(api, base_url, make_client):
    running = service_result_status("processing", processed_pages=1, total_pages=3)
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(running, status=202)
    with pytest.raises(JobNotReadyError):
        list(make_client(base_url=base_url).iter_pages(JOB))


def test_iter_pages_stops_at_a_page_adding_nothing(threaded_api, threaded_base_url, make_client):
    # A threaded server: the requests still out when paging stops are stopped by the
    # client, and one that reached the server is answered now, not after the test.
    def answer(request):  # every request answers with page 1 again
        return json_response(service_result([(1, "p1")], total=50, total_pages=50))

    threaded_api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(answer)
    seen = []
    with pytest.raises(UnexpectedResponseError, match="adds no new pages"):
        for page in make_client(base_url=threaded_base_url).iter_pages(JOB):
            seen.append(page.page_number)
    assert seen == [1]
    # The requests out when paging stopped were sent before it; the server answers (and logs)
    # each in its own thread, on a loaded machine well after the client has returned. Wait
    # until its log is still, so each is counted here and none lands in the log of a later
    # test (the threaded server is shared by the session).
    count, still_since = len(api_log(threaded_api)), time.monotonic()
    while time.monotonic() - still_since < 0.5:
        time.sleep(0.05)
        if len(api_log(threaded_api)) != count:
            count, still_since = len(api_log(threaded_api)), time.monotonic()
    # The first request, the window out when page 2 added nothing and at most one window
    # of answers that came before it.
    assert count <= 1 + 2 * C.RESULT_FETCH_CONCURRENCY
