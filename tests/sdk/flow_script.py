"""Drive a flow (a ``Flow`` from ``leapocr_sdk._flows``) from a script of step results.

The way httpx tests its auth flows: no sockets, no threads, no clock. Each ``Call`` or
``PutPart`` the flow yields takes the next entry of the script: a value is sent back,
an exception is thrown in (as a runner throws a step's failure), a callable is called with
the step and its result sent back. ``Sleep`` and ``AwaitSlot`` answer None and
``Notify`` calls the callback, without using the script. ``Parallel`` runs its sub-flows
one after another from the same script. A ``Stream`` starts its sub-flows as a runner does
(``Stream.top_up``: each run to its end from the script, in the order started, so as
many as the stream holds ahead of the one handed back), and ``StopStream`` drops what
was started and not taken. Every step is recorded in ``steps``.
"""

from __future__ import annotations

from typing import Any

from leapocr_sdk._parsing import Reply
from leapocr_sdk._steps import (
    AwaitSlot,
    Call,
    Flow,
    NextInOrder,
    Notify,
    Parallel,
    PutPart,
    Sleep,
    Step,
    StopStream,
)
from leapocr_sdk.errors import LeapOCRError


def reply(status: int, body: bytes | str = b"", headers: dict[str, str] | None = None) -> Reply:
    content = body.encode() if isinstance(body, str) else body
    return Reply(status, headers or {}, content)


class FlowScript:
    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.steps: list[Step] = []

    def run(self, plan: Flow[Any]) -> Any:
        result: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = plan.throw(error) if error is not None else plan.send(result)
            except StopIteration as stop:
                return stop.value
            self.steps.append(step)
            try:
                result, error = self._answer(step), None
            except BaseException as exc:
                result, error = None, exc

    def _answer(self, step: Step) -> Any:
        if isinstance(step, Sleep | AwaitSlot):
            return None
        if isinstance(step, Notify):
            return step.callback(step.argument)
        if isinstance(step, Parallel):
            return [self.run(sub) for sub in step.flows]
        if isinstance(step, NextInOrder):
            return self._next_in_order(step)
        if isinstance(step, StopStream):
            step.stream.close()
            return None
        assert isinstance(step, Call | PutPart)
        assert self.answers, f"the script ran out at {step!r}"
        entry = self.answers.pop(0)
        if isinstance(entry, BaseException):
            raise entry
        if callable(entry):
            return entry(step)
        return entry

    def _next_in_order(self, step: NextInOrder) -> Any:
        stream = step.stream
        stream.top_up(self._run_to_end, lambda handle: True)
        value, error = stream.running.popleft()
        if error is not None:
            raise error
        return value

    def _run_to_end(self, sub: Flow[Any]) -> tuple[Any, LeapOCRError | None]:
        try:
            return self.run(sub), None
        except LeapOCRError as exc:  # handed on in order (the script running out is not)
            return None, exc

    def calls(self) -> list[Call]:
        return [step for step in self.steps if isinstance(step, Call)]

    def sleeps(self) -> list[float]:
        return [step.seconds for step in self.steps if isinstance(step, Sleep)]
