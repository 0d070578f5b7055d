"""One benchmark measurement in a fresh process: ``python worker.py '<json job>'``.

``benchmarks/sdk_comparison.py`` starts this file once per measurement, with the project's venv for
leapocr-sdk and raw httpx, and with the comparison venv under ``.bench/`` for the
official SDK, so every implementation starts from a clean process (its own imports,
its own memory high-water mark). Only the standard library and httpx are imported at
module level: each implementation imports its SDK itself. The job is a JSON object
with ``scenario``, ``impl`` and the scenario's parameters; the answer is one JSON
object on the last line of stdout.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx

CHUNK = 1024 * 1024
Params = dict[str, Any]
Result = dict[str, Any]

# --- memory -------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    """A ``VmRSS``/``VmHWM`` figure of /proc/self/status, in KiB (0 where unavailable)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) to the current RSS, if allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


class Memory:
    """Resident memory above the idle process: ``idle()`` before the work, ``report()`` after."""

    def __init__(self) -> None:
        self.idle_kib = 0
        self.reset = False
        self.cpu = 0.0

    def idle(self) -> None:
        self.idle_kib = _status_kib("VmRSS")
        self.reset = _reset_peak()
        self.cpu = time.process_time()

    def report(self) -> Result:
        peak = _status_kib("VmHWM")
        return {
            "idle_rss_mib": self.idle_kib / 1024,
            "peak_rss_mib": peak / 1024,
            "peak_above_idle_mib": max(0, peak - self.idle_kib) / 1024,
            "peak_was_reset": self.reset,
            "cpu": time.process_time() - self.cpu,  # this process's CPU seconds since idle()
        }


def _headers(params: Params) -> dict[str, str]:
    """The headers every implementation sends to the API (the floor sends them by hand)."""
    return {"X-API-Key": params["api_key"], "User-Agent": "bench-raw-httpx"}


# --- leapocr-sdk --------------------------------------------------------------------


def _ours_sync(params: Params) -> Any:
    from leapocr_sdk import LeapOCR

    concurrency = int(params.get("concurrency", 4))
    return LeapOCR(params["api_key"], base_url=params["base_url"], upload_concurrency=concurrency)


def _ours_async(params: Params) -> Any:
    from leapocr_sdk import AsyncLeapOCR

    concurrency = int(params.get("concurrency", 4))
    return AsyncLeapOCR(
        params["api_key"], base_url=params["base_url"], upload_concurrency=concurrency
    )


def upload_ours_sync(params: Params) -> Result:
    client = _ours_sync(params)
    memory = Memory()
    memory.idle()
    start = time.perf_counter()
    job = client.process_file(params["path"], output_type="markdown")
    wall = time.perf_counter() - start
    client.close()
    return {"wall": wall, "job_id": job.job_id, **memory.report()}


async def _upload_ours_async(params: Params) -> Result:
    client = _ours_async(params)
    memory = Memory()
    memory.idle()
    start = time.perf_counter()
    job = await client.process_file(params["path"], output_type="markdown")
    wall = time.perf_counter() - start
    await client.aclose()
    return {"wall": wall, "job_id": job.job_id, **memory.report()}


def upload_ours_async(params: Params) -> Result:
    return asyncio.run(_upload_ours_async(params))


# --- the raw-httpx floor: the same HTTP calls written by hand ------------------------


def _initiate_body(path: str) -> dict[str, Any]:
    return {
        "file_name": os.path.basename(path),
        "content_type": "application/pdf",
        "file_size": os.path.getsize(path),
        "format": "markdown",
    }


def _length(part: dict[str, Any]) -> dict[str, str]:
    return {"Content-Length": str(int(part["end_byte"]) - int(part["start_byte"]) + 1)}


def _part_bytes(fd: int, part: dict[str, Any]) -> bytes:
    start, end = int(part["start_byte"]), int(part["end_byte"])
    return os.pread(fd, end - start + 1, start)


def _completion(parts: list[dict[str, Any]], etags: list[str]) -> dict[str, Any]:
    return {
        "parts": [
            {"part_number": part["part_number"], "etag": etag}
            for part, etag in zip(parts, etags, strict=True)
        ]
    }


def _part_stream(fd: int, part: dict[str, Any]) -> Iterator[bytes]:
    """The part's bytes read from disk 1 MiB at a time, as the request body is sent."""
    offset, end = int(part["start_byte"]), int(part["end_byte"]) + 1
    while offset < end:
        chunk = os.pread(fd, min(CHUNK, end - offset), offset)
        offset += len(chunk)
        yield chunk


async def _part_stream_async(fd: int, part: dict[str, Any]) -> AsyncIterator[bytes]:
    for chunk in _part_stream(fd, part):
        yield chunk


def _raw_upload_sync(params: Params, workers: int, *, stream: bool) -> Result:
    """Initiate, PUT the parts from a thread pool of ``workers`` (1: in order), complete.

    Each part is read whole into memory (``stream=False``, the simplest code) or streamed
    from disk in 1 MiB chunks (``stream=True``, what leapocr-sdk does).
    """
    base, headers, path = params["base_url"], _headers(params), params["path"]
    with httpx.Client(timeout=60) as api, httpx.Client(timeout=60) as storage:
        memory = Memory()
        memory.idle()
        start = time.perf_counter()
        reply = api.post(f"{base}/ocr/uploads/direct", json=_initiate_body(path), headers=headers)
        reply.raise_for_status()
        ticket = reply.json()
        parts: list[dict[str, Any]] = ticket["parts"]
        fd = os.open(path, os.O_RDONLY)

        def put(part: dict[str, Any]) -> str:
            if stream:
                answer = storage.put(
                    part["upload_url"], content=_part_stream(fd, part), headers=_length(part)
                )
            else:
                answer = storage.put(part["upload_url"], content=_part_bytes(fd, part))
            answer.raise_for_status()
            return answer.headers["etag"]

        try:
            if workers == 1:
                etags = [put(part) for part in parts]
            else:
                with ThreadPoolExecutor(workers) as pool:
                    etags = list(pool.map(put, parts))
        finally:
            os.close(fd)
        job_id = ticket["job_id"]
        done = api.post(
            f"{base}/ocr/uploads/{job_id}/complete",
            json=_completion(parts, etags),
            headers=headers,
        )
        done.raise_for_status()
        wall = time.perf_counter() - start
    return {"wall": wall, "job_id": job_id, **memory.report()}


def upload_raw_threads(params: Params) -> Result:
    return _raw_upload_sync(params, int(params["concurrency"]), stream=False)


def upload_raw_threads_stream(params: Params) -> Result:
    return _raw_upload_sync(params, int(params["concurrency"]), stream=True)


def upload_raw_sequential(params: Params) -> Result:
    return _raw_upload_sync(params, 1, stream=False)


async def _upload_raw_async(params: Params, *, stream: bool) -> Result:
    base, headers, path = params["base_url"], _headers(params), params["path"]
    async with httpx.AsyncClient(timeout=60) as api, httpx.AsyncClient(timeout=60) as storage:
        memory = Memory()
        memory.idle()
        start = time.perf_counter()
        reply = await api.post(
            f"{base}/ocr/uploads/direct", json=_initiate_body(path), headers=headers
        )
        reply.raise_for_status()
        ticket = reply.json()
        parts: list[dict[str, Any]] = ticket["parts"]
        gate = asyncio.Semaphore(int(params["concurrency"]))
        fd = os.open(path, os.O_RDONLY)

        async def put(part: dict[str, Any]) -> str:
            async with gate:
                if stream:
                    answer = await storage.put(
                        part["upload_url"],
                        content=_part_stream_async(fd, part),
                        headers=_length(part),
                    )
                else:
                    answer = await storage.put(part["upload_url"], content=_part_bytes(fd, part))
                answer.raise_for_status()
                return answer.headers["etag"]

        try:
            etags = await asyncio.gather(*(put(part) for part in parts))
        finally:
            os.close(fd)
        job_id = ticket["job_id"]
        done = await api.post(
            f"{base}/ocr/uploads/{job_id}/complete",
            json=_completion(parts, list(etags)),
            headers=headers,
        )
        done.raise_for_status()
        wall = time.perf_counter() - start
    return {"wall": wall, "job_id": job_id, **memory.report()}


def upload_raw_async(params: Params) -> Result:
    return asyncio.run(_upload_raw_async(params, stream=False))


def upload_raw_async_stream(params: Params) -> Result:
    return asyncio.run(_upload_raw_async(params, stream=True))


# --- the floor: HTTP/1.1 PUTs written on plain sockets ------------------------------


def _socket_put(sock: socket.socket, fd: int, part: dict[str, Any]) -> str:
    """One PUT on a kept-alive socket: the head by hand, the body by ``sendfile``; the
    reply read up to its end. Returns the ETag."""
    url = urlsplit(part["upload_url"])
    start, end = int(part["start_byte"]), int(part["end_byte"])
    head = (
        f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Content-Length: {end - start + 1}\r\n\r\n"
    )
    sock.sendall(head.encode("ascii"))
    with os.fdopen(os.dup(fd), "rb") as source:
        sock.sendfile(source, offset=start, count=end - start + 1)
    reply = b""
    while b"\r\n\r\n" not in reply:
        got = sock.recv(65536)
        if not got:
            raise ConnectionError("the server closed the connection")
        reply += got
    head_bytes, _, body = reply.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    if " 200 " not in lines[0] + " ":
        raise RuntimeError(lines[0])
    fields = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    remaining = int(fields.get("content-length", "0")) - len(body)
    while remaining > 0:
        remaining -= len(sock.recv(remaining))
    return fields["etag"]


def upload_raw_socket(params: Params) -> Result:
    """Initiate and complete with httpx; PUT the parts on ``concurrency`` plain sockets."""
    base, headers, path = params["base_url"], _headers(params), params["path"]
    workers = int(params["concurrency"])
    with httpx.Client(timeout=60) as api:
        memory = Memory()
        memory.idle()
        start = time.perf_counter()
        reply = api.post(f"{base}/ocr/uploads/direct", json=_initiate_body(path), headers=headers)
        reply.raise_for_status()
        ticket = reply.json()
        parts: list[dict[str, Any]] = ticket["parts"]
        origin = urlsplit(parts[0]["upload_url"])
        fd = os.open(path, os.O_RDONLY)
        etags: dict[int, str] = {}

        def sender(mine: list[dict[str, Any]]) -> None:
            address = (origin.hostname or "127.0.0.1", origin.port or 80)
            with socket.create_connection(address) as sock:
                for part in mine:
                    etags[int(part["part_number"])] = _socket_put(sock, fd, part)

        try:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(sender, [parts[i::workers] for i in range(workers)]))
        finally:
            os.close(fd)
        job_id = ticket["job_id"]
        in_order = [etags[int(part["part_number"])] for part in parts]
        done = api.post(
            f"{base}/ocr/uploads/{job_id}/complete",
            json=_completion(parts, in_order),
            headers=headers,
        )
        done.raise_for_status()
        wall = time.perf_counter() - start
    return {"wall": wall, "job_id": job_id, **memory.report()}


# --- the official SDK (only importable in the comparison venv) ----------------------


def _official(params: Params) -> Any:
    from leapocr import ClientConfig, LeapOCR

    return LeapOCR(params["api_key"], ClientConfig(base_url=params["base_url"]))


def _official_options() -> Any:
    from leapocr import Format, ProcessOptions

    return ProcessOptions(format=Format.MARKDOWN)


async def _upload_official(params: Params) -> Result:
    """The official upload; its ``complete`` is refused by a contract-true server.

    It strips the quotes from each part's ETag before sending ``complete`` (the contract
    wants them byte for byte), so the service answers 400 to that last request. Every
    part has been sent by then: the time to that answer is the upload's time.
    """
    from leapocr import APIError

    client = _official(params)
    memory = Memory()
    memory.idle()
    start = time.perf_counter()
    job_id, refused = None, ""
    try:
        job_id = (await client.ocr.process_file(params["path"], _official_options())).job_id
    except APIError as exc:
        if "ETag" not in str(exc):
            raise
        refused = str(exc)
    wall = time.perf_counter() - start
    await client.close()
    return {"wall": wall, "job_id": job_id, "complete_refused": refused, **memory.report()}


def upload_official(params: Params) -> Result:
    return asyncio.run(_upload_official(params))


# --- small calls: get_status on a kept-alive connection -----------------------------


def _rate(calls: int, call: Callable[[], object]) -> Result:
    call()  # connect (and import anything lazily imported) outside the timing
    start = time.perf_counter()
    for _ in range(calls):
        call()
    elapsed = time.perf_counter() - start
    return {"calls": calls, "seconds": elapsed, "per_second": calls / elapsed}


async def _rate_async(calls: int, call: Callable[[], Awaitable[object]]) -> Result:
    await call()
    start = time.perf_counter()
    for _ in range(calls):
        await call()
    elapsed = time.perf_counter() - start
    return {"calls": calls, "seconds": elapsed, "per_second": calls / elapsed}


def status_ours_sync(params: Params) -> Result:
    with _ours_sync(params) as client:
        return _rate(params["calls"], lambda: client.get_status(params["job_id"]))


def _rate_threads(threads: int, calls: int, call: Callable[[], object]) -> Result:
    """``threads`` threads each making ``calls`` calls of ``call`` at once (one shared
    client); calls per second over the whole, and this process's CPU per call."""

    def warm_up(_: int) -> None:  # connect outside the timing; a refused connect is retried
        for attempt in range(5):
            try:
                call()
                return
            except httpx.TransportError:
                if attempt == 4:
                    raise
                time.sleep(0.1)

    warm_up(0)  # and import anything lazily imported
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(warm_up, range(threads)))  # every thread started, its connection open
        cpu, start = time.process_time(), time.perf_counter()
        list(pool.map(lambda _: [call() for _ in range(calls)], range(threads)))
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
    total = threads * calls
    return {"calls": total, "seconds": elapsed, "per_second": total / elapsed, "cpu": cpu}


def status_threads_ours(params: Params) -> Result:
    with _ours_sync(params) as client:
        job_id = params["job_id"]
        return _rate_threads(params["threads"], params["calls"], lambda: client.get_status(job_id))


def status_threads_raw(params: Params) -> Result:
    url, headers = _status_url(params), _headers(params)
    with httpx.Client(timeout=60) as client:

        def call() -> object:
            reply = client.get(url, headers=headers)
            reply.raise_for_status()
            return reply.json()

        return _rate_threads(params["threads"], params["calls"], call)


def status_ours_async(params: Params) -> Result:
    async def run() -> Result:
        async with _ours_async(params) as client:
            return await _rate_async(params["calls"], lambda: client.get_status(params["job_id"]))

    return asyncio.run(run())


def _status_url(params: Params) -> str:
    return f"{params['base_url']}/ocr/status/{params['job_id']}"


def status_raw_sync(params: Params) -> Result:
    url, headers = _status_url(params), _headers(params)
    with httpx.Client(timeout=60) as client:

        def call() -> object:
            reply = client.get(url, headers=headers)
            reply.raise_for_status()
            return reply.json()

        return _rate(params["calls"], call)


def status_raw_async(params: Params) -> Result:
    url, headers = _status_url(params), _headers(params)

    async def run() -> Result:
        async with httpx.AsyncClient(timeout=60) as client:

            async def call() -> object:
                reply = await client.get(url, headers=headers)
                reply.raise_for_status()
                return reply.json()

            return await _rate_async(params["calls"], call)

    return asyncio.run(run())


def status_official(params: Params) -> Result:
    async def run() -> Result:
        client = _official(params)
        try:
            return await _rate_async(
                params["calls"], lambda: client.ocr.get_job_status(params["job_id"])
            )
        finally:
            await client.close()

    return asyncio.run(run())


# --- many jobs from URL, submitted and waited for concurrently ----------------------


async def _many_jobs(
    urls: list[str], one: Callable[[str], Awaitable[str]], wall_clock_start: float
) -> Result:
    start = time.perf_counter()
    returned: dict[str, float] = {}

    async def tracked(url: str) -> None:
        job_id = await one(url)
        returned[job_id] = time.time()

    await asyncio.gather(*(tracked(url) for url in urls))
    return {
        "wall": time.perf_counter() - start,
        "start_unix": wall_clock_start,
        "returned_unix": returned,
    }


def jobs_ours_async(params: Params) -> Result:
    async def run() -> Result:
        async with _ours_async(params) as client:

            async def one(url: str) -> str:
                job = await client.process_url(url, output_type="markdown")
                await client.wait_until_done(job.job_id, poll_interval=params["poll_interval"])
                return str(job.job_id)

            return await _many_jobs(params["urls"], one, time.time())

    return asyncio.run(run())


def jobs_official(params: Params) -> Result:
    from leapocr import PollOptions

    async def run() -> Result:
        client = _official(params)
        poll = PollOptions(poll_interval=params["poll_interval"], max_wait=600)

        async def one(url: str) -> str:
            job = await client.ocr.process_url(url, _official_options())
            await client.ocr.wait_until_done(job.job_id, poll)
            return str(job.job_id)

        try:
            return await _many_jobs(params["urls"], one, time.time())
        finally:
            await client.close()

    return asyncio.run(run())


# --- a batch of documents: process_many against the official README's gather recipe -


def batch_ours_async(params: Params) -> Result:
    async def run() -> Result:
        async with _ours_async(params) as client:
            memory = Memory()
            memory.idle()
            start = time.perf_counter()
            ok = failed = 0
            async for item in client.process_many(
                params["urls"],
                concurrency=params["concurrency"],
                delete=True,
                poll_interval=params["poll_interval"],
                output_type="markdown",
            ):
                ok += item.ok
                failed += not item.ok
            wall = time.perf_counter() - start
            return {"wall": wall, "ok": ok, "failed": failed, **memory.report()}

    return asyncio.run(run())


def batch_official(params: Params) -> Result:
    """The official README's batch recipe: gather every submission, then every wait, then
    every delete (its poll interval set like ours)."""
    from leapocr import PollOptions

    async def run() -> Result:
        client = _official(params)
        poll = PollOptions(poll_interval=params["poll_interval"], max_wait=600)
        memory = Memory()
        memory.idle()
        start = time.perf_counter()
        try:
            jobs = await asyncio.gather(
                *(client.ocr.process_url(url, _official_options()) for url in params["urls"])
            )
            results = await asyncio.gather(
                *(client.ocr.wait_until_done(job.job_id, poll) for job in jobs)
            )
            await asyncio.gather(*(client.ocr.delete_job(job.job_id) for job in jobs))
        finally:
            await client.close()
        wall = time.perf_counter() - start
        return {"wall": wall, "ok": len(results), "failed": 0, **memory.report()}

    return asyncio.run(run())


# --- a large result -----------------------------------------------------------------


def _timed_reads(repeat: int, read: Callable[[], int]) -> Result:
    """Time ``read`` (which returns the page count) ``repeat`` times; peak memory of the first."""
    memory = Memory()
    memory.idle()
    times: list[float] = []
    pages = 0
    report: Result = {}
    for index in range(repeat):
        start = time.perf_counter()
        pages = read()
        times.append(time.perf_counter() - start)
        if index == 0:
            report = memory.report()
    return {"times": times, "pages": pages, **report}


async def _timed_reads_async(repeat: int, read: Callable[[], Awaitable[int]]) -> Result:
    """``_timed_reads`` for a coroutine."""
    memory = Memory()
    memory.idle()
    times: list[float] = []
    pages = 0
    report: Result = {}
    for index in range(repeat):
        start = time.perf_counter()
        pages = await read()
        times.append(time.perf_counter() - start)
        if index == 0:
            report = memory.report()
    return {"times": times, "pages": pages, **report}


def result_ours_sync(params: Params) -> Result:
    with _ours_sync(params) as client:
        client.get_status(params["job_id"])  # connect outside the timing
        return _timed_reads(
            params["repeat"], lambda: len(client.get_result(params["job_id"]).pages)
        )


def result_ours_async(params: Params) -> Result:
    async def run() -> Result:
        async with _ours_async(params) as client:
            await client.get_status(params["job_id"])

            async def read() -> int:
                return len((await client.get_result(params["job_id"])).pages)

            return await _timed_reads_async(params["repeat"], read)

    return asyncio.run(run())


def result_raw_sync(params: Params) -> Result:
    """GET every page of the result (``limit`` per request) and decode the JSON."""
    url = f"{params['base_url']}/ocr/result/{params['job_id']}"
    headers, limit = _headers(params), params["limit"]
    with httpx.Client(timeout=60) as client:
        client.get(_status_url(params), headers=headers)

        def read() -> int:
            pages: list[Any] = []
            page, total = 1, 1
            while page <= total:
                reply = client.get(url, params={"page": page, "limit": limit}, headers=headers)
                reply.raise_for_status()
                body = reply.json()
                pages.extend(body["pages"])
                total = body["pagination"]["total_pages"]
                page += 1
            return len(pages)

        return _timed_reads(params["repeat"], read)


def result_official(params: Params) -> Result:
    """The official SDK returns one result page per call: read them all in a loop."""

    async def run() -> Result:
        client = _official(params)
        await client.ocr.get_job_status(params["job_id"])

        async def read() -> int:
            collected: list[Any] = []
            page, total = 1, 1
            while page <= total:
                chunk = await client.ocr.get_results(
                    params["job_id"], page=page, limit=params["limit"]
                )
                collected.extend(chunk.pages)
                total = chunk.pagination.total_pages if chunk.pagination else 1
                page += 1
            return len(collected)

        try:
            return await _timed_reads_async(params["repeat"], read)
        finally:
            await client.close()

    return asyncio.run(run())


# --- dispatch -----------------------------------------------------------------------

WORKERS: dict[tuple[str, str], Callable[[Params], Result]] = {
    ("upload", "ours-sync"): upload_ours_sync,
    ("upload", "ours-async"): upload_ours_async,
    ("upload", "raw-async"): upload_raw_async,
    ("upload", "raw-async-stream"): upload_raw_async_stream,
    ("upload", "raw-threads"): upload_raw_threads,
    ("upload", "raw-threads-stream"): upload_raw_threads_stream,
    ("upload", "raw-sequential"): upload_raw_sequential,
    ("upload", "raw-socket"): upload_raw_socket,
    ("upload", "official"): upload_official,
    ("status", "ours-sync"): status_ours_sync,
    ("status", "ours-async"): status_ours_async,
    ("status", "raw-sync"): status_raw_sync,
    ("status", "raw-async"): status_raw_async,
    ("status", "official"): status_official,
    ("status-threads", "ours-sync"): status_threads_ours,
    ("status-threads", "raw-sync"): status_threads_raw,
    ("jobs", "ours-async"): jobs_ours_async,
    ("jobs", "official"): jobs_official,
    ("batch", "ours-async"): batch_ours_async,
    ("batch", "official"): batch_official,
    ("result", "ours-sync"): result_ours_sync,
    ("result", "ours-async"): result_ours_async,
    ("result", "raw-sync"): result_raw_sync,
    ("result", "official"): result_official,
}


def main(argv: list[str]) -> int:
    params: Params = json.loads(argv[1])
    worker = WORKERS[(params["scenario"], params["impl"])]
    print(json.dumps(worker(params)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
