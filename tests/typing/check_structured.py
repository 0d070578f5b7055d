"""Static typing of structured results, checked by mypy --strict and pyright (make typing).

This file is never run: the checkers read it. ``assert_type`` fails the check when the
inferred type differs.
"""

from __future__ import annotations

import dataclasses
from typing import Any, assert_type

from pydantic import BaseModel
from typing_extensions import TypedDict

from leapocr_sdk import AsyncLeapOCR, Job, JobResult, LeapOCR


class Invoice(BaseModel):
    invoice_number: str
    total_amount: float


@dataclasses.dataclass
class Receipt:
    total_amount: float


class Totals(TypedDict):
    total_amount: float


def blocking(client: LeapOCR, result: JobResult) -> None:
    typed = client.process("a.pdf", schema=Invoice)
    assert_type(typed, JobResult[Invoice])
    assert_type(typed.parsed, Invoice)
    assert_type(client.process("a.pdf", schema=Receipt, delete=True).parsed, Receipt)
    assert_type(client.process("a.pdf", schema=Invoice, pages="1-3").parsed, Invoice)
    assert_type(result.parse(Invoice), Invoice)
    assert_type(result.parse(Receipt), Receipt)
    assert_type(result.parse(Totals), Totals)
    # A dict schema, or none: the parsed data is a dict.
    plain = client.process("a.pdf", schema={"type": "object"})
    assert_type(plain, JobResult[dict[str, Any]])
    assert_type(plain.parsed, dict[str, Any])
    assert_type(client.process("a.pdf").parsed, dict[str, Any])
    assert_type(client.wait_until_done("job").parsed, dict[str, Any])
    assert_type(client.get_result("job").data, dict[str, Any] | None)
    assert_type(client.process("a.pdf", schema=Invoice, wait=False), Job)


async def non_blocking(client: AsyncLeapOCR) -> None:
    typed = await client.process("a.pdf", schema=Invoice)
    assert_type(typed, JobResult[Invoice])
    assert_type(typed.parsed, Invoice)
    assert_type((await client.get_result("job")).parse(Totals), Totals)
    assert_type(await client.process("a.pdf", wait=False), Job)
