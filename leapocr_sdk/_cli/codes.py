"""Exit codes of the ``leapocr`` command, and which error maps to which."""

from __future__ import annotations

from ..errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
    JobDeletedError,
    JobFailedError,
    JobNotReadyError,
    JournalError,
    LeapOCRError,
    NotResubmittedError,
    UploadError,
    ValidationError,
    WaitTimeoutError,
)

EXIT_OK = 0
"""Everything worked."""
EXIT_USAGE = 2
"""Bad command line or arguments: argparse errors, ValidationError, ConfigurationError,
JournalError (a journal that cannot be used, e.g. on a full disk)."""
EXIT_API = 3
"""The API refused or could not be reached: APIError, APIConnectionError, UploadError."""
EXIT_JOB = 4
"""A job failed, did not finish within --timeout, is not finished yet (``result``), or was
deleted (``status``, ``result``, ``wait``)."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C): 128 + SIGINT, as for every stop (see ``signals``)."""
EXIT_BROKEN_PIPE = 141
"""stdout was closed before the command was done (``... | head``): 128 + SIGPIPE."""
EXIT_TERMINATED = 143
"""Stopped by SIGTERM (a cron timeout, systemd, Kubernetes): 128 + SIGTERM."""

EPILOG = """\
exit codes:
  0    ok
  2    usage: bad arguments or options, a missing file, no API key,
       a journal that cannot be used (full disk, not a journal)
  3    API: the service refused the request (e.g. a wrong key, no credits),
       could not be reached, or an upload failed
  4    job: a job failed, did not finish within --timeout, is not finished yet, or
       was deleted (its result is gone); or the journal shows it failed (or may
       have been sent) in an earlier run
  130  interrupted (Ctrl-C)
  141  stdout was closed early (e.g. `| head`): the command stops quietly
  143  terminated (SIGTERM)
Stopped by Ctrl-C, SIGTERM or a closed stdout, `process` cleans up as it stops:
half-uploaded jobs are deleted; with --delete, running jobs are deleted (or, with
a journal, kept for the next run of the same command, which collects them); each
job left on the service is named in a "kept" event; then the summary is printed.
With several inputs, the exit code is the highest of theirs, and every input that
succeeded still has its result written.
"""


def exit_code_for(error: LeapOCRError | OSError) -> int:
    """The exit code for an error that ended a command (or one input of ``process``).

    ``OSError`` is a local file that could not be read or written (a bad ``--out`` or
    ``--schema``), so a usage error.
    """
    match error:
        case ValidationError() | ConfigurationError() | JournalError() | OSError():
            return EXIT_USAGE
        case (
            JobFailedError()
            | WaitTimeoutError()
            | JobNotReadyError()
            | JobDeletedError()
            | NotResubmittedError()
        ):
            return EXIT_JOB
        case APIError() | APIConnectionError() | UploadError():
            return EXIT_API
        case _:
            return EXIT_API  # any other LeapOCRError comes from talking to the service


def worst(codes: list[int]) -> int:
    """The exit code of several inputs: the highest (``0`` when there are none)."""
    return max(codes, default=EXIT_OK)
