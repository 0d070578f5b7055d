"""The asyncio runner; imported only when an AsyncLeapOCR is created (asyncio is not cheap)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import httpx

from . import _constants as C
from ._parsing import Reply
from ._runners import (
    _finished,
    _part_chunks,
    _reply,
    api_request,
    describe,
    part_request,
    transport_error,
)
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
from .errors import LeapOCRError

T = TypeVar("T")


class AsyncRunner:
    """Performs steps with an ``httpx.AsyncClient``, ``asyncio.sleep`` and tasks."""

    def __init__(
        self,
        *,
        api: httpx.AsyncClient,
        uploads: Callable[[], httpx.AsyncClient],
        base_url: str,
        headers: Callable[[], dict[str, str]],
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        self._api = api
        self._uploads = uploads
        self._base_url = base_url
        self._headers = headers
        self._sleep = sleep or asyncio.sleep
        # See C.MAX_CONNECTIONS: waiting here costs nothing and is not a timeout.
        self._api_gate = asyncio.Semaphore(C.MAX_CONNECTIONS)
        self._upload_gate = asyncio.Semaphore(C.MAX_CONNECTIONS)

    async def run(self, plan: Plan[T]) -> T:
        result: Any = None
        error: LeapOCRError | None = None
        while True:
            try:
                step = plan.throw(error) if error is not None else plan.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            try:
                result, error = await self._perform(step), None
            except LeapOCRError as exc:
                result, error = None, exc
            except BaseException:
                plan.close()
                raise

    async def _perform(self, step: Step) -> Any:
        if isinstance(step, Call):
            return await self._call(step)
        if isinstance(step, PutPart):
            return await self._put(step)
        if isinstance(step, Sleep):
            return await self._sleep(step.seconds)
        if isinstance(step, NextFinished | Emit):
            return await self._batch_step(step)
        return await self._parallel(step)

    async def _call(self, step: Call) -> Reply:
        request = api_request(self._api, step, self._base_url, self._headers)
        async with self._api_gate:
            return await self._send(self._api, request)

    async def _put(self, step: PutPart) -> Reply:
        uploads = self._uploads()
        async with self._upload_gate:
            return await self._send(uploads, part_request(uploads, step, _async_chunks(step)))

    @staticmethod
    async def _send(client: httpx.AsyncClient, request: httpx.Request) -> Reply:
        try:
            response = await client.send(request, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise transport_error(exc, describe(request)) from None
        return _reply(response)

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

    # --- batches (``_batch``): sub-flows handed back as they finish, items to the caller ---

    async def iterate(self, plan: Plan[Any]) -> AsyncIterator[Any]:
        """Drive ``plan`` like ``run``, yielding each ``Emit`` step's value to the caller.

        Closing the iterator (``break`` then ``aclose``, cancellation) closes the plan,
        which cancels its sub-flows; they have ended when ``aclose`` returns.
        """
        result: Any = None
        error: LeapOCRError | None = None
        groups: list[FlowGroup] = []
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
                if isinstance(step, NextFinished) and step.group not in groups:
                    groups.append(step.group)
                try:
                    result, error = await self._perform(step), None
                except LeapOCRError as exc:
                    result, error = None, exc
        finally:
            plan.close()
            for group in groups:
                if group.state:  # the tasks the plan's close cancelled
                    await asyncio.gather(*group.state, return_exceptions=True)

    async def _batch_step(self, step: NextFinished | Emit) -> Finished | None:
        if isinstance(step, Emit):
            raise TypeError("a plan that emits items must be driven with iterate(), not run()")
        group = step.group
        if group.closer is None:

            def cancel_all() -> None:
                group.state = list(group.running)
                for task in group.state:
                    task.cancel()

            group.closer = cancel_all
        for tag, plan in step.start:
            group.running[asyncio.ensure_future(self.run(plan))] = tag
        if not group.running:
            return None
        done, _ = await asyncio.wait(
            group.running, timeout=step.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            return None
        task = next(task for task in group.running if task in done)  # oldest first
        return _finished(group, task, None if task.cancelled() else task.exception())


async def _async_chunks(step: PutPart) -> AsyncIterator[bytes]:
    # File reads happen in a worker thread so a slow disk never blocks the event loop.
    chunks = _part_chunks(step)
    while True:
        chunk = await asyncio.to_thread(next, chunks, None)
        if chunk is None:
            return
        yield chunk
