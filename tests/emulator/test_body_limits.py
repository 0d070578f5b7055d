"""What the emulator reads of a request body, over raw sockets: a body it can't size is
refused with 400 and a chunked body over the cap with 413, both before the body is read
(and the connection closed), so no client holds a thread or fills memory."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from leapocr_sdk.testing import LeapOCREmulator

# An answer arrives within milliseconds; a server still reading the body never answers.
ANSWER_WITHIN = 5.0
SUBMIT_URL = "/api/v1/ocr/uploads/url"


class Answer:
    """A response read off a raw socket."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


def _read_answer(sock: socket.socket) -> Answer:
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise AssertionError(f"the emulator hung up without answering: {data!r}")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except TimeoutError:
        raise AssertionError(
            f"no answer within {ANSWER_WITHIN} s: the emulator is still reading the body"
        ) from None
    return Answer(int(status_line.split()[1]), headers, body)


def send(emu: LeapOCREmulator, head_lines: list[str], body: bytes = b"") -> Answer:
    """Send a request's head (and the start of its body), keep the connection open, and
    read the answer."""
    head = "\r\n".join([*head_lines, f"Host: 127.0.0.1:{emu.port}", "", ""]).encode("latin-1")
    with socket.create_connection(("127.0.0.1", emu.port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(head + body)
        answer = _read_answer(sock)
        # The connection is closed after a refused body: what followed can't be framed.
        assert answer.headers.get("connection") == "close"
        try:
            assert sock.recv(1) == b""
        except TimeoutError:
            raise AssertionError("the connection stayed open after the refusal") from None
    return answer


def api_head(emu: LeapOCREmulator, *extra: str) -> list[str]:
    return [
        f"POST {SUBMIT_URL} HTTP/1.1",
        f"X-API-Key: {emu.api_key}",
        "Content-Type: application/json",
        *extra,
    ]


def assert_refused(emu: LeapOCREmulator, answer: Answer, status: int, words: str) -> None:
    assert answer.status == status, answer.body
    body = answer.json()
    assert body["code"] == ("BAD_REQUEST" if status == 400 else "VALIDATION_ERROR")
    assert words in body["error"]["message"], body
    assert emu.requests[-1].status == status
    assert emu.jobs == {}


# Content-Length is one run of ASCII digits (RFC 9110 section 8.6); anything else
# can't size the body.
BAD_LENGTHS = ["-1", "abc", "\N{SUPERSCRIPT TWO}", "1_0", "+5", "0x10", " ", "5, 6"]


@pytest.mark.parametrize("length", BAD_LENGTHS)
def test_an_api_body_of_unreadable_length_is_refused(emu: LeapOCREmulator, length: str) -> None:
    answer = send(emu, api_head(emu, f"Content-Length: {length}"), b'{"url": "http://a"}')
    assert_refused(emu, answer, 400, "Content-Length")


@pytest.mark.parametrize("length", BAD_LENGTHS)
def test_a_storage_put_of_unreadable_length_is_refused(emu: LeapOCREmulator, length: str) -> None:
    head = [
        "PUT /storage/00000000-0000-0000-0000-000000000000/1?X-Expires=1&X-Signature=x HTTP/1.1",
        f"Content-Length: {length}",
    ]
    answer = send(emu, head, b"%PDF-")
    assert_refused(emu, answer, 400, "Content-Length")


def test_two_different_content_lengths_are_refused(emu: LeapOCREmulator) -> None:
    head = api_head(emu, "Content-Length: 19", "Content-Length: 2")
    answer = send(emu, head, b'{"url": "http://a"}')
    assert_refused(emu, answer, 400, "Content-Length")


@pytest.mark.parametrize(
    "size", ["1000000", "ffffffffffffffff", "100000000000000000000000000000000"]
)
def test_a_chunk_over_the_cap_is_refused_before_it_is_read(emu: LeapOCREmulator, size: str) -> None:
    """A 16 MiB chunk (and one of an absurd size) is refused from its size line: only
    1 KiB of it is ever sent."""
    head = api_head(emu, "Transfer-Encoding: chunked")
    answer = send(emu, head, f"{size}\r\n".encode() + b"x" * 1024)
    assert_refused(emu, answer, 413, "too large")


def test_small_chunks_over_the_cap_are_refused(emu: LeapOCREmulator) -> None:
    """The cap counts the whole body: eleven 1 MiB chunks are over the 10 MiB of an API
    body, and the answer comes as the eleventh is announced."""
    head = api_head(emu, "Transfer-Encoding: chunked")
    chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
    answer = send(emu, head, chunk * 10 + b"100000\r\n")
    assert_refused(emu, answer, 413, "too large")


@pytest.mark.parametrize(
    ("framing", "words"),
    [
        (b"-1\r\n", "chunk size"),
        (b"zz\r\n", "chunk size"),
        (b"\r\n", "chunk size"),
        (b"1" * 66_000, "chunk size"),  # a size line that never ends
        (b"5\r\nhello" + b"x" * 10, "chunk"),  # no CRLF after the chunk's data
        (b"0\r\n" + b"X-Trailer: 1\r\n" * 200, "trailer"),  # trailers that never end
    ],
    ids=["negative", "not-hex", "empty", "endless-size-line", "no-crlf", "endless-trailers"],
)
def test_a_malformed_chunked_body_is_refused(
    emu: LeapOCREmulator, framing: bytes, words: str
) -> None:
    answer = send(emu, api_head(emu, "Transfer-Encoding: chunked"), framing)
    assert_refused(emu, answer, 400, words)


def test_a_chunked_body_within_the_cap_is_read(emu: LeapOCREmulator) -> None:
    """The limits leave well-formed bodies alone: a chunked JSON body with an extension
    and a trailer is read whole and answered."""
    payload = json.dumps({"url": "http://127.0.0.1:9/doc.pdf"}).encode()
    half = len(payload) // 2
    body = (
        f"{half:x};note=first\r\n".encode()
        + payload[:half]
        + f"\r\n{len(payload) - half:X}\r\n".encode()
        + payload[half:]
        + b"\r\n0\r\nX-Trailer: yes\r\n\r\n"
    )
    head = "\r\n".join(
        [*api_head(emu, "Transfer-Encoding: chunked"), f"Host: 127.0.0.1:{emu.port}", "", ""]
    )
    with socket.create_connection(("127.0.0.1", emu.port), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(head.encode() + body)
        answer = _read_answer(sock)
    assert answer.status == 200, answer.body
    assert answer.json()["source_url"] == "http://127.0.0.1:9/doc.pdf"
    assert emu.requests[-1].body_size == len(payload)
