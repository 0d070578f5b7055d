"""The emulator's request checks: submission fields, option rules, parts, paging."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .._contract import (
    DEFAULT_FORMAT,
    DEFAULT_MODEL,
    DROPPED_FORMATS,
    FORMAT_MARKDOWN,
    FORMAT_STRUCTURED,
    FORMATS,
    MAX_FILE_NAME_LENGTH,
    MAX_FILE_SIZE,
    MAX_INSTRUCTION_LENGTH,
    MAX_URL_LENGTH,
    RESULT_PAGE_LIMIT_DEFAULT,
)
from .jobs import ModelEntry, Upload
from .messages import HttpReply, HttpRequest, error
from .service import Service

# -- request validation --------------------------------------------------------------------

_FIELDS: dict[str, dict[str, Any]] = {
    "url": {"type": str, "max": MAX_URL_LENGTH},
    "file_name": {"type": str, "min": 1, "max": MAX_FILE_NAME_LENGTH},
    "content_type": {"type": str},
    "file_size": {"type": int, "minimum": 1, "maximum": MAX_FILE_SIZE},
    "format": {"type": str, "enum": FORMATS},
    "model": {"type": str},
    "instructions": {"type": str, "max": MAX_INSTRUCTION_LENGTH},
    "schema": {"type": dict},
    "template_slug": {"type": str},
    "extract_bounding_boxes": {"type": bool},
    "save_as_template": {"type": bool},
}
_TYPE_NAMES = {str: "a string", int: "an integer", dict: "an object", bool: "a boolean"}
_EXCLUDED_BY_TEMPLATE = ("format", "model", "schema", "instructions")


def check_fields(payload: Mapping[str, Any], required: tuple[str, ...]) -> HttpReply | None:
    """Check the fields of a submission body like the contract's schemas do."""
    for name in required:
        if payload.get(name) is None:
            return error(400, f"{name} is required", details={"field": name})
    for name, rules in _FIELDS.items():
        value = payload.get(name)
        if value is None:
            continue
        kind = rules["type"]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return error(400, f"{name} must be {_TYPE_NAMES[kind]}", details={"field": name})
        if isinstance(value, str) and not rules.get("min", 0) <= len(value) <= rules.get(
            "max", len(value)
        ):
            return error(400, f"{name} has an invalid length", details={"field": name})
        if isinstance(value, int) and not (
            rules.get("minimum", value) <= value <= rules.get("maximum", value)
        ):
            limits = f"{rules['minimum']}..{rules['maximum']}"
            return error(400, f"{name} must be within {limits}", details={"field": name})
        if name == "format" and value in DROPPED_FORMATS:
            return error(
                400,
                f"format {value} is no longer supported; use structured (one object for the "
                "document) or markdown",
                details={"field": name, "allowed_values": list(FORMATS)},
            )
        if "enum" in rules and value not in rules["enum"]:
            return error(
                400,
                f"{name} must be one of {', '.join(rules['enum'])}",
                details={"field": name, "allowed_values": list(rules["enum"])},
            )
    return None


def parse_json(request: HttpRequest) -> dict[str, Any] | HttpReply:
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return error(400, "The request body is not valid JSON", code="BAD_REQUEST")
    if not isinstance(payload, dict):
        return error(400, "The request body must be a JSON object", code="BAD_REQUEST")
    return payload


def unquoted(etag: str) -> str:
    """An ETag without its surrounding quotes: storage accepts it either way."""
    if len(etag) >= 2 and etag.startswith('"') and etag.endswith('"'):
        return etag[1:-1]
    return etag


class RequestChecks(Service):
    """Checks shared by the route handlers (the job's options, parts, paging)."""

    def _options(self, payload: Mapping[str, Any]) -> tuple[ModelEntry, dict[str, Any]] | HttpReply:
        """The job's model and options, following the service's rules (or the refusal)."""
        slug = payload.get("template_slug")
        boxes = bool(payload.get("extract_bounding_boxes"))
        if slug:
            clash = [name for name in _EXCLUDED_BY_TEMPLATE if payload.get(name)]
            if clash:
                return error(
                    400,
                    f"template_slug cannot be combined with {', '.join(clash)}: the template "
                    "sets them; send either template_slug or format (with model, schema, "
                    "instructions)",
                    details={"fields": ["template_slug", *clash]},
                )
            template = self.store.template(slug)
            if template is None:
                return error(
                    400,
                    f"Template {slug!r} not found",
                    details={"field": "template_slug"},
                )
            name = template.model or DEFAULT_MODEL
            options: dict[str, Any] = {
                "result_format": template.result_format,
                "schema": template.schema,
                "instructions": template.instructions,
                "template_slug": slug,
                "template_name": template.name,
                "extract_bounding_boxes": boxes or template.extract_bounding_boxes,
            }
        else:
            fmt = payload.get("format") or DEFAULT_FORMAT
            schema = payload.get("schema") or None
            if fmt == FORMAT_STRUCTURED and schema is None:
                return error(
                    400,
                    "The structured format needs a non-empty schema (or a template_slug)",
                    details={"field": "schema"},
                )
            if fmt == FORMAT_MARKDOWN and schema is not None:
                return error(
                    400,
                    "schema is only used by the structured format; send format structured",
                    details={"field": "schema"},
                )
            name = payload.get("model") or DEFAULT_MODEL
            options = {
                "result_format": fmt,
                "schema": schema,
                "instructions": payload.get("instructions") or None,
                "extract_bounding_boxes": boxes,
            }
        model = self.store.model(name)
        if model is None:
            known = [m.name for m in self.store.model_list()]
            return error(
                400,
                f"Unknown model {name!r}",
                details={"field": "model", "allowed_values": known},
            )
        if not self.store.can_afford(self.store.page_price(model, options)):
            return error(402, "Insufficient credits")
        return model, options

    @staticmethod
    def _check_parts(upload: Upload, given: list[tuple[int, str]]) -> HttpReply | None:
        numbers = [number for number, _ in given]
        if numbers != sorted(set(numbers)):
            return error(
                400,
                "Parts must be listed once each, in ascending part_number order",
                details={"part_numbers": numbers},
            )
        total = len(upload.ranges)
        unknown = [n for n in numbers if n > total]
        if unknown:
            return error(400, f"Part {unknown[0]} is not part of this upload (it has {total})")
        missing = [n for n in range(1, total + 1) if n not in numbers]
        if missing:
            return error(
                400, f"Missing parts: {', '.join(map(str, missing))}", details={"missing": missing}
            )
        for number, etag in given:
            received = upload.received.get(number)
            if received is None:
                return error(
                    400, f"Part {number} was not uploaded", details={"part_number": number}
                )
            if unquoted(received[0]) != etag:
                return error(
                    400,
                    f"The ETag of part {number} does not match the uploaded part",
                    details={"part_number": number, "etag": etag},
                )
        return None

    def _page_query(self, request: HttpRequest) -> tuple[int, int] | HttpReply:
        values: list[int] = []
        limits = (("page", 1, None), ("limit", RESULT_PAGE_LIMIT_DEFAULT, self.max_result_limit))
        for name, default, highest in limits:
            raw = request.query.get(name, str(default))
            if not raw.isdigit() or int(raw) < 1 or (highest is not None and int(raw) > highest):
                allowed = f"1..{highest}" if highest else ">= 1"
                return error(
                    400,
                    f"{name} must be an integer {allowed}",
                    code="BAD_REQUEST",
                    details={"field": name},
                )
            values.append(int(raw))
        return values[0], values[1]
