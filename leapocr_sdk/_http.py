"""The httpx glue both runners share: building requests, reading capped replies,
redacting the key, mapping transport and step failures to the SDK's errors.

The runners (``_runners`` blocking, ``_async_runner`` awaiting) keep only what differs
between them: how a request is sent and waited for, how sleeps and parallel sub-flows
run. Everything here is plain functions of requests, bytes and steps.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from . import _constants as C
from ._parsing import Reply
from ._steps import Call, Interrupted, PutPart
from .errors import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    LeapOCRError,
    ResponseTooLargeError,
    UploadError,
)

logger = logging.getLogger("leapocr_sdk")

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class CallbackFailed(Exception):
    """Carries a user callback's exception through httpx and threads to the runner,
    which throws the original into the flow."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def call_back(callback: Callable[..., object], *args: Any) -> object:
    """Call a user's callback; its exception travels as ``CallbackFailed``."""
    try:
        return callback(*args)
    except Exception as exc:
        raise CallbackFailed(exc) from exc


def network_hint(step: Call | PutPart) -> str:
    """What to check when a step's request did not get through: the API's address (the
    base URL) or, for a part, the way to the storage host."""
    if isinstance(step, PutPart):
        return "check the network (a proxy or firewall?) to the upload host"
    return f"check {C.BASE_URL_ENV} (or base_url=) and the network"


def transport_error(exc: httpx.HTTPError, what: str, hint: str = "") -> APIConnectionError:
    """Map an httpx failure to the SDK's error, noting whether the request may have arrived."""
    maybe_processed = not isinstance(exc, _NOT_SENT)
    detail = str(exc) or type(exc).__name__
    tail = f"; {hint}" if hint else ""
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{what}: no answer in time ({type(exc).__name__}){tail}",
            may_have_been_processed=maybe_processed,
        )
    return APIConnectionError(f"{what}: {detail}{tail}", may_have_been_processed=maybe_processed)


def step_error(step: Call | PutPart, exc: BaseException) -> LeapOCRError:
    """The SDK's error for a step that failed outside httpx (a file, a URL, an encoding)."""
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(step, PutPart):
        number = step.part.part_number
        return UploadError(f"part {number} could not be sent: {reason}", part_number=number)
    return APIConnectionError(f"{step.method} {step.path}: the request could not be sent: {reason}")


def out_of_time(what: str, timeout: float, hint: str = "") -> APITimeoutError:
    """The SDK's error for a request that outlived its whole-request budget."""
    tail = f"; {hint}" if hint else ""
    return APITimeoutError(
        f"{what}: no answer in time (the whole request took more than {timeout:g}s){tail}",
        may_have_been_processed=True,
    )


def too_large(status_code: int, limit: int, what: str) -> ResponseTooLargeError:
    """The SDK's error for a reply body over its limit (refused while reading)."""
    return ResponseTooLargeError(
        f"{what}: the reply body is larger than {limit} bytes (the SDK's limit): refused",
        status_code=status_code,
        limit=limit,
    )


@functools.lru_cache(maxsize=8)
def _key_pattern(key: str) -> re.Pattern[bytes]:
    """The key as sent, JSON-escaped (``\\u002d``) or percent-encoded (``%2D``), any mix."""
    forms = []
    for char in key:
        code = ord(char)
        forms.append(b"(?:%s|%%%02x|\\\\u%04x)" % (re.escape(char.encode()), code, code))
    return re.compile(b"".join(forms), re.IGNORECASE)


@functools.lru_cache(maxsize=8)
def _key_bytes(key: str) -> bytes:
    return key.encode().lower()


def redact(content: bytes, key: str | None) -> bytes:
    """``content`` with every form of ``key`` replaced by ``<redacted>``."""
    if not key or not content:
        return content
    # Without a ``%`` or a backslash only the key as sent (any ASCII case, as the
    # pattern matches it) can be there: one search of the lowered body says whether it
    # is, far cheaper than the pattern on a typical reply that holds no key.
    if b"%" not in content and b"\\" not in content and _key_bytes(key) not in content.lower():
        return content
    return _key_pattern(key).sub(b"<redacted>", content)


def request_budget(step_timeout: float | None, client_timeout: float) -> float:
    """Seconds one request may take: the client's timeout, or the step's when smaller."""
    if step_timeout is None:
        return client_timeout
    return max(min(step_timeout, client_timeout), 0.0)


def step_budget(step: Call | PutPart, client_timeout: float) -> float:
    """Seconds a step's request may take: a call, its budget; a part, the client's
    timeout plus the time to send its bytes at ``MIN_UPLOAD_RATE``."""
    if isinstance(step, PutPart):
        return client_timeout + step.part.size / C.MIN_UPLOAD_RATE
    return request_budget(step.timeout, client_timeout)


def request_timeouts(step: Call | PutPart, client_timeout: float) -> httpx.Timeout:
    """httpx's per-operation timeouts for a step's request (the runner bounds the whole).

    A part's body may stall for at most the client's timeout: each write of at most
    ``write_size(client_timeout)`` bytes must be taken by the storage host within it, so
    a host that accepts the PUT and stops reading is given up on after ``timeout``, not
    after the part's whole budget.
    """
    budget = step_budget(step, client_timeout)
    if isinstance(step, PutPart):
        return httpx.Timeout(budget, write=min(client_timeout, budget))
    return httpx.Timeout(budget)


def write_size(client_timeout: float) -> int:
    """Bytes of a part body handed to httpx at once: what ``MIN_UPLOAD_RATE`` sends in the
    client's timeout (at least ``UPLOAD_MIN_WRITE``, at most ``UPLOAD_CHUNK_SIZE``), so the
    write timeout never refuses an upload faster than that rate."""
    wanted = int(C.MIN_UPLOAD_RATE * client_timeout)
    return max(C.UPLOAD_MIN_WRITE, min(C.UPLOAD_CHUNK_SIZE, wanted))


def read_capped(
    chunks: Iterator[bytes],
    limit: int,
    deadline: float,
    on_late: Callable[[], Exception],
    on_large: Callable[[], Exception],
) -> bytes:
    """Join ``chunks`` while they stay within ``limit`` bytes and ``deadline`` (joined
    once at the end: growing one buffer would copy a large reply twice)."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise on_large()
        if time.monotonic() > deadline:
            raise on_late()
        parts.append(chunk)
    return b"".join(parts)


def part_chunks(
    step: PutPart, abort: threading.Event | None = None, size: int = C.UPLOAD_CHUNK_SIZE
) -> Iterator[bytes]:
    """The part's byte range, read from the source ``size`` bytes at a time as it is sent.

    A failed read (a file that got shorter, a closed stream) becomes ``UploadError``;
    a set ``abort`` stops the part before its next chunk (``Interrupted``).
    """
    part, sent = step.part, 0
    while sent < part.size:
        if abort is not None and abort.is_set():
            raise Interrupted
        try:
            chunk = step.source.read(part.start + sent, min(size, part.size - sent))
        except Exception as exc:
            raise step_error(step, exc) from exc
        if not chunk:
            raise step_error(step, OSError("the file became shorter while it was uploaded"))
        sent += len(chunk)
        yield chunk


def to_reply(
    response: httpx.Response, content: bytes, key: str | None, step: Call | PutPart | None = None
) -> Reply:
    """The ``Reply`` a flow sees: status, headers and the body with the key redacted.

    A 200 answer to a ``Call`` with ``raw_success`` keeps its body as sent and carries
    the redaction as ``Reply.scrub`` instead (for the flow to apply to whatever it passes
    on but the caller's own data): searching megabytes of result pages for the key would
    cost more than parsing them."""
    if logger.isEnabledFor(logging.DEBUG):  # no string built when debug logging is off
        logger.debug("%s -> %d", describe(response.request), response.status_code)
    if key and response.status_code == 200 and isinstance(step, Call) and step.raw_success:
        return Reply(response.status_code, response.headers, content, _scrubber(key))
    return Reply(response.status_code, response.headers, redact(content, key))


def _scrubber(key: str) -> Callable[[bytes], bytes]:
    def scrub(content: bytes) -> bytes:  # a closure: its repr never shows the key
        return redact(content, key)

    return scrub


def api_request(
    client: httpx.Client | httpx.AsyncClient,
    step: Call,
    base_url: str,
    auth: Callable[[], dict[str, str]],
) -> httpx.Request:
    """The API request for ``step``: the generated layer's path, params and body under the
    base URL, plus the key. Redirects are never followed (see ``send``): the key stays on
    the API host, even with a caller's own client."""
    return client.build_request(
        step.method,
        _api_url(base_url + step.path),
        params=step.params,
        json=step.json,
        headers={**step.headers, **auth()} if step.headers else auth(),
    )


@functools.lru_cache(maxsize=128)
def _api_url(url: str) -> httpx.URL:
    """``url`` parsed once: httpx parses a URL string on every request, which costs as
    much as the rest of building it, and a poll asks for the same URL again and again.
    (An ``httpx.URL`` is immutable; a malformed one raises and is not cached.)"""
    return httpx.URL(url)


class _NoCookies(httpx.Cookies):
    """A cookie store that keeps none: see ``keep_no_cookies``."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def keep_no_cookies(client: httpx.Client | httpx.AsyncClient) -> None:
    """Make a client the SDK created keep no cookies from the answers it gets.

    The SDK needs none: the API knows each request by its key, a storage host by the
    presigned URL. httpx would read every answer's headers for ``Set-Cookie`` through
    the standard library's cookie jar, which costs about a third of what it spends on a
    small answer (a ``get_status``): more than everything else the SDK adds to a call.
    A caller's own client is never altered. (An httpx laid out otherwise keeps its own.)
    """
    if isinstance(getattr(client, "_cookies", None), httpx.Cookies):
        client._cookies = _NoCookies()


def part_request(
    client: httpx.Client | httpx.AsyncClient, step: PutPart, content: Any
) -> httpx.Request:
    """A part's PUT: its byte range streamed from the source, an explicit Content-Length
    (presigned storage refuses chunked bodies), and no API headers."""
    return client.build_request(
        "PUT", step.part.url, content=content, headers={"Content-Length": str(step.part.size)}
    )


def describe(request: httpx.Request) -> str:
    """A request for errors and logs: method, scheme, host, port and path; never the
    query (a presigned signature) nor a password."""
    url = request.url
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = "" if url.port is None else f":{url.port}"
    return f"{request.method} {url.scheme}://{host}{port}{url.path}"


def check_process(owner_pid: int, client: str) -> None:
    """A client's connections belong to the process that made it (not a forked child)."""
    if os.getpid() != owner_pid:
        raise ConfigurationError(
            f"this {client} was created in process {owner_pid} and is used in process "
            f"{os.getpid()} (after fork): its connections belong to the parent. Create a "
            "new client in the child process"
        )


def closed_error(client: str) -> ConfigurationError:
    """What a step of a closed client raises (also to flows waiting when it closed)."""
    return ConfigurationError(f"this {client} is closed: create a new client")
