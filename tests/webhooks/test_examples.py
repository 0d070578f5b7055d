"""The README's webhook receivers (examples/webhooks_*.py), served for real and fed the
emulator's deliveries."""

from __future__ import annotations

import importlib.util
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn
from werkzeug.serving import make_server

from leapocr_sdk import LeapOCR
from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from leapocr_sdk.webhooks import JobCompleted, sign

from .conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "fastapi": ROOT / "examples/webhooks_fastapi.py",
    "flask": ROOT / "examples/webhooks_flask.py",
}
SECRET = "whsec_example"
PATH = "/webhooks/leapocr"


def load(path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setenv("LEAPOCR_WEBHOOK_SECRET", SECRET)
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve_fastapi(app: Any) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}{PATH}"
    server.should_exit = True
    thread.join(timeout=10)


def serve_flask(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}{PATH}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(params=sorted(EXAMPLES))
def example(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ModuleType, str]]:
    module = load(EXAMPLES[request.param], monkeypatch)
    serve = serve_fastapi if request.param == "fastapi" else serve_flask
    served = serve(module.app)
    url = next(served)
    yield module, url
    next(served, None)


def test_the_example_receives_the_emulators_deliveries(
    example: tuple[ModuleType, str], leapocr_emulator: LeapOCREmulator, tmp_path: Path
) -> None:
    module, url = example
    emu = leapocr_emulator
    emu.add_webhook(url, secret=SECRET)
    path = tmp_path / "invoice.pdf"
    path.write_bytes(make_pdf(["Invoice Number: INV-9"]))
    with LeapOCR(api_key=emu.api_key, base_url=emu.base_url) as client:
        job = client.process_file(path)
    done = wait_for(lambda: [e for e in module.handled if isinstance(e, JobCompleted)])
    assert done[0].job_id == job.job_id
    assert [e.event_type for e in module.handled] == ["job.created", "job.started", "job.completed"]
    # The receiver has the event before the emulator has recorded the answer: wait for it.
    deliveries = wait_for(lambda: len(emu.webhook_deliveries) == 3 and emu.webhook_deliveries)
    assert [(d.status_code, d.attempt) for d in deliveries] == [(200, 1)] * 3


def test_the_example_refuses_forgeries_and_deduplicates(example: tuple[ModuleType, str]) -> None:
    module, url = example
    body = json.dumps(
        {
            "event_type": "job.completed",
            "event_id": "evt_dup",
            "timestamp": "2026-11-30T04:00:00Z",
            "job_id": "job-1",
            "status": "completed",
        }
    ).encode()

    def post(signature: str, stamp: str) -> httpx.Response:
        headers = {"X-Webhook-Timestamp": stamp, "X-Webhook-Signature": signature}
        return httpx.post(url, content=body, headers=headers, timeout=10)

    now = str(int(time.time()))
    good = sign(body, timestamp=now, secret=SECRET)
    assert post("f" * 64, now).status_code == 400
    old = str(int(time.time()) - 600)
    assert post(sign(body, timestamp=old, secret=SECRET), old).status_code == 400
    first, again = post(good, now), post(good, now)
    assert (first.status_code, first.json()) == (200, {"status": "ok"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert [e.event_id for e in module.handled] == ["evt_dup"]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_docs_show_the_tested_example(name: str) -> None:
    readme = (ROOT / "README.md").read_text() + (ROOT / "docs/guides/webhooks.md").read_text()
    code = EXAMPLES[name].read_text()
    body = code.split('"""', 2)[2].strip()  # the file without its docstring
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    assert any(block.strip() == body for block in blocks), f"docs lack {EXAMPLES[name].name}"
