"""The table of operations (``leapocr_sdk._operations``) agrees with everything that names
an operation: ``openapi.yaml``, the generated endpoint modules, the SDK's requests and
the emulator's routes and faults."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from leapocr_sdk import _requests as requests
from leapocr_sdk._operations import API_ROOT, OPERATIONS, UPLOAD_PART, Operation
from leapocr_sdk._steps import Call
from leapocr_sdk._validation import check_options
from leapocr_sdk.testing.faults import ROUTES
from leapocr_sdk.testing.routing import UNKNOWN, match

SPEC = Path(__file__).resolve().parents[1] / "openapi.yaml"
JOB = "123e4567-e89b-12d3-a456-426614174000"
API_OPERATIONS = [operation for operation in OPERATIONS if operation.operation_id]


def spec_operations() -> dict[str, tuple[str, str]]:
    """openapi.yaml's ``operationId -> (method, path)``."""
    spec = yaml.safe_load(SPEC.read_text())
    found = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            found[operation["operationId"]] = (method.upper(), path)
    return found


def test_names_are_unique() -> None:
    names = [operation.name for operation in OPERATIONS]
    assert len(set(names)) == len(names)
    assert UNKNOWN not in names


def test_every_operation_of_the_contract_is_in_the_table_as_declared() -> None:
    declared = spec_operations()
    assert {operation.operation_id for operation in API_OPERATIONS} == set(declared)
    for operation in API_OPERATIONS:
        assert declared[str(operation.operation_id)] == (operation.method, operation.path)


def filled(path: str) -> str:
    return re.sub(r"\{\w+\}", JOB, path)


@pytest.mark.parametrize("operation", API_OPERATIONS, ids=lambda operation: operation.name)
def test_the_generated_module_builds_the_operation(operation: Operation) -> None:
    module = importlib.import_module(f"leapocr_sdk._generated.api.{operation.module}")
    arguments: list[Any] = [JOB] if "{" in operation.path else []
    # Any body will do: the method and path don't depend on it.
    keywords: dict[str, Any] = {"body": SimpleNamespace(to_dict=dict)}
    if operation.method != "POST":
        keywords = {}
    kwargs = module._get_kwargs(*arguments, **keywords)
    assert kwargs["method"].upper() == operation.method
    assert kwargs["url"] == filled(operation.path)


def sdk_requests() -> list[Call]:
    options = check_options()
    return [
        requests.submit_url("https://example.com/a.pdf", None, options),
        requests.initiate_upload("a.pdf", "application/pdf", 10, options),
        requests.complete_upload(JOB, [(1, "etag")]),
        requests.get_status(JOB),
        requests.get_result(JOB, 1, 100),
        requests.delete_job(JOB),
        requests.list_models(),
        requests.health(),
    ]


def test_each_sdk_request_is_named_after_its_operation() -> None:
    by_name = {operation.name: operation for operation in OPERATIONS}
    calls = sdk_requests()
    assert {call.name for call in calls} == {operation.name for operation in API_OPERATIONS}
    for call in calls:
        operation = by_name[call.name]
        assert (call.method, call.path) == (operation.method, filled(operation.path))
        assert call.idempotent is operation.idempotent


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.name)
def test_the_emulator_routes_each_operation_under_its_name(operation: Operation) -> None:
    root = "" if operation is UPLOAD_PART else API_ROOT
    name, params, allowed = match(operation.method, root + filled(operation.path))
    assert (name, allowed) == (operation.name, True)
    assert set(params) == set(re.findall(r"\{(\w+)\}", operation.path))
    other = "PATCH"
    assert match(other, root + filled(operation.path)) == (operation.name, params, False)


def test_the_emulator_answers_health_at_its_origin_too() -> None:
    assert match("GET", "/health") == ("health", {}, True)
    assert match("GET", API_ROOT + "/ocr/unknown")[0] == UNKNOWN


def test_faults_take_the_route_names() -> None:
    assert {operation.name for operation in OPERATIONS} | {UNKNOWN} == ROUTES
