"""Schemas from Python types, and structured data read back as those types.

``schema=`` takes a JSON-schema ``dict`` or a Python type: a Pydantic v2 model class, a
dataclass type or a ``TypedDict`` type. A type is turned into one self-contained JSON
schema (pydantic's, with every ``$ref`` replaced by the definition it points at, and no
``$defs`` or ``title`` left), the form the service's ``schema`` field takes; a recursive
type has no such form and is refused. The same type validates a result's ``data``
(``JobResult.parse``); its errors become ``ResultParseError``.

pydantic is an optional extra (``leapocr-sdk[pydantic]``), imported only when a type is
given: ``import leapocr_sdk`` never loads it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
from collections.abc import Mapping
from typing import Any, TypeVar, is_typeddict

from .errors import ResultParseError, ValidationError

T = TypeVar("T")

PYDANTIC_EXTRA = "pip install 'leapocr-sdk[pydantic]'"

# Keywords whose value is one schema, a list of schemas, or a mapping of names to schemas;
# every other keyword's value is data (enum, const, default, examples, required, ...).
_ONE_SCHEMA = frozenset(
    {"items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else"}
)
_SCHEMA_LISTS = frozenset({"anyOf", "allOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
# Keywords dropped from a type's schema: definitions (inlined) and pydantic's titles.
_DROPPED = frozenset({"$defs", "definitions", "title"})


def is_schema_type(value: object) -> bool:
    """Whether ``value`` is a type ``schema=`` takes (model class, dataclass, TypedDict)."""
    if not isinstance(value, type):
        return False
    if _is_typeddict(value) or dataclasses.is_dataclass(value):
        return True
    return any(
        base.__name__ == "BaseModel" and base.__module__.startswith("pydantic")
        for base in value.__mro__
    )


def _is_typeddict(value: type[Any]) -> bool:
    if is_typeddict(value):
        return True
    # typing_extensions' TypedDict (the one pydantic asks for before Python 3.12) is a
    # class of its own there; the check is only made if typing_extensions is loaded.
    extensions = sys.modules.get("typing_extensions")
    return extensions is not None and bool(extensions.is_typeddict(value))


def _pydantic(what: str) -> Any:
    try:
        import pydantic
    except ImportError:
        raise ValidationError(
            f"{what} needs pydantic, an optional extra: {PYDANTIC_EXTRA} (or pass a JSON "
            "schema dict instead)"
        ) from None
    return pydantic


_ADAPTERS: dict[Any, Any] = {}  # type -> pydantic TypeAdapter (building one costs ~ms)
_ADAPTERS_LOCK = threading.Lock()


def _adapter(type_: Any) -> Any:
    with _ADAPTERS_LOCK:
        cached = _ADAPTERS.get(type_)
    if cached is not None:
        return cached
    pydantic = _pydantic(f"a schema given as a Python type ({_name(type_)})")
    try:
        adapter = pydantic.TypeAdapter(type_)
    except pydantic.PydanticUserError as exc:  # e.g. typing.TypedDict on Python < 3.12
        raise ValidationError(f"schema {_name(type_)} cannot be used: {exc}") from None
    with _ADAPTERS_LOCK:
        if len(_ADAPTERS) >= 256:
            _ADAPTERS.clear()
        _ADAPTERS[type_] = adapter
    return adapter


def _name(type_: object) -> str:
    return getattr(type_, "__qualname__", None) or repr(type_)


def schema_of(type_: type[Any]) -> dict[str, Any]:
    """The self-contained JSON schema the service is sent for ``type_``.

    Raises:
        ValidationError: pydantic is not installed (naming the extra), the type cannot
            be described by pydantic, or it is recursive.
    """
    adapter = _adapter(type_)
    pydantic = _pydantic("a schema given as a Python type")
    try:
        raw = adapter.json_schema(mode="validation")
    except (pydantic.PydanticUserError, pydantic.errors.PydanticInvalidForJsonSchema) as exc:
        raise ValidationError(f"schema {_name(type_)} has no JSON schema: {exc}") from None
    definitions = {**raw.get("definitions", {}), **raw.get("$defs", {})}
    schema = _inline(raw, definitions, (), _name(type_))
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ValidationError(
            f"schema {_name(type_)} does not describe a JSON object: use a model, "
            "dataclass or TypedDict with fields"
        )
    return schema


def _inline(node: Any, definitions: Mapping[str, Any], seen: tuple[str, ...], root: str) -> Any:
    """``node`` with every ``$ref`` replaced by its definition (``seen``: refs being
    expanded, to refuse recursion)."""
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen or (not seen and ref == "#"):
            chain = " -> ".join((*seen, name))
            raise ValidationError(
                f"schema {root} is recursive ({chain}): the service takes a self-contained "
                "schema without references. Bound the nesting with separate types, or pass "
                "a JSON schema dict"
            )
        if name not in definitions:
            raise ValidationError(f"schema {root} refers to {ref!r}, which it does not define")
        out.update(_inline(definitions[name], definitions, (*seen, name), root))
    for key, value in node.items():
        if key == "$ref" or key in _DROPPED:
            continue
        if key in _ONE_SCHEMA:
            out[key] = _inline(value, definitions, seen, root)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_inline(item, definitions, seen, root) for item in value]
        elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {name: _inline(sub, definitions, seen, root) for name, sub in value.items()}
        else:
            out[key] = value
    return out


def check_schema(value: object) -> tuple[dict[str, Any], type[Any] | None] | None:
    """``schema=`` checked: the JSON schema to send and the Python type it came from
    (None for a dict), or None without a schema."""
    if value is None:
        return None
    if isinstance(value, type):
        if not is_schema_type(value):
            raise ValidationError(
                f"schema must be a JSON schema dict, a Pydantic model class, a dataclass or a "
                f"TypedDict, got the type {_name(value)}"
            )
        return schema_of(value), value
    if not isinstance(value, Mapping):
        raise ValidationError(
            "schema must be a JSON object (a dict such as {'type': 'object', 'properties': ...}), "
            "a Pydantic model class, a dataclass or a TypedDict, "
            f"got {type(value).__name__}"
        )
    if not value:
        raise ValidationError("schema is empty: pass None to process without one")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"schema must be JSON-serialisable: {exc}") from None
    if not all(isinstance(key, str) for key in value):
        raise ValidationError("schema keys must be strings")
    return dict(value), None


def parse_data(data: object, type_: type[T], job_id: str) -> T:
    """``data`` validated as ``type_`` (an instance of the model or dataclass, a dict for a
    TypedDict).

    Raises:
        ResultParseError: ``data`` does not validate (``errors`` says where), with ``data``.
        ValidationError: pydantic is not installed, or ``type_`` is not a type it reads.
    """
    if not isinstance(type_, type) or not is_schema_type(type_):
        raise ValidationError(
            f"parse() takes a Pydantic model class, a dataclass or a TypedDict, got {_name(type_)}"
        )
    adapter = _adapter(type_)
    pydantic = _pydantic("parse()")
    try:
        return adapter.validate_python(data)  # type: ignore[no-any-return]
    except pydantic.ValidationError as exc:
        errors = [
            {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
            for error in exc.errors()
        ]
        where = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or '(root)'}: {error['msg']}"
            for error in errors[:5]
        )
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise ResultParseError(
            f"the result of job {job_id} does not fit {_name(type_)}: {where}{more}. "
            "The data is kept on this error's .data",
            job_id=job_id,
            data=data,
            errors=errors,
        ) from None
