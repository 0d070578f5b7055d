"""Every public class and method has a Google-style docstring with the sections its
signature needs: ``help(LeapOCR.process_file)`` answers without the README.

Checked: a docstring on each public class, function, method and property; ``Args:`` naming
every parameter (the constructor's in the class docstring); ``Returns:`` (``Yields:`` for
iterators) when something is returned; ``Raises:`` on every method of the two clients
that talks to the service; ``Attributes:`` naming every field of the result types.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import leapocr_sdk
import leapocr_sdk.journal
import leapocr_sdk.testing
import leapocr_sdk.webhooks

MODULES = [leapocr_sdk, leapocr_sdk.webhooks, leapocr_sdk.journal, leapocr_sdk.testing]
CLIENTS = ("LeapOCR", "AsyncLeapOCR")
NO_REQUEST = {"close", "aclose"}  # client methods that never talk to the service
SECTION = re.compile(r"^\s*(Args|Returns|Yields|Raises|Attributes|Example|Examples):\s*$", re.M)


def public_objects() -> Iterator[tuple[str, Any]]:
    for module in MODULES:
        for name in module.__all__:
            if name.startswith("_") or name.isupper():
                continue
            obj = getattr(module, name)
            yield f"{module.__name__}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not _is_routine(member):
                        continue
                    yield f"{module.__name__}.{name}.{attr}", getattr(obj, attr)


def _is_routine(member: Any) -> bool:
    return isinstance(member, property | staticmethod | classmethod) or inspect.isfunction(member)


def sections(doc: str) -> dict[str, str]:
    found: dict[str, str] = {}
    matches = list(SECTION.finditer(doc))
    for match, following in zip(matches, [*matches[1:], None], strict=False):
        end = following.start() if following else len(doc)
        found[match.group(1)] = doc[match.end() : end]
    return found


def documented_names(section: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^\s{4,8}\**(\w+)(?: \(.*?\))?:", section, re.M)}


def problems(qualname: str, obj: Any) -> list[str]:
    doc = inspect.getdoc(obj) if not isinstance(obj, property) else obj.__doc__
    if not doc or not doc.strip():
        return [f"{qualname}: no docstring"]
    if isinstance(obj, property) or (inspect.isclass(obj) and issubclass(obj, enum.Enum)):
        return []
    found = sections(inspect.cleandoc(doc))
    errors: list[str] = []
    if inspect.isclass(obj):
        fields = data_fields(obj)
        if fields is not None:  # a record: its fields are its Attributes (inherited ones too)
            missing = set(fields) - attributes_documented(obj)
            if missing:
                errors.append(f"{qualname}: Attributes: misses {sorted(missing)}")
            return errors
        init = obj.__dict__.get("__init__")
        if init is not None and not issubclass(obj, BaseException):
            errors += _check_args(qualname, init, found)
        return errors
    errors += _check_args(qualname, obj, found)
    signature = inspect.signature(obj)
    returns = signature.return_annotation
    if returns not in (None, "None", inspect.Signature.empty) and not (
        "Returns" in found or "Yields" in found
    ):
        errors.append(f"{qualname}: no Returns: (or Yields:) section")
    owner = qualname.split(".")[-2]
    if owner in CLIENTS and obj.__name__ not in NO_REQUEST and "Raises" not in found:
        errors.append(f"{qualname}: no Raises: section")
    return errors


def data_fields(cls: type) -> list[str] | None:
    """The fields of an attrs class, dataclass or NamedTuple; None for other classes."""
    if attrs.has(cls):
        return [f.name for f in attrs.fields(cls)]
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls)]
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return list(cls._fields)
    return None


def attributes_documented(cls: type) -> set[str]:
    names: set[str] = set()
    for base in cls.__mro__:
        doc = base.__dict__.get("__doc__")
        if isinstance(doc, str):
            names |= documented_names(sections(inspect.cleandoc(doc)).get("Attributes", ""))
    return names


def _check_args(qualname: str, function: Any, found: dict[str, str]) -> list[str]:
    names = [name for name in inspect.signature(function).parameters if name not in ("self", "cls")]
    missing = set(names) - documented_names(found.get("Args", ""))
    return [f"{qualname}: Args: misses {sorted(missing)}"] if missing else []


ALL = sorted(dict(public_objects()).items())


def test_the_public_surface_is_found() -> None:
    names = {name for name, _ in ALL}
    assert "leapocr_sdk.LeapOCR.process_file" in names
    assert "leapocr_sdk.AsyncLeapOCR.process_many" in names
    assert "leapocr_sdk.webhooks.construct_event" in names
    assert "leapocr_sdk.testing.LeapOCREmulator" in names
    assert len(names) > 100


@pytest.mark.parametrize(("qualname", "obj"), ALL, ids=[name for name, _ in ALL])
def test_public_docstring_is_complete(qualname: str, obj: Any) -> None:
    assert problems(qualname, obj) == []


def test_the_checker_catches_a_missing_parameter() -> None:
    def sample(a: int, b: int) -> int:
        """Add.

        Args:
            a: the first.

        Returns:
            the sum.
        """
        return a + b

    assert problems("m.sample", sample) == ["m.sample: Args: misses ['b']"]
