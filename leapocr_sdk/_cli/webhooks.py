"""``leapocr webhooks listen``: a local receiver that verifies and prints webhook deliveries."""

from __future__ import annotations

import argparse
import contextlib
import http.server
import json
import os
from typing import Any

from ..errors import ConfigurationError
from ..webhooks import DEFAULT_TOLERANCE, WebhookVerificationError, construct_event
from .codes import EPILOG, EXIT_OK
from .ui import Console

SECRET_VARIABLE = "LEAPOCR_WEBHOOK_SECRET"  # noqa: S105 (a variable name, not a secret)
# The largest delivery body accepted (events are a few hundred bytes); larger: 413.
MAX_BODY_BYTES = 10 * 1024 * 1024

LISTEN_HELP = """\
Receive LeapOCR webhook deliveries on http://127.0.0.1:PORT/ (any path) for local
development, until Ctrl-C or SIGTERM. Each delivery is verified with the secret (its
signature, and its timestamp within the tolerance) and printed as one JSON line on stdout:
  {"event": "listening", "url": "http://127.0.0.1:8787/"}
  {"event": "received", "event_type": "job.completed", "event_id": "evt_...",
   "job_id": "...", "status": "completed", "payload": {...the whole body...}}
  {"event": "refused", "reason": "signature_mismatch", "message": "..."}
  {"event": "stopped"}
A verified delivery is answered 200, a refused one 400; a POST without a valid
Content-Length (reason "invalid_content_length") 400, and a body over 10 MiB
("body_too_large") 413, both before its body is read. Try it with the emulator:
  leapocr emulator --webhook http://127.0.0.1:8787/   (prints the secret)
  leapocr webhooks listen --port 8787 --secret SECRET
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    webhooks = commands.add_parser(
        "webhooks",
        help="receive and verify webhook deliveries locally",
        description="Webhook tools for development.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = webhooks.add_subparsers(dest="webhooks_command", metavar="ACTION", required=True)
    listen = actions.add_parser(
        "listen",
        help="verify and print deliveries received on 127.0.0.1",
        description=LISTEN_HELP,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listen.add_argument(
        "--port",
        type=_port,
        default=8787,
        help="port on 127.0.0.1, 0 for a free one (default: 8787)",
    )
    listen.add_argument(
        "--secret",
        action="append",
        metavar="S",
        help=f"the webhook secret (default: ${SECRET_VARIABLE}, better: command lines are "
        "visible to other users); give it twice to accept an old and a new secret during "
        "a rotation",
    )
    listen.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        metavar="S",
        help=f"refuse deliveries signed more than S seconds ago (default: {DEFAULT_TOLERANCE})",
    )
    listen.set_defaults(mode="json")


def run(args: argparse.Namespace, console: Console) -> int:
    """``leapocr webhooks listen``: serve until Ctrl-C or SIGTERM."""
    secrets = args.secret or [os.environ.get(SECRET_VARIABLE, "")]
    secrets = [secret for secret in secrets if secret]
    if not secrets:
        raise ConfigurationError(
            f"no webhook secret: pass --secret or set {SECRET_VARIABLE} "
            "(the emulator prints it; the dashboard shows it for each subscription)"
        )
    server = _server(args.port, secrets, args.tolerance, console)
    # Import here: the emulator command's signal handling serves this command too.
    from .commands import _sigterm_interrupts

    try:
        with _sigterm_interrupts(), contextlib.suppress(KeyboardInterrupt):
            console.record("listening", url=f"http://127.0.0.1:{server.server_address[1]}/")
            server.serve_forever(poll_interval=0.1)  # until Ctrl-C or SIGTERM
    finally:
        server.server_close()
    console.record("stopped")
    return EXIT_OK


def _server(
    port: int, secrets: list[str], tolerance: float, console: Console
) -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "leapocr-webhooks-listen"

        def do_POST(self) -> None:
            length = _content_length(self.headers.get_all("Content-Length") or [])
            if length is None:
                message = "the request's Content-Length is not one whole number of bytes"
                self._refuse(400, "invalid_content_length", message)
                return
            if length > MAX_BODY_BYTES:
                self._refuse(413, "body_too_large", f"the body is over {MAX_BODY_BYTES} bytes")
                return
            body = self.rfile.read(length)
            try:
                event = construct_event(body, self.headers, secrets, tolerance)
            except WebhookVerificationError as refused:
                console.record("refused", reason=refused.reason, message=str(refused))
                self._answer(400, {"error": refused.reason})
                return
            console.record(
                "received",
                event_type=event.event_type,
                event_id=event.event_id,
                job_id=getattr(event, "job_id", None),
                status=getattr(event, "status", None),
                payload=event.raw,
            )
            self._answer(200, {"received": True})

        def _refuse(self, status: int, reason: str, message: str) -> None:
            """Answer before reading the body, then close (the body was not read)."""
            console.record("refused", reason=reason, message=message)
            self.close_connection = True
            self._answer(status, {"error": reason})

        def do_GET(self) -> None:
            self._answer(405, {"error": "webhooks are POSTed"})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # stdout carries only the JSON lines

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def _content_length(values: list[str]) -> int | None:
    """A request's body size from its Content-Length headers; None when there is none
    that is one plain decimal number (``-1``, ``abc``, ``+5``, two that differ).
    No header: an empty body."""
    if not values:
        return 0
    if len(set(values)) > 1 or not all(v.isascii() and v.isdigit() for v in values):
        return None
    return int(values[0])


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text}")
    return value
