"""Checks that a request on the wire is one ``openapi.yaml`` allows.

``check_request`` finds the operation by method and path, then validates the path and
query parameters, the API key header and the JSON body against the contract's schemas.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import FormatChecker
from openapi_schema_validator import OAS31Validator

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
API_PREFIX = "/api/v1"


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
    for op_method, regex, op in _operations():
        match = regex.match(path)
        if match and op_method == method.upper():
            return op, match.groupdict()
    raise AssertionError(f"{method} {path} is not an operation of openapi.yaml")


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
