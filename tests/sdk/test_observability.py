"""Seeing what the SDK does, sync and async: its INFO log (retries, 429 pauses, jobs), the
``LEAPOCR_LOG`` switch, no secret in any logger's records, and OpenTelemetry spans."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leapocr_sdk import UploadError
from leapocr_sdk.testing import make_pdf
from tests.sdk.helpers import API, JOB, pdf_bytes, serve_upload, split

ROOT = Path(__file__).resolve().parents[2]
UNREDACTED = re.compile(r"Signature=(?!<redacted>)", re.IGNORECASE)


class Capture(logging.Handler):
    """Every record of every logger, formatted as the application's handler would."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture
def info_log() -> Iterator[Capture]:
    """As ``logging.basicConfig(level=logging.INFO)``: a handler on the root logger."""
    root = logging.getLogger()
    capture = Capture()
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.INFO)
    yield capture
    root.removeHandler(capture)
    root.setLevel(level)


def test_an_info_log_of_a_batch_shows_retries_and_pauses_and_no_secret(
    leapocr_emulator_factory: Any, make_client: Any, info_log: Capture
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.05, api_key="sk-log-test-7f3a9c")
    emu.faults.fail("initiate", 429, headers={"Retry-After": "0.01"})
    emu.faults.fail("upload_part", 503)
    emu.faults.fail("result", 503, count=2)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url)
    documents = [make_pdf([f"page of document {n}", "second page"]) for n in range(3)]
    items = list(client.process_many(documents, concurrency=2, poll_interval=0.01))
    assert [item.ok for item in items] == [True, True, True]

    text = "\n".join(info_log.lines)
    sdk = [line for line in info_log.lines if line.startswith("leapocr_sdk:")]
    assert any("POST /ocr/uploads/direct: HTTP 429 (rate limited" in line for line in sdk)
    assert any(re.search(r"part 1: HTTP 503; retry 1 of 3 in \d", line) for line in sdk)
    assert any(re.search(r"GET /ocr/result/\S+: HTTP 503; retry 1 of 3 in", line) for line in sdk)
    assert any("batch: HTTP 429 on initiate; submissions paused for" in x for x in sdk)
    assert sum(" submitted: document.pdf" in line for line in sdk) == 3
    assert sum("finished completed: 2 pages, 2 credits" in line for line in sdk) == 3
    # httpx logged every upload, and its URL's signature is gone from the record.
    uploads = [r for r in emu.requests if r.route == "upload_part"]
    assert all("X-Signature" in r.query for r in uploads)
    puts = [line for line in info_log.lines if line.startswith("httpx:") and " PUT " in line]
    assert len(puts) == len(uploads) and all("X-Signature=<redacted>" in p for p in puts)
    assert emu.api_key not in text
    assert not UNREDACTED.search(text)
    for record in info_log.records:  # what any other handler would format
        assert emu.api_key not in record.getMessage()


def test_without_logging_configured_the_sdk_says_nothing(
    leapocr_emulator_factory: Any, make_client: Any, capsys: Any
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.02)
    emu.faults.fail("result", 503)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url)
    client.process(make_pdf(["a"]), poll_interval=0.01)
    captured = capsys.readouterr()
    assert "leapocr" not in captured.err and "retry" not in captured.err


SCRIPT = """
import asyncio
from leapocr_sdk import AsyncLeapOCR, LeapOCR
from leapocr_sdk.testing import LeapOCREmulator, make_pdf

with LeapOCREmulator(processing_seconds=0.02, api_key="sk-switch-0451") as emu:
    emu.faults.fail("result", 503, count=2)
    with LeapOCR(emu.api_key, base_url=emu.base_url, max_retries=3) as client:
        client.process(make_pdf(["sync"]), poll_interval=0.01)

    async def main():
        async with AsyncLeapOCR(emu.api_key, base_url=emu.base_url) as client:
            await client.process(make_pdf(["async"]), poll_interval=0.01)

    asyncio.run(main())
print("done")
"""


def run_with_switch(value: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEAPOCR_LOG": value}
    env.pop("LEAPOCR_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )


def test_leapocr_log_info_writes_a_readable_log_to_stderr() -> None:
    ran = run_with_switch("info")
    assert ran.stdout == "done\n"
    lines = ran.stderr.splitlines()
    assert all(" leapocr INFO " in line for line in lines), ran.stderr
    assert sum("submitted: document.pdf" in line for line in lines) == 2  # sync and async
    assert sum("finished completed: 1 pages, 1 credits" in line for line in lines) == 2
    assert sum("HTTP 503; retry" in line for line in lines) == 2
    assert "sk-switch-0451" not in ran.stderr and " -> 200" not in ran.stderr


def test_leapocr_log_debug_adds_each_request_and_never_a_signature() -> None:
    ran = run_with_switch("debug")
    assert re.search(r"leapocr DEBUG leapocr_sdk: GET http://127\.0\.0\.1:\d+/api/v1/", ran.stderr)
    assert re.search(r"PUT http://127\.0\.0\.1:\d+/\S+ -> 200", ran.stderr)
    assert "sk-switch-0451" not in ran.stderr
    assert not UNREDACTED.search(ran.stderr)


def test_an_unknown_leapocr_log_value_warns_and_logs_nothing() -> None:
    ran = run_with_switch("loud")
    assert "LEAPOCR_LOG='loud' is not 'info' or 'debug': ignored" in ran.stderr
    assert " leapocr INFO " not in ran.stderr


# --- OpenTelemetry ----------------------------------------------------------------------


def _reset_tracer_provider() -> None:
    # What OpenTelemetry's own test helpers do: the global provider may be set once.
    from opentelemetry import trace
    from opentelemetry.util._once import Once

    trace._TRACER_PROVIDER_SET_ONCE = Once()
    trace._TRACER_PROVIDER = None


@pytest.fixture
def spans() -> Iterator[Any]:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _reset_tracer_provider()
    trace.set_tracer_provider(provider)
    yield exporter
    _reset_tracer_provider()
    provider.shutdown()


def children(finished: Any, parent: Any) -> list[Any]:
    return [
        s for s in finished if s.parent is not None and s.parent.span_id == parent.context.span_id
    ]


def no_secrets(finished: Any, *secrets: str) -> None:
    for span in finished:
        values = " ".join(str(v) for v in span.attributes.values())
        values += " ".join(str(e.attributes) for e in span.events)
        for secret in secrets:
            assert secret not in values, span.name
        assert not UNREDACTED.search(values)


def test_process_file_is_one_span_tree_with_a_child_per_part(
    spans: Any, threaded_api: Any, make_client: Any
) -> None:
    data = pdf_bytes(40_000)
    state = serve_upload(threaded_api, split(len(data), [10_000] * 4))
    client = make_client(base_url=threaded_api.url_for(API), upload_concurrency=2)
    assert client.process_file(data, model="pro-v2").job_id == JOB
    assert len(state.puts) == 4

    finished = spans.get_finished_spans()
    roots = [s for s in finished if s.name == "leapocr.process_file"]
    assert len(roots) == 1
    root = roots[0]
    assert root.parent is None
    assert root.attributes["leapocr.job_id"] == JOB
    assert root.attributes["leapocr.model"] == "pro-v2"
    kids = children(finished, root)
    names = sorted(s.name for s in kids)
    assert names == ["leapocr.complete", "leapocr.initiate"] + ["leapocr.upload_part"] * 4
    assert sorted(
        s.attributes["leapocr.part_number"] for s in kids if s.name == "leapocr.upload_part"
    ) == [1, 2, 3, 4]
    assert {s.context.trace_id for s in finished} == {root.context.trace_id}
    assert all(s.attributes["leapocr.retry_count"] == 0 for s in kids)
    no_secrets(finished, "sk-test-0123456789abcdef", "sig1", "sig2")


def test_a_retried_part_and_a_failed_upload_are_recorded_in_spans(
    spans: Any, threaded_api: Any, make_client: Any
) -> None:
    data = pdf_bytes(20_000)
    serve_upload(
        threaded_api, split(len(data), [10_000] * 2), failures={2: [503, 503, 503, 503, 503]}
    )
    threaded_api.expect_request(f"{API}/ocr/delete/{JOB}", method="DELETE").respond_with_json(
        {"message": "deleted"}
    )
    client = make_client(base_url=threaded_api.url_for(API), max_retries=1)
    with pytest.raises(UploadError):
        client.process_file(data)
    finished = spans.get_finished_spans()
    (root,) = [s for s in finished if s.name == "leapocr.process_file"]
    assert not root.status.is_ok and root.attributes["leapocr.job_id"] == JOB
    assert any(event.name == "exception" for event in root.events)
    second = [
        s
        for s in children(finished, root)
        if s.name == "leapocr.upload_part" and s.attributes["leapocr.part_number"] == 2
    ]
    assert sorted(s.attributes["leapocr.retry_count"] for s in second) == [0, 1]
    assert all(s.attributes["http.response.status_code"] == 503 for s in second)
    assert [s.name for s in children(finished, root)].count("leapocr.delete") == 1


def test_waiting_batches_and_results_make_spans(
    spans: Any, leapocr_emulator_factory: Any, make_client: Any
) -> None:
    emu = leapocr_emulator_factory(processing_seconds=0.05)
    client = make_client(api_key=emu.api_key, base_url=emu.base_url)
    job = client.process_file(make_pdf(["one", "two"]))
    result = client.wait_until_done(job.job_id, poll_interval=0.01)
    spans.clear()
    client.wait_until_done(job.job_id, poll_interval=0.01)
    (wait,) = spans.get_finished_spans()[-1:]
    assert wait.name == "leapocr.wait_until_done"
    assert wait.attributes["leapocr.pages"] == 2 and wait.attributes["leapocr.credits"] == 2
    assert [e.name for e in wait.events] == ["leapocr.poll"]

    spans.clear()
    client.get_result(job.job_id)
    finished = spans.get_finished_spans()
    (get,) = [s for s in finished if s.name == "leapocr.get_result" and s.parent is None]
    assert [s.name for s in children(finished, get)] == ["leapocr.result"]  # one page request
    assert get.attributes["leapocr.job_id"] == result.job_id

    spans.clear()
    items = list(client.process_many([make_pdf(["a"]), make_pdf(["b"])], poll_interval=0.01))
    assert all(item.ok for item in items)
    finished = spans.get_finished_spans()
    (batch,) = [s for s in finished if s.name == "leapocr.process_many"]
    members = children(finished, batch)
    assert sorted(s.attributes["leapocr.phase"] for s in members) == [
        "submitted",
        "submitted",
        "waited",
        "waited",
    ]
    nested = [s for m in members for s in children(finished, m)]
    assert sorted({s.name for s in nested}) == ["leapocr.process_file", "leapocr.wait_until_done"]
    assert {s.context.trace_id for s in finished} == {batch.context.trace_id}
    no_secrets(finished, emu.api_key)


def test_without_a_tracer_provider_flows_are_not_wrapped() -> None:
    from leapocr_sdk import _flows
    from leapocr_sdk._tracing import traced

    _reset_tracer_provider()
    plan = _flows.get_status(_flows.Context(), JOB)
    assert traced("get_status", plan) is plan
    plan.close()


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        (
            "https://b.s3.amazonaws.com/k?partNumber=2&X-Amz-Credential=AKIA%2F1"
            "&X-Amz-Security-Token=tok&X-Amz-Signature=abc123",
            "partNumber=2",
        ),
        ("https://storage.googleapis.com/b/o?X-Goog-Signature=ff00&X-Goog-Date=1", "X-Goog-Date=1"),
        ("https://a.blob.core.windows.net/c/b?sv=2024&sig=Zm9v%3D&se=2026", "sv=2024"),
        ("http://127.0.0.1:5/upload/j/1?X-Expires=9&X-Signature=deadbeef", "X-Expires=9"),
    ],
)
def test_signed_url_values_are_redacted_in_log_records(url: str, kept: str) -> None:
    from leapocr_sdk._logs import RedactSecrets

    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: PUT %s", (url,), None
    )
    assert RedactSecrets().filter(record)
    message = record.getMessage()
    assert kept in message
    for secret in ("abc123", "AKIA", "tok", "ff00", "Zm9v", "deadbeef"):
        assert secret not in message


def test_a_result_of_many_requests_makes_a_span_per_request(
    spans: Any, api: Any, base_url: str, make_client: Any
) -> None:
    # 12 requests of 3 pages: requests 2..12 run as a stream, each traced under get_result.
    from tests.sdk.test_shapes import _paged

    api.expect_request(f"{API}/ocr/result/{JOB}").respond_with_handler(_paged(36, 3))
    client = make_client(base_url=base_url)
    assert [page.page_number for page in client.get_result(JOB).pages] == list(range(1, 37))
    finished = spans.get_finished_spans()
    (get,) = [s for s in finished if s.name == "leapocr.get_result" and s.parent is None]
    assert [s.name for s in children(finished, get)] == ["leapocr.result"] * 12
