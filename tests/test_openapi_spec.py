"""openapi.yaml is a valid OpenAPI 3.1 document and agrees with the service's own specs.

The service's specs of March 2026 are vendored under ``tests/data/`` (so this never skips):
``leapocr-sdk-openapi-2026.json``, the SDK endpoints (the newest contract), and
``leapocr-service-openapi-2026.json``, the whole service. For every operation of ours, the
newest spec that describes it is the reference: the parameters, the request body and every
response it lists must agree once ``$ref``s are resolved (property names, types, formats,
enums, required lists and min/max/length constraints). Ours may add responses (402, 409,
429...) and name schemas differently; descriptions and examples are free. Against the
whole-service spec, the only differences allowed are the ones the newer SDK spec made,
listed in ``NEWER_IN_SDK_SPEC``. Regenerating generated/ is checked by the Makefile's
``regen-diff`` target, not here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parent.parent
OURS = ROOT / "openapi.yaml"
DATA = ROOT / "tests" / "data"
SERVICE = DATA / "leapocr-service-openapi-2026.json"
SDK_SPEC = DATA / "leapocr-sdk-openapi-2026.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")

# Keywords that change what a document may contain. Descriptions, examples, titles and
# vendor extensions (x-enum-varnames) do not.
CONSTRAINTS = (
    "type",
    "format",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "default",
    "nullable",
)


@cache
def ours() -> dict[str, Any]:
    return dict(yaml.safe_load(OURS.read_text()))


@cache
def service() -> dict[str, Any]:
    return dict(json.loads(SERVICE.read_text()))


@cache
def sdk_spec() -> dict[str, Any]:
    return dict(json.loads(SDK_SPEC.read_text()))


def reference(operation: tuple[str, str]) -> dict[str, Any]:
    """The newest published spec that describes ``operation``."""
    return sdk_spec() if operation in operations(sdk_spec()) else service()


def resolve(doc: dict[str, Any], node: Any) -> Any:
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"external $ref {ref}"
        assert ref not in seen, f"$ref cycle at {ref}"
        seen.add(ref)
        target: Any = doc
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def normalise(doc: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """A schema reduced to what constrains a value, every ``$ref`` resolved."""
    assert depth < 20, "schema nested too deeply (a recursive schema?)"
    node = resolve(doc, node)
    if not isinstance(node, dict):
        return node
    wrapped = unwrap_generator_oneof(node)
    if wrapped is not None:
        return normalise(doc, wrapped, depth + 1)
    out: dict[str, Any] = {}
    for key in CONSTRAINTS:
        if key in node:
            value = node[key]
            out[key] = sorted(value, key=str) if key == "enum" else value
    if node.get("uniqueItems"):
        out["uniqueItems"] = True
    if node.get("required"):
        out["required"] = sorted(node["required"])
    if "properties" in node:
        out["properties"] = {
            name: normalise(doc, sub, depth + 1) for name, sub in node["properties"].items()
        }
    if "items" in node:
        out["items"] = normalise(doc, node["items"], depth + 1)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out["additionalProperties"] = normalise(doc, extra, depth + 1)
    elif extra is not None:
        out["additionalProperties"] = extra
    for key in ("allOf", "anyOf", "oneOf"):
        if key in node:
            out[key] = [normalise(doc, sub, depth + 1) for sub in node[key]]
    return out


def unwrap_generator_oneof(node: dict[str, Any]) -> Any:
    """The service's 2026 request bodies read ``oneOf: [{type: object}, {$ref: X}]``, an
    artefact of its spec generator (any JSON object would match both branches, which
    ``oneOf`` forbids). The body the service documents is X; ours states X directly."""
    branches = node.get("oneOf")
    if not isinstance(branches, list) or len(branches) != 2 or set(node) != {"oneOf"}:
        return None
    bare = [b for b in branches if b == {"type": "object"}]
    refs = [b for b in branches if isinstance(b, dict) and "$ref" in b]
    return refs[0] if len(bare) == 1 and len(refs) == 1 else None


def operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def shared_operations() -> list[tuple[str, str]]:
    mine = operations(ours())
    theirs = set(operations(service())) | set(operations(sdk_spec()))
    return sorted(set(mine) & theirs)


def parameters(doc: dict[str, Any], op: dict[str, Any]) -> dict[tuple[str, str], Any]:
    found = {}
    for raw in op.get("parameters", []):
        param = resolve(doc, raw)
        found[(param["in"], param["name"])] = {
            "required": bool(param.get("required", False)),
            "schema": normalise(doc, param.get("schema", {})),
        }
    return found


def body_schema(doc: dict[str, Any], holder: dict[str, Any] | None) -> dict[str, Any] | None:
    if holder is None:
        return None
    holder = resolve(doc, holder)
    content = holder.get("content", {})
    return {
        media: normalise(doc, entry.get("schema", {})) for media, entry in sorted(content.items())
    }


def diff(left: Any, right: Any, where: str = "") -> list[str]:
    """Human-readable differences between two normalised schemas."""
    if isinstance(left, dict) and isinstance(right, dict):
        problems = []
        for key in sorted(set(left) | set(right)):
            if key not in left:
                problems.append(f"{where}/{key}: only in the service spec: {right[key]!r}")
            elif key not in right:
                problems.append(f"{where}/{key}: only in openapi.yaml: {left[key]!r}")
            else:
                problems.extend(diff(left[key], right[key], f"{where}/{key}"))
        return problems
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [
            p
            for i, (a, b) in enumerate(zip(left, right, strict=True))
            for p in diff(a, b, f"{where}[{i}]")
        ]
    return [] if left == right else [f"{where}: openapi.yaml {left!r} != service {right!r}"]


# --- our document on its own ---------------------------------------------------------------


def test_openapi_yaml_is_valid():
    validate(ours())


def test_openapi_version_server_and_security():
    spec = ours()
    assert str(spec["openapi"]).startswith("3.1")
    assert [server["url"] for server in spec["servers"]] == ["https://api.leapocr.com/api/v1"]
    schemes = spec["components"]["securitySchemes"]
    api_keys = {
        name: scheme
        for name, scheme in schemes.items()
        if scheme["type"] == "apiKey" and scheme["in"] == "header" and scheme["name"] == "X-API-Key"
    }
    assert api_keys, "no apiKey security scheme in header X-API-Key"
    required = {name for requirement in spec.get("security", []) for name in requirement}
    assert required & set(api_keys), "the X-API-Key scheme is not required globally"
    for (method, path), op in operations(spec).items():
        if op.get("security") == []:
            assert (method, path) == ("GET", "/health"), f"{method} {path} has no security"
        elif "security" in op:
            names = {name for requirement in op["security"] for name in requirement}
            assert names & set(api_keys), f"{method} {path} does not use the X-API-Key scheme"


def test_the_sdk_operations_are_described():
    assert set(operations(ours())) >= {
        ("POST", "/ocr/uploads/url"),
        ("POST", "/ocr/uploads/direct"),
        ("POST", "/ocr/uploads/{job_id}/complete"),
        ("GET", "/ocr/status/{job_id}"),
        ("GET", "/ocr/result/{job_id}"),
        ("DELETE", "/ocr/delete/{job_id}"),
        ("GET", "/ocr/models"),
        ("GET", "/health"),
    }


def test_error_responses_use_the_error_body():
    spec = ours()
    error = normalise(spec, {"$ref": "#/components/schemas/ErrorResponse"})
    assert set(error["properties"]) == {"code", "error", "details"}
    assert set(error["properties"]["error"]["properties"]) == {"message"}
    for (method, path), op in operations(spec).items():
        for status, response in op["responses"].items():
            if (method, path, status) == ("GET", "/health", "503"):
                continue  # a degraded service answers its health report, not an error
            if int(status) >= 400:
                content = resolve(spec, response)["content"]["application/json"]
                assert normalise(spec, content["schema"]) == error, f"{method} {path} {status}"


def test_schema_names_are_clean():
    names = list(ours()["components"]["schemas"])
    assert names
    for name in names:
        assert "." not in name, f"schema name {name!r} has a dotted package prefix"
        assert name.isidentifier(), f"schema name {name!r} is not a plain identifier"


def test_operation_ids_are_unique():
    ids = [op["operationId"] for op in operations(ours()).values()]
    assert len(ids) == len(set(ids))


# --- agreement with the service's spec ------------------------------------------------------


def test_every_operation_of_ours_is_in_a_published_spec():
    assert set(shared_operations()) == set(operations(ours()))
    assert set(shared_operations()) == {
        ("POST", "/ocr/uploads/url"),
        ("POST", "/ocr/uploads/direct"),
        ("POST", "/ocr/uploads/{job_id}/complete"),
        ("GET", "/ocr/status/{job_id}"),
        ("GET", "/ocr/result/{job_id}"),
        ("DELETE", "/ocr/delete/{job_id}"),
        ("GET", "/ocr/models"),
        ("GET", "/health"),
    }


def operation_differences(doc: dict[str, Any], operation: tuple[str, str]) -> list[str]:
    """Every difference between our operation and ``doc``'s (which must describe it)."""
    my_op, their_op = operations(ours())[operation], operations(doc)[operation]
    problems: list[str] = []
    mine, theirs = parameters(ours(), my_op), parameters(doc, their_op)
    if set(mine) != set(theirs):
        problems.append(f"parameters differ: {sorted(set(mine) ^ set(theirs))}")
    problems += [
        p for key in set(mine) & set(theirs) for p in diff(mine[key], theirs[key], "/".join(key))
    ]
    my_body = body_schema(ours(), my_op.get("requestBody"))
    their_body = body_schema(doc, their_op.get("requestBody"))
    if (my_body is None) != (their_body is None):
        problems.append("only one spec has a request body")
    elif my_body is not None:
        my_required = bool(resolve(ours(), my_op["requestBody"]).get("required", False))
        their_required = bool(resolve(doc, their_op["requestBody"]).get("required", False))
        if my_required != their_required:
            problems.append("requestBody.required differs")
        problems += diff(my_body, their_body, "requestBody")
    my_responses, their_responses = my_op["responses"], their_op["responses"]
    missing = set(their_responses) - set(my_responses)
    if missing:
        problems.append(f"responses the spec lists but openapi.yaml lacks: {sorted(missing)}")
    for status in sorted(set(their_responses) & set(my_responses)):
        problems += diff(
            body_schema(ours(), my_responses[status]),
            body_schema(doc, their_responses[status]),
            f"responses/{status}",
        )
    return problems


@pytest.mark.parametrize("operation", shared_operations(), ids=" ".join)
def test_operation_agrees_with_the_newest_spec(operation):
    problems = operation_differences(reference(operation), operation)
    assert not problems, "\n".join(problems)


# Where the SDK spec of March 2026 is newer than the whole-service spec of the same month:
# file_size became required, and the status gained the template's name. Nothing else may
# differ from the whole-service spec.
NEWER_IN_SDK_SPEC = {
    ("POST", "/ocr/uploads/direct"): [
        "requestBody/application/json/required: "
        "openapi.yaml ['content_type', 'file_name', 'file_size'] "
        "!= service ['content_type', 'file_name']"
    ],
    ("GET", "/ocr/status/{job_id}"): [
        "responses/200/application/json/properties/template_internal: only in openapi.yaml: "
        "{'type': 'boolean'}",
        "responses/200/application/json/properties/template_name: only in openapi.yaml: "
        "{'type': 'string'}",
    ],
}


@pytest.mark.parametrize(
    "operation",
    sorted(set(operations(ours())) & set(operations(service()))),
    ids=" ".join,
)
def test_operation_agrees_with_the_whole_service_spec(operation):
    problems = operation_differences(service(), operation)
    assert problems == NEWER_IN_SDK_SPEC.get(operation, [])


def test_the_sdk_spec_is_the_newer_one_where_they_differ():
    """Each allowed difference is really the SDK spec's: ours equals it there."""
    for operation in NEWER_IN_SDK_SPEC:
        assert operation in operations(sdk_spec())
        assert operation_differences(sdk_spec(), operation) == []


def test_the_comparison_sees_differences():
    """The comparison is not vacuous: a changed constraint, type or property is reported."""
    doc = {
        "components": {
            "schemas": {
                "A": {"type": "object", "properties": {"n": {"type": "integer", "maximum": 5}}}
            }
        }
    }
    base = normalise(doc, {"$ref": "#/components/schemas/A"})
    changed = json.loads(json.dumps(base))
    changed["properties"]["n"]["maximum"] = 6
    assert diff(base, changed) == ["/properties/n/maximum: openapi.yaml 5 != service 6"]
    changed["properties"]["m"] = {"type": "string"}
    assert len(diff(base, changed)) == 2
    assert diff(base, {**base, "type": "array"})
    assert diff({"enum": ["a", "b"]}, {"enum": ["a"]})
