"""Requests and replies checked against ``openapi.yaml`` (and the service's own specs).

- ``check_request`` finds the operation by method and path, then validates the path and
  query parameters, the API key header and the JSON body against the contract's schemas.
- ``check_response_body`` validates a body the tests build in the service's shape.
- ``conform`` validates a reply a server sent (the emulator's): its status is declared,
  its body matches the declared schema, and, where the vendored 2026 specs
  (``tests/data/``) declare the operation and status, matches theirs too
  (``conform_2026``, ``matches_2026``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from leapocr_sdk._operations import API_ROOT

API_PREFIX = API_ROOT  # every API path hangs below it

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
SPEC_URI = "urn:leapocr:openapi"
DATA = Path(__file__).resolve().parent / "data"
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
def contract() -> dict[str, Any]:
    return dict(yaml.safe_load(SPEC_PATH.read_text()))


@cache
def _operations() -> list[tuple[str, re.Pattern[str], dict[str, Any]]]:
    ops = []
    for template, item in contract()["paths"].items():
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        regex = re.compile("^" + re.escape(API_PREFIX) + pattern.replace("\\", "") + "$")
        for method, op in item.items():
            ops.append((method.upper(), regex, op))
    return ops


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = contract()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """Validate ``instance`` against a contract schema (``$ref``s resolved in the contract)."""
    root = {**schema, "components": contract()["components"]}
    OAS31Validator(root, format_checker=FormatChecker()).validate(instance)


def find_operation(method: str, path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The operation of openapi.yaml at ``method`` and ``path`` (with the API prefix), and
    its path parameters."""
    for op_method, regex, op in _operations():
        match = regex.match(path)
        if match and op_method == method.upper():
            return op, match.groupdict()
    raise AssertionError(f"{method} {path} is not an operation of openapi.yaml")


def _find(paths: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The operation of a spec's ``paths`` at ``method`` and ``path`` (below the prefix)."""
    for template, operations in paths.items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            operation: dict[str, Any] = operations[method.lower()]
            return operation
    return None


def check_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
) -> str:
    """Raise AssertionError unless the request fits the contract; return its operationId."""
    op, path_params = find_operation(method, path)
    assert any(k.lower() == "x-api-key" for k in headers), f"{method} {path}: no X-API-Key"
    params = [_resolve(p) for p in op.get("parameters", [])]
    known = {p["name"] for p in params if p["in"] == "query"}
    unknown = set(query) - known
    assert not unknown, f"{method} {path}: query parameters {unknown} not in the contract"
    for param in params:
        where = path_params if param["in"] == "path" else query
        if param["name"] not in where:
            assert not param.get("required"), f"{method} {path}: {param['name']} missing"
            continue
        value: Any = where[param["name"]]
        if param["schema"].get("type") == "integer":
            assert re.fullmatch(r"-?\d+", value), f"{param['name']}={value!r} is not an integer"
            value = int(value)
        validate(value, param["schema"])
    request_body = op.get("requestBody")
    if request_body is None:
        assert not body, f"{method} {path}: the contract has no request body"
    elif body:
        schema = request_body["content"]["application/json"]["schema"]
        validate(json.loads(body), schema)
    else:
        assert not request_body.get("required"), f"{method} {path}: request body missing"
    return str(op["operationId"])


def check_response_body(operation_id: str, status: int, body: Any) -> None:
    """Validate a response body against the contract (for servers that speak it)."""
    for _method, _regex, op in _operations():
        if op["operationId"] == operation_id:
            response = _resolve(op["responses"][str(status)])
            validate(body, response["content"]["application/json"]["schema"])
            return
    raise AssertionError(f"no operation {operation_id}")


# --- replies a server sent -----------------------------------------------------------------


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(contract(), default_specification=DRAFT202012)
    empty: Registry[Any] = Registry()
    return empty.with_resource(SPEC_URI, resource)


@cache
def spec_2026(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / f"leapocr-{name}-openapi-2026.json").read_text())
    return loaded


@cache
def _registry_2026(name: str) -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(
        spec_2026(name), default_specification=DRAFT202012
    )
    empty: Registry[Any] = Registry()
    return empty.with_resource(f"urn:leapocr:{name}", resource)


def matches_2026(body: Any, schema: str, *, spec: str = "sdk") -> Any:
    """Validate ``body`` against ``#/components/schemas/<schema>`` of a vendored 2026 spec."""
    ref = f"urn:leapocr:{spec}#/components/schemas/{schema}"
    validator = OAS31Validator({"$ref": ref}, registry=_registry_2026(spec))
    try:
        validator.validate(body)
    except ValidationError as exc:
        raise AssertionError(f"{schema}: {exc.message}\n{body}") from exc
    return body


def conform_2026(response: httpx.Response) -> None:
    """Check the body against the newest 2026 spec that declares the operation's status
    with a JSON body (the 2026 SDK spec declares delete as 204 without one: not checked)."""
    request = response.request
    path = request.url.path.removeprefix(API_PREFIX)
    for name in SPECS_2026:
        operation = _find(spec_2026(name)["paths"], request.method, path)
        if operation is None:
            continue
        declared = operation["responses"].get(str(response.status_code), {})
        schema = declared.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            matches_2026(response.json(), schema["$ref"].rsplit("/", 1)[-1], spec=name)
        return


def conform(response: httpx.Response, *, complete: bool = True, spec_2026: bool = True) -> Any:
    """Validate ``response`` against openapi.yaml (status declared, body schema) and, with
    ``spec_2026``, the vendored 2026 specs; return its JSON. With ``complete``, every
    top-level property of openapi.yaml's schema must be present."""
    request = response.request
    operation, _ = find_operation(request.method, request.url.path)
    declared = operation["responses"]
    assert str(response.status_code) in declared, (
        f"{request.method} {request.url.path} answered {response.status_code}, "
        f"not declared in openapi.yaml"
    )
    definition = _resolve(declared[str(response.status_code)])
    media = definition["content"]["application/json"]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    schema_ref = media["schema"]
    validator = OAS31Validator({"$ref": SPEC_URI + schema_ref["$ref"]}, registry=_registry())
    try:
        validator.validate(body)
    except ValidationError as exc:  # pragma: no cover - failure path
        raise AssertionError(f"{schema_ref['$ref']}: {exc.message}\n{body}") from exc
    if complete:
        name = schema_ref["$ref"].rsplit("/", 1)[-1]
        expected = set(_resolve(schema_ref).get("properties", {})) - OPTIONAL_FIELDS.get(
            name, set()
        )
        missing = expected - set(body)
        assert not missing, f"{name} lacks {sorted(missing)}: {body}"
    if spec_2026:
        conform_2026(response)
    return body
