"""Exit codes of the ``leapocr`` command, and which error maps to which."""

from __future__ import annotations

from ..errors import (
    APIConnectionError,
    APIError,
    ConfigurationError,
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
"""A job failed, did not finish within --timeout, or (``result``) is not finished yet."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C)."""

EPILOG = """\
exit codes:
  0    ok
  2    usage: bad arguments or options, a missing file, no API key,
       a journal that cannot be used (full disk, not a journal)
  3    API: the service refused the request (e.g. a wrong key, no credits),
       could not be reached, or an upload failed
  4    job: a job failed, did not finish within --timeout, or is not finished yet;
       or the journal shows it failed (or may have been sent) in an earlier run
  130  interrupted (Ctrl-C)
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
        case JobFailedError() | WaitTimeoutError() | JobNotReadyError() | NotResubmittedError():
            return EXIT_JOB
        case APIError() | APIConnectionError() | UploadError():
            return EXIT_API
        case _:
            return EXIT_API  # any other LeapOCRError comes from talking to the service


def worst(codes: list[int]) -> int:
    """The exit code of several inputs: the highest (``0`` when there are none)."""
    return max(codes, default=EXIT_OK)
