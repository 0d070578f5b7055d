"""Server lifecycle, concurrency, request recording and the pytest plugin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from leapocr_sdk.testing import LeapOCREmulator, make_pdf
from tests.openapi_checks import conform

from .conftest import api_client, raw, upload

ROOT = Path(__file__).resolve().parents[2]


def python_env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def test_base_url_and_lifecycle() -> None:
    emulator = LeapOCREmulator(api_key="k")
    with pytest.raises(RuntimeError):
        _ = emulator.base_url
    emulator.start()
    try:
        assert emulator.base_url == f"http://127.0.0.1:{emulator.port}/api/v1"
        assert emulator.url == f"http://127.0.0.1:{emulator.port}"
        assert emulator.api_key == "k"
        assert emulator.start() is emulator  # idempotent
        assert raw("GET", emulator.base_url + "/ocr/models", headers={"X-API-Key": "k"}).is_success
    finally:
        emulator.stop()
    emulator.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        raw("GET", f"http://127.0.0.1:{emulator._requested_port or 1}/api/v1/ocr/models")


def test_stop_closes_kept_alive_and_sleeping_connections() -> None:
    emulator = LeapOCREmulator().start()
    port = emulator.port
    with api_client(emulator) as idle:
        assert idle.get("/ocr/models").status_code == 200  # leaves a kept-alive connection
        emulator.faults.slow("status", 30)
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(idle.get, "/ocr/status/6f0e0a52-4a3e-4bd4-a3a4-1f2e3d4c5b6a")
            time.sleep(0.1)
            begin = time.monotonic()
            emulator.stop()
            assert time.monotonic() - begin < 2
            with pytest.raises(httpx.TransportError):
                pending.result(timeout=5)
    with pytest.raises(httpx.ConnectError):
        raw("GET", f"http://127.0.0.1:{port}/api/v1/ocr/models")


def test_requests_are_recorded(emu: LeapOCREmulator, client: httpx.Client) -> None:
    job_id = upload(client, make_pdf(["x"]))
    client.get(f"/ocr/status/{job_id}", params={"verbose": "1"})
    records = emu.requests
    assert [r.route for r in records] == ["initiate", "upload_part", "complete", "status"]
    initiate, put, complete, status = records
    assert initiate.method == "POST" and initiate.path == "/api/v1/ocr/uploads/direct"
    assert initiate.headers["x-api-key"] == emu.api_key and initiate.status == 200
    assert put.method == "PUT" and "x-api-key" not in put.headers and put.body_size > 0
    assert "X-Signature" in put.query
    assert complete.body_size > 0
    assert status.query == {"verbose": "1"} and status.status == 200 and status.duration >= 0
    assert emu.route_counts == {"initiate": 1, "upload_part": 1, "complete": 1, "status": 1}
    assert emu.count("status") == 1 and emu.count("result") == 0
    emu.clear_requests()
    assert emu.requests == [] and emu.route_counts == {}


def test_job_inspection(emu: LeapOCREmulator, client: httpx.Client) -> None:
    job_id = upload(client, make_pdf(["alpha", "beta"]), format="markdown")
    view = emu.wait_for_job(job_id)
    assert view.status == "completed" and view.page_texts == ("alpha", "beta")
    assert view.results == ("alpha", "beta") and view.complete_calls == 1
    assert set(emu.jobs) == {job_id}
    with pytest.raises(KeyError):
        emu.get_job("6f0e0a52-4a3e-4bd4-a3a4-1f2e3d4c5b6a")


def test_two_hundred_concurrent_pollers(make_emu: object) -> None:
    emulator = make_emu(processing_seconds=0.3)  # type: ignore[operator]
    with api_client(emulator) as http:
        job_id = upload(http, make_pdf(["p1", "p2", "p3"]))
    barrier = threading.Barrier(200)

    def poll(_: int) -> int:
        with api_client(emulator, timeout=30) as own:
            barrier.wait()
            for _ in range(3):
                response = own.get(f"/ocr/status/{job_id}")
                assert response.status_code == 200 and response.json()["id"] == job_id
        return 3

    with ThreadPoolExecutor(200) as pool:
        assert sum(pool.map(poll, range(200))) == 600
    statuses = [r for r in emulator.requests if r.route == "status"]
    assert len(statuses) == 600
    assert len({r.client_port for r in statuses}) == 200  # 200 connections, each kept alive


def test_import_needs_only_the_standard_library() -> None:
    code = textwrap.dedent(
        """
        import sys
        import leapocr_sdk.testing
        import leapocr_sdk.testing.pytest_plugin
        heavy = {"pypdf", "werkzeug", "pytest_httpserver"} & set(sys.modules)
        assert not heavy, heavy
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=python_env(), timeout=60)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_forever_stops_on_signals(signum: signal.Signals) -> None:
    code = textwrap.dedent(
        """
        import signal, threading, time
        from leapocr_sdk.testing import LeapOCREmulator
        emulator = LeapOCREmulator(port=0)

        def announce():  # once serve_forever handles the signals (no race with the test)
            while signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                time.sleep(0.01)
            print(emulator.base_url, flush=True)

        threading.Thread(target=announce, daemon=True).start()
        emulator.serve_forever()
        print("stopped", flush=True)
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=python_env()
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        response = raw("GET", base_url + "/ocr/models", headers={"X-API-Key": "test-key"})
        assert response.status_code == 200
        process.send_signal(signum)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read().strip() == "stopped"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_pytest_plugin_fixture(leapocr_emulator: LeapOCREmulator) -> None:
    with api_client(leapocr_emulator) as http:
        assert conform(http.get("/ocr/models"))["count"] == 5


def test_pytest_plugin_factory(leapocr_emulator_factory: object) -> None:
    emulator = leapocr_emulator_factory(credits=0)  # type: ignore[operator]
    with api_client(emulator) as http:
        response = http.post("/ocr/uploads/url", json={"url": "http://127.0.0.1:1/a.pdf"})
        assert response.status_code == 402
