"""The clients against real hostile servers on 127.0.0.1: replies that trickle, never end or
inflate, bodies that echo the key, upload URLs and files that go bad mid-upload. Every test
runs against both clients."""

from __future__ import annotations

import gzip
import json
import threading
import time
import traceback

import attrs
import pytest

from leapocr_sdk import (
    APIError,
    APITimeoutError,
    UnexpectedResponseError,
    UploadError,
    WaitTimeoutError,
)
from leapocr_sdk import _constants as C
from leapocr_sdk._http import write_size
from tests.conftest import API_KEY
from tests.hardening.hostile import JOB, head, send_json, trickle, trickle_everything

STATUS = json.dumps({"id": JOB, "status": "processing", "file_name": "a.pdf"}).encode()


# --- timeouts that hold ---------------------------------------------------------------


@pytest.mark.parametrize("trickled", [trickle, trickle_everything], ids=["body", "headers"])
def test_a_trickling_reply_cannot_keep_get_status_busy(hostile, make_client, trickled):
    server = hostile(lambda h: trickled(h, STATUS, every=0.05, for_at_most=4.0))
    client = make_client(base_url=server.base_url, timeout=0.5, max_retries=0)
    with pytest.raises(APITimeoutError, match="no answer in time"):
        client.get_status(JOB)


def test_wait_until_done_holds_while_a_request_is_in_flight(hostile, make_client):
    server = hostile(lambda h: trickle(h, STATUS, every=0.05, for_at_most=4.0))
    client = make_client(base_url=server.base_url, timeout=30)
    with pytest.raises(WaitTimeoutError) as info:
        client.wait_until_done(JOB, timeout=0.5)
    assert isinstance(info.value.__cause__, APITimeoutError)
    assert len(server.requests) == 1  # no retry after the deadline


# --- memory ---------------------------------------------------------------------------


def _padded_status(padding: int) -> bytes:
    return STATUS[:-1] + b" " * padding + b"}"


def _endless(handler):
    """Chunked: a status whose JSON never seems to end (it does, after 3x the cap)."""
    head(handler, 200, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
    body = _padded_status(3 * C.MAX_REPLY_BYTES)
    for start in range(0, len(body), 1 << 16):
        chunk = body[start : start + (1 << 16)]
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    handler.wfile.write(b"0\r\n\r\n")


def test_an_endless_chunked_reply_is_refused_while_reading(hostile, make_client):
    server = hostile(_endless)
    client = make_client(base_url=server.base_url, max_retries=0)
    with pytest.raises(UnexpectedResponseError, match="larger than"):
        client.get_status(JOB)


def test_a_gzip_bomb_is_refused_while_reading(hostile, make_client):
    bomb = gzip.compress(_padded_status(2 * C.MAX_REPLY_BYTES), 9)
    assert len(bomb) < C.MAX_REPLY_BYTES // 100

    def respond(handler):
        head(
            handler,
            200,
            {
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
                "Content-Length": str(len(bomb)),
            },
        )
        handler.wfile.write(bomb)

    server = hostile(respond)
    client = make_client(base_url=server.base_url, max_retries=0)
    with pytest.raises(UnexpectedResponseError, match="larger than"):
        client.get_status(JOB)


# --- the key in bodies ----------------------------------------------------------------


def _forms(key: str) -> list[str]:
    json_escaped = "".join(f"\\u{ord(c):04x}" if c == "-" else c for c in key)
    percent = "".join(f"%{ord(c):02X}" if c == "-" else c for c in key)
    return [key, json_escaped, percent, "".join(f"%{ord(c):02x}" for c in key)]


@pytest.mark.parametrize("status", [200, 401])
def test_the_key_is_redacted_from_every_body_an_error_carries(hostile, make_client, status):
    forms = _forms(API_KEY)

    def respond(handler):
        page = "<html>X-API-Key: " + " / ".join(forms) + "</html>"
        data = page.encode()
        head(handler, status, {"Content-Type": "text/html", "Content-Length": str(len(data))})
        handler.wfile.write(data)

    server = hostile(respond)
    client = make_client(base_url=server.base_url, max_retries=0)
    with pytest.raises(Exception) as info:
        client.get_status(JOB)
    text = f"{info.value} {info.value!r} {vars(info.value)}"
    for form in forms:
        assert form not in text
    assert "<redacted>" in text


def _result_reply(body: bytes, status: int = 200):
    def respond(handler):
        headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        head(handler, status, headers)
        handler.wfile.write(body)

    return respond


def _with_key(template: dict | str) -> bytes:
    """``template`` (as JSON unless a string), each ``KEY`` in it one of the key's forms."""
    data = template.encode() if isinstance(template, str) else json.dumps(template).encode()
    for form in _forms(API_KEY):
        data = data.replace(b"KEY", form.encode(), 1)
    return data


# Result replies are not redacted as a whole (their pages are the caller's data): whatever
# of them reaches an error is.
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(("<html>KEY KEY KEY KEY</html>", 200), id="not-json"),
        pytest.param(({"status": "odd KEY KEY KEY KEY", "pages": []}, 200), id="status"),
        pytest.param(
            ({"status": "failed", "error_message": "KEY / KEY / KEY / KEY"}, 200), id="failed"
        ),
        pytest.param(
            ({"status": "completed", "file_name": "KEY KEY KEY KEY", "pages": {"1": 1}}, 200),
            id="pages-not-a-list",
        ),
        pytest.param(({"error": {"message": "KEY KEY KEY KEY"}}, 401), id="error"),
    ],
)
def test_the_key_is_redacted_from_every_error_a_result_reply_makes(
    hostile, make_client, body, caplog
):
    server = hostile(_result_reply(_with_key(body[0]), body[1]))
    client = make_client(base_url=server.base_url, max_retries=0)
    caplog.set_level("DEBUG")
    with pytest.raises(Exception) as info:
        client.get_result(JOB)
    # Every frame's locals, this test's too: none of them holds the key.
    with_locals = traceback.TracebackException.from_exception(info.value, capture_locals=True)
    text = f"{info.value} {info.value!r} {vars(info.value)} {caplog.text}"
    text += "".join(with_locals.format())
    for form in _forms(API_KEY):
        assert form not in text
    assert "<redacted>" in text


def test_a_result_s_fields_are_redacted_and_its_pages_read_as_sent(hostile, make_client, caplog):
    forms = _forms(API_KEY)
    template = {
        "job_id": JOB,
        "status": "completed",
        "file_name": "KEY.pdf",
        "model": "KEY",
        "template_name": "KEY",
        "data": {"note": "KEY"},
        "pages": [{"page_number": 1, "result": "the key is " + API_KEY}],
        "pagination": {"total_pages": 1},
    }
    server = hostile(_result_reply(_with_key(template)))
    client = make_client(base_url=server.base_url, max_retries=0)
    caplog.set_level("DEBUG")
    result = client.get_result(JOB)
    assert result.pages[0].text == "the key is " + API_KEY  # the caller's data, as sent
    fields = f"{result.to_dict()['file_name']} {result.model} {result.template_name} {result.data}"
    assert fields.count("<redacted>") == 4
    text = f"{fields} {attrs.evolve(result, pages=())!r} {caplog.text}"
    for form in forms:
        assert form not in text


# --- half-done uploads ----------------------------------------------------------------


@pytest.mark.parametrize("timeout", [0.01, 0.5, 1.0, 5.0, 60.0, 600.0])
def test_a_part_write_never_needs_more_than_the_minimum_upload_rate(timeout):
    # Each write of a part body must be taken within the client's timeout; a write holds
    # no more than MIN_UPLOAD_RATE sends in that time (above the smallest write).
    size = write_size(timeout)
    assert C.UPLOAD_MIN_WRITE <= size <= C.UPLOAD_CHUNK_SIZE
    assert size == C.UPLOAD_MIN_WRITE or size / C.MIN_UPLOAD_RATE <= timeout
    assert timeout < 16 or size == C.UPLOAD_CHUNK_SIZE  # the default timeout: full chunks


def test_a_storage_host_that_never_reads_a_part_cannot_keep_process_file_busy(
    leapocr_emulator, never_reads, diverting_proxy, make_client
):
    # The emulator hands out upload URLs pointing at a host that accepts the PUT and
    # never reads its body: every part write stalls once the socket buffers are full.
    proxy = diverting_proxy(leapocr_emulator.url, never_reads.origin)
    client = make_client(
        base_url=proxy.base_url, api_key=leapocr_emulator.api_key, timeout=1.0, max_retries=1
    )
    document = b"%PDF-1.7\n" + b"x" * (12 * 1024 * 1024)
    outcome: list[BaseException | None] = []

    def upload() -> None:
        try:
            client.process_file(document, file_name="stalled.pdf")
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=upload, daemon=True)
    worker.start()
    worker.join(30.0)
    elapsed = time.monotonic() - started
    assert not worker.is_alive(), "process_file still busy after 30 s with timeout=1"
    # Two attempts per part (max_retries=1), each ending about 1 s after the write stalls,
    # then one bounded delete.
    assert elapsed < 2 * 1.0 + C.CLEANUP_TIMEOUT + 5.0
    (error,) = outcome
    assert isinstance(error, UploadError)
    assert isinstance(error.__cause__, UploadError)
    assert isinstance(error.__cause__.__cause__, APITimeoutError)
    assert "in time" in str(error)
    assert never_reads.accepted >= 2
    # Counted on the emulator: the one job made was deleted, complete was never sent.
    (job,) = leapocr_emulator.jobs.values()
    assert job.deleted_at is not None
    assert error.job_id == job.id and error.job_deleted is True
    assert leapocr_emulator.count("complete") == 0


def test_a_file_that_shrinks_during_upload_deletes_the_job(upload_service, make_client, tmp_path):
    size = 3 * C.UPLOAD_CHUNK_SIZE
    path = tmp_path / "shrinking.pdf"
    path.write_bytes(b"%PDF-1.7" + b"x" * (size - 8))
    service = upload_service([size // 3, size - size // 3])

    def shrink(sent, total):
        if sent >= C.UPLOAD_CHUNK_SIZE // 2:
            with open(path, "r+b") as handle:
                handle.truncate(C.UPLOAD_CHUNK_SIZE // 2)

    client = make_client(base_url=service.server.base_url, upload_concurrency=1)
    with pytest.raises(UploadError) as info:
        client.process_file(path, on_upload_progress=shrink)
    assert info.value.part_number in (1, 2)
    assert info.value.job_deleted is True
    assert "shorter" in str(info.value)
    assert service.deletes == [f"/api/v1/ocr/delete/{JOB}"]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:99999/p", "http://127.0.0.1/p\x00q", "http://127.0.0.1/\ud800"]
)
def test_a_bad_upload_url_from_the_server_deletes_the_job(upload_service, make_client, url):
    service = upload_service([10, 10], urls={2: url})
    client = make_client(base_url=service.server.base_url)
    with pytest.raises(UploadError) as info:
        client.process_file(b"%PDF-1.7" + b"x" * 12)
    assert info.value.part_number == 2
    assert info.value.job_deleted is True
    assert service.deletes == [f"/api/v1/ocr/delete/{JOB}"]


@pytest.mark.parametrize("bad_id", ["..", "a/b", "x\u0000y"])
def test_a_job_id_unsafe_in_a_path_is_refused(hostile, make_client, bad_id):
    server = hostile(lambda h: send_json(h, {"job_id": bad_id, "status": "pending"}))
    client = make_client(base_url=server.base_url)
    with pytest.raises(UnexpectedResponseError, match="not safe"):
        client.process_url("https://docs.example/a.pdf")
    assert len(server.requests) == 1


def test_a_raising_progress_callback_deletes_the_job(upload_service, make_client):
    service = upload_service([10, 10])

    def explode(sent, total):
        raise ZeroDivisionError("callback bug")

    client = make_client(base_url=service.server.base_url, upload_concurrency=1)
    with pytest.raises(ZeroDivisionError) as info:
        client.process_file(b"%PDF-1.7" + b"x" * 12, on_upload_progress=explode)
    assert f"job {JOB} was deleted" in "".join(info.value.__notes__)
    assert service.deletes == [f"/api/v1/ocr/delete/{JOB}"]


# --- budgets: retries and paging ------------------------------------------------------


def test_retry_after_60_during_wait_until_done_5_gives_up_in_time(hostile, make_client):
    def respond(handler):
        data = b'{"error": {"code": "RATE_LIMITED", "message": "slow down"}}'
        head(handler, 429, {"Retry-After": "60", "Content-Length": str(len(data))})
        handler.wfile.write(data)

    server = hostile(respond)
    client = make_client(base_url=server.base_url)
    with pytest.raises(WaitTimeoutError) as info:
        client.wait_until_done(JOB, timeout=5)
    assert client.sleeps == []  # never a 60 s sleep inside a 5 s wait
    cause = info.value.__cause__
    assert isinstance(cause, APIError) and cause.status_code == 429
    assert "HTTP 429" in "".join(info.value.__notes__)


def test_result_paging_stops_when_pages_add_nothing(hostile, make_client):
    def respond(handler):
        body = {"status": "completed", "pages": [], "pagination": {"total_pages": 50}}
        send_json(handler, body)

    server = hostile(respond)
    client = make_client(base_url=server.base_url)
    with pytest.raises(UnexpectedResponseError, match="adds no new pages"):
        client.get_result(JOB)
    # Page 1, then at most one window of concurrent requests and one of answers held
    # ahead of request 2 (not the 50 the server announced): those still out when request
    # 2 adds nothing are stopped, some before the server saw them.
    assert 2 <= len(server.requests) <= 1 + 2 * C.RESULT_FETCH_CONCURRENCY


def test_400_digit_numbers_in_a_status_are_no_overflow(hostile, make_client):
    huge = "9" * 400
    body = f'{{"id": "{JOB}", "status": "processing", "progress": {huge}, '
    body += f'"processed_pages": {huge}, "total_pages": {huge}}}'

    def respond(handler):
        data = body.encode()
        head(handler, 200, {"Content-Type": "application/json", "Content-Length": str(len(data))})
        handler.wfile.write(data)

    server = hostile(respond)
    info = make_client(base_url=server.base_url).get_status(JOB)
    assert 0.0 <= info.progress <= 1.0
    assert info.processed_pages is None and info.total_pages is None
