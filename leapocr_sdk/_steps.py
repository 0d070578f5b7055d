"""The steps a flow yields. A runner (sync or async) performs each step and sends back its result.

A flow is a generator ``Flow[T]``: it yields steps, receives their results (or has the
runner's errors thrown into it) and returns ``T``. Flows hold every decision; runners
hold only I/O.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from . import _constants as C
from ._parsing import UploadPart
from ._sources import FileSource
from .errors import LeapOCRError

T = TypeVar("T")


class Call(NamedTuple):
    """One request to the API (the runner adds the base URL and the API key)."""

    name: str
    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    headers: Mapping[str, str] | None = None
    idempotent: bool = True
    # Seconds this call may take at most, in addition to the client's ``timeout`` (the
    # smaller wins): set by flows with a deadline of their own.
    timeout: float | None = None
    # Bytes of reply body read at most (after decompression); more is an error.
    body_limit: int = C.MAX_REPLY_BYTES
    # Retries of this call made before this attempt (for traces).
    attempt: int = 0
    # A 200 body reaches the flow as sent, with ``Reply.scrub`` to redact the key from
    # what the flow passes on (set only by flows that do: the result's pages).
    raw_success: bool = False
    # Set on a poll: when the flow predicts the job ends (a ``ctx.clock()`` time). When
    # the client's request budget is short, polls go after every other request, the
    # nearest predicted end first (``_pacing``).
    due: float | None = None


class PutPart(NamedTuple):
    """PUT one part's byte range to its presigned URL (no API headers)."""

    part: UploadPart
    source: FileSource
    progress: UploadProgress | None = None
    attempt: int = 0  # retries of this part made before this attempt (for traces)


class Sleep(NamedTuple):
    seconds: float


class AwaitSlot(NamedTuple):
    """Wait until the client may send one more API request now; the flow's next step is
    that request (a ``Call``).

    The async client keeps at most ``MAX_IN_FLIGHT`` requests in flight. A flow yields
    this before it builds a request (``wait_until_done`` before each poll), so that while
    it queues behind the others it holds its own frame only, not the generators and the
    request of the call it is about to make (10,000 waits queue at once). The slot is
    kept for the next step when that is a ``Call``, else given back. The blocking runner
    has no such cap: for it this step is done at once.
    """


AWAIT_SLOT = AwaitSlot()


class Notify(NamedTuple):
    """Call a user's callback with ``argument`` where the runner promises to (the caller's
    thread, or the event loop, awaiting it when it returns an awaitable)."""

    callback: Callable[[Any], object]
    argument: Any


class Parallel(NamedTuple):
    """Run sub-flows concurrently, at most ``limit`` at a time; results come back in order.

    On the first failure no new sub-flow starts, running ones are stopped where the
    runner can (async) or finish (sync), and that failure is raised.
    """

    flows: tuple[Generator[Any, Any, Any], ...]
    limit: int


# --- a stream: sub-flows started in order, their answers taken in order -------------


class Stream:
    """Sub-flows started one after another from ``flows``, at most ``limit`` running at a
    time, whose answers the flow takes in order (``NextInOrder``); the runner keeps its
    handles in ``running`` (started and not yet handed back), oldest first.

    A sub-flow starts as soon as another ends, not only when the oldest is handed back,
    so one slow answer does not idle the other slots; the answers that arrive before an
    older one wait for it. At most ``2 * limit`` sub-flows are started and not handed
    back (``AHEAD``): so many answers at most wait for a slow one.

    The flow ends the stream with ``StopStream`` (what still runs is stopped and waited
    for); ``close`` stops it without waiting (set by the runner that started it), for a
    flow closed over its ``yield``.
    """

    AHEAD = 2  # sub-flows started and not handed back: at most AHEAD x limit

    def __init__(self, flows: Iterator[Generator[Any, Any, Any]], limit: int) -> None:
        self.flows = flows
        self.limit = max(1, limit)
        self.running: deque[Any] = deque()  # runner handles, oldest first
        self.closer: Callable[[], None] | None = None
        self.state: Any = None  # the runner's own (a thread pool, for the sync runner)
        self.traced = False  # its sub-flows are traced (``_tracing``)
        self.closed = False

    def top_up(
        self, start: Callable[[Generator[Any, Any, Any]], Any], done: Callable[[Any], bool]
    ) -> list[Any]:
        """Start sub-flows (``start`` returns the runner's handle) while fewer than
        ``limit`` run and fewer than ``AHEAD * limit`` are started and not handed back;
        ``done`` says whether a handle's sub-flow has ended. Returns the handles of those
        still running, to wait on."""
        running = self.running
        in_flight = [handle for handle in running if not done(handle)]
        most = self.AHEAD * self.limit
        while len(in_flight) < self.limit and len(running) < most:
            plan = next(self.flows, None)
            if plan is None:
                break
            running.append(start(plan))
            in_flight.append(running[-1])
        return in_flight

    def close(self) -> None:
        self.closed = True
        if self.closer is not None:
            self.closer()
        self.running.clear()


class NextInOrder(NamedTuple):
    """Hand back the value of the oldest sub-flow of ``stream`` once it ends, starting
    more (``Stream.top_up``) as the running ones end meanwhile (a sub-flow's error is
    raised: the flow decides; the others keep running). The flow asks no more often than
    ``stream.flows`` holds flows.

    So a slot is never idle while a slower answer is awaited, and a flow that checks each
    answer before taking the next never has more than ``limit`` requests out (and
    ``AHEAD * limit`` out or answered) beyond the answer that made it stop. Sub-flows
    start during this step only, and none once the oldest has ended: a caller busy with
    an answer (a page of ``iter_pages``) sends nothing meanwhile, and an answer that stops
    paging, handed back as soon as it ends, adds no request beyond those out then.
    """

    stream: Stream


class StopStream(NamedTuple):
    """Stop every sub-flow still running in ``stream`` (interrupted at its step on the
    blocking runner, cancelled on the async one), wait at most ``timeout`` seconds for
    them to end, and drop their answers; flows not started never start."""

    stream: Stream
    timeout: float


# --- batches (see ``_batch``): sub-flows that finish one by one, and items handed out ---


class FlowGroup:
    """Sub-flows running side by side for one batch; the runner keeps its handles here.

    The batch flow decides how many run (``len(group)``) and closes the group when it
    ends; ``close`` stops what still runs (set by the runner that started them).
    """

    def __init__(self) -> None:
        self.running: dict[Any, Any] = {}  # runner handle -> the flow's tag
        self.closer: Callable[[], None] | None = None
        self.state: Any = None  # the runner's own (a thread pool, for the sync runner)

    def __len__(self) -> int:
        return len(self.running)

    def close(self) -> None:
        if self.closer is not None:
            self.closer()
        self.running.clear()


class Finished(NamedTuple):
    """A sub-flow of a ``NextFinished`` step that ended: its value, or the SDK error it raised."""

    tag: Any
    value: Any
    error: BaseException | None


def finished(group: FlowGroup, handle: Any, error: BaseException | None) -> Finished:
    """The ``Finished`` for a sub-flow that ended; an error that is not the SDK's is raised."""
    tag = group.running.pop(handle)
    if error is None:
        return Finished(tag, handle.result(), None)
    if isinstance(error, LeapOCRError):
        return Finished(tag, None, error)
    raise error


def stopped(
    group: FlowGroup, handles: Iterable[Any], cancelled: Callable[[], BaseException]
) -> tuple[list[Finished], list[Any]]:
    """What a ``StopGroup`` hands back, once the runner has stopped ``group``'s sub-flows
    (``handles``: futures or tasks) and waited: a ``Finished`` per sub-flow that ended (a
    cancelled one with the error ``cancelled()``), and the tags of those still running.
    The group forgets them all."""
    ended = []
    for handle in handles:
        if handle.done():
            tag = group.running.pop(handle)
            if handle.cancelled():
                ended.append(Finished(tag, None, cancelled()))
            elif (error := handle.exception()) is not None:
                ended.append(Finished(tag, None, error))
            else:
                ended.append(Finished(tag, handle.result(), None))
    abandoned = list(group.running.values())
    group.running.clear()
    return ended, abandoned


class NextFinished(NamedTuple):
    """Start ``start`` (tagged sub-flows) in ``group``, then hand back the next one that ends.

    Returns a ``Finished``, or None when nothing ended within ``timeout`` seconds (None:
    wait as long as it takes) or nothing runs. A sub-flow's ``LeapOCRError`` is returned
    in ``Finished.error``, never raised: one failure does not stop the others.
    """

    group: FlowGroup
    start: tuple[tuple[Any, Generator[Any, Any, Any]], ...]
    timeout: float | None


class StopGroup(NamedTuple):
    """Stop every sub-flow running in ``group`` and hand back how each ended.

    Each running sub-flow is interrupted at its step (``Interrupted`` on the blocking
    runner, cancellation on the async one; a running part upload is aborted), so its own
    clean-up runs (a half-uploaded job is deleted). The runner waits at most ``timeout``
    seconds; returns ``(finished, abandoned)``: a ``Finished`` per sub-flow that ended
    (its value, or the error it ended with, the interruption included) and the tags of
    those still running at the deadline (left to end on their own).
    """

    group: FlowGroup
    timeout: float


class Interrupted(BaseException):
    """Thrown into a sub-flow whose batch is stopping (blocking runner): the flow cleans
    up what it holds, bounded, and re-raises it. A ``BaseException``, so no ``except
    Exception`` of a flow takes it for a failure to retry."""


class CallerStopped(BaseException):
    """Thrown into a batch flow when its caller stops iterating (``break``, ``close``,
    ``aclose``, garbage collection), in place of the caller's ``GeneratorExit``: thrown
    through a ``yield from`` (a flow wrapped to close its journal, or traced),
    ``GeneratorExit`` would close the flow instead, and its clean-up steps would never
    run. The flow cleans up and re-raises it; the runner's iterator then ends."""


class Emit(NamedTuple):
    """Hand ``value`` to the caller iterating the flow (``run`` refuses it)."""

    value: Any


Step = (
    Call
    | AwaitSlot
    | PutPart
    | Sleep
    | Notify
    | Parallel
    | NextInOrder
    | StopStream
    | NextFinished
    | StopGroup
    | Emit
)
Flow = Generator[Step, Any, T]


class UploadProgress:
    """Bytes sent so far across all parts, reported to ``on_upload_progress(sent, total)``.

    Each part reports its own count; a retried part starts again from zero.
    """

    def __init__(self, total: int, callback: Callable[[int, int], object] | None) -> None:
        self.total = total
        self._callback = callback
        self._per_part: dict[int, int] = {}
        self._lock = threading.Lock()

    def update(self, part_number: int, sent_in_part: int) -> object:
        """Record a part's count and call the callback; returns what it returned (the
        async runner awaits an awaitable)."""
        with self._lock:
            self._per_part[part_number] = sent_in_part
            sent = sum(self._per_part.values())
            if self._callback is not None:
                return self._callback(sent, self.total)
        return None


class Driver(Generic[T]):
    """A flow driven one step at a time, by a runner or by a flow that wraps it.

    ``next_step()`` resumes the flow with the outcome of its previous step (``result``
    sent in, or ``error`` thrown in: set one of them after performing the step) and
    returns its next step, or None once the flow has returned (its value in ``value``).
    A flow that wraps another hands a step on to its own runner with
    ``yield from driver.relay(step)``.
    """

    __slots__ = ("_flow", "error", "result", "value")

    def __init__(self, flow: Flow[T]) -> None:
        self._flow = flow
        self.result: Any = None
        self.error: BaseException | None = None
        self.value: T

    def next_step(self) -> Step | None:
        result, error = self.result, self.error
        self.result = self.error = None
        try:
            return self._flow.throw(error) if error is not None else self._flow.send(result)
        except StopIteration as stop:
            self.value = stop.value
            return None

    @property
    def finished(self) -> bool:
        """The flow has returned or raised (it takes no more steps)."""
        return getattr(self._flow, "gi_frame", None) is None

    def relay(self, step: Step) -> Generator[Step, Any, None]:
        """Yield ``step`` to the runner of the wrapping flow and keep its outcome (a step's
        failure or an interrupt included: the driven flow decides) for ``next_step``."""
        try:
            self.result = yield step
        except BaseException as exc:
            self.error = exc
