"""Docstring sections several public methods share, each written once.

A docstring names a shared section by a line holding only its name in braces
(``{WAIT_ARGS}``); ``with_shared_sections`` (a class decorator) writes the section in its
place, indented like that line, into the class's docstring and its methods'. ``help()``,
``inspect.getdoc`` and IDEs read the whole text; the docs site expands the same sections
when it reads the source (``scripts/docs_signatures.py`` calls ``expand``). A name that
is not a section fails at import.
"""

from __future__ import annotations

import re
from typing import TypeVar

T = TypeVar("T")

SECTIONS: dict[str, str] = {
    # Both clients' constructors: the API, its key and the requests.
    "CLIENT_ARGS": """\
api_key: the LeapOCR API key; default ``$LEAPOCR_API_KEY``. Sent in the
    ``X-API-Key`` header to the API and nowhere else; never printed or logged.
base_url: the API root; default ``$LEAPOCR_BASE_URL``, else
    ``https://api.leapocr.com/api/v1``. It must end in ``/api/v1`` (a 404 from one
    that does not says so). Plain ``http://`` only for loopback hosts, unless
    ``allow_insecure_http``.
timeout: seconds bounding each whole request (connect, send, the whole answer).
max_retries: retries of 429, 5xx and connection failures (exponential backoff,
    ``Retry-After`` honoured up to 60 s); other 4xx are never retried.""",
    # process_url and process_file: the options a job is submitted with.
    "JOB_OPTIONS_ARGS": """\
output_type: ``"markdown"`` (default) or ``"structured"``; a ``schema`` alone
    means structured (``OutputFormat`` values or plain strings).
model: e.g. ``Model.STANDARD_V2`` (default, 1 credit a page) or
    ``Model.PRO_V2`` (3); any other model name passes through as a string.
instruction: at most 100 characters of guidance; may go with a schema.
schema: the fields to extract: a Pydantic model class, a dataclass, a
    ``TypedDict`` (these three need the ``pydantic`` extra) or a JSON schema
    dict; means structured output (each page then costs the model's
    surcharge more).
template_slug: a template saved on the service; it carries its own format,
    model, schema and instruction, so it excludes all four.
extract_bounding_boxes: also locate each block of text on its page
    (``PageResult.bounding_boxes``).
save_as_template: save these options as a template on the service.""",
    # process_url and process_file: what a submission can meet on the service.
    "SUBMIT_RAISES": """\
InsufficientCreditsError: the account has too few credits for the job.
AuthenticationError: the API key was refused.
RateLimitError: still rate limited after ``max_retries`` retries.
APIConnectionError: the service could not be reached; with
    ``may_have_been_processed=True`` the job may exist (not retried).
APIError: any other error answer of the service.
ConfigurationError: the client is closed.""",
    # wait_until_done, as_completed and wait_many: how a job is waited on.
    "WAIT_ARGS": """\
poll_interval: seconds before the first poll of a job this client just
    submitted, and the shortest gap between polls; later polls go near the
    moment the job's page-by-page progress predicts it ends, at most 4x
    apart (without progress to go on, the gap grows x1.25 per poll).
timeout: seconds to wait in all; raises ``WaitTimeoutError`` past it (the job
    keeps running on the service).""",
    # as_completed and wait_many: the jobs submitted elsewhere.
    "JOB_IDS_ARGS": """\
job_ids: the ids of the jobs to wait on.
concurrency: jobs polled at once.""",
}

_PLACEHOLDER = re.compile(r"^(?P<indent>[ ]*)\{(?P<name>[A-Z_]+)\}[ ]*$", re.MULTILINE)


def expand(doc: str) -> str:
    """``doc`` with each placeholder line replaced by its section, indented like it."""

    def section(match: re.Match[str]) -> str:
        lines = SECTIONS[match["name"]].splitlines()
        return "\n".join(match["indent"] + line if line else "" for line in lines)

    return _PLACEHOLDER.sub(section, doc)


def with_shared_sections(cls: type[T]) -> type[T]:
    """``cls`` with the shared sections written into its docstring and its methods'."""
    if cls.__doc__:
        cls.__doc__ = expand(cls.__doc__)
    for member in vars(cls).values():
        if callable(member) and member.__doc__:
            member.__doc__ = expand(member.__doc__)
    return cls
