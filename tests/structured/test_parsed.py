"""Schemas from Python types, end to end: each type goes through ``process`` against the
emulator and comes back as an instance via ``.parsed``; a result that does not fit raises
``ResultParseError`` with its data kept. Sync and async."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from leapocr_sdk import JobResult, ResultParseError, ValidationError, estimate_credits
from leapocr_sdk.testing import LeapOCREmulator

from .conftest import Sent
from .models import Invoice, Line, Node, Receipt, Status, Totals, Vendor, WithIban, invoice_pdf

FAST = {"poll_interval": 0.02, "timeout": 20}


def test_a_pydantic_model_with_nested_objects_comes_back_as_an_instance(
    client: Any, emu: LeapOCREmulator, sent: Sent
) -> None:
    result = client.process(invoice_pdf(), schema=Invoice, delete=True, **FAST)
    invoice = result.parsed
    assert invoice == Invoice(
        invoice_number="INV-2026-7",
        issue_date=datetime.date(2026, 3, 1),
        status=Status.PAID,
        vendor=Vendor(name="Acme Ltd", country="UK"),
        lines=[Line(description="Widgets", amount=12.5)],
        total_amount=99.5,
        notes=None,
    )
    assert result.parse(Invoice) == invoice
    assert result.schema_type is Invoice
    assert "schema_type" not in result.to_dict()  # JSON-ready data only
    json.dumps(result.to_dict())
    # The job was sent the type's self-contained schema, and charged as structured.
    (job,) = emu.jobs.values()
    assert job.schema is not None and "$defs" not in job.schema
    assert job.schema["properties"]["vendor"]["properties"]["name"] == {"type": "string"}
    assert result.credits_used == estimate_credits(3, schema=Invoice) == 6
    # Every request the client sent is one openapi.yaml allows (the schema included).
    operations = sent.check()
    assert operations[:2] == ["directUpload", "completeDirectUpload"]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        (Receipt, Receipt(invoice_number="INV-2026-7", total_amount=99.5)),
        (Totals, {"invoice_number": "INV-2026-7", "total_amount": 99.5}),
    ],
    ids=["dataclass", "TypedDict"],
)
def test_a_dataclass_and_a_typeddict_come_back_parsed(
    client: Any, schema: type[Any], expected: object
) -> None:
    result = client.process(invoice_pdf(), schema=schema, **FAST)
    assert result.parsed == expected
    assert type(result.parsed) is type(expected)


def test_a_dict_schema_gives_its_data(client: Any) -> None:
    schema = {"type": "object", "properties": {"total_amount": {"type": "number"}}}
    result = client.process(invoice_pdf(), schema=schema, **FAST)
    assert result.parsed == result.data == {"total_amount": 99.5}
    with pytest.raises(ResultParseError, match="invoice_number: Field required"):
        result.parse(Totals)  # the dict schema asked for the total only


def test_a_result_that_does_not_fit_raises_result_parse_error_with_the_data(
    client: Any,
) -> None:
    result = client.process(invoice_pdf(), schema=WithIban, **FAST)
    with pytest.raises(ResultParseError) as caught:
        result.parsed  # noqa: B018
    error = caught.value
    assert error.job_id == result.job_id
    assert error.data == {"invoice_number": "INV-2026-7", "iban": None}
    assert [e["loc"] for e in error.errors] == [["iban"]]
    assert "iban" in str(error) and "WithIban" in str(error)
    assert not isinstance(error, ValueError)  # not pydantic's own exception
    # parse() with another type reads the same data.
    with pytest.raises(ResultParseError):
        result.parse(Invoice)


def test_process_many_items_carry_the_type(client: Any) -> None:
    items = list(client.process_many([invoice_pdf(), invoice_pdf()], schema=Receipt, **FAST))
    assert [item.result.parsed for item in items] == [
        Receipt(invoice_number="INV-2026-7", total_amount=99.5)
    ] * 2
    assert [item.estimated_credits for item in items] == [6, 6]
    assert [item.credits for item in items] == [6, 6]


def test_a_markdown_result_has_nothing_to_parse(client: Any) -> None:
    result = client.process(invoice_pdf(), **FAST)
    with pytest.raises(ResultParseError, match="no structured data"):
        result.parse(Receipt)
    with pytest.raises(ResultParseError, match="no structured data"):
        result.parsed  # noqa: B018


def test_bad_schema_types_are_refused_before_any_request(client: Any, emu: LeapOCREmulator) -> None:
    with pytest.raises(ValidationError, match="recursive"):
        client.process(invoice_pdf(), schema=Node)
    with pytest.raises(ValidationError, match="Pydantic model class, a dataclass or a TypedDict"):
        client.process(invoice_pdf(), schema=int)
    with pytest.raises(ValidationError, match="Pydantic model class, a dataclass or a TypedDict"):
        client.process_file(invoice_pdf(), schema=str)
    assert emu.requests == []


def test_parse_refuses_what_is_not_a_type() -> None:
    result: JobResult = JobResult("j", "completed", 1, 1.0, "standard-v2", "structured", (), {})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="parse\\(\\) takes"):
        result.parse(dict)
