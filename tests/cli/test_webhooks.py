"""``leapocr webhooks listen`` and ``leapocr emulator --webhook`` as real processes."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx

from leapocr_sdk import LeapOCR
from leapocr_sdk._cli.webhooks import MAX_BODY_BYTES
from leapocr_sdk.testing import LeapOCREmulator
from leapocr_sdk.webhooks import sign
from tests.cli.conftest import cli_command, cli_env
from tests.webhooks.conftest import wait_for

SECRET = "whsec_cli_test"


def start(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command(*args),
        env=cli_env(None, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def line(stream: IO[str] | None) -> dict[str, Any]:
    assert stream is not None
    record: dict[str, Any] = json.loads(stream.readline())
    return record


def stop(child: subprocess.Popen[str], how: signal.Signals = signal.SIGTERM) -> str:
    child.send_signal(how)
    assert child.wait(timeout=10) == 0
    assert child.stdout is not None and child.stderr is not None
    assert child.stderr.read() == ""
    return child.stdout.read()


def test_listen_prints_verified_deliveries_of_a_job_and_refuses_others(
    emu: LeapOCREmulator, pdf: Callable[..., Path]
) -> None:
    child = start("webhooks", "listen", "--port", "0", "--secret", SECRET)
    try:
        listening = line(child.stdout)
        assert listening["event"] == "listening"
        url = listening["url"]
        assert url.startswith("http://127.0.0.1:")
        emu.add_webhook(url, secret=SECRET)
        with LeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
            job = client.process_file(pdf("a.pdf", ["one page"]))
        received = [line(child.stdout) for _ in range(3)]
        assert [r["event"] for r in received] == ["received"] * 3
        assert [r["event_type"] for r in received] == [
            "job.created",
            "job.started",
            "job.completed",
        ]
        assert {r["job_id"] for r in received} == {job.job_id}
        assert received[-1]["status"] == "completed"
        assert received[-1]["payload"]["event_id"] == received[-1]["event_id"]
        answered = wait_for(lambda: len([d for d in emu.webhook_deliveries if d.ok]) == 3)
        assert answered and {d.status_code for d in emu.webhook_deliveries if d.ok} == {200}

        # Forged, then replayed: refused with the reason, answered 400.
        body = b'{"event_type":"job.completed","event_id":"evt_x"}'
        now = str(int(time.time()))
        forged = httpx.post(
            url,
            content=body,
            headers={"X-Webhook-Timestamp": now, "X-Webhook-Signature": "0" * 64},
        )
        assert forged.status_code == 400
        assert line(child.stdout) | {"message": ""} == {
            "event": "refused",
            "reason": "signature_mismatch",
            "message": "",
        }
        old = str(int(time.time()) - 3600)
        replayed = httpx.post(
            url,
            content=body,
            headers={
                "X-Webhook-Timestamp": old,
                "X-Webhook-Signature": sign(body, timestamp=old, secret=SECRET),
            },
        )
        assert replayed.status_code == 400
        assert line(child.stdout)["reason"] == "timestamp_outside_tolerance"
        rest = stop(child, signal.SIGINT)
        assert json.loads(rest.strip().splitlines()[-1]) == {"event": "stopped"}
    finally:
        child.kill()
        child.wait()


def test_listen_takes_the_secret_from_the_environment_and_needs_one() -> None:
    child = start("webhooks", "listen", "--port", "0", LEAPOCR_WEBHOOK_SECRET=SECRET)
    try:
        url = line(child.stdout)["url"]
        body = json.dumps(
            {"event_type": "job.created", "event_id": "e1", "timestamp": "2026-01-01T00:00:00Z"}
            | {"job_id": "j"}
        ).encode()
        now = str(int(time.time()))
        signature = sign(body, timestamp=now, secret=SECRET)
        answer = httpx.post(
            url,
            content=body,
            headers={"x-webhook-timestamp": now, "x-webhook-signature": signature},
        )
        assert answer.status_code == 200
        assert line(child.stdout)["event_type"] == "job.created"
        stop(child)
    finally:
        child.kill()
        child.wait()
    missing = subprocess.run(
        cli_command("webhooks", "listen", "--port", "0"),
        env=cli_env(None),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert missing.returncode == 2
    assert "LEAPOCR_WEBHOOK_SECRET" in missing.stdout + missing.stderr


def test_emulator_command_delivers_to_a_listener(pdf: Callable[..., Path]) -> None:
    """Both ends as processes: the emulator prints the secret the listener is given."""
    emulator = start(
        "emulator",
        "--port",
        "0",
        "--processing-seconds",
        "0.1",
        "--json",
        "--webhook",
        "http://127.0.0.1:1/placeholder",
    )
    listener = None
    try:
        listening = line(emulator.stdout)
        webhook = line(emulator.stdout)
        assert webhook["event"] == "webhook"
        assert webhook["url"] == "http://127.0.0.1:1/placeholder"
        assert len(webhook["secret"]) > 32
        stop(emulator)
        # Now for real: a listener first, then an emulator that posts to it.
        listener = start("webhooks", "listen", "--port", "0", LEAPOCR_WEBHOOK_SECRET=SECRET)
        url = line(listener.stdout)["url"]
        emulator = start(
            "emulator",
            "--port",
            "0",
            "--processing-seconds",
            "0.1",
            "--json",
            "--webhook",
            url,
            "--webhook-secret",
            SECRET,
        )
        listening = line(emulator.stdout)
        assert line(emulator.stdout) == {"event": "webhook", "url": url, "secret": SECRET}
        with LeapOCR(api_key=listening["api_key"], base_url=listening["base_url"]) as client:
            job = client.process_file(pdf("b.pdf", ["text"]))
        events = [line(listener.stdout) for _ in range(3)]
        assert [e["event_type"] for e in events] == ["job.created", "job.started", "job.completed"]
        assert {e["job_id"] for e in events} == {job.job_id}
        stop(emulator)
        stop(listener)
    finally:
        for child in (emulator, listener):
            if child is not None:
                child.kill()
                child.wait()


def raw_post(port: int, head: bytes, body: bytes = b"") -> bytes:
    """POST with headers written by hand; the whole answer (the listener closes after it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\n" + head + b"\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_listen_answers_a_bad_or_too_large_content_length_at_once() -> None:
    child = start("webhooks", "listen", "--port", "0", "--secret", SECRET)
    try:
        port = int(line(child.stdout)["url"].rsplit(":", 1)[1].strip("/"))
        cases = [
            (b"Content-Length: -1\r\n", 400, "invalid_content_length"),
            (b"Content-Length: abc\r\n", 400, "invalid_content_length"),
            (b"Content-Length: +5\r\n", 400, "invalid_content_length"),
            (b"Content-Length: 2\r\nContent-Length: 3\r\n", 400, "invalid_content_length"),
            (b"Content-Length: %d\r\n" % (MAX_BODY_BYTES + 1), 413, "body_too_large"),
        ]
        for head, status, reason in cases:
            answer = raw_post(port, head, b"{}")
            assert answer.split(b" ", 2)[1] == b"%d" % status
            assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {"error": reason}
            refused = line(child.stdout)
            assert (refused["event"], refused["reason"]) == ("refused", reason)
        # Still serving: a good delivery after them is received.
        body = json.dumps(
            {"event_type": "job.created", "event_id": "e1", "timestamp": "2026-01-01T00:00:00Z"}
            | {"job_id": "j"}
        ).encode()
        now = str(int(time.time()))
        signature = sign(body, timestamp=now, secret=SECRET)
        head = b"Content-Length: %d\r\nX-Webhook-Timestamp: %s\r\nX-Webhook-Signature: %s\r\n" % (
            len(body),
            now.encode(),
            signature.encode(),
        )
        assert raw_post(port, head, body).split(b" ", 2)[1] == b"200"
        assert line(child.stdout)["event"] == "received"
        stop(child)  # exit 0 and nothing on stderr: no traceback for any of them
    finally:
        child.kill()
        child.wait()
