"""Fixtures for the emulator tests: a running emulator, a raw httpx client, and a checker
that validates every response body against its schema in openapi.yaml and, where the
vendored 2026 specs (tests/data/) declare the operation and status, against those too."""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from leapocr_sdk.testing import LeapOCREmulator, make_pdf

# One TLS context for every client: httpx builds a new one per client otherwise, which is
# slow (clients here only speak plain HTTP to 127.0.0.1 anyway).
TLS = ssl.create_default_context()
SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
SPEC_URI = "urn:leapocr:openapi"
DATA = Path(__file__).resolve().parents[1] / "data"
# The 2026 specs, newest first: the SDK subset, then the whole service (/health, /ocr/models).
SPECS_2026 = ("sdk", "service")
# Fields the service sends only sometimes: a 202 carries error_message / completed_at
# only when they apply.
OPTIONAL_FIELDS = {
    "OCRStatusResponse": {"error_message", "completed_at"},
    # Only for jobs made from a template (the emulator has no internal presets).
    "JobStatusResponse": {"template_name", "template_internal", "completed_at"},
}


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


@cache
def registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(spec(), default_specification=DRAFT202012)
    empty: Registry[Any] = Registry()
    return empty.with_resource(SPEC_URI, resource)


@cache
def spec_2026(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / f"leapocr-{name}-openapi-2026.json").read_text())
    return loaded


@cache
def registry_2026(name: str) -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(
        spec_2026(name), default_specification=DRAFT202012
    )
    empty: Registry[Any] = Registry()
    return empty.with_resource(f"urn:leapocr:{name}", resource)


def matches_2026(body: Any, schema: str, *, spec: str = "sdk") -> Any:
    """Validate ``body`` against ``#/components/schemas/<schema>`` of a vendored 2026 spec."""
    ref = f"urn:leapocr:{spec}#/components/schemas/{schema}"
    validator = OAS31Validator({"$ref": ref}, registry=registry_2026(spec))
    try:
        validator.validate(body)
    except ValidationError as exc:
        raise AssertionError(f"{schema}: {exc.message}\n{body}") from exc
    return body


def _find(paths: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    for template, operations in paths.items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            operation: dict[str, Any] = operations[method.lower()]
            return operation
    return None


def conform_2026(response: httpx.Response) -> None:
    """Check the body against the newest 2026 spec that declares the operation's status
    with a JSON body (the 2026 SDK spec declares delete as 204 without one: not checked)."""
    request = response.request
    path = request.url.path.removeprefix("/api/v1")
    for name in SPECS_2026:
        operation = _find(spec_2026(name)["paths"], request.method, path)
        if operation is None:
            continue
        declared = operation["responses"].get(str(response.status_code), {})
        schema = declared.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            matches_2026(response.json(), schema["$ref"].rsplit("/", 1)[-1], spec=name)
        return


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operation(method: str, path: str) -> dict[str, Any]:
    base = "/api/v1"
    assert path.startswith(base), path
    operation = _find(spec()["paths"], method, path[len(base) :])
    assert operation is not None, f"{method} {path} is not in openapi.yaml"
    return operation


def conform(response: httpx.Response, *, complete: bool = True, spec_2026: bool = True) -> Any:
    """Validate ``response`` against openapi.yaml (status declared, body schema) and, with
    ``spec_2026``, the vendored 2026 specs; return its JSON. With ``complete``, every
    top-level property of openapi.yaml's schema must be present."""
    request = response.request
    operation = _operation(request.method, request.url.path)
    declared = operation["responses"]
    assert str(response.status_code) in declared, (
        f"{request.method} {request.url.path} answered {response.status_code}, "
        f"not declared in openapi.yaml"
    )
    definition = _deref(declared[str(response.status_code)])
    media = definition["content"]["application/json"]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    schema_ref = media["schema"]
    validator = OAS31Validator({"$ref": SPEC_URI + schema_ref["$ref"]}, registry=registry())
    try:
        validator.validate(body)
    except ValidationError as exc:  # pragma: no cover - failure path
        raise AssertionError(f"{schema_ref['$ref']}: {exc.message}\n{body}") from exc
    if complete:
        name = schema_ref["$ref"].rsplit("/", 1)[-1]
        expected = set(_deref(schema_ref).get("properties", {})) - OPTIONAL_FIELDS.get(name, set())
        missing = expected - set(body)
        assert not missing, f"{name} lacks {sorted(missing)}: {body}"
    if spec_2026:
        conform_2026(response)
    return body


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> Any:
    """Assert an error response in the service's shape; return its body."""
    assert response.status_code == status, response.text
    body = conform(response)
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["code"] == code
    return body


INVOICE_PAGES = [
    "INVOICE\nInvoice Number: INV-2026-0042\nDate: 2026-11-02\nVendor: Northwind Ltd.",
    "Line Items\nSubtotal: 1,200.00\nTotal Amount: 1234.56\nItem Count: 7\nPaid: yes",
    "Thank you for your business.",
]


@pytest.fixture
def invoice_pdf() -> bytes:
    return make_pdf(INVOICE_PAGES)


@pytest.fixture
def make_emu(
    leapocr_emulator_factory: Callable[..., LeapOCREmulator],
) -> Callable[..., LeapOCREmulator]:
    """Start an emulator with custom keywords; stopped after the test (the plugin's fixture)."""
    return leapocr_emulator_factory


@pytest.fixture
def emu(make_emu: Callable[..., LeapOCREmulator]) -> LeapOCREmulator:
    return make_emu(processing_seconds=0.05, seed=1)


def raw(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A one-off request without the API key (e.g. to an upload URL)."""
    return httpx.request(method, url, verify=TLS, **kwargs)


def api_client(emulator: LeapOCREmulator, **kwargs: Any) -> httpx.Client:
    kwargs.setdefault("verify", TLS)
    return httpx.Client(
        base_url=emulator.base_url, headers={"X-API-Key": emulator.api_key}, **kwargs
    )


@pytest.fixture
def client(emu: LeapOCREmulator) -> Iterator[httpx.Client]:
    with api_client(emu) as http:
        yield http


def initiate(http: httpx.Client, size: int, **fields: Any) -> Any:
    payload = {"file_name": "doc.pdf", "content_type": "application/pdf", "file_size": size}
    payload.update(fields)
    response = http.post("/ocr/uploads/direct", json=payload)
    assert response.status_code == 200, response.text
    return conform(response)


def put_parts(data: bytes, upload: Any) -> list[dict[str, Any]]:
    """PUT every part (without the API key) and return the complete request's parts."""
    parts = []
    with httpx.Client(verify=TLS) as storage:
        for part in upload["parts"]:
            chunk = data[part["start_byte"] : part["end_byte"] + 1]
            response = storage.put(part["upload_url"], content=chunk)
            assert response.status_code == 200, response.text
            parts.append({"part_number": part["part_number"], "etag": response.headers["ETag"]})
    return parts


def upload(http: httpx.Client, data: bytes, **fields: Any) -> str:
    """Run the whole direct upload; return the job id."""
    started = initiate(http, len(data), **fields)
    parts = put_parts(data, started)
    response = http.post(f"/ocr/uploads/{started['job_id']}/complete", json={"parts": parts})
    conform(response)
    assert response.status_code == 200, response.text
    job_id: str = started["job_id"]
    return job_id


def wait_result(http: httpx.Client, job_id: str, timeout: float = 10.0, **params: Any) -> Any:
    """Poll the result endpoint until it answers 200; return the body."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(f"/ocr/result/{job_id}", params=params)
        body = conform(response)
        if response.status_code == 200:
            return body
        assert response.status_code == 202
        assert time.monotonic() < deadline, f"job {job_id} did not finish: {body}"
        time.sleep(0.01)
