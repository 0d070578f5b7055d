"""The SDK's logging: the ``LEAPOCR_LOG`` switch, and no secret in any log record.

The SDK logs on the ``leapocr_sdk`` logger: at INFO each job submitted and finished,
each retry (what failed, the delay: 429 back-offs included) and each pause of a batch
after a 429; at DEBUG each request (method, scheme, host, port and path, never a query).
``LEAPOCR_LOG=info`` or ``debug`` adds a readable stderr handler to that logger when the
first client is created; without it the application's own logging configuration decides.

httpx logs every request at INFO with its whole URL, and a part upload's URL carries the
storage signature in its query. Every client installs ``RedactSecrets`` on the ``httpx``
logger and on the emulator's (once per process): signature-like query parameters of any
URL they log are replaced by ``<redacted>``. The API key travels in a header, which
httpx never logs.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings

from . import _constants as C

logger = logging.getLogger("leapocr_sdk")

# Query parameters that authorise a request by themselves: presigned signatures
# (X-Amz-Signature, X-Goog-Signature, Signature, sig), credentials and tokens.
_SECRET_QUERY = re.compile(
    r"(?i)([?&;](?:[\w.-]*signature|sig|[\w.-]*credential|[\w.-]*token|[\w.-]*key)=)"
    r"[^&;\s\"'#]*"
)
# Loggers whose records show whole URLs: httpx (every request, at INFO) and the
# emulator's server (each request line, at DEBUG).
_URL_LOGGERS = ("httpx", "leapocr_sdk.testing")
_LEVELS = {"info": logging.INFO, "debug": logging.DEBUG}
_FORMAT = "%(asctime)s leapocr %(levelname)s %(name)s: %(message)s"
_lock = threading.Lock()
_httpx_protected = False
_switch_applied: str | None = None


def redact_query_secrets(text: str) -> str:
    """``text`` with the values of signature, credential, token and key query parameters
    replaced by ``<redacted>``."""
    return _SECRET_QUERY.sub(r"\1<redacted>", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record whose message holds a signed URL: the secrets become ``<redacted>``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted: logging reports it itself
            return True
        clean = redact_query_secrets(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def configure() -> None:
    """Called by every new client: protect httpx's log records, apply ``LEAPOCR_LOG``."""
    global _httpx_protected, _switch_applied
    value = os.environ.get(C.LOG_ENV, "").strip().lower()
    if _httpx_protected and value == (_switch_applied or ""):
        return
    with _lock:
        if not _httpx_protected:
            for name in _URL_LOGGERS:
                logging.getLogger(name).addFilter(RedactSecrets())
            _httpx_protected = True
        if value and value != _switch_applied:
            _switch_applied = value
            _apply_switch(value)


def _apply_switch(value: str) -> None:
    level = _LEVELS.get(value)
    if level is None:
        warnings.warn(f"{C.LOG_ENV}={value!r} is not 'info' or 'debug': ignored", stacklevel=4)
        return
    handler = next((h for h in logger.handlers if isinstance(h, _SwitchHandler)), None)
    if handler is None:
        handler = _SwitchHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(RedactSecrets())  # whatever logs below leapocr_sdk
        logger.addHandler(handler)
    logger.setLevel(level)


class _SwitchHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler ``LEAPOCR_LOG`` adds (one per process)."""
