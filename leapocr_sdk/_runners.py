"""The runners perform a flow's steps: blocking here, with ``await`` in ``_async_runner``.

Runners know HTTP, threads and the event loop; they make no decisions. Each drives a
flow the way httpx drives its auth flows: send the step's result back in, or throw the
step's error in, until the flow returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from . import _constants as C
from ._parsing import Reply
from ._steps import (
    Call,
    Emit,
    Finished,
    FlowGroup,
    NextFinished,
    Parallel,
    Plan,
    PutPart,
    Sleep,
    Step,
)
from .errors import APIConnectionError, APITimeoutError, LeapOCRError

if TYPE_CHECKING:
    import concurrent.futures

T = TypeVar("T")
logger = logging.getLogger("leapocr_sdk")

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def transport_error(exc: httpx.HTTPError, what: str) -> APIConnectionError:
    """Map an httpx failure to the SDK's error, noting whether the request may have arrived."""
    maybe_processed = not isinstance(exc, _NOT_SENT)
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"{what}: no answer in time ({type(exc).__name__})",
            may_have_been_processed=maybe_processed,
        )
    return APIConnectionError(f"{what}: {detail}", may_have_been_processed=maybe_processed)


def _reply(response: httpx.Response) -> Reply:
    content = response.content
    if not 200 <= response.status_code < 300:
        # An error body that echoes the key back must not carry it into an exception.
        key = response.request.headers.get(C.API_KEY_HEADER)
        if key:
            content = content.replace(key.encode(), b"<redacted>")
    logger.debug("%s -> %d", describe(response.request), response.status_code)
    return Reply(response.status_code, response.headers, content)


def _part_chunks(step: PutPart) -> Iterator[bytes]:
    """The part's byte range, read from the source chunk by chunk as it is sent."""
    part, sent = step.part, 0
    while sent < part.size:
        chunk = step.source.read(part.start + sent, min(C.UPLOAD_CHUNK_SIZE, part.size - sent))
        sent += len(chunk)
        if step.progress is not None:
            step.progress.update(part.part_number, sent)
        yield chunk


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
        base_url + step.path,
        params=step.params,
        json=step.json,
        headers={**(step.headers or {}), **auth()},
    )


def part_request(
    client: httpx.Client | httpx.AsyncClient, step: PutPart, content: Any
) -> httpx.Request:
    """A part's PUT: its byte range streamed from the source, an explicit Content-Length
    (presigned storage refuses chunked bodies), and no API headers."""
    return client.build_request(
        "PUT", step.part.url, content=content, headers={"Content-Length": str(step.part.size)}
    )


def describe(request: httpx.Request) -> str:
    """A request for errors and logs: method, host and path; never a presigned query."""
    return f"{request.method} {request.url.host}{request.url.path}"


class SyncRunner:
    """Performs steps with an ``httpx.Client``, ``time.sleep`` and a thread pool."""

    def __init__(
        self,
        *,
        api: httpx.Client,
        uploads: Callable[[], httpx.Client],
        base_url: str,
        headers: Callable[[], dict[str, str]],
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self._api = api
        self._uploads = uploads
        self._base_url = base_url
        self._headers = headers
        self._sleep = sleep or time.sleep

    def run(self, plan: Plan[T], abort: threading.Event | None = None) -> T:
        """Drive ``plan`` to its end; a set ``abort`` stops it before its next step."""
        result: Any = None
        error: LeapOCRError | None = None
        while True:
            try:
                step = plan.throw(error) if error is not None else plan.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            if abort is not None and abort.is_set():
                plan.close()
                raise _Aborted
            try:
                result, error = self._perform(step), None
            except LeapOCRError as exc:
                result, error = None, exc
            except BaseException:
                plan.close()
                raise

    def _perform(self, step: Step) -> Any:
        if isinstance(step, Call):
            return self._call(step)
        if isinstance(step, PutPart):
            return self._put(step)
        if isinstance(step, Sleep):
            return self._sleep(step.seconds)
        if isinstance(step, NextFinished | Emit):
            return self._batch_step(step)
        return self._parallel(step)

    def _call(self, step: Call) -> Reply:
        return self._send(self._api, api_request(self._api, step, self._base_url, self._headers))

    def _put(self, step: PutPart) -> Reply:
        uploads = self._uploads()
        return self._send(uploads, part_request(uploads, step, _part_chunks(step)))

    @staticmethod
    def _send(client: httpx.Client, request: httpx.Request) -> Reply:
        try:
            response = client.send(request, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise transport_error(exc, describe(request)) from None
        return _reply(response)

    def _parallel(self, step: Parallel) -> list[Any]:
        if not step.plans:
            return []
        import concurrent.futures  # only uploads need a thread pool

        workers = max(1, min(step.limit, len(step.plans)))
        abort = threading.Event()
        failures: list[BaseException] = []

        def guarded(plan: Plan[Any]) -> Any:
            try:
                return self.run(plan, abort)
            except _Aborted:
                raise
            except BaseException as exc:
                failures.append(exc)
                abort.set()  # set by the worker itself: a queued sibling must not start
                raise

        with concurrent.futures.ThreadPoolExecutor(workers, "leapocr-upload") as pool:
            futures = [pool.submit(guarded, plan) for plan in step.plans]
            concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_EXCEPTION)
            if failures:
                abort.set()  # running sub-flows stop before their next step
                for future in futures:
                    future.cancel()  # the ones not started yet
                raise failures[0]
            return [future.result() for future in futures]

    # --- batches (``_batch``): sub-flows handed back as they finish, items to the caller ---

    def iterate(self, plan: Plan[Any]) -> Iterator[Any]:
        """Drive ``plan`` like ``run``, yielding each ``Emit`` step's value to the caller.

        Closing the iterator (``break``, garbage collection) closes the plan, which stops
        its sub-flows.
        """
        result: Any = None
        error: LeapOCRError | None = None
        try:
            while True:
                try:
                    step = plan.throw(error) if error is not None else plan.send(result)
                except StopIteration:
                    return
                if isinstance(step, Emit):
                    result, error = None, None
                    yield step.value
                    continue
                try:
                    result, error = self._perform(step), None
                except LeapOCRError as exc:
                    result, error = None, exc
        finally:
            plan.close()

    def _batch_step(self, step: NextFinished | Emit) -> Finished | None:
        if isinstance(step, Emit):
            raise TypeError("a plan that emits items must be driven with iterate(), not run()")
        import concurrent.futures  # only batches and uploads need a thread pool

        group = step.group
        if group.state is None:
            pool = concurrent.futures.ThreadPoolExecutor(C.MAX_CONNECTIONS, "leapocr-batch")
            abort = threading.Event()
            group.state = (pool, abort)
            group.closer = lambda: _stop_group(pool, abort)
        pool, abort = group.state
        for tag, plan in step.start:
            group.running[pool.submit(self._run_member, plan, abort)] = tag
        if not group.running:
            return None
        done, _ = concurrent.futures.wait(
            group.running, step.timeout, concurrent.futures.FIRST_COMPLETED
        )
        if not done:
            return None
        future = next(future for future in group.running if future in done)  # oldest first
        return _finished(group, future, future.exception())

    def _run_member(self, plan: Plan[Any], abort: threading.Event) -> Any:
        try:
            return self.run(plan, abort)
        except _Aborted:
            return None


def _stop_group(pool: concurrent.futures.ThreadPoolExecutor, abort: threading.Event) -> None:
    abort.set()  # running sub-flows stop before their next step; queued ones never start
    pool.shutdown(wait=False, cancel_futures=True)


def _finished(group: FlowGroup, handle: Any, error: BaseException | None) -> Finished:
    """The ``Finished`` for a sub-flow that ended; an error that is not the SDK's is raised."""
    tag = group.running.pop(handle)
    if error is None:
        return Finished(tag, handle.result(), None)
    if isinstance(error, LeapOCRError):
        return Finished(tag, None, error)
    raise error


class _Aborted(Exception):
    """A sub-flow stopped because a sibling failed (never seen by users)."""
