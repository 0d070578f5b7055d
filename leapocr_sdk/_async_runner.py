"""The asyncio runner; imported only when an AsyncLeapOCR is created (asyncio is not cheap).

It keeps the contract written in ``_runners``; user callbacks run on the event loop and
are awaited when they return an awaitable (coroutine functions are welcome).
"""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, assert_never

import httpx

from . import _constants as C
from ._parsing import Reply
from ._runners import (
    CallbackFailed,
    _reply,
    api_request,
    check_process,
    describe,
    out_of_time,
    part_chunks,
    part_request,
    step_budget,
    step_error,
    too_large,
    transport_error,
)
from ._steps import Call, Notify, Parallel, Plan, PutPart, Sleep, Step
from .errors import ConfigurationError, LeapOCRError

T = TypeVar("T")


class AsyncRunner:
    """Performs steps with an ``httpx.AsyncClient``, ``asyncio.sleep`` and tasks.

    Bound to the first event loop that uses it: its connections live on that loop.
    """

    def __init__(
        self,
        *,
        api: httpx.AsyncClient,
        uploads: Callable[[], httpx.AsyncClient],
        base_url: str,
        headers: Callable[[], dict[str, str]],
        timeout: float = C.DEFAULT_TIMEOUT,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        self._api = api
        self._uploads = uploads
        self._base_url = base_url
        self._headers = headers
        self._timeout = timeout
        self._sleep = sleep or asyncio.sleep
        self._pid = os.getpid()
        self._loop: asyncio.AbstractEventLoop | None = None
        # See C.MAX_CONNECTIONS: waiting here costs nothing and is not a timeout.
        self._api_gate = asyncio.Semaphore(C.MAX_CONNECTIONS)
        self._upload_gate = asyncio.Semaphore(C.MAX_CONNECTIONS)

    def check_loop(self) -> None:
        """Refuse a second event loop (or a forked child) with ConfigurationError."""
        check_process(self._pid, "AsyncLeapOCR client")
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            if self._loop.is_closed():
                hint = "its first event loop is closed"
            else:
                hint = "it is bound to another event loop"
            raise ConfigurationError(
                f"this AsyncLeapOCR client is used from a second event loop ({hint}); its "
                "connections belong to the first one. Create one client per event loop "
                "(e.g. inside the coroutine you pass to asyncio.run)"
            )

    async def run(self, plan: Plan[T]) -> T:
        self.check_loop()
        result: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = plan.throw(error) if error is not None else plan.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            try:
                result, error = await self._perform(step), None
            except CallbackFailed as failed:
                result, error = None, failed.error
            except BaseException as exc:  # SDK errors, cancellation: the flow decides
                result, error = None, exc

    async def _perform(self, step: Step) -> Any:
        if isinstance(step, Call):
            return await self._call(step)
        if isinstance(step, PutPart):
            return await self._put(step)
        if isinstance(step, Sleep):
            return await self._sleep(step.seconds)
        if isinstance(step, Notify):
            return await _call_back(step.callback, step.argument)
        if isinstance(step, Parallel):
            return await self._parallel(step)
        assert_never(step)

    async def _call(self, step: Call) -> Reply:
        try:
            request = api_request(self._api, step, self._base_url, self._headers)
        except Exception as exc:
            raise step_error(step, exc) from None
        async with self._api_gate:
            return await self._send(self._api, request, step, step.body_limit)

    async def _put(self, step: PutPart) -> Reply:
        uploads = self._uploads()
        try:
            request = part_request(uploads, step, _async_chunks(step))
        except Exception as exc:
            raise step_error(step, exc) from None
        async with self._upload_gate:
            return await self._send(uploads, request, step, C.MAX_REPLY_BYTES)

    async def _send(
        self, client: httpx.AsyncClient, request: httpx.Request, step: Call | PutPart, limit: int
    ) -> Reply:
        budget = step_budget(step, self._timeout)
        what = describe(request)
        request.extensions["timeout"] = httpx.Timeout(budget).as_dict()
        try:
            async with asyncio.timeout(budget):  # the whole request, whatever the server does
                response = await client.send(request, stream=True, follow_redirects=False)
                try:
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > limit:
                            raise too_large(response.status_code, limit, what)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise out_of_time(what, budget) from None
        except httpx.HTTPError as exc:
            raise transport_error(exc, what) from None
        except (LeapOCRError, CallbackFailed):
            raise
        except Exception as exc:
            raise step_error(step, exc) from None
        return _reply(response, bytes(body), self._headers().get(C.API_KEY_HEADER))

    async def _parallel(self, step: Parallel) -> list[Any]:
        if not step.plans:
            return []
        gate = asyncio.Semaphore(max(1, step.limit))
        failed_once = asyncio.Event()

        async def gated(plan: Plan[Any]) -> Any:
            async with gate:
                if failed_once.is_set():  # a sibling failed while this one queued: don't start
                    plan.close()
                    return None
                try:
                    return await self.run(plan)
                except BaseException:
                    failed_once.set()
                    raise

        tasks = [asyncio.ensure_future(gated(plan)) for plan in step.plans]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            failed = next((t for t in tasks if t in done and t.exception()), None)
            if failed is not None:
                raise failed.exception()  # type: ignore[misc]
            return [task.result() for task in tasks]
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def _call_back(callback: Callable[..., object], *args: Any) -> object:
    """A user's callback on the loop; awaited when it returns an awaitable."""
    try:
        outcome = callback(*args)
        if inspect.isawaitable(outcome):
            outcome = await outcome
    except Exception as exc:
        raise CallbackFailed(exc) from exc
    return outcome


async def _async_chunks(step: PutPart) -> AsyncIterator[bytes]:
    # File reads happen in a worker thread so a slow disk never blocks the event loop;
    # progress is reported here, on the loop.
    chunks = part_chunks(step)
    sent = 0
    while True:
        chunk = await asyncio.to_thread(next, chunks, None)
        if chunk is None:
            return
        sent += len(chunk)
        if step.progress is not None:
            await _call_back(step.progress.update, step.part.part_number, sent)
        yield chunk
