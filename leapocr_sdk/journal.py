"""A batch's journal: what happened to each source, on disk, so a batch run again after a
crash (even ``kill -9``), or alongside another run, never submits a document twice.

SQLite (the standard library's ``sqlite3``) in WAL mode; every change is committed at
once. One row per source and set of options. A row's ``state``:

- ``new``: known, not submitted yet (also a source refused before any request, such as
  an empty file: it is checked again next run);
- ``submitting``: its submission started, but nothing that starts (and bills) a job was
  sent yet; its upload's ``job_id`` may be known (a half-uploaded job): the next run
  deletes that job and submits the source again;
- ``sent``: the request that starts the job (upload ``complete``, or the URL submission)
  was sent and no answer came back. With the upload's job id and parts journaled, the
  next run sends the same ``complete`` again (the service starts the job at most once)
  and waits on it; without them (a URL) it is reported, not resubmitted, unless
  ``retry_failed``;
- ``submitted``: the job started (``job_id``); the next run waits on it;
- ``done``: its result was handed to the caller, who went on to the next item
  (``outputs``: paths saved for it); only then is its job deleted (``delete=True``);
- ``failed``: the job or its submission failed (retried only with ``retry_failed``).

A source's identity: its resolved path (symbolic links and ``..`` resolved, so
``a.pdf``, ``./a.pdf`` and a link to it are one document), its URL, or the hash of
in-memory bytes; plus the batch's options. Its content is the same while its size,
``mtime_ns`` and SHA-256 say so: a file whose content changed (another SHA-256) is a new
document; one only touched (same hash) is not. File objects are not journaled (they
have no stable identity): they are always submitted.

Overlapping runs: a run claims each source before creating its job, in the same
transaction as it reads its row: a lease with its owner (pid, host, a random token) and
a time (``JOURNAL_LEASE`` seconds, renewed while the run lives). Another run skips a
source whose lease is held (``BatchItem.held_by``, a ``held`` event), and takes it over
once the lease ran out or its owner process is gone. A run gives its leases up when it
ends.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from . import _constants as C
from ._sources import is_url
from .errors import JournalError

__all__ = ["Journal", "JournalEntry"]

T = TypeVar("T")
_APPLICATION_ID = 0x4C4F4352  # "LOCR": a LeapOCR journal, not another program's database
_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    key TEXT PRIMARY KEY,
    location TEXT NOT NULL,
    size INTEGER,
    sha256 TEXT,
    options TEXT NOT NULL,
    state TEXT NOT NULL,
    job_id TEXT,
    credits INTEGER,
    pages INTEGER,
    error TEXT,
    outputs TEXT NOT NULL DEFAULT '[]',
    updated REAL NOT NULL
)
"""
# Columns added since the first journals (an older journal gains them when opened).
_ADDED = {"mtime_ns": "INTEGER", "parts": "TEXT", "owner": "TEXT", "lease_until": "REAL"}
_COLUMNS = "key, location, state, job_id, error, outputs, parts, owner, lease_until"
_SELECT_ROW = f"SELECT {_COLUMNS}, sha256 FROM sources WHERE key = ?"  # noqa: S608 - fixed names
_SELECT_ALL = f"SELECT {_COLUMNS} FROM sources ORDER BY rowid"  # noqa: S608 - fixed names


class JournalEntry(NamedTuple):
    """A source's row in the journal.

    Attributes:
        key: the row's key: a hash of the source's location and the batch's options.
        location: the source's resolved path, its URL, or the hash of in-memory bytes.
        state: ``new``, ``submitting``, ``sent``, ``submitted``, ``done`` or ``failed``
            (see the module docstring).
        job_id: its job's id, once known.
        error: why it failed (``failed``).
        outputs: paths recorded with ``Journal.set_outputs``.
        parts: the parts of its upload's ``complete``, once sent (``sent``).
        held_by: who holds the source now, when another live run does (``claim``).
    """

    key: str
    location: str
    state: str
    job_id: str | None
    error: str | None
    outputs: tuple[str, ...]
    parts: list[tuple[int, str]] | None = None
    held_by: str | None = None

    def describe(self) -> str:
        """Why an earlier run's outcome keeps this source from being submitted again.

        Returns:
            A sentence naming the source, what happened and how to retry it.
        """
        if self.state == "failed":
            return (
                f"{self.location} failed in an earlier run ({self.error or 'no reason recorded'}); "
                "not submitted again: pass retry_failed=True (CLI: --retry-failed) to retry it"
            )
        if self.job_id:
            return (
                f"{self.location}: an earlier run started job {self.job_id} but did not learn "
                f"whether it began, so it was not submitted again (that could bill it twice); "
                f"check it with get_status({self.job_id!r}) (CLI: leapocr status "
                f"{self.job_id}), then pass retry_failed=True (CLI: --retry-failed) to "
                "submit it again"
            )
        return (
            f"{self.location}: an earlier run's submission may have reached the service but no "
            "job id came back, so it was not submitted again (that could bill it twice); "
            "check the jobs on the service, then pass retry_failed=True (CLI: --retry-failed) "
            "to submit it again"
        )


class Journal:
    """The journal of a batch, a SQLite file. Thread-safe; a context manager.

    Pass it (or just its path) as ``process_many(..., journal=...)``. The batch's
    processing options are part of each source's identity. The writing methods are
    called by ``process_many`` as each source moves on; each change is committed at once.
    Two runs (processes) may share one journal: each claims a source before submitting
    it, so a document is never paid for twice (see the module docstring).

    Args:
        path: the SQLite file (created, with its folder, if missing).

    Raises:
        JournalError: the file cannot be opened or created as a journal (a folder that
            cannot be made, a full or read-only disk, another program's database).

    Example:
        ```python
        with Journal("batch.sqlite") as journal:
            for item in client.process_many(paths, journal=journal):
                out = save(item)
                journal.set_outputs(item.job_id, [out])
        ```
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._options = "{}"
        self._owner = f"{socket.gethostname()}\t{os.getpid()}\t{secrets.token_hex(8)}"
        self._unsaved: dict[str, str] = {}
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._error(exc) from None
        with self._guard():
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self._check_owner_program()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a committed row survives a power cut
            self._db.execute(_SCHEMA)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(sources)")}
            for name, kind in _ADDED.items():
                if name not in have:
                    self._db.execute(f"ALTER TABLE sources ADD COLUMN {name} {kind}")

    def _check_owner_program(self) -> None:
        assert self._db is not None
        app = self._db.execute("PRAGMA application_id").fetchone()[0]
        if app == _APPLICATION_ID:
            return
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        if app != 0 or not tables <= {"sources"}:
            self._db.close()
            raise JournalError(
                f"{str(self.path)!r} is not a LeapOCR batch journal (another program's "
                f"SQLite database, with tables {sorted(tables)}); it was left unchanged: "
                "choose another path (CLI: --journal PATH) or run without one (--no-journal)"
            )
        self._db.execute(f"PRAGMA application_id = {_APPLICATION_ID}")

    def _error(self, exc: BaseException) -> JournalError:
        text = str(exc)
        if "full" in text or "disk I/O" in text or "EFBIG" in text or "too large" in text:
            hint = (
                "the disk holding it is full or failing (the batch was stopped and cleaned "
                "up): free some space, or choose a journal on another disk (CLI: --journal "
                "PATH), then run the batch again to resume it"
            )
        elif "not a database" in text or "malformed" in text:
            hint = (
                "it is not a LeapOCR batch journal (not SQLite, or damaged): choose another "
                "path (CLI: --journal PATH) or run without one (--no-journal)"
            )
        elif "readonly" in text or "read-only" in text or "ermission" in text:
            hint = (
                "it cannot be written (a read-only file or folder): choose a writable path "
                "(CLI: --journal PATH) or run without one (--no-journal)"
            )
        else:
            hint = "choose another path (CLI: --journal PATH) or run without one (--no-journal)"
        return JournalError(f"the batch journal {str(self.path)!r} cannot be used ({text}): {hint}")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """SQLite's and the file system's errors, as JournalError (a failed transaction
        rolled back)."""
        try:
            yield
        except JournalError:
            raise
        except (sqlite3.Error, OSError) as exc:
            if self._db is not None and self._db.in_transaction:
                with suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise self._error(exc) from None

    def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock, self._guard():
            if self._db is None:
                raise JournalError(f"the batch journal {str(self.path)!r} is closed")
            return work(self._db)

    def bind_options(self, options: object) -> None:
        """Set the processing options of the batch about to run (part of each source's key).

        Args:
            options: the checked options (a NamedTuple or a mapping).
        """
        as_dict = options._asdict() if hasattr(options, "_asdict") else options
        self._options = json.dumps(as_dict, sort_keys=True, default=str)

    # -- reading --------------------------------------------------------------------------

    def _key(self, location: str) -> str:
        return hashlib.sha256(f"{location}\0{self._options}".encode()).hexdigest()

    def lookup(self, source: object) -> JournalEntry | None:
        """The source's row, created (state ``new``) if missing or if its content changed.

        Args:
            source: a path, URL or ``bytes`` of the batch.

        Returns:
            Its ``JournalEntry``; None for a source without a stable identity (a file
            object) or one that cannot be read (its submission then reports why).

        Raises:
            JournalError: the journal cannot be read or written.
        """
        return self._entry(source, claim=False)

    def claim(self, source: object) -> JournalEntry | None:
        """``lookup``, and a lease on the source for this run, in one transaction.

        The lease is taken unless another live run holds it (then ``held_by`` says who
        and nothing changes); a lease whose time ran out, or whose owner process is gone,
        is taken over. ``process_many`` claims each source before creating its job.

        Args:
            source: a path, URL or ``bytes`` of the batch.

        Returns:
            Its ``JournalEntry`` (``held_by`` set when another run holds it); None as
            for ``lookup``.

        Raises:
            JournalError: the journal cannot be read or written.
        """
        return self._entry(source, claim=True)

    def _entry(self, source: object, *, claim: bool) -> JournalEntry | None:
        stat = _stat(source)
        if stat is None:
            return None
        location, size, mtime_ns = stat
        key = self._key(location)
        known = self._run(
            lambda db: db.execute(
                "SELECT size, mtime_ns, sha256 FROM sources WHERE key = ?", (key,)
            ).fetchone()
        )
        if known is not None and size is not None and known[:2] == (size, mtime_ns):
            digest: str | None = known[2]  # same size and mtime: the content hash holds
        else:
            digest = _digest(source, location)
            if digest is None and not is_url(source):
                return None
        return self._run(lambda db: self._claim(db, key, location, size, mtime_ns, digest, claim))

    def _claim(
        self,
        db: sqlite3.Connection,
        key: str,
        location: str,
        size: int | None,
        mtime_ns: int | None,
        digest: str | None,
        claim: bool,
    ) -> JournalEntry:
        now = time.time()
        owner = self._owner if claim else None
        lease = now + C.JOURNAL_LEASE if claim else None
        db.execute("BEGIN IMMEDIATE")  # the check and the claim: one transaction
        row = db.execute(_SELECT_ROW, (key,)).fetchone()
        holder: str = (row[7] if row is not None else None) or ""
        until: float = (row[8] if row is not None else None) or 0.0
        held = claim and holder not in ("", self._owner) and until > now
        if held and _alive(holder):
            db.execute("COMMIT")
            return _entry(row)._replace(held_by=_describe_owner(holder, until))
        if row is None or row[9] != digest:
            db.execute(
                "INSERT OR REPLACE INTO sources (key, location, size, mtime_ns, sha256, "
                "options, state, owner, lease_until, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?, ?)",
                (key, location, size, mtime_ns, digest, self._options, owner, lease, now),
            )
            db.execute("COMMIT")
            return JournalEntry(key, location, "new", None, None, ())
        if claim:
            db.execute(
                "UPDATE sources SET owner = ?, lease_until = ?, mtime_ns = ? WHERE key = ?",
                (owner, lease, mtime_ns, key),
            )
        db.execute("COMMIT")
        return _entry(row)

    def entries(self) -> list[JournalEntry]:
        """Every row, in the order the sources were first seen (for reports and tests).

        Returns:
            One ``JournalEntry`` per source.

        Raises:
            JournalError: the journal cannot be read.
        """
        rows = self._run(lambda db: db.execute(_SELECT_ALL).fetchall())
        return [_entry(row) for row in rows]

    # -- writing (each one committed at once) ---------------------------------------------

    def submitting(self, key: str) -> None:
        """Record that the source's submission started (nothing billable sent yet).

        Args:
            key: the row's key (``JournalEntry.key``).
        """
        self._update(key, state="submitting", error=None, job_id=None, parts=None)

    def job_issued(self, key: str, job_id: str) -> None:
        """Record an upload's job id, known before its upload is complete.

        Args:
            key: the row's key (``JournalEntry.key``).
            job_id: the job's id.
        """
        self._update(key, job_id=job_id)

    def sent(self, key: str, parts: str | None = None) -> None:
        """Record that the request starting the job was sent without an answer yet.

        Args:
            key: the row's key (``JournalEntry.key``).
            parts: the parts ``complete`` sends (JSON), so a later run can send it again.
        """
        self._update(key, state="sent", parts=parts)

    def submitted(self, key: str, job_id: str) -> None:
        """Record that the job started: a later run waits on it instead of resubmitting.

        Args:
            key: the row's key (``JournalEntry.key``).
            job_id: the job's id.
        """
        self._update(key, state="submitted", job_id=job_id, error=None)

    def failed(self, key: str, state: str, job_id: str | None, error: str) -> None:
        """Record a failure (resubmitted by a later run only with ``retry_failed``).

        Args:
            key: the row's key (``JournalEntry.key``).
            state: ``failed``; ``sent`` when the job may exist without a known id;
                ``submitting`` for a half-uploaded job ``job_id`` that could not be
                deleted (the next run deletes it, then submits the source again).
            job_id: the job's id, if known.
            error: what went wrong, in a sentence.
        """
        self._update(key, state=state, job_id=job_id, error=error)

    def refused(self, key: str) -> None:
        """Record that the source was refused before any request (an empty file, a
        file of another type): not a failed job, so the next run checks it again.

        Args:
            key: the row's key (``JournalEntry.key``).
        """
        self._update(key, state="new", job_id=None, error=None, parts=None)

    def finished(self, key: str, job_id: str | None, credits: int, pages: int) -> bool:
        """Record that the source is done: a later run skips it.

        A job marked with ``not_saved`` stays ``submitted`` instead (and is not deleted).

        Args:
            key: the row's key (``JournalEntry.key``).
            job_id: the job's id.
            credits: credits the job cost.
            pages: pages processed.

        Returns:
            True when recorded as done (then, and only then, may its job be deleted).
        """
        reason = self._unsaved.pop(job_id, None) if job_id else None
        if reason is not None:
            self._update(key, state="submitted", error=reason)
            return False
        self._update(key, state="done", job_id=job_id, credits=credits, pages=pages, error=None)
        return True

    def not_saved(self, job_id: str, reason: str) -> None:
        """Record that a job's result could not be saved (a full disk, a permission).

        Call it in your loop, before taking the next item: the source then stays
        ``submitted`` instead of becoming ``done``, its job is not deleted (even with
        ``delete=True``), and a later run fetches its result again from the job, without
        submitting (and paying for) it again.

        Args:
            job_id: the job's id (``BatchItem.job_id``).
            reason: what went wrong, in a sentence (kept in the row's ``error``).
        """
        with self._lock:
            self._unsaved[job_id] = reason
        self._run(
            lambda db: db.execute(
                "UPDATE sources SET error = ?, updated = ? WHERE job_id = ?",
                (reason, time.time(), job_id),
            )
        )

    def set_outputs(self, job_id: str, paths: list[str]) -> None:
        """Record the files saved for a job's result; a later run's skipped item shows them.

        Args:
            job_id: the job's id (``BatchItem.job_id``).
            paths: the files written for its result.

        Raises:
            JournalError: the journal cannot be written.
        """
        self._run(
            lambda db: db.execute(
                "UPDATE sources SET outputs = ?, updated = ? WHERE job_id = ?",
                (json.dumps(paths), time.time(), job_id),
            )
        )

    def renew(self) -> None:
        """Extend the leases this journal holds (``process_many`` calls it as it runs)."""
        self._run(
            lambda db: db.execute(
                "UPDATE sources SET lease_until = ? WHERE owner = ?",
                (time.time() + C.JOURNAL_LEASE, self._owner),
            )
        )

    def release(self) -> None:
        """Give up the leases this journal holds (a batch's end, ``close``)."""
        self._run(
            lambda db: db.execute(
                "UPDATE sources SET owner = NULL, lease_until = NULL WHERE owner = ?",
                (self._owner,),
            )
        )

    def _update(self, key: str, **values: Any) -> None:
        columns = ", ".join(f"{name} = ?" for name in values)
        self._run(
            lambda db: db.execute(
                f"UPDATE sources SET {columns}, updated = ? WHERE key = ?",  # noqa: S608 - fixed names
                (*values.values(), time.time(), key),
            )
        )

    def close(self) -> None:
        """Give up this journal's leases and close the SQLite connection (``process_many``
        closes a journal it opened)."""
        with self._lock:
            db, self._db = self._db, None
        if db is None:
            return
        try:
            db.execute(
                "UPDATE sources SET owner = NULL, lease_until = NULL WHERE owner = ?",
                (self._owner,),
            )
        except sqlite3.Error:
            pass  # a full disk: the leases run out on their own
        finally:
            db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"


def _entry(row: Any) -> JournalEntry:
    key, location, state, job_id, error, outputs, parts = row[:7]
    numbered = None
    if parts:
        try:
            numbered = [(int(p["part_number"]), str(p["etag"])) for p in json.loads(parts)]
        except (ValueError, TypeError, KeyError):
            numbered = None
    return JournalEntry(key, location, state, job_id, error, tuple(json.loads(outputs)), numbered)


def _alive(owner: str) -> bool:
    """Whether a lease's owner may still run: False only when it is known to be gone
    (a process of this host that no longer exists)."""
    try:
        host, pid, _ = owner.split("\t")
        number = int(pid)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True  # another machine: its lease's time decides
    try:
        os.kill(number, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, but belongs to someone else
    return True


def _describe_owner(owner: str, until: float) -> str:
    host, pid, _ = [*owner.split("\t"), "?", "?"][:3]
    left = max(0, int(until - time.time()))
    return (
        f"another run (pid {pid} on {host}) holds it (its lease runs {left}s more unless "
        "renewed): not submitted twice; run again once that run ended"
    )


def _stat(source: object) -> tuple[str, int | None, int | None] | None:
    """(location, size, mtime_ns) of a source, or None when it has no stable identity."""
    if is_url(source):
        return str(source), None, None
    if isinstance(source, bytes | bytearray | memoryview):
        return "bytes:" + hashlib.sha256(source).hexdigest(), memoryview(source).nbytes, None
    if isinstance(source, str | os.PathLike):
        try:
            path = os.path.realpath(os.fspath(source))
            info = os.stat(path)
        except (OSError, TypeError, ValueError):
            return None
        return path, info.st_size, info.st_mtime_ns
    return None


def _digest(source: object, location: str) -> str | None:
    if is_url(source):
        return None
    if location.startswith("bytes:"):
        return location.removeprefix("bytes:")
    try:
        with open(location, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except (OSError, TypeError, ValueError):
        return None
