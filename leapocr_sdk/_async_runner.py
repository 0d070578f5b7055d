"""The asyncio runner; imported only when an AsyncLeapOCR is created (asyncio is not cheap).

It keeps the contract written in ``_runners`` and shares its httpx glue (``_http``); user
callbacks run on the event loop and are awaited when they return an awaitable (coroutine
functions are welcome).
"""

from __future__ import annotations

import asyncio
import collections
import copy
import inspect
import os
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Self, TypeVar, assert_never

import httpx

from . import _constants as C
from ._http import (
    CallbackFailed,
    api_request,
    check_process,
    closed_error,
    describe,
    network_hint,
    out_of_time,
    part_chunks,
    part_request,
    request_timeouts,
    step_budget,
    step_error,
    to_reply,
    too_large,
    transport_error,
    write_size,
)
from ._pacing import Pacer, Ticket
from ._parsing import Reply
from ._steps import (
    AwaitSlot,
    Call,
    CallerStopped,
    Driver,
    Emit,
    Finished,
    Flow,
    FlowGroup,
    NextFinished,
    NextInOrder,
    Notify,
    Parallel,
    PutPart,
    Sleep,
    Step,
    StopGroup,
    StopStream,
    Stream,
    finished,
    stopped,
)
from .errors import ConfigurationError, LeapOCRError

T = TypeVar("T")


class _Gate:
    """The client's cap on API requests in flight (``C.MAX_IN_FLIGHT``), shared by a
    runner and its ``with_timeout`` copies.

    A flow that finds no slot free waits as one future in a first-come queue (beside the
    runner it came from: closing a runner fails its own waiters only). A slot given back
    passes straight to the oldest waiter still waiting. Waiting here costs nothing and is
    not a timeout.
    """

    __slots__ = ("_free", "_queue")

    def __init__(self, size: int) -> None:
        self._free = size
        self._queue: collections.deque[tuple[asyncio.Future[None], object]] = collections.deque()

    def take(self, owner: object) -> asyncio.Future[None] | None:
        """None: a slot is taken. Else a future to await, done once a slot is handed
        over (or failed by ``fail``); see ``AsyncRunner._queued`` for a cancelled one."""
        if self._free > 0 and not self._queue:
            self._free -= 1
            return None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((waiter, owner))
        return waiter

    def release(self) -> None:
        queue = self._queue
        while queue:
            waiter, _ = queue.popleft()
            if not waiter.done():  # not cancelled, nor failed: the slot is its
                waiter.set_result(None)
                return
        self._free += 1

    def fail(self, owner: object, error: BaseException) -> None:
        """End the waits queued by ``owner`` (its client closed) with ``error``."""
        kept: collections.deque[tuple[asyncio.Future[None], object]] = collections.deque()
        for waiter, queued_by in self._queue:
            if queued_by is not owner:
                kept.append((waiter, queued_by))
            elif not waiter.done():
                waiter.set_exception(error)
        self._queue = kept


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
        self._sleep = sleep
        self._pid = os.getpid()
        self._closed = False
        self._sleepers: set[asyncio.Future[None]] = set()
        self._copies: weakref.WeakSet[AsyncRunner] = weakref.WeakSet()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._api_gate = _Gate(C.MAX_IN_FLIGHT)  # see C.MAX_IN_FLIGHT and ``AwaitSlot``
        self._upload_gate = asyncio.Semaphore(C.MAX_CONNECTIONS)
        self._pacer = Pacer()  # one request budget for every task (and every copy)
        self._pace_waiters: set[asyncio.Future[None]] = set()

    def with_timeout(self, timeout: float) -> Self:
        """A runner sharing this one's clients and limits, with another request timeout.

        Closing this runner closes the copy too (its sleeps end at once); closing the copy
        leaves this one open.
        """
        runner = copy.copy(self)
        runner._timeout = timeout
        runner._closed = self._closed
        runner._sleepers = set()
        runner._copies = weakref.WeakSet()
        self._copies.add(runner)
        return runner

    def close(self) -> None:
        """Refuse every step from now on; flows sleeping end at once with
        ``ConfigurationError`` (those in a request end when its connection closes).
        Copies made by ``with_timeout`` are closed too."""
        self._closed = True
        for sleeper in self._sleepers:
            if not sleeper.done():
                sleeper.set_exception(closed_error("AsyncLeapOCR client"))
        self._api_gate.fail(self, closed_error("AsyncLeapOCR client"))
        for runner in list(self._copies):
            runner.close()

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

    async def run(self, plan: Flow[T]) -> T:
        self.check_loop()
        driver = Driver(plan)
        held = False  # a slot of the in-flight gate, taken at ``AwaitSlot`` for a ``Call``
        try:
            while (step := driver.next_step()) is not None:
                try:
                    if type(step) is AwaitSlot:
                        if self._closed:
                            raise closed_error("AsyncLeapOCR client")
                        if not held:
                            waiter = self._api_gate.take(self)
                            if waiter is not None:
                                try:  # queued: this frame and the future, nothing more
                                    await waiter
                                except BaseException:
                                    _give_back(self._api_gate, waiter)
                                    raise
                            held = True
                    elif held:
                        held = False  # handed to the call (which gives it back), or back now
                        if type(step) is Call and not self._closed:
                            driver.result = await self._call(step, held=True)
                        else:
                            self._api_gate.release()
                            driver.result = await self._perform(step)
                    else:
                        driver.result = await self._perform(step)
                except CallbackFailed as failed:
                    driver.error = failed.error
                except BaseException as exc:  # SDK errors, cancellation: the flow decides
                    driver.error = exc
            return driver.value
        finally:
            if held:
                self._api_gate.release()

    def _perform(self, step: Step) -> Awaitable[Any]:
        # Hands back the step's awaitable rather than awaiting it: a flow waiting (10,000
        # at once) holds one frame less.
        if self._closed and not isinstance(step, Emit | StopGroup | StopStream):
            raise closed_error("AsyncLeapOCR client")
        if isinstance(step, Call):
            return self._call(step)
        if isinstance(step, PutPart):
            return self._put(step)
        if isinstance(step, Sleep):
            return self._pause(step.seconds)
        if isinstance(step, Notify):
            return _call_back(step.callback, step.argument)
        if isinstance(step, Parallel):
            return self._parallel(step)
        if isinstance(step, NextInOrder | StopStream):
            return self._stream_step(step)
        if isinstance(step, NextFinished | StopGroup | Emit):
            return self._batch_step(step)
        if isinstance(step, AwaitSlot):  # outside ``run`` (a batch's own plan): no slot kept
            return _nothing()
        assert_never(step)

    async def _pause(self, seconds: float) -> object:
        if self._sleep is not None:  # a caller's own sleep (tests): as it is
            return await self._sleep(seconds)
        loop = asyncio.get_running_loop()
        sleeper: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(max(0.0, seconds), _settle, sleeper)
        self._sleepers.add(sleeper)
        try:
            await sleeper
            return None
        finally:
            timer.cancel()
            self._sleepers.discard(sleeper)

    async def _call(self, step: Call, held: bool = False) -> Reply:
        """Send ``step`` when the request budget (``_pacing``) and the in-flight gate let
        it go; ``held``: a slot of the gate is its already (taken at ``AwaitSlot``)."""
        pacer = self._pacer
        ticket = pacer.enter(step.name, step.due)
        if pacer.admit(ticket, time.monotonic()) != 0.0:
            if held:  # no slot is kept while the budget holds the call back
                held = False
                self._api_gate.release()
            await self._wait_turn(step, ticket)
        # Admitted (counted in flight until answered); through the gate, then the request
        # is built: a call queued here holds its step only, not a built request.
        if not held:
            waiter = self._api_gate.take(self)
            if waiter is not None:
                try:
                    await waiter
                except BaseException:
                    _give_back(self._api_gate, waiter)
                    pacer.withdraw()
                    self._wake_waiters()
                    raise
        sent, reply = time.monotonic(), None
        try:
            try:
                request = api_request(self._api, step, self._base_url, self._headers)
            except Exception as exc:
                raise step_error(step, exc) from None
            reply = await self._send(self._api, request, step, step.body_limit)
            return reply
        finally:
            self._api_gate.release()
            headers = None if reply is None else reply.headers
            received, wall = time.monotonic(), time.time()
            self._pacer.answered(headers, sent=sent, received=received, wall=wall)
            self._wake_waiters()

    async def _wait_turn(self, step: Call, ticket: Ticket) -> None:
        """Wait until the client's request budget lets ``step`` (queued as ``ticket``)
        go (``_pacing``); at the end of its timeout it goes anyway (a 429 is retried as
        ever). A close ends the wait (``ConfigurationError``), and so does a cancellation."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + step_budget(step, self._timeout)
        try:
            while True:
                now = time.monotonic()
                wait = self._pacer.admit(ticket, now, force=now >= deadline)
                if wait == 0.0:
                    return
                if self._closed:
                    raise closed_error("AsyncLeapOCR client")
                waiter: asyncio.Future[None] = loop.create_future()
                seconds = deadline - now if wait is None else min(wait, deadline - now)
                timer = loop.call_later(seconds, _settle, waiter)
                self._sleepers.add(waiter)  # close() fails it
                self._pace_waiters.add(waiter)  # an answer or a leaver settles it
                try:
                    await waiter
                finally:
                    timer.cancel()
                    self._sleepers.discard(waiter)
                    self._pace_waiters.discard(waiter)
        except BaseException:
            self._pacer.leave(ticket)
            self._wake_waiters()
            raise

    def _wake_waiters(self) -> None:
        for waiter in list(self._pace_waiters):
            _settle(waiter)

    async def _put(self, step: PutPart) -> Reply:
        uploads = self._uploads()
        try:
            request = part_request(uploads, step, _async_chunks(step, write_size(self._timeout)))
        except Exception as exc:
            raise step_error(step, exc) from None
        async with self._upload_gate:
            return await self._send(uploads, request, step, C.MAX_REPLY_BYTES)

    async def _send(
        self, client: httpx.AsyncClient, request: httpx.Request, step: Call | PutPart, limit: int
    ) -> Reply:
        budget = step_budget(step, self._timeout)
        request.extensions["timeout"] = request_timeouts(step, self._timeout).as_dict()
        try:
            async with asyncio.timeout(budget):  # the whole request, whatever the server does
                response = await client.send(request, stream=True, follow_redirects=False)
                try:
                    parts: list[bytes] = []  # joined once: a growing buffer copies twice
                    size = 0
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise too_large(response.status_code, limit, describe(request))
                        parts.append(chunk)
                finally:
                    await response.aclose()
        except TimeoutError:
            raise out_of_time(describe(request), budget, network_hint(step)) from None
        except httpx.HTTPError as exc:
            if self._closed:
                raise closed_error("AsyncLeapOCR client") from None
            raise transport_error(exc, describe(request), network_hint(step)) from None
        except (LeapOCRError, CallbackFailed):
            raise
        except Exception as exc:
            if self._closed:
                raise closed_error("AsyncLeapOCR client") from None
            raise step_error(step, exc) from None
        content = b"".join(parts)
        return to_reply(response, content, self._headers().get(C.API_KEY_HEADER), step)

    async def _parallel(self, step: Parallel) -> list[Any]:
        if not step.flows:
            return []
        gate = asyncio.Semaphore(max(1, step.limit))
        failed_once = asyncio.Event()

        async def gated(plan: Flow[Any]) -> Any:
            async with gate:
                if failed_once.is_set():  # a sibling failed while this one queued: don't start
                    plan.close()
                    return None
                try:
                    return await self.run(plan)
                except BaseException:
                    failed_once.set()
                    raise

        tasks = [asyncio.ensure_future(gated(plan)) for plan in step.flows]
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

    def _stream_step(self, step: NextInOrder | StopStream) -> Awaitable[Any]:
        if isinstance(step, StopStream):
            return _stop_stream(step.stream, step.timeout)
        return self._next_in_order(step.stream)

    async def _next_in_order(self, stream: Stream) -> Any:
        """Hand back the oldest value of ``stream`` once its sub-flow (a task) ends,
        topping the stream up each time one of its running sub-flows ends meanwhile. A
        cancellation of this wait leaves them running: the flow stops them
        (``StopStream``)."""
        running = stream.running
        if stream.closer is None:

            def cancel_all() -> None:
                for task in running:
                    task.cancel()

            stream.closer = cancel_all
        start = self._start_task
        in_flight = stream.top_up(start, asyncio.Future.done)
        oldest = running[0]
        while not oldest.done():
            await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            if not oldest.done():  # see NextInOrder: none starts once the oldest ended
                in_flight = stream.top_up(start, asyncio.Future.done)
        running.popleft()
        return oldest.result()

    def _start_task(self, plan: Flow[Any]) -> asyncio.Task[Any]:
        return asyncio.ensure_future(self.run(plan))

    # --- batches (``_batch``): sub-flows handed back as they finish, items to the caller ---

    async def iterate(self, plan: Flow[Any]) -> AsyncGenerator[Any, None]:
        """Drive ``plan`` like ``run``, yielding each ``Emit`` step's value to the caller.

        When the caller stops (``aclose``, or the event loop finalising a generator left
        after ``break``) the stop is thrown into the plan as ``CallerStopped``; a
        cancellation reaches it as ``CancelledError``. Either way the plan stops its
        sub-flows and cleans up (bounded) before this iterator ends.
        """
        self.check_loop()
        driver = Driver(plan)
        stopping: BaseException | None = None
        while True:
            try:
                step = driver.next_step()
            except CallerStopped as exc:
                if exc is stopping:
                    return
                raise
            if step is None:
                return
            if isinstance(step, Emit):
                if stopping is None:
                    try:
                        yield step.value
                    except GeneratorExit:  # the caller stopped: the plan cleans up
                        stopping = driver.error = CallerStopped()
                    except BaseException as exc:  # thrown in by the caller: the same
                        stopping = driver.error = exc
                continue
            try:
                driver.result = await self._perform(step)
            except CallbackFailed as failed:
                driver.error = failed.error
            except BaseException as exc:  # as in run(): the flow decides
                driver.error = exc

    async def _batch_step(self, step: NextFinished | StopGroup | Emit) -> Any:
        if isinstance(step, Emit):
            raise TypeError("a plan that emits items must be driven with iterate(), not run()")
        group = step.group
        if isinstance(step, StopGroup):
            return await _stop(group, step.timeout)
        if group.closer is None:

            def cancel_all() -> None:
                for task in group.running:
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
        return finished(group, task, None if task.cancelled() else task.exception())


async def _stop(group: FlowGroup, timeout: float) -> tuple[list[Finished], list[Any]]:
    """Cancel every sub-flow of ``group`` (each cleans up), wait up to ``timeout``."""
    tasks = list(group.running)
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)
    return stopped(group, tasks, asyncio.CancelledError)


def _give_back(gate: _Gate, waiter: asyncio.Future[None]) -> None:
    """A wait for ``gate`` ended in an error: a task cancelled after the slot was handed
    to it (before it ran) gives the slot back."""
    if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
        gate.release()


async def _nothing() -> None:
    return None


async def _stop_stream(stream: Stream, timeout: float) -> None:
    """Cancel what still runs in ``stream`` and wait for it at most ``timeout``."""
    running = list(stream.running)
    stream.close()
    if running:
        await asyncio.wait(running, timeout=timeout)
        for task in running:  # seen, so asyncio does not log their errors as never retrieved
            if task.done() and not task.cancelled():
                task.exception()


def _settle(sleeper: asyncio.Future[None]) -> None:
    if not sleeper.done():
        sleeper.set_result(None)


async def _call_back(callback: Callable[..., object], *args: Any) -> object:
    """A user's callback on the loop; awaited when it returns an awaitable."""
    try:
        outcome = callback(*args)
        if inspect.isawaitable(outcome):
            outcome = await outcome
    except Exception as exc:
        raise CallbackFailed(exc) from exc
    return outcome


async def _async_chunks(step: PutPart, size: int) -> AsyncIterator[bytes]:
    # A stream that may block (a pipe, a network file object) is read in a worker thread;
    # bytes and regular files are read on the loop (a thread hop per chunk costs more than
    # a 1 MiB read). Progress is reported here, on the loop.
    chunks = part_chunks(step, size=size)
    in_thread = step.source.reads_may_block
    sent = 0
    while True:
        chunk = await asyncio.to_thread(next, chunks, None) if in_thread else next(chunks, None)
        if chunk is None:
            return
        sent += len(chunk)
        if step.progress is not None:
            await _call_back(step.progress.update, step.part.part_number, sent)
        yield chunk
