"""A faithful local LeapOCR service for tests, demos and benchmarks.

``LeapOCREmulator`` speaks the service's 2026 wire contract on 127.0.0.1, including
presigned multipart uploads (up to 1 GiB), job progression, templates, credits, rate
limits and fault injection. It extracts the text embedded in PDFs, with bounding boxes;
it does **not** do OCR: an image is a page whose text starts with ``IMAGE_PAGE_MARKER``.
``make_pdf`` writes small (or padded, large) PDFs whose text it reads back.

Importing this package needs only the standard library; the emulator imports ``pypdf``
when it reads a document and ``httpx`` when it downloads one from a host that is not a
loopback address (or over TLS).
"""

from .emulator import LeapOCREmulator, RecordedRequest
from .extract import IMAGE_PAGE_MARKER
from .faults import Faults
from .jobs import JobView, Template
from .pdf import make_pdf
from .webhooks import WebhookDelivery

__all__ = [
    "IMAGE_PAGE_MARKER",
    "Faults",
    "JobView",
    "LeapOCREmulator",
    "RecordedRequest",
    "Template",
    "WebhookDelivery",
    "make_pdf",
]

# help() and the docs name the public path, whichever module of the package defines it.
for _name in __all__:
    _value = globals()[_name]
    if callable(_value):
        _value.__module__ = __name__
del _name, _value
