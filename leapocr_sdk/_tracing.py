"""OpenTelemetry spans of the SDK's operations, written once for both runners.

Tracing is on when the application has imported ``opentelemetry`` and set a tracer
provider (``pip install 'leapocr-sdk[otel]'``). The SDK never imports the package
itself: it looks in ``sys.modules``, so without it an operation costs one dictionary
lookup and nothing else.

``traced`` wraps an operation's flow (``process_file``, ``wait_until_done``, ...) in a
flow that performs the same steps and makes spans of them:

- one span per operation, a child of the caller's current span, or of the operation
  that runs it (``process`` runs ``process_file``, a batch item runs both);
- a child span per request it makes: every ``Call`` (initiate, complete, each status or
  result page request) and every ``PutPart`` (one per part, one per retry of it), also
  inside sub-flows run side by side;
- a span per batch member (``process_many``, ``as_completed``);
- an event per poll on ``wait_until_done``.

Attributes: ``leapocr.job_id``, ``leapocr.part_number``, ``leapocr.retry_count``,
``leapocr.model``, ``leapocr.pages``, ``leapocr.credits``, the HTTP method, the path of
API calls and the status answered. Never the key, a query or an upload URL. Errors are
recorded on the span where they happen and on the operation's.

Parents are passed explicitly (sub-flows run on other threads and tasks), and an
operation started inside another finds its parent in ``_PARENT``, set only while the
outer flow runs its inner one; the steps of the inner operation reach the runner through
the outer one untouched (``_SPANNED``).
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Mapping
from typing import Any, TypeVar

from . import __version__
from ._operations import RESULT
from ._parsing import Reply
from ._steps import (
    Call,
    CallerStopped,
    Driver,
    Flow,
    NextFinished,
    NextInOrder,
    Parallel,
    PutPart,
    Step,
)
from .types import Job, JobResult, JobStatusInfo

T = TypeVar("T")

_OTEL = "opentelemetry.trace"
_PARENT: contextvars.ContextVar[Any] = contextvars.ContextVar("leapocr_span", default=None)
# Steps on their way to the runner that an operation already traces (by id: a step is
# alive while it is performed), so the operations around it pass them on untouched.
_SPANNED: set[int] = set()


def _tracer() -> Any:
    """The SDK's tracer, or None when tracing is off (no package, or no provider set)."""
    trace = sys.modules.get(_OTEL)
    if trace is None:
        return None
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        return None  # nothing set: spans would go nowhere
    return trace.get_tracer("leapocr_sdk", __version__)


def traced(name: str, flow: Flow[T], **attributes: Any) -> Flow[T]:
    """``flow`` as the operation ``name``, traced when tracing is on (else ``flow`` itself)."""
    tracer = _tracer()
    if tracer is None:
        return flow
    return _operation(tracer, name, flow, attributes, None)


def _operation(
    tracer: Any, name: str, flow: Flow[T], attributes: Mapping[str, Any], parent: Any
) -> Flow[T]:
    trace = sys.modules[_OTEL]
    context = parent if parent is not None else _PARENT.get()
    span = tracer.start_span(f"leapocr.{name}", context=context, attributes=_clean(attributes))
    inside = trace.set_span_in_context(span)
    try:
        result = yield from _steps(tracer, flow, span, inside, polls=name == "wait_until_done")
    except (GeneratorExit, CallerStopped):  # the caller stopped: not a failure
        raise
    except BaseException as exc:
        _failed(span, exc)
        job_id = getattr(exc, "job_id", None)
        if isinstance(job_id, str):
            span.set_attribute("leapocr.job_id", job_id)
        raise
    else:
        span.set_attributes(_outcome(result))
        return result
    finally:
        span.end()


def _steps(tracer: Any, flow: Flow[T], span: Any, inside: Any, *, polls: bool) -> Flow[T]:
    """Perform ``flow``'s steps, a span around each request."""
    driver = Driver(flow)
    while True:
        token = _PARENT.set(inside)  # operations started by this step nest under ours
        try:
            step = driver.next_step()
        finally:
            _PARENT.reset(token)
        if step is None:
            return driver.value
        if id(step) in _SPANNED:  # an operation inside this one traces its own steps
            yield from driver.relay(step)
            continue
        step = _spread(tracer, step, span, inside, polls)
        child = _request_span(tracer, step, inside)
        _SPANNED.add(id(step))
        try:
            yield from driver.relay(step)  # a failure or an interrupt: the flow decides
        finally:
            _SPANNED.discard(id(step))
        if child is not None:
            _end_request(child, driver.result, driver.error)
        if polls and _is_poll(step) and isinstance(driver.result, Reply):
            span.add_event("leapocr.poll", {"http.response.status_code": driver.result.status_code})


def _is_poll(step: Step) -> bool:
    """The first result request: how ``wait_until_done`` polls."""
    return isinstance(step, Call) and step.name == RESULT.name and _page(step) == 1


def _page(call: Call) -> object:
    return (call.params or {}).get("page")


def _spread(tracer: Any, step: Step, span: Any, inside: Any, polls: bool) -> Step:
    """Sub-flows of a step, traced under this operation (a span per batch member)."""
    if isinstance(step, Parallel):
        flows = tuple(_steps(tracer, flow, span, inside, polls=polls) for flow in step.flows)
        return Parallel(flows, step.limit)
    if isinstance(step, NextInOrder) and not step.stream.traced:
        stream = step.stream
        stream.flows = (_steps(tracer, flow, span, inside, polls=polls) for flow in stream.flows)
        stream.traced = True
        return step
    if isinstance(step, NextFinished):
        start = tuple(
            (tag, _operation(tracer, "batch_item", flow, _member(tag), inside))
            for tag, flow in step.start
        )
        return step._replace(start=start)
    return step


def _member(tag: Any) -> dict[str, Any]:
    if isinstance(tag, tuple) and len(tag) == 2:  # process_many: (phase, member)
        phase, member = tag
        return {"leapocr.phase": str(phase), "leapocr.job_id": getattr(member, "job_id", None)}
    return {"leapocr.phase": "waited", "leapocr.job_id": tag if isinstance(tag, str) else None}


def _request_span(tracer: Any, step: Step, parent: Any) -> Any:
    if isinstance(step, Call):
        attributes = {
            "http.request.method": step.method,
            "url.path": step.path,
            "leapocr.retry_count": step.attempt,
        }
        return tracer.start_span(f"leapocr.{step.name}", context=parent, attributes=attributes)
    if isinstance(step, PutPart):
        attributes = {
            "http.request.method": "PUT",
            "leapocr.part_number": step.part.part_number,
            "leapocr.retry_count": step.attempt,
        }
        return tracer.start_span("leapocr.upload_part", context=parent, attributes=attributes)
    return None


def _end_request(span: Any, result: Any, error: BaseException | None) -> None:
    if isinstance(result, Reply):
        span.set_attribute("http.response.status_code", result.status_code)
        if result.status_code >= 400:
            trace = sys.modules[_OTEL]
            span.set_status(trace.Status(trace.StatusCode.ERROR, f"HTTP {result.status_code}"))
    elif error is not None:
        _failed(span, error)
    span.end()


def _failed(span: Any, error: BaseException) -> None:
    trace = sys.modules[_OTEL]
    span.record_exception(error)  # SDK errors never carry the key or a presigned query
    span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))


def _outcome(result: object) -> dict[str, Any]:
    if isinstance(result, JobResult):
        return _clean(
            {
                "leapocr.job_id": result.job_id,
                "leapocr.pages": len(result.pages),
                "leapocr.credits": result.credits_used,
                "leapocr.model": result.model,
            }
        )
    if isinstance(result, Job | JobStatusInfo):
        return {"leapocr.job_id": result.job_id}
    return {}


def _clean(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Attributes OpenTelemetry takes: no None, enums and other objects as strings."""
    return {
        key: value if isinstance(value, bool | int | float | str) else str(value)
        for key, value in attributes.items()
        if value is not None
    }
