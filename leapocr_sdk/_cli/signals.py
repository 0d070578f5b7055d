"""How a ``leapocr`` command is stopped: Ctrl-C, SIGTERM, or a reader that went away.

Ctrl-C (SIGINT), SIGTERM (sent by cron timeouts, systemd and Kubernetes) and a closed
stdout (``leapocr process ... | head``: a broken pipe) all stop a command the same way:

- in the blocking commands, :class:`Interrupted` (a ``KeyboardInterrupt``) is raised where
  the command is, so the client's own clean-up for Ctrl-C runs;
- in ``process`` (run on an event loop by :func:`run`), the command's task is cancelled:
  the batch is interrupted (half-uploaded jobs deleted, ``--delete`` jobs in flight
  deleted or kept for the next run) and the summary printed, then :class:`Interrupted`
  is raised. A second signal cancels that clean-up too.

The command then exits with ``128 + signal``: 130 (SIGINT), 143 (SIGTERM), 141 (SIGPIPE).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
BROKEN_PIPE = signal.SIGPIPE if hasattr(signal, "SIGPIPE") else 13
"""What a closed stdout counts as (Windows has no SIGPIPE; its number stands in)."""

_REASONS = {
    signal.SIGINT: "interrupted",
    signal.SIGTERM: "terminated (SIGTERM)",
    BROKEN_PIPE: "stdout was closed (broken pipe)",
}


class Interrupted(KeyboardInterrupt):
    """The command was stopped by ``signum`` (SIGINT, SIGTERM, or SIGPIPE for a closed stdout).

    A ``KeyboardInterrupt``, so that whatever cleans up after Ctrl-C cleans up after
    SIGTERM and a broken pipe too.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """``128 + signum``, as a shell reports a process ended by that signal."""
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        """``SIGINT``, ``SIGTERM`` or ``SIGPIPE``."""
        return "SIGPIPE" if self.signum == BROKEN_PIPE else signal.Signals(self.signum).name

    @property
    def reason(self) -> str:
        """What happened, in words."""
        return _REASONS.get(self.signum, f"stopped by {self.signal_name}")


def interrupted(error: KeyboardInterrupt) -> Interrupted:
    """``error`` as an :class:`Interrupted` (a plain ``KeyboardInterrupt`` is Ctrl-C)."""
    return error if isinstance(error, Interrupted) else Interrupted(signal.SIGINT)


class Stopper:
    """Where a signal or a broken pipe goes: the running event loop's task, or an exception.

    One per command (:func:`main` makes it); :func:`run` attaches the event loop.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._cancel: Callable[[], None] | None = None

    def stop(self, signum: int) -> None:
        """Stop the command because of ``signum``; the first reason is the one reported.

        On the event loop this cancels the command's task (again on a second signal, which
        cuts its clean-up short); elsewhere it raises :class:`Interrupted`.
        """
        if self.signum is None:
            self.signum = signum
        if self._cancel is None:
            raise Interrupted(self.signum)
        self._cancel()

    @contextlib.contextmanager
    def signals_interrupt(self) -> Iterator[None]:
        """While in the block, SIGTERM raises :class:`Interrupted` as Ctrl-C raises
        ``KeyboardInterrupt`` (only in the main thread, where signals are delivered)."""

        def on_signal(signum: int, frame: FrameType | None) -> None:
            self.stop(signum)

        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGTERM, on_signal)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous)

    def run(self, main: Coroutine[Any, Any, T]) -> T:
        """Run ``main`` on a new event loop; a stop signal cancels it.

        Raises:
            Interrupted: ``main`` ended by a stop (after its own clean-up).
        """
        with asyncio.Runner() as runner:
            loop = runner.get_loop()
            task = loop.create_task(main)

            def cancel() -> None:
                loop.call_soon_threadsafe(task.cancel)

            self._cancel = cancel
            installed = _add_handlers(loop, self.stop)
            try:
                return loop.run_until_complete(task)
            except asyncio.CancelledError:
                if self.signum is None:
                    raise
                raise Interrupted(self.signum) from None
            finally:
                self._cancel = None
                _remove_handlers(loop, installed)


def _add_handlers(
    loop: asyncio.AbstractEventLoop, stop: Callable[[int], None]
) -> dict[signal.Signals, Any]:
    """Route SIGINT and SIGTERM to ``stop`` on ``loop``; the handlers they replace."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[signal.Signals, Any] = {}
    for signum in STOP_SIGNALS:
        handler = signal.getsignal(signum)
        try:
            loop.add_signal_handler(signum, stop, signum)
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C still interrupts
            continue
        previous[signum] = handler
    return previous


def _remove_handlers(loop: asyncio.AbstractEventLoop, previous: dict[signal.Signals, Any]) -> None:
    for signum, handler in previous.items():
        loop.remove_signal_handler(signum)
        signal.signal(signum, handler)


def sigterm_interrupts() -> contextlib.AbstractContextManager[None]:
    """While in the block, SIGTERM raises :class:`Interrupted` (see ``Stopper``)."""
    return Stopper().signals_interrupt()
