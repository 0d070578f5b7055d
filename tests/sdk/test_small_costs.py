"""Smaller costs: generated models imported only as a call needs them, regular
files read on the event loop (no thread hop per chunk), debug log lines built only when on,
no cookies read from the answers of the SDK's own clients."""

from __future__ import annotations

import asyncio
import io
import logging
import subprocess
import sys

import httpx

from leapocr_sdk import LeapOCR
from leapocr_sdk._sources import open_source
from leapocr_sdk.testing import make_pdf
from tests.conftest import API_KEY
from tests.sdk.helpers import API, JOB, service_result

FIRST_CALL = """
import sys
import leapocr_sdk
from leapocr_sdk import _requests
_requests.get_result("job-1", 1, 1000)
loaded = [m for m in sys.modules if m.startswith("leapocr_sdk._generated.models.")]
from leapocr_sdk._generated.models import OCRResultResponse, ResultFormat
every = [m for m in sys.modules if m.startswith("leapocr_sdk._generated.models.")]
print(len(loaded), len(every), ResultFormat.__name__, OCRResultResponse.__name__)
"""


def test_a_call_imports_only_the_models_it_needs_and_the_package_still_works():
    done = subprocess.run(
        [sys.executable, "-c", FIRST_CALL], capture_output=True, text=True, check=True
    )
    loaded, every, *names = done.stdout.split()
    assert int(loaded) < int(every) // 2
    assert names == ["ResultFormat", "OCRResultResponse"]


def test_regular_files_and_bytes_are_read_in_place_streams_in_a_thread(tmp_path):
    document = make_pdf(["one page"])
    path = tmp_path / "doc.pdf"
    path.write_bytes(document)
    with open_source(path, None) as source:
        assert source.reads_may_block is False
    with open_source(document, None) as source:
        assert source.reads_may_block is False
    with open_source(io.BytesIO(document), "doc.pdf") as source:
        assert source.reads_may_block is True


def test_each_reply_is_logged_at_debug_level_only(api, base_url, make_client, caplog):
    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_json(
        service_result([(1, "a")]), status=200
    )
    client = make_client(base_url=base_url)
    with caplog.at_level(logging.INFO, logger="leapocr_sdk"):
        client.get_result(JOB)
    assert not [r for r in caplog.records if r.name == "leapocr_sdk"]
    with caplog.at_level(logging.DEBUG, logger="leapocr_sdk"):
        client.get_result(JOB)
    lines = [r.getMessage() for r in caplog.records if r.name == "leapocr_sdk"]
    assert any(line.endswith(f"/ocr/result/{JOB} -> 200") for line in lines)


def test_the_sdks_own_clients_keep_no_cookies_a_callers_own_keeps_them(api, base_url, make_client):
    # The API knows a request by its key: the SDK's clients skip reading answers for
    # cookies (a third of httpx's cost of a small answer) and so never send one back.
    api.expect_request(f"{API}/ocr/status/{JOB}").respond_with_json(
        {"id": JOB, "status": "processing"}, headers={"Set-Cookie": "lb=node-1; Path=/"}
    )
    client = make_client(base_url=base_url)
    assert client.get_status(JOB).status == "processing"
    assert client.get_status(JOB).status == "processing"
    with httpx.Client() as own, LeapOCR(API_KEY, base_url=base_url, http_client=own) as theirs:
        theirs.get_status(JOB)
        theirs.get_status(JOB)
        assert own.cookies.get("lb") == "node-1"  # a caller's own client: as httpx does
    sent = [request.headers.get("Cookie") for request, _ in api.log]
    assert sent == [None, None, None, "lb=node-1"]


def test_the_blocking_clients_api_pool_keeps_as_few_idle_connections_as_httpx(flavor):
    # httpcore looks at every pooled connection on each request and release: threads
    # sharing a blocking client would pay on every call for each idle one kept. Its API
    # pool keeps httpx's default; part uploads and the async client keep all of theirs.
    from leapocr_sdk import AsyncLeapOCR

    def pool(http: httpx.Client | httpx.AsyncClient) -> tuple[int, int]:
        inner = http._transport._pool  # type: ignore[union-attr]
        return inner._max_connections, inner._max_keepalive_connections

    if flavor == "sync":
        with LeapOCR(API_KEY, base_url="http://127.0.0.1:9/api/v1", upload_concurrency=6) as c:
            assert pool(c._http) == (100, 20)  # httpx's own default
            assert pool(c._uploads()) == (100, 100)
    else:
        client = AsyncLeapOCR(API_KEY, base_url="http://127.0.0.1:9/api/v1")
        assert pool(client._http) == (100, 100)
        asyncio.run(client.aclose())
