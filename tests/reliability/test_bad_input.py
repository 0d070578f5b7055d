"""Bad input, table-driven: every argument of every public method, sync and async.

Each row calls one method with one bad argument (everything else valid) and expects a
``ValidationError`` (method arguments) or ``ConfigurationError`` (constructor), whose
message matches the row's pattern (what is wrong and what to do), and no request at all
on the server. A required argument left out is refused by Python itself (``TypeError``,
also before any request); those rows say so.
"""

from __future__ import annotations

import asyncio
import io
import math
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from leapocr_sdk import (
    AsyncLeapOCR,
    ConfigurationError,
    JournalError,
    LeapOCR,
    LeapOCRError,
    Model,
    OutputFormat,
    ValidationError,
    estimate_credits,
)
from leapocr_sdk._contract import DEFAULT_MODEL
from tests.conftest import API_KEY, AsyncBridge
from tests.reliability.conftest import Files

OMIT = object()  # the argument is left out of the call


@dataclass(frozen=True)
class F:
    """A file input made at test time: an attribute of ``Files`` or an open file object."""

    name: str


@dataclass(frozen=True)
class Case:
    method: str  # a client method, or "__init__" for the constructor
    id: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    match: str = ""  # a regex the error message must contain
    error: type[Exception] = ValidationError
    env: dict[str, str | None] = field(default_factory=dict)


GOOD_URL = "https://example.com/invoice.pdf"
JOB = "123e4567-e89b-12d3-a456-426614174000"
BOOL_HINT = "must be True or False"
NEEDED = {  # valid values of the required arguments
    "process_url": (GOOD_URL,),
    "process_file": (F("pdf"),),
    "get_status": (JOB,),
    "get_result": (JOB,),
    "iter_pages": (JOB,),
    "delete_job": (JOB,),
    "wait_until_done": (JOB,),
    "list_models": (),
    "health": (),
    "process": (F("pdf"),),
    "process_many": ([GOOD_URL],),
    "as_completed": ([JOB],),
    "wait_many": ([JOB],),
    "request": ("GET", "/ocr/models"),
    "with_options": (),
}


def ctor(id: str, match: str, env: dict[str, str | None] | None = None, **kwargs: Any) -> Case:
    return Case("__init__", id, (), kwargs, match, ConfigurationError, env or {})


# Each option a template sets, sent beside ``template_slug``.
TEMPLATE_CLASHES: dict[str, dict[str, Any]] = {
    "output_type": {"output_type": "markdown", "template_slug": "t"},
    "model": {"model": Model.PRO_V1, "template_slug": "t"},
    "instruction": {"instruction": "x", "template_slug": "t"},
    "schema": {"schema": {"a": 1}, "template_slug": "t"},
}


def call(method: str, id: str, match: str, *args: Any, **kwargs: Any) -> Case:
    """A call of ``method`` with ``args`` replacing the valid positional ones."""
    if not args:
        args = NEEDED[method]
    error = kwargs.pop("_error", ValidationError)
    return Case(method, id, args, kwargs, match, error)


# --- the constructor -------------------------------------------------------------------

KEY_HINT = r"api_key=.*LEAPOCR_API_KEY"
TIMEOUT_HINT = r"timeout must be a (positive )?number of seconds"
CONSTRUCTOR = [
    ctor("api_key-missing", KEY_HINT, env={"LEAPOCR_API_KEY": None}, api_key=None),
    ctor("api_key-empty", KEY_HINT, api_key=""),
    ctor("api_key-blank", KEY_HINT, api_key="   "),
    ctor("api_key-empty-env", KEY_HINT, env={"LEAPOCR_API_KEY": ""}, api_key=None),
    ctor("api_key-wrong-type", KEY_HINT, api_key=12345),
    ctor("api_key-bytes", KEY_HINT, api_key=b"sk-bytes"),
    ctor("api_key-inner-space", "white space or control", api_key="sk-abc def"),
    ctor("api_key-control-char", "white space or control", api_key="sk-abc\x00def"),
    ctor("api_key-newline", "white space or control", api_key="sk-abc\r\nX-Evil: 1"),
    ctor("base_url-empty", "base_url must be a non-empty string", base_url=""),
    ctor("base_url-wrong-type", "base_url must be a non-empty string", base_url=443),
    ctor("base_url-not-http", r"absolute http\(s\) URL such as", base_url="ftp://api.leapocr.com"),
    ctor("base_url-no-scheme", r"absolute http\(s\) URL", base_url="api.leapocr.com/api/v1"),
    ctor("base_url-no-host", r"absolute http\(s\) URL", base_url="https:///api/v1"),
    ctor("base_url-query", "query or fragment", base_url="https://api.leapocr.com/api/v1?a=1"),
    ctor("base_url-fragment", "query or fragment", base_url="https://api.leapocr.com/api/v1#x"),
    ctor("base_url-plain-http", "allow_insecure_http=True", base_url="http://api.leapocr.com/v1"),
    ctor("base_url-plain-http-lan", "allow_insecure_http=True", base_url="http://10.0.0.5:8080"),
    ctor("base_url-lookalike", "allow_insecure_http=True", base_url="http://localhost.evil.com"),
    ctor(
        "base_url-plain-http-env",
        "allow_insecure_http=True",
        env={"LEAPOCR_BASE_URL": "http://api.leapocr.com/api/v1"},
        base_url=None,
    ),
    ctor(
        "allow_insecure_http-string",
        "allow_insecure_http must be True or False",
        base_url="http://api.leapocr.com/api/v1",
        allow_insecure_http="no",
    ),
    ctor("timeout-zero", TIMEOUT_HINT, timeout=0),
    ctor("timeout-negative", TIMEOUT_HINT, timeout=-1.5),
    ctor("timeout-nan", TIMEOUT_HINT, timeout=math.nan),
    ctor("timeout-infinite", TIMEOUT_HINT, timeout=math.inf),
    ctor("timeout-string", TIMEOUT_HINT, timeout="60"),
    ctor("timeout-bool", TIMEOUT_HINT, timeout=True),
    ctor("timeout-none", TIMEOUT_HINT, timeout=None),
    ctor("max_retries-negative", r"max_retries must be an integer >= 0", max_retries=-1),
    ctor("max_retries-float", r"max_retries must be an integer >= 0", max_retries=1.5),
    ctor("max_retries-string", r"max_retries must be an integer >= 0", max_retries="3"),
    ctor("max_retries-bool", r"max_retries must be an integer >= 0", max_retries=True),
    ctor("max_retries-none", r"max_retries must be an integer >= 0", max_retries=None),
    ctor("upload_concurrency-zero", r"upload_concurrency must be .* >= 1", upload_concurrency=0),
    ctor("upload_concurrency-neg", r"upload_concurrency must be .* >= 1", upload_concurrency=-4),
    ctor("upload_concurrency-float", r"upload_concurrency must be", upload_concurrency=2.5),
    ctor("upload_concurrency-string", r"upload_concurrency must be", upload_concurrency="4"),
    ctor("http_client-wrong-type", r"http_client must be an httpx\.", http_client="client"),
    ctor("http_client-other-flavour", r"http_client must be an httpx\.", http_client=F("other")),
    ctor(
        "upload_http_client-wrong-type",
        r"upload_http_client must be an httpx\.",
        upload_http_client="client",
    ),
    ctor(
        "upload_http_client-other-flavour",
        r"upload_http_client must be an httpx\.",
        upload_http_client=F("other"),
    ),
    ctor("sleep-not-callable", "sleep must be a callable", sleep=5),
    ctor("clock-not-callable", "clock must be a callable", clock="now"),
    ctor("rng-wrong-type", r"rng must be a random\.Random", rng=42),
    Case("__init__", "unknown-keyword", (), {"apikey": "sk-x"}, "unexpected keyword", TypeError),
    Case("__init__", "base_url-positional", ("sk-x", "https://a.b"), {}, "positional", TypeError),
]

# --- processing options, shared by process_url and process_file -------------------------

OUTPUT_HINT = r"output_type must be an OutputFormat or one of 'markdown', 'structured'"
MODEL_HINT = rf"model must be a Model .* or a model name such as '{DEFAULT_MODEL}'"
TEMPLATE_CLASH = r"template_slug cannot be combined with {}: the template already sets"


def option_cases(method: str) -> list[Case]:
    return [
        call(method, "output_type-unknown", OUTPUT_HINT, output_type="html"),
        call(method, "output_type-wrong-case", OUTPUT_HINT, output_type="MARKDOWN"),
        call(method, "output_type-wrong-type", OUTPUT_HINT, output_type=3),
        call(method, "output_type-model-enum", OUTPUT_HINT, output_type=Model.PRO_V1),
        call(method, "model-empty", MODEL_HINT, model=""),
        call(method, "model-wrong-type", MODEL_HINT, model=3),
        call(method, "model-too-long", MODEL_HINT, model="m" * 101),
        call(method, "model-space", MODEL_HINT, model="pro v1"),
        call(method, "model-path", MODEL_HINT, model="../pro-v1"),
        call(method, "model-format-enum", MODEL_HINT, model=OutputFormat.MARKDOWN),
        call(method, "instruction-wrong-type", "instruction must be a string", instruction=5),
        call(method, "instruction-empty", "pass None to process without one", instruction=""),
        call(method, "instruction-blank", "pass None to process without one", instruction="  "),
        call(method, "instruction-too-long", r"at most 100: shorten it", instruction="x" * 101),
        call(method, "schema-string", "schema must be a JSON object", schema='{"type": "object"}'),
        call(method, "schema-list", "schema must be a JSON object", schema=[{"type": "object"}]),
        call(method, "schema-empty", "pass None to process without one", schema={}),
        call(method, "schema-nan", "schema must be JSON-serialisable", schema={"a": math.nan}),
        call(method, "schema-object", "schema must be JSON-serialisable", schema={"a": object()}),
        call(method, "schema-int-keys", "schema keys must be strings", schema={1: "x"}),
        call(method, "template_slug-empty", "template_slug must be a non-empty", template_slug=""),
        call(method, "template_slug-blank", "template_slug must be a non-empty", template_slug=" "),
        call(method, "template_slug-wrong-type", "template_slug must be", template_slug=7),
        *(
            call(method, f"template_slug-with-{name}", TEMPLATE_CLASH.format(name), **clash)
            for name, clash in TEMPLATE_CLASHES.items()
        ),
        call(
            method,
            "template_slug-with-all",
            TEMPLATE_CLASH.format("output_type, model, schema, instruction"),
            output_type="structured",
            model="pro-v1",
            instruction="x",
            schema={"a": 1},
            template_slug="t",
        ),
        call(
            method,
            "schema-with-markdown",
            "a schema only applies to structured output",
            output_type=OutputFormat.MARKDOWN,
            schema={"a": 1},
        ),
        call(
            method,
            "structured-without-schema",
            "output_type='structured' needs a schema",
            output_type="structured",
            instruction="x",
        ),
        call(
            method,
            "extract_bounding_boxes-string",
            "extract_bounding_boxes " + BOOL_HINT,
            extract_bounding_boxes="yes",
        ),
        call(method, "save_as_template-int", "save_as_template " + BOOL_HINT, save_as_template=1),
        call(method, "file_name-empty", "file_name must be a non-empty string", file_name=""),
        call(method, "file_name-too-long", "at most 255 are accepted", file_name="a" * 256),
    ]


URL_HINT = r"url must be an absolute http:// or https:// URL"
PROCESS_URL = [
    call(
        "process_url",
        "url-missing",
        "missing 1 required positional argument",
        OMIT,
        _error=TypeError,
    ),
    call("process_url", "url-none", "url must be a string", None),
    call("process_url", "url-wrong-type", "url must be a string", 42),
    call("process_url", "url-bytes", "url must be a string", GOOD_URL.encode()),
    call("process_url", "url-empty", r"url must be 1 to 2000 characters", ""),
    call(
        "process_url",
        "url-too-long",
        r"2000 characters .* use process_file\(\)",
        "https://example.com/" + "a" * 2000,
    ),
    call("process_url", "url-ftp", URL_HINT, "ftp://example.com/a.pdf"),
    call("process_url", "url-file", r"for a local file use process_file\(\)", "file:///etc/passwd"),
    call("process_url", "url-javascript", URL_HINT, "javascript:alert(1)"),
    call("process_url", "url-data", URL_HINT, "data:application/pdf;base64,JVBERi0="),
    call("process_url", "url-no-scheme", URL_HINT, "example.com/a.pdf"),
    call("process_url", "url-relative", URL_HINT, "/docs/a.pdf"),
    call("process_url", "url-no-host", URL_HINT, "https:///a.pdf"),
    call("process_url", "url-space", "percent-encode it", "https://example.com/my file.pdf"),
    call("process_url", "url-newline", "percent-encode it", "https://example.com/a.pdf\r\nX: y"),
    *option_cases("process_url"),
]

FILE_HINT = r"file must be a path \(str or os\.PathLike\), bytes, or a binary file object"
TOO_BIG = r"at most 1073741824 bytes \(1 GiB\): split the document"
NOT_A_DOCUMENT = r"is not a document the service reads: .* PDF, PNG, JPEG, TIFF or WebP file"
PROCESS_FILE = [
    call(
        "process_file",
        "file-missing",
        "missing 1 required positional argument",
        OMIT,
        _error=TypeError,
    ),
    call("process_file", "file-none", FILE_HINT, None),
    call("process_file", "file-int", FILE_HINT, 3),
    call("process_file", "file-list", FILE_HINT, ["a.pdf"]),
    call("process_file", "file-empty-path", "file path is empty", ""),
    call("process_file", "file-nothing-there", "file not found: .*: check the path", F("missing")),
    call("process_file", "file-pathlib-nothing", "file not found", F("missing_path")),
    call(
        "process_file",
        "file-directory",
        "is a directory: pass the path of a document file",
        F("directory"),
    ),
    call("process_file", "file-device", "is not a regular file", "/dev/null"),
    call("process_file", "file-zero-bytes", r"is empty \(0 bytes\)", F("empty")),
    call("process_file", "file-empty-bytes", r"is empty \(0 bytes\)", b""),
    call("process_file", "file-empty-stream", r"is empty \(0 bytes\)", F("empty_stream")),
    call("process_file", "file-over-1GiB", TOO_BIG, F("huge")),
    call("process_file", "file-object-over-1GiB", TOO_BIG, F("huge_stream")),
    call("process_file", "file-text", NOT_A_DOCUMENT, F("text")),
    call("process_file", "file-random-bytes", NOT_A_DOCUMENT, F("noise")),
    call("process_file", "file-text-bytes", NOT_A_DOCUMENT, b"Invoice 42\nTotal: 10.00 EUR\n"),
    call("process_file", "file-text-object", NOT_A_DOCUMENT, F("text_stream")),
    call(
        "process_file",
        "file-url",
        r"is a URL, not a local file: use process_url\(\)",
        "https://example.com/invoice.pdf",
    ),
    call("process_file", "file-unreadable", "permission denied", F("unreadable")),
    call("process_file", "file-text-mode", "open it with 'rb'", F("text_mode")),
    call("process_file", "file-text-stream", "open it with 'rb'", io.StringIO("%PDF-1.4")),
    call("process_file", "file-closed", "closed: pass an open file", F("closed")),
    call("process_file", "file-write-only", "not readable: open it with 'rb'", F("write_only")),
    call(
        "process_file", "file_name-wrong-type", "file_name must be a non-empty string", file_name=5
    ),
    call(
        "process_file",
        "on_upload_progress-not-callable",
        "must be a callable",
        on_upload_progress="print",
    ),
    *option_cases("process_file"),
]

ID_HINT = r"use the job_id returned by process_file\(\) or process_url\(\)"
ID_TYPE = r"job_id must be a string \(the job_id of a submitted Job\)"
BAD_IDS = {
    "empty": "",
    "blank": " ",
    "slash": "abc/def",
    "dotdot": "..",
    "traversal": "../../etc/passwd",
    "traversal-encoded": "%2e%2e%2fstatus",
    "question": "abc?page=2",
    "hash": "abc#frag",
    "space": "abc def",
    "newline": "abc\r\nX-Injected: 1",
    "nul": "abc\x00",
    "non-ascii": "jöb-1",
    "leading-dash": "-abc",
    "too-long": "a" * 129,
    "absolute-url": "https://evil.example/job",
}


def job_id_cases(method: str) -> list[Case]:
    cases = [
        call(
            method,
            "job_id-missing",
            "missing 1 required positional argument",
            OMIT,
            _error=TypeError,
        ),
        call(method, "job_id-none", ID_TYPE, None),
        call(method, "job_id-int", ID_TYPE, 123),
        call(method, "job_id-bytes", ID_TYPE, JOB.encode()),
        call(method, "job_id-job-object", ID_TYPE, F("job_object")),
    ]
    cases += [call(method, f"job_id-{name}", ID_HINT, value) for name, value in BAD_IDS.items()]
    return cases


WAIT_HINT = "must be a (positive )?number of seconds"
WAIT = [
    *job_id_cases("wait_until_done"),
    *(
        call(
            "wait_until_done",
            f"poll_interval-{name}",
            "poll_interval " + WAIT_HINT,
            poll_interval=value,
        )
        for name, value in {
            "zero": 0,
            "negative": -1,
            "nan": math.nan,
            "infinite": math.inf,
            "string": "2",
            "bool": True,
            "none": None,
        }.items()
    ),
    *(
        call("wait_until_done", f"timeout-{name}", "timeout " + WAIT_HINT, timeout=value)
        for name, value in {
            "zero": 0,
            "negative": -5,
            "nan": math.nan,
            "infinite": math.inf,
            "string": "600",
            "none": None,
        }.items()
    ),
    call(
        "wait_until_done",
        "on_progress-not-callable",
        "on_progress must be a callable",
        on_progress="print",
    ),
    call(
        "wait_until_done", "unknown-keyword", "unexpected keyword", interval=1.0, _error=TypeError
    ),
]

OTHERS = [
    *job_id_cases("get_status"),
    *job_id_cases("get_result"),
    *job_id_cases("iter_pages"),
    *job_id_cases("delete_job"),
    call("list_models", "unexpected-argument", "positional argument", "pro-v1", _error=TypeError),
    call("health", "unexpected-argument", "positional argument", "now", _error=TypeError),
    call("request", "method-unknown", "method must be one of", "BREW", "/ocr/models"),
    call("request", "method-none", "method must be one of", None, "/ocr/models"),
    call("request", "path-absolute", "not relative to the API", "GET", "https://x.example/a"),
    call("request", "path-host", "not relative to the API", "GET", "//x.example/a"),
    call("request", "path-dot-dot", r"'\.\.'", "GET", "/ocr/../../a"),
    call("request", "path-query", r"pass a query as params=", "GET", "/ocr/models?a=1"),
    call("request", "path-none", "path must be a non-empty string", "GET", None),
    call("request", "params-list", "params must be a mapping", params=[("a", "b")]),
    call("request", "json-not-json", "json is not JSON-ready data", json={"a": {1, 2}}),
    call(
        "with_options",
        "timeout-zero",
        TIMEOUT_HINT,
        timeout=0,
        _error=ConfigurationError,
    ),
    call(
        "with_options",
        "max_retries-negative",
        "max_retries must be an integer >= 0",
        max_retries=-1,
        _error=ConfigurationError,
    ),
    call(
        "with_options",
        "upload_concurrency-zero",
        "upload_concurrency must be an integer >= 1",
        upload_concurrency=0,
        _error=ConfigurationError,
    ),
    call(
        "with_options",
        "unexpected-keyword",
        "unexpected keyword argument",
        base_url="https://x.example/api/v1",
        _error=TypeError,
    ),
]
PROCESS = [
    call("process", "source-missing", "missing 1 required", OMIT, _error=TypeError),
    call("process", "source-none", FILE_HINT, None),
    call("process", "source-nothing-there", "file not found", F("missing")),
    call("process", "wait-string", "wait " + BOOL_HINT, wait="yes"),
    call("process", "delete-string", "delete " + BOOL_HINT, delete="yes"),
    call("process", "delete-without-wait", "delete=True needs wait=True", wait=False, delete=True),
    call("process", "unknown-option", "unknown processing option", colour="blue"),
    call("process", "bad-model", "model", model="no such model!"),
    call("process", "poll_interval-zero", "poll_interval " + WAIT_HINT, poll_interval=0),
]

PROCESS_MANY = [
    call("process_many", "sources-missing", "missing 1 required", OMIT, _error=TypeError),
    call("process_many", "sources-one-path", "for one document use process", "a.pdf"),
    call("process_many", "sources-int", "sources must be an iterable", 42),
    call("process_many", "concurrency-zero", "concurrency must be a whole number", concurrency=0),
    call("process_many", "concurrency-str", "concurrency must be a whole number", concurrency="8"),
    call("process_many", "submit_rate-zero", "submit_rate must be jobs per second", submit_rate=0),
    call("process_many", "submit_rate-str", "submit_rate must be jobs per second", submit_rate="5"),
    call("process_many", "delete-string", "delete " + BOOL_HINT, delete="yes"),
    call("process_many", "retry_failed-str", "retry_failed " + BOOL_HINT, retry_failed="yes"),
    call("process_many", "journal-int", "journal must be a file path or a Journal", journal=3),
    call(
        "process_many",
        "journal-directory",
        "the batch journal .* cannot be used",
        journal=F("directory"),
        _error=JournalError,
    ),
    call("process_many", "max_credits-negative", "max_credits must be a whole", max_credits=-1),
    call("process_many", "max_credits-float", "max_credits must be a whole", max_credits=2.5),
    call("process_many", "on_event-not-callable", "on_event must be a callable", on_event="print"),
    call("process_many", "file_name", "file_name names one document", file_name="a.pdf"),
    call("process_many", "unknown-option", "unknown processing option", colour="blue"),
    call("process_many", "timeout-zero", "timeout " + WAIT_HINT, timeout=0),
]


def waiting_many_cases(method: str) -> list[Case]:
    return [
        call(method, "job_ids-missing", "missing 1 required", OMIT, _error=TypeError),
        call(method, "job_ids-one-id", "job_ids must be an iterable of job ids", JOB),
        call(method, "job_ids-int", "job_ids must be an iterable of job ids", 7),
        call(method, "concurrency-zero", "concurrency must be a whole number", concurrency=0),
        call(method, "poll_interval-zero", "poll_interval " + WAIT_HINT, poll_interval=0),
        call(method, "timeout-nan", "timeout " + WAIT_HINT, timeout=math.nan),
    ]


CASES = [
    *CONSTRUCTOR,
    *PROCESS_URL,
    *PROCESS_FILE,
    *WAIT,
    *OTHERS,
    *PROCESS,
    *PROCESS_MANY,
    *waiting_many_cases("as_completed"),
    *waiting_many_cases("wait_many"),
]


@pytest.fixture(scope="module")
def shared(make_httpserver: Any) -> Iterator[dict[str, Any]]:
    """One client of each flavour for the method rows (building a client costs ~30 ms of
    TLS setup; the rows only need one that is open and points at the test server)."""
    base_url = str(make_httpserver.url_for("/api/v1"))
    loop = asyncio.new_event_loop()

    async def build() -> AsyncLeapOCR:
        return AsyncLeapOCR(api_key=API_KEY, base_url=base_url)

    clients: dict[str, Any] = {
        "sync": LeapOCR(api_key=API_KEY, base_url=base_url),
        "async": AsyncBridge(loop, loop.run_until_complete(build())),
    }
    yield clients
    for client in clients.values():
        client.close()
    loop.close()


def _resolve(value: Any, files: Files, flavor: str, opened: list[Any]) -> Any:
    if not isinstance(value, F):
        return value
    if value.name == "missing_path":
        return Path(files.missing)
    if value.name == "job_object":
        from leapocr_sdk import Job, JobStatus

        return Job(job_id=JOB, status=JobStatus.PENDING)
    if value.name == "other":
        other = httpx.AsyncClient() if flavor == "sync" else httpx.Client()
        opened.append(other)
        return other
    if value.name == "text_mode":
        handle: Any = open(files.pdf)  # noqa: SIM115
    elif value.name == "closed":
        handle = open(files.pdf, "rb")  # noqa: SIM115
        handle.close()
    elif value.name == "write_only":
        handle = open(files.root / "write-only.pdf", "ab")  # noqa: SIM115
        handle.write(b"%PDF-1.4 not readable")
        handle.flush()
    elif value.name == "huge_stream":
        handle = open(files.huge, "rb")  # noqa: SIM115
    elif value.name == "empty_stream":
        handle = io.BytesIO(b"")
    elif value.name == "text_stream":
        handle = io.BytesIO(b"PDF-1.7 without its percent sign")
    else:
        return str(getattr(files, value.name))
    opened.append(handle)
    return handle


def _invoke(
    shared: dict[str, Any],
    case: Case,
    make_client: Callable[..., Any],
    base_url: str,
    files: Files,
    flavor: str,
    opened: list[Any],
) -> None:
    args = tuple(_resolve(a, files, flavor, opened) for a in case.args if a is not OMIT)
    kwargs = {k: _resolve(v, files, flavor, opened) for k, v in case.kwargs.items()}
    if case.method == "__init__":
        if args:  # positional constructor arguments: call the class itself
            (LeapOCR if flavor == "sync" else AsyncLeapOCR)(*args, **kwargs)
            return
        kwargs.setdefault("base_url", base_url)
        make_client(**kwargs)
        return
    getattr(shared[flavor], case.method)(*args, **kwargs)


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.method}:{c.id}") for c in CASES])
def test_bad_input_is_refused_before_any_request(
    case: Case,
    shared: dict[str, Any],
    api: Any,
    base_url: str,
    make_client: Callable[..., Any],
    files: Files,
    flavor: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if case.id == "file-unreadable" and os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading the file")
    for name in ("LEAPOCR_API_KEY", "LEAPOCR_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in case.env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    opened: list[Any] = []
    try:
        with pytest.raises(case.error) as caught:
            _invoke(shared, case, make_client, base_url, files, flavor, opened)
    finally:
        for thing in opened:
            close = getattr(thing, "close", None)
            if close is not None and not isinstance(thing, httpx.AsyncClient):
                close()
    message = str(caught.value)
    assert re.search(case.match, message), f"{message!r} does not match {case.match!r}"
    if case.error is not TypeError:
        assert isinstance(caught.value, LeapOCRError)
        if case.error is ValidationError:
            assert isinstance(caught.value, ValueError)
        assert len(message) >= 25, f"too terse to act on: {message!r}"
        assert "sk-test" not in message
    assert api.log == [], f"bad input sent {len(api.log)} request(s)"


# --- the one public function ------------------------------------------------------------


@pytest.mark.parametrize(
    ("pages", "model", "match"),
    [
        (-1, Model.PRO_V1, "pages must be a whole number >= 0"),
        (2.5, Model.PRO_V1, "pages must be a whole number >= 0"),
        ("3", Model.PRO_V1, "pages must be a whole number >= 0"),
        (True, Model.PRO_V1, "pages must be a whole number >= 0"),
        (None, Model.PRO_V1, "pages must be a whole number >= 0"),
        (3, "my-custom-model", r"no built-in price .* see list_models\(\)"),
        (3, "", r"no built-in price .* see list_models\(\)"),
        (3, 7, r"no built-in price .* see list_models\(\)"),
    ],
)
def test_estimate_credits_bad_input(pages: Any, model: Any, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        estimate_credits(pages, model)


def test_every_public_method_has_rows() -> None:
    """The table covers every public method of the clients and every keyword they take."""
    import inspect

    covered: dict[str, set[str]] = {}
    for case in CASES:
        names = covered.setdefault(case.method, set())
        names.update(case.kwargs)
        if case.args and case.method != "__init__":
            names.add("<positional>")
    for cls in (LeapOCR, AsyncLeapOCR):
        for name, member in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_") and name != "__init__":
                continue
            if name in ("close", "aclose"):
                continue  # no arguments
            params = [p for p in inspect.signature(member).parameters.values() if p.name != "self"]
            assert name in covered, f"no bad-input row for {cls.__name__}.{name}"
            for param in params:
                if param.kind is param.KEYWORD_ONLY:
                    assert param.name in covered[name], f"no row for {name}({param.name}=)"
                elif param.name != "api_key":
                    assert "<positional>" in covered[name], f"no row for {name}({param.name})"
