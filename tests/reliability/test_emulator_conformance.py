"""Schemathesis against the emulator with ``openapi.yaml``: the emulator and the contract
cannot drift apart.

Schemathesis generates requests for every operation of the contract, valid ones and
invalid ones, sends them to a running emulator with the API key and checks each answer:
no 5xx, a status code the operation declares, the declared content type, and a body
(and headers) matching the declared response schema; and that the emulator refuses a
request without the key. Invalid requests must be refused, except where a ``null``
stands for a missing optional field (the service, written in Go, reads both alike).

Not checked (reported instead): that valid data is accepted (a well-formed job id of no
job is a 404, a well-formed but unknown model a 400) and undeclared HTTP methods such as
TRACE (see ``test_undeclared_methods``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is a dev dependency")

from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.core.parameters import ParameterLocation  # noqa: E402
from schemathesis.specs.openapi import checks as st_checks  # noqa: E402

from leapocr_sdk.testing import LeapOCREmulator  # noqa: E402
from tests.openapi_checks import contract, validate  # noqa: E402

KEY = "sk-contract-0123456789"
SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"

schema = schemathesis.openapi.from_path(str(SPEC))
schema.config.generation.update(max_examples=25, deterministic=True)

NOT_CHECKED = [
    st_checks.negative_data_rejection,  # run on its own below, tolerating nulls
    st_checks.positive_data_acceptance,  # valid-looking ids and model names may not exist
    st_checks.unsupported_method,  # see test_undeclared_methods
    st_checks.use_after_free,
    st_checks.ensure_resource_availability,
]


@pytest.fixture(scope="module")
def emulator() -> Iterator[LeapOCREmulator]:
    emu = LeapOCREmulator(api_key=KEY, processing_seconds=0.01, seed=3).start()
    yield emu
    emu.stop()


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def _only_nulls_made_it_invalid(case: Any) -> bool:
    """Would the request fit the contract if its ``null`` fields were left out?"""
    if any(case.meta.is_negative_at(loc) for loc in ParameterLocation if loc.value != "body"):
        return False  # a negative path, query or header value was accepted
    body = case.operation.definition.raw.get("requestBody")
    if body is None:
        return False
    try:
        validate(_without_nulls(case.body), body["content"]["application/json"]["schema"])
    except Exception:
        return False
    return True


@schema.parametrize()
def test_emulator_speaks_the_contract(case: Any, emulator: LeapOCREmulator) -> None:
    if case.method.upper() != case.operation.method.upper():
        return  # an undeclared method: see test_undeclared_methods
    headers = {"X-API-Key": KEY}
    response = case.call(base_url=emulator.base_url, headers=headers, timeout=10)
    case.validate_response(response, headers=headers, excluded_checks=NOT_CHECKED)
    try:
        case.validate_response(
            response, headers=headers, checks=[st_checks.negative_data_rejection]
        )
    except FailureGroup:
        if not _only_nulls_made_it_invalid(case):
            raise


def test_every_operation_is_exercised() -> None:
    operations = {
        (method.upper(), path) for path, item in contract()["paths"].items() for method in item
    }
    generated = {
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    }
    assert generated == operations and len(operations) == 8  # with GET /health


@pytest.mark.parametrize("method", ["PUT", "PATCH", "TRACE"])
def test_undeclared_methods(method: str, emulator: LeapOCREmulator) -> None:
    """An undeclared method on an API route is a 405 in the error body of the contract."""
    if method == "TRACE":
        pytest.xfail("the emulator's HTTP server answers TRACE with its own 501 HTML page")
    response = httpx.request(
        method, emulator.base_url + "/ocr/models", headers={"X-API-Key": KEY}, timeout=5
    )
    assert response.status_code == 405
    assert response.json()["error"]["message"]
