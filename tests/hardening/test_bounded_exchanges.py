"""The blocking client bounds each exchange in the caller's own thread: a deadline, a
closed client and a stopping batch end a request in flight, also while its headers or
body trickle in; a caller's own ``httpx.Client`` is bounded too (and left as it was)."""

from __future__ import annotations

import json
import shutil
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leapocr_sdk import APITimeoutError, ConfigurationError, LeapOCR
from leapocr_sdk._bounded import BoundedBackend, bound_client, is_bounded
from tests.conftest import API_KEY
from tests.hardening.hostile import JOB, trickle, trickle_everything
from tests.reliability.test_keys import _TLSServer

STATUS = json.dumps({"id": JOB, "status": "processing", "file_name": "a.pdf"}).encode()
TRICKLES = pytest.mark.parametrize(
    "trickled", [trickle, trickle_everything], ids=["body", "headers"]
)


@TRICKLES
def test_a_callers_own_client_is_bounded_too_and_left_as_it_was(hostile, trickled):
    server = hostile(lambda h: trickled(h, STATUS, every=0.05, for_at_most=4.0))
    with (
        httpx.Client() as own,
        LeapOCR(API_KEY, base_url=server.base_url, http_client=own, timeout=0.5) as client,
    ):
        with pytest.raises(APITimeoutError, match="no answer in time"):
            client.with_options(max_retries=0).get_status(JOB)
        assert not is_bounded(own)
        assert not isinstance(own._transport._pool._network_backend, BoundedBackend)  # type: ignore[attr-defined]
    assert len(server.requests) == 1


@TRICKLES
def test_closing_the_client_ends_a_request_in_flight(hostile, trickled):
    # The request runs in the caller's thread (here a worker thread): closing the client
    # from another thread ends it while its reply still trickles in.
    server = hostile(lambda h: trickled(h, STATUS, every=0.05, for_at_most=30.0))
    client = LeapOCR(API_KEY, base_url=server.base_url, timeout=60, max_retries=0)
    assert is_bounded(client._http)
    outcome: list[BaseException | None] = []

    def call() -> None:
        try:
            client.get_status(JOB)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    while not server.requests:
        time.sleep(0.01)
    time.sleep(0.2)  # the reply has begun to trickle
    client.close()
    worker.join(15.0)
    assert not worker.is_alive(), "get_status still waiting 15 s after close()"
    (error,) = outcome
    assert isinstance(error, ConfigurationError)
    assert "closed" in str(error)


def test_a_request_after_a_bounded_one_uses_the_connection_as_usual(leapocr_emulator):
    # The bounds belong to one exchange: the kept-alive connection serves the next ones,
    # also from other threads, and a thread with no exchange running has none set.
    from leapocr_sdk._bounded import _current

    with LeapOCR(leapocr_emulator.api_key, base_url=leapocr_emulator.base_url) as client:
        job = client.process_url("https://example.com/a.pdf")
        threads = [
            threading.Thread(target=lambda: [client.get_status(job.job_id) for _ in range(20)])
            for _ in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert client.get_status(job.job_id).job_id == job.job_id
        assert getattr(_current, "bounds", None) is None
    assert leapocr_emulator.count("status") >= 81


@pytest.fixture
def tls_api(tmp_path: Path) -> Iterator[_TLSServer]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    server = _TLSServer(tmp_path)
    yield server
    server.stop()


def test_a_bounded_connection_speaks_tls(tls_api):
    # Reads and writes of a bounded connection go to the TLS socket itself.
    trusted = ssl.create_default_context(cafile=str(tls_api.cert))
    with (
        bound_client(httpx.Client(verify=trusted)) as own,
        LeapOCR(API_KEY, base_url=tls_api.base_url, http_client=own) as client,
    ):
        assert is_bounded(own)
        for _ in range(3):
            (model,) = client.list_models()
            assert model.name == "pro-v1"
    assert len(tls_api.received) == 3
    assert all(seen["x-api-key"] == API_KEY for seen in tls_api.received)
