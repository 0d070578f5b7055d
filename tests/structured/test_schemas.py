"""The JSON schema sent for a Python type: self-contained, pinned, allowed by openapi.yaml;
and the types' path without pydantic installed."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from leapocr_sdk import ValidationError
from leapocr_sdk._schemas import schema_of
from leapocr_sdk.testing import LeapOCREmulator

from .conftest import Sent
from .models import Invoice, Node, Receipt, Totals, invoice_pdf

# The schema sent for Invoice: nested objects, an enum, a list of objects, an optional
# field and a date, every $ref inlined, no $defs and no titles.
INVOICE_SCHEMA = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "issue_date": {"type": "string", "format": "date"},
        "status": {"type": "string", "enum": ["paid", "due"]},
        "vendor": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "country": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
            },
            "required": ["name"],
        },
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "amount": {"type": "number"},
                },
                "required": ["description", "amount"],
            },
        },
        "total_amount": {"type": "number"},
        "notes": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
    },
    "required": ["invoice_number", "issue_date", "status", "vendor", "lines", "total_amount"],
}


def test_the_schema_of_a_nested_model_is_pinned() -> None:
    assert schema_of(Invoice) == INVOICE_SCHEMA
    assert "$ref" not in json.dumps(schema_of(Invoice))


def test_dataclass_and_typeddict_schemas() -> None:
    expected = {
        "type": "object",
        "properties": {"invoice_number": {"type": "string"}, "total_amount": {"type": "number"}},
        "required": ["invoice_number", "total_amount"],
    }
    assert schema_of(Receipt) == schema_of(Totals) == expected


def test_a_recursive_type_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValidationError, match=r"recursive \(Node -> Node\)"):
        schema_of(Node)


def test_the_request_carrying_a_type_schema_fits_openapi_yaml(
    client: Any, emu: LeapOCREmulator, sent: Sent, httpserver: Any
) -> None:
    httpserver.expect_request("/invoice.pdf").respond_with_data(
        invoice_pdf(), content_type="application/pdf"
    )
    client.process_file(invoice_pdf(), schema=Invoice)
    client.process_url(httpserver.url_for("/invoice.pdf"), schema=Invoice)
    assert sent.check()[0] == "directUpload" and "uploadFromRemoteURL" in sent.check()
    bodies = [json.loads(body) for _m, _p, _q, _h, body in sent.requests if body.startswith(b"{")]
    assert [body["schema"] for body in bodies if "schema" in body] == [INVOICE_SCHEMA] * 2
    assert [job.schema for job in emu.jobs.values()] == [INVOICE_SCHEMA] * 2


def test_without_pydantic_a_type_schema_names_the_extra_before_any_request() -> None:
    code = (
        "import sys, dataclasses; sys.modules['pydantic'] = None\n"
        "from leapocr_sdk import LeapOCR, ValidationError, estimate_credits\n"
        "@dataclasses.dataclass\n"
        "class Receipt:\n"
        "    total: float\n"
        "client = LeapOCR(api_key='k', base_url='http://127.0.0.1:9/api/v1', max_retries=0)\n"
        "print(estimate_credits(2, schema=Receipt))\n"  # pricing needs no pydantic
        "for call in (lambda: client.process_url('https://example.com/a.pdf', schema=Receipt),\n"
        "             lambda: client.process(b'%PDF-1.4 x', schema=Receipt)):\n"
        "    try:\n"
        "        call()\n"
        "    except ValidationError as error:\n"
        "        print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "4"
    assert len(lines) == 3
    assert all("pip install 'leapocr-sdk[pydantic]'" in line for line in lines[1:])


def test_import_leapocr_sdk_loads_neither_pydantic_nor_pypdf() -> None:
    code = (
        "import sys, leapocr_sdk\n"
        "from leapocr_sdk import LeapOCR, AsyncLeapOCR, JobResult, estimate_credits\n"
        "import leapocr_sdk._client\n"
        "print(','.join(m for m in ('pydantic', 'pypdf') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
