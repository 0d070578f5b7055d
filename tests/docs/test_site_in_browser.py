"""The built docs site in headless Chromium, served over HTTP on 127.0.0.1.

- Nothing is clipped at 1280 px on the quick start and the ``LeapOCR`` reference page: no
  box that hides overflow (code blocks, signatures, tables) holds content wider than
  itself, and nothing reaches past the content column (they wrap or fit).
- Search works: a query for ``process_many`` finds the batches guide and the reference.

A page of this test's own (``/__check__.html``) loads the site's page in a same-origin
iframe 1280 px wide, measures it, and posts what it found back to the test's server.
Chromium is Debian's package (``make chromium``); this module runs in ``make check-slow``.
Set ``LEAPOCR_SCREENSHOTS=DIR`` to also save 1280 px screenshots of both pages there.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.heavy

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]

# Measures the page in the iframe once it has loaded (and, for a search, once results
# show), then posts the findings to /__report__.
CHECK_PAGE = """<!doctype html>
<html><body style="margin:0">
<iframe id="page" style="width:1280px;height:900px;border:0"></iframe>
<script>
const params = new URLSearchParams(location.search);
const frame = document.getElementById("page");
const report = (data) => fetch("/__report__", {method: "POST", body: JSON.stringify(data)});
function clipped(doc) {
  // Clipped: a box that hides part of its content (overflow other than visible) and whose
  // content is wider than the box; or anything reaching past the content column (under
  // the table of contents) or the page's edge.
  const found = [];
  const boxes = doc.querySelectorAll(".md-content *");
  const edge = Math.min(doc.documentElement.clientWidth,
                        doc.querySelector(".md-content").getBoundingClientRect().right);
  for (const el of boxes) {
    const overflow = doc.defaultView.getComputedStyle(el).overflowX;
    const hides = overflow !== "visible" && el.scrollWidth > el.clientWidth + 1;
    if (hides || el.getBoundingClientRect().right > edge + 1) {
      found.push({box: el.tagName.toLowerCase() + "." + el.className,
                  text: el.textContent.trim().slice(0, 60),
                  scrollWidth: el.scrollWidth, clientWidth: el.clientWidth});
    }
  }
  return {boxes: boxes.length, clipped: found, width: doc.documentElement.clientWidth};
}
function search(doc, started) {
  const links = [...doc.querySelectorAll(".md-search-result__link")];
  if (links.length) {
    report({results: links.map((a) => ({href: a.getAttribute("href"),
                                        title: a.textContent.trim().slice(0, 80)}))});
  } else if (Date.now() - started > 20000) {
    report({results: [], error: "no search results after 20 s"});
  } else {
    setTimeout(() => search(doc, started), 200);
  }
}
frame.onload = () => {
  const doc = frame.contentDocument;
  if (params.get("mode") === "search") {
    const input = doc.querySelector("input.md-search__input");
    input.focus();
    input.value = params.get("q");
    input.dispatchEvent(new Event("input", {bubbles: true}));
    input.dispatchEvent(new KeyboardEvent("keyup", {bubbles: true}));
    search(doc, Date.now());
  } else {
    setTimeout(() => report(clipped(doc)), 500);  // after fonts and layout settle
  }
};
frame.src = params.get("page");
</script></body></html>
"""


class SiteServer(http.server.ThreadingHTTPServer):
    reports: queue.Queue[dict[str, Any]]


class Handler(http.server.SimpleHTTPRequestHandler):
    server: SiteServer

    def do_GET(self) -> None:
        if self.path.startswith("/__check__.html"):
            body = CHECK_PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.server.reports.put(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs site, built strictly from this tree (as ``make docs`` does)."""
    out = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT,
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return out


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[SiteServer]:
    httpd = SiteServer(("127.0.0.1", 0), partial(Handler, directory=str(site)))
    httpd.reports = queue.Queue()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def chromium() -> str:
    found = shutil.which("chromium")
    assert found, "headless Chromium is missing: make chromium (apt-get install chromium)"
    return found


def run_check(server: SiteServer, query: str) -> dict[str, Any]:
    """Open the check page in Chromium until it reports (or 60 s pass)."""
    url = f"http://127.0.0.1:{server.server_address[1]}/__check__.html?{query}"
    # Chromium's helper processes may still write to the profile after the browser exits:
    # its whole process group is stopped, and the profile removed whatever is left.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [
                chromium(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--window-size=1300,1000",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            return server.reports.get(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGTERM)
            browser.wait(timeout=30)


def screenshot(server: SiteServer, page: str, out: Path) -> None:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        subprocess.run(
            [
                chromium(),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--window-size=1280,3000",
                f"--screenshot={out}",
                f"http://127.0.0.1:{server.server_address[1]}/{page}",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )


@pytest.mark.parametrize("page", ["quickstart/", "reference/leapocr/"])
def test_nothing_is_clipped_at_1280_px(server: SiteServer, page: str) -> None:
    found = run_check(server, f"page=/{page}")
    assert found["width"] == 1280
    assert found["boxes"] > 3  # the page has code blocks and tables to measure
    assert found["clipped"] == [], json.dumps(found["clipped"], indent=1)
    shots = os.environ.get("LEAPOCR_SCREENSHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        screenshot(server, page, Path(shots) / (page.strip("/").replace("/", "_") + ".png"))


def test_search_finds_process_many(server: SiteServer) -> None:
    found = run_check(server, "mode=search&page=/&q=process_many")
    assert "error" not in found, found
    hrefs = [result["href"] for result in found["results"]]
    assert any("guides/batches/" in href for href in hrefs), hrefs
    assert any("reference/leapocr/" in href and "process_many" in href for href in hrefs), hrefs


@pytest.mark.parametrize(
    ("page", "client_class"), [("leapocr", "Client"), ("async", "AsyncClient")]
)
def test_signatures_show_values_and_foreign_packages(
    site: Path, page: str, client_class: str
) -> None:
    import html
    import re

    text = html.unescape(
        re.sub(r"<[^>]+>", "", (site / "reference" / page / "index.html").read_text())
    )
    assert "DEFAULT_" not in text  # no private constant names
    for shown in (
        "timeout: float = 60.0",
        "max_retries: int = 3",
        "upload_concurrency: int = 4",
        f"http_client: httpx.{client_class} | None = None",
    ):
        assert shown in text, shown
