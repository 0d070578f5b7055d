"""The Python types the structured tests submit as ``schema=``, and documents that fit them."""

from __future__ import annotations

import dataclasses
import datetime
import enum

from pydantic import BaseModel
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from leapocr_sdk.testing import make_pdf


class Status(enum.Enum):
    PAID = "paid"
    DUE = "due"


class Vendor(BaseModel):
    name: str
    country: str | None = None


class Line(BaseModel):
    description: str
    amount: float


class Invoice(BaseModel):
    invoice_number: str
    issue_date: datetime.date
    status: Status
    vendor: Vendor
    lines: list[Line]
    total_amount: float
    notes: str | None = None


@dataclasses.dataclass
class Receipt:
    invoice_number: str
    total_amount: float


class Totals(TypedDict):
    invoice_number: str
    total_amount: float


class WithIban(BaseModel):
    """A type the invoice does not fit: it has no IBAN line."""

    invoice_number: str
    iban: str


class Node(BaseModel):
    """A recursive type: it has no self-contained JSON schema."""

    name: str
    children: list[Node]


INVOICE_PAGES = [
    "INVOICE\nInvoice Number: INV-2026-7\nIssue Date: 2026-03-01\nStatus: paid\n"
    "Name: Acme Ltd\nCountry: UK",
    "Description: Widgets\nAmount: 12.5\nTotal Amount: 99.5",
    "Thank you for your business.",
]


def invoice_pdf() -> bytes:
    """A 3-page invoice whose lines fill every field of ``Invoice``."""
    return make_pdf(INVOICE_PAGES)
