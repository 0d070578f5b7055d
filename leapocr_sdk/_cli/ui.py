"""How the ``leapocr`` command talks: JSON lines for scripts, progress bars for people.

:class:`Console` owns stdout and stderr. In JSON mode every line on stdout is one JSON
object with an ``"event"`` key, and stderr stays quiet. In human mode results go to
stdout and everything else (progress, messages) to stderr: live bars redrawn in place
when stderr is a terminal, one plain line per change otherwise (readable in a log).

``process`` reports through a :class:`Reporter`; the two kinds are :class:`JsonReporter`
and :class:`HumanReporter`.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

from ..errors import LeapOCRError
from ..types import JobResult, JobStatus, JobStatusInfo
from .render import Rendered, result_format


class Console:
    """The command's two streams, and whether it speaks JSON lines or to a person."""

    def __init__(self, stdout: TextIO, stderr: TextIO, *, json_mode: bool, live: bool) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json_mode = json_mode
        self.live = live and not json_mode
        self.lock = threading.RLock()
        self.symbols = _symbols(stderr)

    def event(self, kind: str, /, **fields: Any) -> None:
        """One JSON object on one line of stdout (None fields left out)."""
        record = {"event": kind, **{k: v for k, v in fields.items() if v is not None}}
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self.lock:
            self.stdout.write(line + "\n")
            self.stdout.flush()

    def message(self, text: str) -> None:
        """A line for a person, on stderr."""
        with self.lock:
            self.stderr.write(text + "\n")
            self.stderr.flush()

    def output(self, text: str) -> None:
        """Result text on stdout, as is."""
        with self.lock:
            self.stdout.write(text)
            self.stdout.flush()


@dataclass(frozen=True)
class Symbols:
    ok: str
    fail: str
    dot: str
    arrow: str
    full: str
    empty: str


_FANCY = Symbols("✓", "✗", "·", "→", "█", "░")
_PLAIN = Symbols("ok", "x", "-", "->", "#", "-")


def _symbols(stream: TextIO) -> Symbols:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        "".join(vars(_FANCY).values()).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return _PLAIN
    return _FANCY


@dataclass(frozen=True)
class Item:
    """One input of ``process``: its position, what was given, and its output stem."""

    index: int
    source: str
    stem: str
    label: str


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
    def failed(
        self, item: Item, job_id: str | None, error: LeapOCRError | OSError, code: int
    ) -> None: ...
    def close(self) -> None: ...


def error_fields(error: BaseException) -> dict[str, Any]:
    """The JSON fields describing an error (never the API key: messages do not hold it)."""
    fields: dict[str, Any] = {"error": type(error).__name__, "message": str(error)}
    for name in ("status_code", "code", "request_id", "error_message", "part_number"):
        value = getattr(error, name, None)
        if value is not None:
            fields[name] = value
    return fields


class JsonReporter:
    """One JSON line per event on stdout: submitted, done, deleted, error."""

    def __init__(self, console: Console, *, with_results: bool) -> None:
        self._console = console
        self._with_results = with_results

    def uploading(self, item: Item, sent: int, total: int) -> None:
        pass  # quiet: only events that change what a script knows

    def submitted(self, item: Item, job_id: str) -> None:
        self._console.event("submitted", source=item.source, job_id=job_id)

    def waiting(self, item: Item, info: JobStatusInfo) -> None:
        pass

    def done(self, item: Item, result: JobResult, rendered: Rendered, output: Path | None) -> None:
        self._console.event(
            "done",
            source=item.source,
            job_id=result.job_id,
            status=result.status.value,
            format=result_format(result).value,
            pages=len(result.pages),
            credits_used=result.credits_used,
            output=str(output) if output is not None else None,
            result=rendered.value if output is None and self._with_results else None,
        )

    def deleted(self, item: Item, job_id: str) -> None:
        self._console.event("deleted", source=item.source, job_id=job_id)

    def skipped(self, item: Item, job_id: str | None, outputs: tuple[str, ...]) -> None:
        self._console.event(
            "skipped", source=item.source, job_id=job_id, outputs=list(outputs) or None
        )

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
    place; finished inputs are printed above it. Otherwise: one plain line per change.
    """

    _REDRAW_EVERY = 0.05
    _BAR = 24

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
        self._width = max((len(item.label) for item in items), default=8)
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
                self._finish(item, f"{self._symbols.ok} {item.label}: submitted as job {job_id}")
                self._to_stdout(f"{job_id}\t{item.source}\n" if self._many else f"{job_id}\n")
            else:
                self._changed(item, state, ("submitted",), f"submitted as job {job_id}", force=True)

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
        facts = [result.status.value, _count(len(result.pages), "page")]
        if result.credits_used is not None:
            facts.append(_count(result.credits_used, "credit"))
        if result.processing_time_seconds is not None:
            facts.append(f"{result.processing_time_seconds:.1f} s")
        line = f"{s.ok} {item.label}: {f' {s.dot} '.join(facts)}  (job {result.job_id})"
        if output is not None:
            line += f" {s.arrow} {output}"
        with self._console.lock:
            self._finish(item, line)
            if output is None and self._show_results:
                self._print_result(item, rendered)

    def deleted(self, item: Item, job_id: str) -> None:
        self._above(f"  {item.label}: deleted job {job_id}")

    def skipped(self, item: Item, job_id: str | None, outputs: tuple[str, ...]) -> None:
        saved = f" {self._symbols.arrow} {', '.join(outputs)}" if outputs else ""
        with self._console.lock:
            self._finish(item, f"{self._symbols.dot} {item.label}: done in an earlier run{saved}")

    def failed(
        self, item: Item, job_id: str | None, error: LeapOCRError | OSError, code: int
    ) -> None:
        job = f"  (job {job_id})" if job_id and job_id not in str(error) else ""
        with self._console.lock:
            self._finish(item, f"{self._symbols.fail} {item.label}: {error}{job}")

    def close(self) -> None:
        with self._console.lock:
            self._clear_board()

    # Drawing

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

    def _finish(self, item: Item, line: str) -> None:
        self._active.pop(item.index, None)
        self._states[item.index].phase = "finished"
        self._above(line)

    def _above(self, line: str) -> None:
        """Print a permanent line on stderr (above the live board)."""
        with self._console.lock:
            self._clear_board()
            self._console.message(line)
            self._draw_board()

    def _print_result(self, item: Item, rendered: Rendered) -> None:
        text = rendered.text if rendered.text.endswith("\n") else rendered.text + "\n"
        if self._many:
            text = f"==> {item.source} <==\n{text}\n"
        self._to_stdout(text)

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
        label = item.label.ljust(self._width)
        if state.phase == "uploading":
            fraction = state.sent / state.total if state.total else 1.0
            detail = f"{fraction:4.0%}  {_size(state.sent)}/{_size(state.total)}"
            return f"  {label}  {'uploading':<10}  {self._bar(fraction)}  {detail}"
        info = state.info
        if info is None:
            return f"  {label}  {'submitted':<10}  {self._bar(0.0)}"
        detail = _pages_text(info) or f"{info.progress:4.0%}"
        return f"  {label}  {info.status.value:<10}  {self._bar(info.progress)}  {detail}"

    def _bar(self, fraction: float) -> str:
        filled = round(max(0.0, min(1.0, fraction)) * self._BAR)
        s = self._symbols
        return f"[{s.full * filled}{s.empty * (self._BAR - filled)}]"


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
