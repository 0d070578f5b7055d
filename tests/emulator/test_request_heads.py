"""How the emulator reads a request's head, over raw sockets: the headers as the standard
library's parser reads them, 431 for a head too large, keep-alive and 100-continue."""

from __future__ import annotations

import http.client
import io
import socket

import pytest

from leapocr_sdk.testing import LeapOCREmulator

from .test_body_limits import ANSWER_WITHIN, Answer, _read_answer

MODELS = "/api/v1/ocr/models"


def _exchange(emu: LeapOCREmulator, request: bytes) -> tuple[Answer, bytes]:
    """Send ``request``; the answer and what the connection then gives (b"": closed)."""
    with socket.create_connection(("127.0.0.1", emu.port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(request)
        answer = _read_answer(sock)
        sock.settimeout(0.3)
        try:
            after = sock.recv(1)
        except TimeoutError:
            after = b"(open)"
    return answer, after


HEADER_BLOCKS = {
    "plain": "X-A: 1\r\nX-Empty:\r\nX-Spaced: \t  two words  \r\n",
    "repeated": "X-Twice: first\r\nX-Twice: second\r\n",
    "folded": "X-Folded: one\r\n two\r\n\tthree\r\nX-Next: 4\r\n",
    "not-a-header": "X-Before: 1\r\nthis is no header\r\nX-After: 2\r\n",
    "bad-name": "X-Good: 1\r\nBad Name: 2\r\nX-Later: 3\r\n",
    "latin-1": "X-Name: Caf\xe9\r\n",
}


@pytest.mark.parametrize("block", HEADER_BLOCKS.values(), ids=HEADER_BLOCKS.keys())
def test_headers_are_read_as_the_standard_library_reads_them(
    emu: LeapOCREmulator, block: str
) -> None:
    head = f"GET {MODELS} HTTP/1.1\r\nX-API-Key: {emu.api_key}\r\n{block}\r\n"
    answer, _ = _exchange(emu, head.encode("latin-1"))
    assert answer.status == 200
    lines = io.BytesIO(head.split("\r\n", 1)[1].encode("latin-1"))
    expected = {name.lower(): value for name, value in http.client.parse_headers(lines).items()}
    assert emu.requests[-1].headers == expected


@pytest.mark.parametrize(
    ("extra", "explanation"),
    [
        ("X-Long: " + "a" * 70_000 + "\r\n", "got more than 65536 bytes"),
        ("".join(f"X-H{n}: {n}\r\n" for n in range(101)), "got more than 100 headers"),
    ],
    ids=["line-too-long", "too-many-headers"],
)
def test_a_head_too_large_is_refused_with_431(
    emu: LeapOCREmulator, extra: str, explanation: str
) -> None:
    head = f"GET {MODELS} HTTP/1.1\r\nX-API-Key: {emu.api_key}\r\n{extra}\r\n"
    answer, after = _exchange(emu, head.encode())
    assert answer.status == 431 and explanation in answer.body.decode()
    assert after == b""  # closed
    assert emu.requests == []  # never reached the API


@pytest.mark.parametrize(
    ("version", "connection", "kept"),
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "keep-alive", True),
    ],
)
def test_keep_alive_follows_the_version_and_connection_header(
    emu: LeapOCREmulator, version: str, connection: str | None, kept: bool
) -> None:
    extra = f"Connection: {connection}\r\n" if connection else ""
    head = f"GET {MODELS} {version}\r\nX-API-Key: {emu.api_key}\r\n{extra}\r\n"
    answer, after = _exchange(emu, head.encode())
    assert answer.status == 200
    assert after == (b"(open)" if kept else b"")


def test_expect_100_continue_is_answered_before_the_body(emu: LeapOCREmulator) -> None:
    body = b'{"url": "http://127.0.0.1:9/a.pdf"}'
    head = (
        f"POST /api/v1/ocr/uploads/url HTTP/1.1\r\nX-API-Key: {emu.api_key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Expect: 100-continue\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", emu.port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(head.encode())
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n")
        sock.sendall(body)
        answer = _read_answer(sock)
    assert answer.status == 200 and answer.json()["status"] == "pending"


@pytest.mark.parametrize(
    ("line", "status"),
    [("GET /health", 200), ("GET /health HTTP/2.0", 505), ("GET /health HTTP/x", 400)],
    ids=["http-0.9", "http-2", "bad-version"],
)
def test_other_request_lines_get_http_servers_answers(
    emu: LeapOCREmulator, line: str, status: int
) -> None:
    with socket.create_connection(("127.0.0.1", emu.port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(f"{line}\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    if status == 200:  # the emulator's answer, then it hangs up (no keep-alive in 0.9)
        assert b'"status": "healthy"' in data
    else:  # http.server's page alone: it answers a line it can't read in HTTP/0.9
        assert data.startswith(b"<!DOCTYPE HTML>") and f"Error code: {status}".encode() in data
