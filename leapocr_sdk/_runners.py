"""The runners perform a flow's steps: blocking here, with ``await`` in ``_async_runner``.

Runners know HTTP, threads and the event loop; they make no decisions. Each drives a
flow the way httpx drives its auth flows: send the step's result back in, or throw the
step's error in, until the flow returns.

The contract between flows (``_flows``) and runners
---------------------------------------------------

- Every failure of a step's own I/O reaches the flow as a :class:`LeapOCRError`: the
  network (``APIConnectionError`` / ``APITimeoutError``), a reply too large
  (``ResponseTooLargeError``), a part's file or upload URL (``UploadError`` naming the
  part). Never a raw ``OSError``, ``ValueError`` or ``httpx`` exception.
- A user callback's own exception, ``KeyboardInterrupt`` and ``asyncio.CancelledError``
  are thrown into the flow as they are: a flow holding a half-made job cleans it up
  (bounded, best effort) and re-raises them.
- ``Call`` is bounded as a whole (connect, send and the whole reply) by the client's
  ``timeout`` or the step's own, whichever is smaller; its reply body is read up to
  ``Call.body_limit`` bytes (after decompression), then refused while reading.
- ``PutPart`` is bounded as a whole by the client's ``timeout`` plus its size at
  ``MIN_UPLOAD_RATE``, and while its body is written by the client's ``timeout``: each
  write (``write_size``) must be taken by the storage host within it.
- The API key is redacted from every reply body before a flow sees it (also in its
  JSON-escaped and percent-encoded forms), so no error built from a body can carry it;
  but a 200 answer to a ``Call`` with ``raw_success`` comes as sent, with the redaction
  as ``Reply.scrub`` for the flow to apply to all it passes on but the caller's data.
- User callbacks run where documented: ``Notify`` on the caller's thread (blocking
  client) or on the event loop, awaited if it returns an awaitable (async client);
  ``on_upload_progress`` on the blocking client from the upload worker threads, one call
  at a time, on the async client on the event loop.
- ``Parallel``: on the first failure (or an interrupt) no new sub-flow starts and the
  running ones stop before their next chunk or step; the failure is raised at once.
- ``NextInOrder``: a stream's sub-flows start in order (``Stream.top_up``: ``limit``
  running at most, ``AHEAD * limit`` started and not handed back, none once the oldest
  ended), and their values (or errors) are handed back in order, one a step; the others
  run on meanwhile. ``StopStream`` interrupts (cancels) those still running and waits for them,
  bounded; their answers are dropped and their connections closed.
- Batches (``iterate``): a caller who stops early (``break``, ``close``, an exception in
  the loop, garbage collection, ``aclose``), an interrupt or a cancellation is *thrown
  into* the batch plan, never closed over it: the plan stops its sub-flows
  (``StopGroup``: each is interrupted and runs its own clean-up), performs its clean-up
  steps and re-raises; the runner then ends. A closed client refuses every step with
  ``ConfigurationError``, and steps waiting when it closes (a sleep, a request) end at once.
- Dispatch over the step types ends in ``assert_never``: a new step type fails type
  checking until both runners perform it.
"""

from __future__ import annotations

import concurrent.futures
import copy
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, Self, TypeVar, assert_never

import httpx

from . import _constants as C
from ._bounded import Bounds, enter, is_bounded, leave
from ._http import (
    CallbackFailed,
    api_request,
    call_back,
    check_process,
    closed_error,
    describe,
    network_hint,
    out_of_time,
    part_chunks,
    part_request,
    read_capped,
    request_timeouts,
    step_budget,
    step_error,
    to_reply,
    too_large,
    transport_error,
    write_size,
)
from ._pacing import Pacer
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
    Interrupted,
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
from .errors import LeapOCRError

T = TypeVar("T")


class _Workers:
    """Daemon threads that perform blocking exchanges for callers who wait with a bound
    (the exchanges of a caller's own ``httpx.Client``, which ``_bounded`` cannot bound).

    Idle threads are reused (starting one per request costs more than the request on a
    fast network); at most ``keep_idle`` stay parked. Daemon threads never hold up
    interpreter exit, even when stuck on a server that stopped answering.
    """

    def __init__(self, keep_idle: int = 8) -> None:
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._keep_idle = keep_idle

    def run(self, task: Callable[[], None]) -> None:
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
        if spawn:
            threading.Thread(target=self._work, name="leapocr-request", daemon=True).start()
        self._tasks.put(task)

    def _work(self) -> None:
        while True:
            self._tasks.get()()
            with self._lock:
                if self._idle >= self._keep_idle:
                    return
                self._idle += 1


_WORKERS = _Workers()


def _new_workers_after_fork() -> None:
    global _WORKERS  # a forked child has none of the parent's threads
    _WORKERS = _Workers()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_workers_after_fork)


# How often a blocked wait looks whether its batch is stopping or its client closed.
_TICK = 0.05


class SyncRunner:
    """Performs steps with an ``httpx.Client``, ``time.sleep`` and a thread pool."""

    def __init__(
        self,
        *,
        api: httpx.Client,
        uploads: Callable[[], httpx.Client],
        base_url: str,
        headers: Callable[[], dict[str, str]],
        timeout: float = C.DEFAULT_TIMEOUT,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self._api = api
        self._uploads = uploads
        self._base_url = base_url
        self._headers = headers
        self._timeout = timeout
        self._sleep = sleep
        self._pid = os.getpid()
        self._closed = threading.Event()
        self._copies: weakref.WeakSet[SyncRunner] = weakref.WeakSet()
        self._copies_lock = threading.Lock()
        self._pacer = Pacer()  # one request budget for every thread (and every copy)
        self._pace = threading.Condition()

    def close(self) -> None:
        """Refuse every step from now on; flows waiting (a sleep, a request) end at once
        with ``ConfigurationError``. Copies made by ``with_timeout`` are closed too."""
        self._closed.set()
        with self._copies_lock:
            copies = list(self._copies)
        for runner in copies:
            runner.close()

    def _check_open(self) -> None:
        if self._closed.is_set():
            raise closed_error("LeapOCR client")

    def with_timeout(self, timeout: float) -> Self:
        """A runner sharing this one's clients and limits, with another request timeout.

        Closing this runner closes the copy too (its waits end at once); closing the copy
        leaves this one open.
        """
        runner = copy.copy(self)
        runner._timeout = timeout
        runner._closed = threading.Event()
        runner._copies = weakref.WeakSet()
        runner._copies_lock = threading.Lock()
        with self._copies_lock:
            self._copies.add(runner)
        if self._closed.is_set():
            runner._closed.set()
        return runner

    def run(self, plan: Flow[T], abort: threading.Event | None = None) -> T:
        """Drive ``plan`` to its end. Once ``abort`` is set, ``Interrupted`` is thrown into
        the plan (once) and its clean-up steps are performed."""
        check_process(self._pid, "LeapOCR client")
        driver = Driver(plan)
        while (step := driver.next_step()) is not None:
            if abort is not None and abort.is_set():
                abort = None  # thrown once: what the plan does next is its clean-up
                driver.error = Interrupted()
                continue
            try:
                driver.result = self._perform(step, abort)
            except CallbackFailed as failed:
                driver.error = failed.error
            except BaseException as exc:  # SDK errors, interrupts: the flow decides
                if isinstance(exc, Interrupted):
                    abort = None
                driver.error = exc
        return driver.value

    def _perform(self, step: Step, abort: threading.Event | None = None) -> Any:
        if not isinstance(step, Emit | StopGroup | StopStream):
            self._check_open()
        if isinstance(step, Call):
            return self._call(step, abort)
        if isinstance(step, PutPart):
            return self._put(step, abort)
        if isinstance(step, Sleep):
            return self._pause(step.seconds, abort)
        if isinstance(step, Notify):
            return call_back(step.callback, step.argument)
        if isinstance(step, Parallel):
            return self._parallel(step, abort)
        if isinstance(step, NextInOrder | StopStream):
            return self._stream_step(step, abort)
        if isinstance(step, NextFinished | StopGroup | Emit):
            return self._batch_step(step)
        if isinstance(step, AwaitSlot):  # no in-flight cap here: each caller's thread sends
            return None
        assert_never(step)

    def _pause(self, seconds: float, abort: threading.Event | None) -> object:
        if self._sleep is not None:  # a caller's own sleep (tests): as it is
            return self._sleep(seconds)
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self._closed.wait(min(remaining, _TICK)):
                raise closed_error("LeapOCR client")
            if abort is not None and abort.is_set():
                raise Interrupted
        return None

    def _call(self, step: Call, abort: threading.Event | None) -> Reply:
        try:
            request = api_request(self._api, step, self._base_url, self._headers)
        except Exception as exc:
            raise step_error(step, exc) from None
        self._wait_turn(step, abort)
        sent, reply = time.monotonic(), None
        try:
            # A request that creates a job is waited on when the batch stops: its answer
            # names the job to clean up.
            abort = abort if step.idempotent else None
            reply = self._send(self._api, request, step, step.body_limit, None, abort)
            return reply
        finally:
            headers = None if reply is None else reply.headers
            with self._pace:
                received, wall = time.monotonic(), time.time()
                self._pacer.answered(headers, sent=sent, received=received, wall=wall)
                if self._pacer.queued:
                    self._pace.notify_all()

    def _wait_turn(self, step: Call, abort: threading.Event | None) -> None:
        """Wait until the client's request budget lets ``step`` go (``_pacing``); at the
        end of its timeout it goes anyway (a 429 is retried as ever)."""
        with self._pace:
            now = time.monotonic()
            if self._pacer.go_now(now):  # nothing queued, budget left: no ticket needed
                return
            deadline = now + step_budget(step, self._timeout)
            ticket = self._pacer.enter(step.name, step.due)
            try:
                while True:
                    now = time.monotonic()
                    wait = self._pacer.admit(ticket, now, force=now >= deadline)
                    if wait == 0.0:
                        return
                    self._pace.wait(max(0.0, min(wait or _TICK, _TICK, deadline - now)))
                    if self._closed.is_set():
                        raise closed_error("LeapOCR client")
                    if abort is not None and abort.is_set():
                        raise Interrupted
            except BaseException:
                self._pacer.leave(ticket)
                self._pace.notify_all()
                raise

    def _put(self, step: PutPart, abort: threading.Event | None) -> Reply:
        uploads = self._uploads()
        cancel = threading.Event()  # set when the wait for this part is given up
        try:
            chunks = self._progressed(step, abort, cancel, write_size(self._timeout))
            request = part_request(uploads, step, chunks)
        except Exception as exc:
            raise step_error(step, exc) from None
        return self._send(uploads, request, step, C.MAX_REPLY_BYTES, cancel, abort)

    @staticmethod
    def _progressed(
        step: PutPart, abort: threading.Event | None, cancel: threading.Event, size: int
    ) -> Iterator[bytes]:
        sent = 0
        for chunk in part_chunks(step, abort, size):
            if cancel.is_set():
                raise Interrupted
            sent += len(chunk)
            if step.progress is not None:
                call_back(step.progress.update, step.part.part_number, sent)
            yield chunk

    def _send(
        self,
        client: httpx.Client,
        request: httpx.Request,
        step: Call | PutPart,
        limit: int,
        cancel: threading.Event | None = None,
        abort: threading.Event | None = None,
    ) -> Reply:
        """Perform ``request`` within its budget; end it once ``abort`` is set (the batch
        stops: ``Interrupted``) or the client closes (``ConfigurationError``).

        httpx's timeouts bound each read, not the request: a server trickling its answer
        (headers included) would hold a blocking call for as long as it likes. The SDK's
        own clients keep every socket operation to the exchange's ``Bounds`` (see
        ``_bounded``), so the exchange runs here, in the caller's thread (Ctrl-C lands in
        it). A caller's own client cannot be bounded that way: its exchange runs in a
        helper thread, waited for at most the budget (``_send_on_helper``).
        """
        budget = step_budget(step, self._timeout)
        deadline = time.monotonic() + budget
        request.extensions["timeout"] = request_timeouts(step, self._timeout).as_dict()
        if not is_bounded(client):
            return self._send_on_helper(client, request, step, limit, deadline, cancel, abort)
        closed = self._closed

        def stop() -> BaseException | None:
            if closed.is_set():
                return closed_error("LeapOCR client")
            if abort is not None and abort.is_set():
                return Interrupted()
            return None

        previous = enter(Bounds(deadline, stop))
        try:
            return self._exchange(client, request, step, limit, deadline, budget)
        except LeapOCRError:
            if closed.is_set():  # the connections were closed under the exchange
                raise closed_error("LeapOCR client") from None
            raise
        finally:
            leave(previous)

    def _send_on_helper(
        self,
        client: httpx.Client,
        request: httpx.Request,
        step: Call | PutPart,
        limit: int,
        deadline: float,
        cancel: threading.Event | None,
        abort: threading.Event | None,
    ) -> Reply:
        """Perform ``request`` in a helper thread and wait for it until ``deadline``.

        The wait is the bound: an abandoned exchange is told to stop (``cancel``), stops
        at its next chunk or read timeout, and its connection is dropped. Waiting here
        also keeps Ctrl-C prompt, and ends the wait when the batch stops (``abort``) or
        the client closes.
        """
        budget = step_budget(step, self._timeout)
        cancel = cancel or threading.Event()
        outcome: list[tuple[bool, Any]] = []
        done = threading.Event()

        def exchange() -> None:
            try:
                reply = self._exchange(client, request, step, limit, deadline, budget)
                outcome.append((True, reply))
            except BaseException as exc:
                outcome.append((False, exc))
            finally:
                done.set()

        _WORKERS.run(exchange)
        try:
            finished = self._wait_for(done, deadline, abort)
        finally:
            if not done.is_set():
                cancel.set()
        if not finished:
            raise out_of_time(describe(request), budget, network_hint(step))
        ok, value = outcome[0]
        if not ok:
            if self._closed.is_set() and isinstance(value, LeapOCRError):
                raise closed_error("LeapOCR client") from None
            raise value
        return value  # type: ignore[no-any-return]

    def _wait_for(
        self, done: threading.Event, deadline: float, abort: threading.Event | None
    ) -> bool:
        """Wait for ``done`` until ``deadline``; ``Interrupted`` once ``abort`` is set,
        ``ConfigurationError`` once the client is closed."""
        while True:
            remaining = deadline - time.monotonic()
            if done.wait(max(0.0, min(remaining, _TICK))):
                return True
            if self._closed.is_set():
                raise closed_error("LeapOCR client")
            if abort is not None and abort.is_set():
                raise Interrupted
            if remaining <= 0:
                return False

    def _exchange(
        self,
        client: httpx.Client,
        request: httpx.Request,
        step: Call | PutPart,
        limit: int,
        deadline: float,
        budget: float,
    ) -> Reply:
        try:
            response = client.send(request, stream=True, follow_redirects=False)
            try:
                content = read_capped(
                    response.iter_bytes(),
                    limit,
                    deadline,
                    lambda: out_of_time(describe(request), budget, network_hint(step)),
                    lambda: too_large(response.status_code, limit, describe(request)),
                )
            finally:
                response.close()
        except httpx.HTTPError as exc:
            if time.monotonic() >= deadline:
                raise out_of_time(describe(request), budget, network_hint(step)) from None
            raise transport_error(exc, describe(request), network_hint(step)) from None
        except (LeapOCRError, CallbackFailed):
            raise
        except Exception as exc:
            raise step_error(step, exc) from None
        return to_reply(response, content, self._headers().get(C.API_KEY_HEADER), step)

    def _parallel(self, step: Parallel, outer: threading.Event | None = None) -> list[Any]:
        if not step.flows:
            return []
        workers = max(1, min(step.limit, len(step.flows)))
        abort = threading.Event()
        failures: list[BaseException] = []

        def guarded(plan: Flow[Any]) -> Any:
            try:
                return self.run(plan, abort)
            except Interrupted:
                raise
            except BaseException as exc:
                failures.append(exc)
                abort.set()  # set by the worker itself: a queued sibling must not start
                raise

        pool = concurrent.futures.ThreadPoolExecutor(workers, "leapocr-upload")
        try:
            futures = [pool.submit(guarded, plan) for plan in step.flows]
            while True:
                _, running = concurrent.futures.wait(
                    futures, _TICK, concurrent.futures.FIRST_EXCEPTION
                )
                if failures:
                    raise failures[0]
                if not running:
                    return [future.result() for future in futures]
                if outer is not None and outer.is_set():  # the batch stops: so do the parts
                    raise Interrupted
        finally:
            # On a failure or an interrupt (Ctrl-C lands here, in the caller's thread):
            # queued parts never start, running ones stop before their next chunk, and
            # nothing waits for them.
            abort.set()
            pool.shutdown(wait=False, cancel_futures=True)

    def _stream_step(self, step: NextInOrder | StopStream, abort: threading.Event | None) -> Any:
        if isinstance(step, StopStream):
            return _stop_stream(step.stream, step.timeout)
        return self._next_in_order(step.stream, abort)

    def _next_in_order(self, stream: Stream, outer: threading.Event | None) -> Any:
        """Hand back the oldest value of ``stream`` once its sub-flow ends, topping the
        stream up (on threads of its own pool, kept for the stream's life) each time one
        of its running sub-flows ends meanwhile."""
        pool, abort = _own_pool(stream, stream.limit, "leapocr-stream")
        running = stream.running
        start = partial(pool.submit, self.run, abort=abort)
        is_done = concurrent.futures.Future.done
        in_flight = stream.top_up(start, is_done)
        oldest = running[0]
        while not oldest.done():
            # Ctrl-C lands here, in the caller's thread; a stopping batch is looked at
            # each tick.
            concurrent.futures.wait(in_flight, _TICK, concurrent.futures.FIRST_COMPLETED)
            if outer is not None and outer.is_set():
                raise Interrupted
            if not oldest.done():  # see NextInOrder: none starts once the oldest ended
                in_flight = stream.top_up(start, is_done)
        running.popleft()
        return oldest.result()

    # --- batches (``_batch``): sub-flows handed back as they finish, items to the caller ---

    def iterate(self, plan: Flow[Any]) -> Iterator[Any]:
        """Drive ``plan`` like ``run``, yielding each ``Emit`` step's value to the caller.

        When the caller stops (``break``, ``close()``, an exception in its loop, garbage
        collection) the stop is thrown into the plan as ``CallerStopped``: the plan stops
        its sub-flows and cleans up (bounded) before this iterator ends.
        """
        check_process(self._pid, "LeapOCR client")
        driver = Driver(plan)
        stopping: BaseException | None = None
        while True:
            try:
                step = driver.next_step()
            except CallerStopped as exc:
                if exc is stopping:
                    return
                raise
            except BaseException as exc:
                if driver.finished:  # the plan raised it
                    raise
                driver.error = exc  # Ctrl-C landed in the driver's own lines: as below
                stopping = exc if stopping is None else stopping
                continue
            if step is None:
                return
            try:
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
                    driver.result = self._perform(step)
                except CallbackFailed as failed:
                    driver.error = failed.error
                except BaseException as exc:  # as in run(): the flow decides
                    driver.error = exc
            except BaseException as exc:
                # Ctrl-C (a signal handler's exception) landed in this loop's own lines,
                # between steps: the plan is thrown it and cleans up, as for a step's.
                driver.error = exc
                stopping = exc if stopping is None else stopping

    def _batch_step(self, step: NextFinished | StopGroup | Emit) -> Any:
        if isinstance(step, Emit):
            raise TypeError("a plan that emits items must be driven with iterate(), not run()")
        group = step.group
        if isinstance(step, StopGroup):
            return self._stop(group, step.timeout)
        pool, abort = _own_pool(group, C.MAX_CONNECTIONS, "leapocr-batch")
        for tag, plan in step.start:
            group.running[pool.submit(self.run, plan, abort)] = tag
        if not group.running:
            return None
        done, _ = concurrent.futures.wait(
            group.running, step.timeout, concurrent.futures.FIRST_COMPLETED
        )
        if not done:
            return None
        future = next(future for future in group.running if future in done)  # oldest first
        return finished(group, future, future.exception())

    @staticmethod
    def _stop(group: FlowGroup, timeout: float) -> tuple[list[Finished], list[Any]]:
        if group.state is None:
            return [], []
        pool, abort = group.state
        _stop_group(pool, abort)  # queued sub-flows never start; running ones are interrupted
        futures = list(group.running)
        _wait_for_started(futures, timeout)
        return stopped(group, futures, Interrupted)


def _own_pool(
    holder: Stream | FlowGroup, workers: int, name: str
) -> tuple[concurrent.futures.ThreadPoolExecutor, threading.Event]:
    """The thread pool and abort event of a stream or a batch group, made at its first
    step; closing the holder interrupts its sub-flows and drops those not started."""
    if holder.state is None:
        pool = concurrent.futures.ThreadPoolExecutor(workers, name)
        abort = threading.Event()
        holder.state = (pool, abort)
        holder.closer = lambda: _stop_group(pool, abort)
    state: tuple[concurrent.futures.ThreadPoolExecutor, threading.Event] = holder.state
    return state


def _stop_stream(stream: Stream, timeout: float) -> None:
    """Interrupt what still runs in ``stream`` and wait for it at most ``timeout``."""
    running = list(stream.running)
    stream.close()  # queued sub-flows never start; running ones are interrupted
    _wait_for_started(running, timeout)


def _wait_for_started(futures: list[concurrent.futures.Future[Any]], timeout: float) -> None:
    """Wait at most ``timeout`` for those of ``futures`` that started. One the pool
    cancelled before it started is over, yet ``concurrent.futures.wait`` never counts it
    done (it waits for a notice that only a worker thread gives): waiting on it would
    always last the whole ``timeout``."""
    started = [future for future in futures if not future.cancelled()]
    if started:
        concurrent.futures.wait(started, timeout)


def _stop_group(pool: concurrent.futures.ThreadPoolExecutor, abort: threading.Event) -> None:
    abort.set()  # running sub-flows are interrupted at their step; queued ones never start
    pool.shutdown(wait=False, cancel_futures=True)
