"""One verified TLS context per process, shared by every client the SDK creates.

Building a context parses the CA bundle (30-80 ms and a few MiB); the API client and the
upload client of every LeapOCR share this one. Certificates and host names are verified.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
