"""The SDK's error messages in the command line's words.

The library's messages name keyword arguments and methods (``api_key=...``,
``get_status()``); a shell user needs the flag or command instead. Each rule maps one
phrase of the library (see ``errors.py``, ``journal.py``, ``_client.py``,
``_validation.py``) to its command-line form.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"pass retry_failed=True \(CLI: --retry-failed\)", "add --retry-failed"),
        (r"``retry_failed=True``|retry_failed=True", "--retry-failed"),
        (r"pass api_key=\.\.\. or set", "pass --api-key or set"),
        (r"the API key passed to the client", "the API key given with --api-key"),
        (r"pass allow_insecure_http=True", "pass --allow-insecure-http"),
        (r"allow_insecure_http=True", "--allow-insecure-http"),
        (r"raise max_retries", "raise --max-retries"),
        (r"check it later with get_status\(\)", "check it later with `leapocr status {job}`"),
        (r"call wait_until_done\(\) to wait for its result", "run `leapocr wait {job}`"),
        (r"wait_until_done\(\)", "`leapocr wait`"),
        (r"get_status\(\)", "`leapocr status`"),
    )
)
_JOB_ID = re.compile(r"job ([0-9A-Za-z][0-9A-Za-z_-]{7,})")


def cli_message(error: BaseException) -> str:
    """``str(error)``, with every Python-only hint replaced by its flag or command."""
    text = str(error)
    found = _JOB_ID.search(text)
    job = getattr(error, "job_id", None) or (found.group(1) if found else "JOB_ID")
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement.replace("{job}", str(job)), text)
    return text
