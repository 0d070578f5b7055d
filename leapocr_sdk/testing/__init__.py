"""A faithful local LeapOCR service for tests, demos and benchmarks.

``LeapOCREmulator`` speaks the wire contract of ``openapi.yaml`` on 127.0.0.1, including
presigned multipart uploads, job progression, credits, rate limits and fault injection.
It extracts the text embedded in PDFs; it does **not** do OCR. ``make_pdf`` writes small
(or padded, large) PDFs whose text it reads back.

Importing this package needs only the standard library; the emulator imports ``pypdf``
when it reads a document and ``httpx`` when it downloads one.
"""

from .emulator import LeapOCREmulator, RecordedRequest
from .faults import Faults
from .jobs import JobView
from .pdf import make_pdf
from .webhooks import WebhookDelivery

__all__ = [
    "Faults",
    "JobView",
    "LeapOCREmulator",
    "RecordedRequest",
    "WebhookDelivery",
    "make_pdf",
]
