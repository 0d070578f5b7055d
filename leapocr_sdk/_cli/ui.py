"""How the ``leapocr`` command talks: results on stdout, events on stderr.

:class:`Console` owns stdout and stderr. stdout carries only the command's result: a
document (markdown or JSON) for ``process``, ``result`` and ``wait``; records for
``status``, ``models``, ``emulator`` and ``webhooks listen`` (JSON lines unless stdout
is a terminal). Events (progress, ``submitted``, ``done``, errors, the summary) go to
stderr: for a person when stderr is a terminal (live bars) or with ``--human`` (one
plain line per change), else JSON lines (``--json-events`` asks for them anywhere).
``--json`` keeps the 0.1 behaviour for scripts: every event as a JSON line on stdout,
each result inside its ``done`` event.

``process`` reports through a :class:`Reporter`; the two kinds are :class:`JsonReporter`
and :class:`HumanReporter`. The board is drawn by hand rather than with ``rich``: measured
with ``benchmarks/cli_board_vs_rich.py`` (5 rows, 80 columns), rich would add ~25 ms of
import to every command and ~1.2 ms per redraw against ~15 us here, for the same output.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from ..errors import LeapOCRError
from ..types import JobResult, JobStatus, JobStatusInfo
from .messages import cli_message
from .render import Rendered, result_format
from .signals import BROKEN_PIPE, Stopper


class Console:
    """The command's two streams, and in which form each speaks.

    ``json_mode``: events are JSON lines (on stderr, or on stdout with ``--json``).
    ``records_json``: records on stdout are JSON lines (stdout is not a terminal).
    ``events_on_stdout``: ``--json``, the old single-stream form.

    A stream whose reader went away (``leapocr process ... | head``) stops the command
    through ``stopper`` (see ``signals``); what is written to it afterwards is dropped.
    """

    def __init__(
        self,
        stdout: TextIO,
        stderr: TextIO,
        *,
        json_mode: bool,
        live: bool,
        records_json: bool | None = None,
        events_on_stdout: bool,
        stopper: Stopper | None = None,
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json_mode = json_mode
        self.events_on_stdout = events_on_stdout
        self.records_json = json_mode if records_json is None else records_json
        self.live = live and not json_mode
        self.lock = threading.RLock()
        self.symbols = _symbols(stderr)
        self.stopper = stopper if stopper is not None else Stopper()
        self._closed: set[int] = set()  # id() of the streams found closed

    def event(self, kind: str, /, **fields: Any) -> None:
        """One JSON event on one line of stderr (stdout with ``--json``), None fields left out."""
        self._json_line(self.stdout if self.events_on_stdout else self.stderr, kind, fields)

    def record(self, kind: str, /, **fields: Any) -> None:
        """One JSON record of the command's result on one line of stdout."""
        self._json_line(self.stdout, kind, fields)

    def _json_line(self, stream: TextIO, kind: str, fields: dict[str, Any]) -> None:
        record = {"event": kind, **{k: v for k, v in fields.items() if v is not None}}
        line = json.dumps(record, ensure_ascii=False, default=str)
        self._write(stream, line + "\n")

    def message(self, text: str) -> None:
        """A line for a person, on stderr."""
        self._write(self.stderr, text + "\n")

    def output(self, text: str) -> None:
        """Result text on stdout, as is."""
        self._write(self.stdout, text)

    def _write(self, stream: TextIO, text: str) -> None:
        with self.lock:
            if id(stream) in self._closed:
                return
            try:
                stream.write(text)
                stream.flush()
            except BrokenPipeError:
                self._closed.add(id(stream))
                _discard_output(stream)
                self.stopper.stop(BROKEN_PIPE)


def _discard_output(stream: TextIO) -> None:
    """Point a closed pipe's descriptor at the null device, so that what is still
    buffered for it (flushed again at exit) goes nowhere instead of raising."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # not a real file (a test's capture)
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)


@dataclass(frozen=True)
class Symbols:
    ok: str
    fail: str
    dot: str
    arrow: str
    full: str
    empty: str
    ellipsis: str


_FANCY = Symbols("✓", "✗", "·", "→", "█", "░", "…")
_PLAIN = Symbols("ok", "x", "-", "->", "#", "-", "...")


def _symbols(stream: TextIO) -> Symbols:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(vars(_FANCY).values()).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return _PLAIN
    return _FANCY


@dataclass(frozen=True)
class Item:
    """One input of ``process``: its position, what was given, and where its result goes.

    ``output``: the result's path parts under ``--out``, the last without its extension.
    """

    index: int
    source: str
    output: tuple[str, ...]
    label: str
    location: str | None = None  # what is submitted, when not ``source`` (stdin's copy)


class Reporter(Protocol):
    """What ``process`` tells about each input as it goes."""

    def uploading(self, item: Item, sent: int, total: int) -> None: ...
    def submitted(self, item: Item, job_id: str) -> None: ...
    def waiting(self, item: Item, info: JobStatusInfo) -> None: ...
    def done(
        self, item: Item, result: JobResult, rendered: Rendered, output: Path | None
    ) -> None: ...
    def deleted(self, item: Item, job_id: str) -> None: ...
    def skipped(self, item: Item, job_id: str | None, outputs: tuple[str, ...]) -> None: ...
    def kept(self, item: Item, job_id: str, message: str) -> None: ...
    def failed(
        self, item: Item, job_id: str | None, error: LeapOCRError | OSError, code: int
    ) -> None: ...
    def close(self) -> None: ...


def error_fields(error: BaseException) -> dict[str, Any]:
    """The JSON fields describing an error (never the API key: messages do not hold it)."""
    fields: dict[str, Any] = {"error": type(error).__name__, "message": cli_message(error)}
    for name in ("status_code", "code", "request_id", "error_message", "part_number"):
        value = getattr(error, name, None)
        if value is not None:
            fields[name] = value
    return fields


def result_text(item: Item, rendered: Rendered, *, many: bool) -> str:
    """A result as printed on stdout: after a ``==> source <==`` line when there are several."""
    text = rendered.text if rendered.text.endswith("\n") else rendered.text + "\n"
    return f"==> {item.source} <==\n{text}\n" if many else text


class JsonReporter:
    """One JSON line per event (submitted, done, deleted, error); results on stdout.

    With ``--json`` (``console.events_on_stdout``) a result without ``--out`` travels in
    its ``done`` event instead, as in 0.1.
    """

    def __init__(
        self,
        console: Console,
        *,
        with_results: bool,
        many: bool = False,
        show_job_ids: bool = False,
    ) -> None:
        self._console = console
        self._with_results = with_results
        self._many = many
        self._show_job_ids = show_job_ids and not console.events_on_stdout

    def uploading(self, item: Item, sent: int, total: int) -> None:
        pass  # quiet: only events that change what a script knows

    def submitted(self, item: Item, job_id: str) -> None:
        self._console.event("submitted", source=item.source, job_id=job_id)
        if self._show_job_ids:  # --no-wait: the ids are the command's result
            self._console.output(f"{job_id}\t{item.source}\n" if self._many else f"{job_id}\n")

    def waiting(self, item: Item, info: JobStatusInfo) -> None:
        pass

    def done(self, item: Item, result: JobResult, rendered: Rendered, output: Path | None) -> None:
        in_event = output is None and self._with_results and self._console.events_on_stdout
        self._console.event(
            "done",
            source=item.source,
            job_id=result.job_id,
            status=result.status.value,
            format=result_format(result).value,
            pages=len(result.pages),
            credits_used=result.credits_used,
            output=str(output) if output is not None else None,
            result=rendered.value if in_event else None,
        )
        if output is None and self._with_results and not in_event:
            self._console.output(result_text(item, rendered, many=self._many))

    def deleted(self, item: Item, job_id: str) -> None:
        self._console.event("deleted", source=item.source, job_id=job_id)

    def skipped(self, item: Item, job_id: str | None, outputs: tuple[str, ...]) -> None:
        self._console.event(
            "skipped", source=item.source, job_id=job_id, outputs=list(outputs) or None
        )

    def kept(self, item: Item, job_id: str, message: str) -> None:
        self._console.event("kept", source=item.source, job_id=job_id, message=message)

    def failed(
        self, item: Item, job_id: str | None, error: LeapOCRError | OSError, code: int
    ) -> None:
        self._console.event(
            "error", source=item.source, job_id=job_id, exit_code=code, **error_fields(error)
        )

    def close(self) -> None:
        pass


@dataclass
class _State:
    phase: str = "queued"
    sent: int = 0
    total: int = 0
    info: JobStatusInfo | None = None
    said: tuple[Any, ...] = field(default_factory=tuple)


class HumanReporter:
    """Progress for a person on stderr; results (without --out) on stdout.

    Live (stderr is a terminal): a board of bars, one per input in flight, redrawn in
    place, every line cut to the terminal's width (paths shortened in the middle, job
    ids to their first 8 characters); each finished input becomes one permanent line
    above it. Otherwise: one plain line per change, in full (readable in a log).
    """

    _REDRAW_EVERY = 0.05
    _BAR = 20
    _LABEL_MAX = 28

    def __init__(
        self, console: Console, items: list[Item], *, show_results: bool, show_job_ids: bool = False
    ) -> None:
        self._console = console
        self._symbols = console.symbols
        self._show_results = show_results
        self._show_job_ids = show_job_ids
        self._many = len(items) > 1
        self._states = {item.index: _State() for item in items}
        self._active: dict[int, Item] = {}
        self._label_width = min(self._LABEL_MAX, max((len(i.label) for i in items), default=8))
        self._drawn = 0
        self._last_draw = 0.0

    # Events

    def uploading(self, item: Item, sent: int, total: int) -> None:
        with self._console.lock:
            state = self._states[item.index]
            state.phase, state.sent, state.total = "uploading", sent, total
            self._active[item.index] = item
            self._changed(item, state, ("uploading",), f"uploading {_size(total)}")

    def submitted(self, item: Item, job_id: str) -> None:
        with self._console.lock:
            state = self._states[item.index]
            state.phase = "submitted"
            self._active[item.index] = item
            if self._show_job_ids:  # --no-wait: the ids are the command's result
                self._finish(item, [f"{self._symbols.ok} ", item.label, f"  job {job_id}"])
                self._to_stdout(f"{job_id}\t{item.source}\n" if self._many else f"{job_id}\n")
            else:
                text = f"submitted as job {self._job(job_id)}"
                self._changed(item, state, ("submitted",), text, force=True)

    def waiting(self, item: Item, info: JobStatusInfo) -> None:
        with self._console.lock:
            state = self._states[item.index]
            state.phase, state.info = info.status.value, info
            if info.status.is_finished and not self._console.live:
                return  # the "done" or "failed" line says it
            key = (info.status.value, info.processed_pages, info.total_pages)
            self._changed(item, state, key, _status_text(info))

    def done(self, item: Item, result: JobResult, rendered: Rendered, output: Path | None) -> None:
        s = self._symbols
        facts = [_count(len(result.pages), "page")]
        if result.status is not JobStatus.COMPLETED:
            facts.insert(0, result.status.value)
        if result.credits_used is not None:
            facts.append(_count(result.credits_used, "credit"))
        if result.processing_time_seconds is not None:
            facts.append(f"{result.processing_time_seconds:.1f} s")
        parts = [
            f"{s.ok} ",
            item.label,
            f"  {f' {s.dot} '.join(facts)}  job {self._job(result.job_id)}",
        ]
        if output is not None:
            parts += [f" {s.arrow} ", str(output)]
        with self._console.lock:
            self._finish(item, parts)
            if output is None and self._show_results:
                self._to_stdout(result_text(item, rendered, many=self._many))

    def deleted(self, item: Item, job_id: str) -> None:
        self._above(self._fit(["  ", item.label, f"  deleted job {self._job(job_id)}"]))

    def skipped(self, item: Item, job_id: str | None, outputs: tuple[str, ...]) -> None:
        parts = [f"{self._symbols.dot} ", item.label, "  done in an earlier run"]
        if outputs:
            parts += [f" {self._symbols.arrow} ", ", ".join(outputs)]
        with self._console.lock:
            self._finish(item, parts)

    def kept(self, item: Item, job_id: str, message: str) -> None:
        with self._console.lock:  # in full: it names the job and what to do
            self._finish(
                item, [f"{self._symbols.dot} ", item.label, f"  job {job_id} {message}"], cut=False
            )

    def failed(
        self, item: Item, job_id: str | None, error: LeapOCRError | OSError, code: int
    ) -> None:
        message = cli_message(error)
        job = f"  (job {job_id})" if job_id and job_id not in message else ""
        with self._console.lock:  # the reason in full: it says what to do
            self._finish(
                item, [f"{self._symbols.fail} ", item.label, f": {message}{job}"], cut=False
            )

    def close(self) -> None:
        with self._console.lock:
            self._clear_board()

    # Drawing

    def _job(self, job_id: str) -> str:
        """A job id as shown: its first 8 characters on a terminal, whole in a log."""
        return job_id[:8] if self._console.live else job_id

    def _columns(self) -> int:
        return shutil.get_terminal_size((80, 24)).columns

    def _fit(self, parts: list[str], *, cut: bool = True) -> str:
        """``parts`` joined: [prefix, label, text] or [..., arrow, output path].

        On a terminal the label and the output path are shortened in the middle so
        that the line fits; in a log every line is whole.
        """
        if not self._console.live:
            return "".join(parts)
        width = self._columns() - 1
        dots = self._symbols.ellipsis
        prefix, label, text = parts[0], parts[1], parts[2]
        if len(parts) == 5:  # ... arrow, output path: share the room between label and path
            arrow, path = parts[3], parts[4]
            room = width - len(prefix + text + arrow)
            label_room = min(len(label), self._label_width)
            if room - label_room < min(len(path), 20):
                label_room = max(12, room - min(len(path), 20))
            label = _middle(label, label_room, dots)
            line = prefix + label + text + arrow + _middle(path, max(room - len(label), 12), dots)
        else:
            line = prefix + _middle(label, self._label_width, dots) + "".join(parts[2:])
        return line[:width] if cut else line

    def _changed(
        self, item: Item, state: _State, key: tuple[Any, ...], text: str, *, force: bool = False
    ) -> None:
        if self._console.live:
            now = time.monotonic()
            if force or key != state.said or now - self._last_draw >= self._REDRAW_EVERY:
                state.said = key
                self._draw_board()
        elif (text,) != state.said:  # a plain line only when it would say something new
            state.said = (text,)
            self._console.message(f"  {item.label}: {text}")

    def _finish(self, item: Item, parts: list[str], *, cut: bool = True) -> None:
        self._active.pop(item.index, None)
        self._states[item.index].phase = "finished"
        self._above(self._fit(parts, cut=cut))

    def _above(self, line: str) -> None:
        """Print a permanent line on stderr (above the live board)."""
        with self._console.lock:
            self._clear_board()
            self._console.message(line)
            self._draw_board()

    def _to_stdout(self, text: str) -> None:
        """Write to stdout without tearing the board (both may be the same terminal)."""
        self._clear_board()
        self._console.output(text)
        self._draw_board()

    def _clear_board(self) -> None:
        if self._console.live and self._drawn:
            self._console.stderr.write(f"\x1b[{self._drawn}A\r\x1b[J")
            self._console.stderr.flush()
            self._drawn = 0

    def _draw_board(self) -> None:
        if not self._console.live:
            return
        columns, rows = shutil.get_terminal_size((80, 24))
        items = list(self._active.values())
        room = max(1, rows - 2)
        lines = [self._board_line(item) for item in items[:room]]
        if len(items) > room:
            lines[-1] = f"  ... and {len(items) - room + 1} more"
        moves = f"\x1b[{self._drawn}A\r" if self._drawn else "\r"
        body = "".join(f"\x1b[2K{line[: columns - 1]}\n" for line in lines)
        self._console.stderr.write(moves + body + "\x1b[J")
        self._console.stderr.flush()
        self._drawn = len(lines)
        self._last_draw = time.monotonic()

    def _board_line(self, item: Item) -> str:
        state = self._states[item.index]
        label = _middle(item.label, self._label_width, self._symbols.ellipsis)
        label = label.ljust(self._label_width)
        if state.phase == "uploading":
            fraction = state.sent / state.total if state.total else 1.0
            detail = f"{fraction:4.0%} of {_size(state.total)}"
            return f"  {label}  {'uploading':<10} {self._bar(fraction)} {detail}"
        info = state.info
        if info is None:
            return f"  {label}  {'submitted':<10} {self._bar(0.0)}"
        detail = _pages_text(info) or f"{info.progress:4.0%}"
        return f"  {label}  {info.status.value:<10} {self._bar(info.progress)} {detail}"

    def _bar(self, fraction: float) -> str:
        filled = round(max(0.0, min(1.0, fraction)) * self._BAR)
        s = self._symbols
        return f"{s.full * filled}{s.empty * (self._BAR - filled)}"


def _middle(text: str, width: int, ellipsis: str) -> str:
    """``text`` cut to ``width`` characters by replacing its middle with an ellipsis."""
    if len(text) <= width:
        return text
    keep = max(width - len(ellipsis), 2)
    head = keep // 2
    return text[:head] + ellipsis + text[len(text) - (keep - head) :]


def _status_text(info: JobStatusInfo) -> str:
    pages = _pages_text(info)
    if info.status is JobStatus.PROCESSING and pages:
        return f"processing {pages}"
    return info.status.value


def _pages_text(info: JobStatusInfo) -> str:
    if info.total_pages:
        return f"{info.processed_pages or 0}/{info.total_pages} pages"
    return ""


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover
