"""A batch's journal: what happened to each source, on disk, so a batch run again after a
crash (even ``kill -9``) never submits a document twice.

SQLite (the standard library's ``sqlite3``) in WAL mode; every change is committed at
once. One row per source, keyed by where it is (its absolute path, its URL, or the hash
of in-memory bytes) and the options it is processed with. A row's ``state``:

- ``new``: known, not submitted yet;
- ``submitting``: its submission started, but nothing that starts (and bills) a job was
  sent yet (an upload's ``job_id`` may be known): the next run submits it again;
- ``sent``: the request that starts the job (upload ``complete``, or the URL submission)
  was sent and no answer came back: it may have reached the service, so the next run
  reports it and does not submit it again, unless ``retry_failed``;
- ``submitted``: the job started (``job_id``); the next run waits on it;
- ``done``: its result was handed to the caller (``outputs``: paths saved for it);
- ``failed``: the job or its submission failed (retried only with ``retry_failed``).

A file whose content changed since (another SHA-256) counts as a new source. File
objects are not journaled (they have no stable identity): they are always submitted.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

from ._sources import is_url
from .errors import ValidationError

__all__ = ["Journal", "JournalEntry"]

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
_READ_CHUNK = 1024 * 1024


class JournalEntry(NamedTuple):
    """A source's row in the journal.

    Attributes:
        key: the row's key: a hash of the source's location and the batch's options.
        location: the source's absolute path, its URL, or the hash of in-memory bytes.
        state: ``new``, ``submitting``, ``sent``, ``submitted``, ``done`` or ``failed``
            (see the module docstring).
        job_id: its job's id, once known.
        error: why it failed (``failed``).
        outputs: paths recorded with ``Journal.set_outputs``.
    """

    key: str
    location: str
    state: str
    job_id: str | None
    error: str | None
    outputs: tuple[str, ...]

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

    Args:
        path: the SQLite file (created, with its folder, if missing).

    Raises:
        ValidationError: the file cannot be opened or created as a journal.

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
        self._unsaved: set[str | None] = set()  # job ids whose result was not saved
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a committed row survives a power cut
            self._db.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ValidationError(
                f"cannot open the batch journal {str(self.path)!r}: {exc}; choose another "
                "path (CLI: --journal PATH) or turn it off (--no-journal)"
            ) from None

    def bind_options(self, options: object) -> None:
        """Set the processing options of the batch about to run (part of each source's key).

        Args:
            options: the checked options (a NamedTuple or a mapping).
        """
        as_dict = options._asdict() if hasattr(options, "_asdict") else options
        self._options = json.dumps(as_dict, sort_keys=True, default=str)

    # -- reading --------------------------------------------------------------------------

    def lookup(self, source: object) -> JournalEntry | None:
        """The source's row, created (state ``new``) if missing or if its content changed.

        Args:
            source: a path, URL or ``bytes`` of the batch.

        Returns:
            Its ``JournalEntry``; None for a source without a stable identity (a file
            object) or one that cannot be read (its submission then reports why).
        """
        identity = _identify(source)
        if identity is None:
            return None
        location, size, digest = identity
        key = hashlib.sha256(f"{location}\0{self._options}".encode()).hexdigest()
        with self._lock:
            row = self._db.execute(
                "SELECT sha256, state, job_id, error, outputs FROM sources WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and row[0] == digest:
                outputs = tuple(json.loads(row[4]))
                return JournalEntry(key, location, row[1], row[2], row[3], outputs)
            self._db.execute(
                "INSERT OR REPLACE INTO sources (key, location, size, sha256, options, state, "
                "updated) VALUES (?, ?, ?, ?, ?, 'new', ?)",
                (key, location, size, digest, self._options, time.time()),
            )
        return JournalEntry(key, location, "new", None, None, ())

    def entries(self) -> list[JournalEntry]:
        """Every row, in the order the sources were first seen (for reports and tests).

        Returns:
            One ``JournalEntry`` per source.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT key, location, state, job_id, error, outputs FROM sources ORDER BY rowid"
            ).fetchall()
        return [
            JournalEntry(key, location, state, job_id, error, tuple(json.loads(outputs)))
            for key, location, state, job_id, error, outputs in rows
        ]

    # -- writing (each one committed at once) ---------------------------------------------

    def submitting(self, key: str) -> None:
        """Record that the source's submission started (nothing billable sent yet).

        Args:
            key: the row's key (``JournalEntry.key``).
        """
        self._update(key, state="submitting", error=None)

    def job_issued(self, key: str, job_id: str) -> None:
        """Record an upload's job id, known before its upload is complete.

        Args:
            key: the row's key (``JournalEntry.key``).
            job_id: the job's id.
        """
        self._update(key, job_id=job_id)

    def sent(self, key: str) -> None:
        """Record that the request starting the job was sent without an answer yet.

        Args:
            key: the row's key (``JournalEntry.key``).
        """
        self._update(key, state="sent")

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
            state: ``failed``, or ``sent`` when the job may exist without a known id.
            job_id: the job's id, if known.
            error: what went wrong, in a sentence.
        """
        self._update(key, state=state, job_id=job_id, error=error)

    def finished(self, key: str, job_id: str | None, credits: int, pages: int) -> None:
        """Record that the source is done: a later run skips it.

        A job marked with ``not_saved`` stays ``submitted`` instead.

        Args:
            key: the row's key (``JournalEntry.key``).
            job_id: the job's id.
            credits: credits the job cost.
            pages: pages processed.
        """
        with self._lock:
            unsaved = job_id in self._unsaved
            self._unsaved.discard(job_id)
        if not unsaved:
            self._update(key, state="done", job_id=job_id, credits=credits, pages=pages, error=None)

    def not_saved(self, job_id: str, reason: str) -> None:
        """Record that a job's result could not be saved (a full disk, a permission).

        Call it in your loop, before taking the next item: the source then stays
        ``submitted`` instead of becoming ``done``, and a later run fetches its result
        again from the job, without submitting (and paying for) it again.

        Args:
            job_id: the job's id (``BatchItem.job_id``).
            reason: what went wrong, in a sentence (kept in the row's ``error``).
        """
        with self._lock:
            self._unsaved.add(job_id)
            self._db.execute(
                "UPDATE sources SET error = ?, updated = ? WHERE job_id = ?",
                (reason, time.time(), job_id),
            )

    def set_outputs(self, job_id: str, paths: list[str]) -> None:
        """Record the files saved for a job's result; a later run's skipped item shows them.

        Args:
            job_id: the job's id (``BatchItem.job_id``).
            paths: the files written for its result.
        """
        with self._lock:
            self._db.execute(
                "UPDATE sources SET outputs = ?, updated = ? WHERE job_id = ?",
                (json.dumps(paths), time.time(), job_id),
            )

    def _update(self, key: str, **values: Any) -> None:
        columns = ", ".join(f"{name} = ?" for name in values)
        with self._lock:
            self._db.execute(
                f"UPDATE sources SET {columns}, updated = ? WHERE key = ?",  # noqa: S608 - fixed names
                (*values.values(), time.time(), key),
            )

    def close(self) -> None:
        """Close the SQLite connection (``process_many`` closes a journal it opened)."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"


def _identify(source: object) -> tuple[str, int | None, str | None] | None:
    """(location, size, SHA-256) of a source, or None when it has no stable identity."""
    if is_url(source):
        return str(source), None, None
    if isinstance(source, bytes | bytearray | memoryview):
        digest = hashlib.sha256(source).hexdigest()
        return f"bytes:{digest}", memoryview(source).nbytes, digest
    if isinstance(source, str | os.PathLike):
        path = os.path.abspath(os.fspath(source))
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except (OSError, TypeError, ValueError):
            return None
        return path, size, digest
    return None
