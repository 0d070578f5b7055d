#!/usr/bin/env python3
"""Write leapocr_sdk/testing/data/sample-invoice.pdf: a 3-page invoice for demos, docs and tests.

`leapocr demo` (and `make demo`) runs on it, from the installed package.

Usage: python scripts/make_sample_pdf.py [OUTPUT]
The output is deterministic, so re-running it leaves the committed file unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leapocr_sdk.testing.pdf import make_pdf  # noqa: E402

PAGES = [
    "\n".join(
        [
            "INVOICE",
            "Invoice Number: INV-2026-0042",
            "Date: 2026-11-02",
            "Due Date: 2026-12-02",
            "Vendor: Northwind Office Supplies Ltd.",
            "Vendor Address: 12 Harbour Road, Bristol BS1 4QA, United Kingdom",
            "Customer: Contoso Analytics GmbH",
            "Customer Address: Friedrichstrasse 88, 10117 Berlin, Germany",
            "Purchase Order: PO-77813",
            "Currency: EUR",
        ]
    ),
    "\n".join(
        [
            "Line Items",
            "1. Ergonomic office chair x 4 @ 189.00 = 756.00",
            "2. Standing desk frame x 2 @ 164.50 = 329.00",
            "3. Monitor arm, dual x 3 @ 28.50 = 85.50",
            "4. Delivery and assembly x 1 @ 64.06 = 64.06",
            "Subtotal: 1234.56",
            "Tax Rate: 0%",
            "Tax Amount: 0.00",
            "Total Amount: 1234.56",
        ]
    ),
    "\n".join(
        [
            "Payment Details",
            "Payment Terms: Net 30",
            "Bank: Example Commercial Bank",
            "IBAN: GB33 BUKB 2020 1555 5555 55",
            "Reference: INV-2026-0042",
            "Paid: no",
            "Notes: Reverse charge applies to intra-EU supplies.",
            "Thank you for your business.",
        ]
    ),
]


def main() -> None:
    default = ROOT / "leapocr_sdk" / "testing" / "data" / "sample-invoice.pdf"
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(make_pdf(PAGES))
    print(f"wrote {output} ({output.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
