"""The ``leapocr`` command line: subcommands, options and their help."""

from __future__ import annotations

import argparse
import math

from .. import __version__
from .._contract import DEFAULT_MODEL, MAX_INSTRUCTION_LENGTH, MODEL_CATALOGUE
from ..types import OutputFormat
from . import webhooks
from .codes import EPILOG

DESCRIPTION = """\
LeapOCR from the command line: PDFs and images (local files, - for stdin, or http(s)
URLs) to markdown or structured JSON. The API key comes from --api-key or
LEAPOCR_API_KEY, the service from --base-url or LEAPOCR_BASE_URL (try `leapocr demo`,
or `leapocr emulator` for an offline service).

stdout carries only results: documents (process, wait, result) or records (status,
models, emulator, webhooks listen; JSON lines unless stdout is a terminal). Progress and
events go to stderr: for a person on a terminal, else JSON lines, each with an "event"
key. See `leapocr process --help`.
"""

OUTPUT_HELP = """\
output:
  stdout holds the results only, so `leapocr process a.pdf > a.md 2> log` writes pure
  markdown. Events go to stderr: progress bars on a terminal (one line per finished
  file, then a summary), one plain line per change with --human, and otherwise (or
  with --json-events) one JSON object per line, each with an "event" key, e.g.
    {"event": "submitted", "source": "a.pdf", "job_id": "..."}
    {"event": "done", "source": "a.pdf", "job_id": "...", "status": "completed",
     "format": "markdown", "pages": 3, "credits_used": 3, "output": "out/a.md"}
    {"event": "deleted", "source": "a.pdf", "job_id": "..."}
    {"event": "error", "source": "b.pdf", "exit_code": 4, "error": "JobFailedError",
     "message": "..."}
    {"event": "skipped", "source": "c.pdf", "job_id": "...", "outputs": ["/.../c.md"]}
    {"event": "summary", "done": 1, "failed": 1, "skipped": 1, "pages": 3,
     "credits": 3, "seconds": 4.2}
  and, when the command is stopped (Ctrl-C, SIGTERM, a closed stdout), one "kept"
  event per job left on the service, the summary, then
    {"event": "kept", "source": "d.pdf", "job_id": "...",
     "message": "kept: run the same command again to collect its result"}
    {"event": "interrupted", "exit_code": 143, "signal": "SIGTERM"}
  --json puts these events on stdout instead, each result (without --out) inside its
  "done" event as "result" (the single stream of leapocr-sdk 0.1).

results:
  With --out DIR, each result is written to DIR/<name>.md (markdown) or
  DIR/<name>.json (structured). For a file or URL argument, <name> is its file name
  without its extension ("stdin" for -). For a directory argument, the tree below it
  is mirrored: docs/sub/a.pdf is written to DIR/sub/a.md. Names are kept as they are
  (only what the file system refuses in a name is replaced by "_"). Two inputs that
  would be written to one file (names compared ignoring case) are refused before
  anything is submitted. Each file is written to a temporary file, then renamed: a
  result is never half-written, and one that cannot be written fails its input (exit
  code 2) and keeps its job. Without --out, results go to stdout, each after a
  "==> source <==" line when there are several. Markdown puts a "<!-- page N -->" line
  before each page. Structured output is the document's JSON object.

checks:
  Before anything is submitted, every input is checked: a missing or unreadable file,
  a URL that is not http(s), an --out that is not a directory, or two inputs with one
  output file stops the command with exit code 2, and no credit is spent.
"""

# Each subcommand's help: its one-line summary (in `leapocr --help`), a blank line, then
# the description its own --help shows (see _subcommand).

PROCESS_HELP = """\
process documents (files or URLs) and save their results

Process documents (PDF, PNG, JPEG, TIFF, WebP): upload local files (or
submit http(s) URLs), wait for each job, and write its result. Several inputs are
processed concurrently."""

ESTIMATE_HELP = """\
print the pages and credits of documents, without sending anything

Count each local document's pages and price them with the model's
credits per page and its surcharges (structured output or an instruction, bounding
boxes), from the built-in catalogue. Nothing is sent."""

DEMO_HELP = """\
try LeapOCR offline: the emulator and a bundled sample invoice

Start the emulator in this process (needs leapocr-sdk[testing]) and run
`leapocr models` and `leapocr process` on a sample invoice shipped with the package:
markdown, then a structured extraction. No key, no network, a few seconds."""

COMPLETION_HELP = """\
print a shell completion script (bash, zsh or fish)

Print a completion script for SHELL. To enable it:
  bash:  eval "$(leapocr completion bash)"      (e.g. in ~/.bashrc)
  zsh:   eval "$(leapocr completion zsh)"       (e.g. in ~/.zshrc)
  fish:  leapocr completion fish | source      (or save it as
         ~/.config/fish/completions/leapocr.fish)"""

EMULATOR_HELP = """\
run the offline LeapOCR emulator until Ctrl-C

Run a local LeapOCR emulator (needs leapocr-sdk[testing]) until Ctrl-C
or SIGTERM, then exit 0. It prints its base URL, its API key and the two variables
to export. It reads the text embedded in PDFs; it does not do OCR."""


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = argparse.ArgumentParser(
        prog="leapocr",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"leapocr {__version__}")
    _add_global_options(parser, defaults=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_process(commands)
    _add_estimate(commands)
    _add_job_command(commands, "status", "show a job's status and progress")
    wait = _add_job_command(commands, "wait", "wait for a job to finish, then print its result")
    _add_job_out(wait)
    _add_waiting_options(wait)
    _add_job_out(_add_job_command(commands, "result", "fetch a finished job's result"))
    _add_job_command(commands, "delete", "delete a job and redact its content")
    _subcommand(commands, "models", "list the processing models and their credit cost")
    _add_emulator(commands)
    _add_demo(commands)
    webhooks.add_parser(commands)
    _add_completion(commands)
    return parser


def _add_job_options(parser: argparse.ArgumentParser) -> None:
    """The options that set a job's format, model and price (process and estimate)."""
    parser.add_argument(
        "--format",
        dest="output_type",
        choices=[OutputFormat.MARKDOWN.value, OutputFormat.STRUCTURED.value],
        help="result format (default: markdown, or structured with --schema)",
    )
    parser.add_argument(
        "--model",
        help=f"processing model (default: {DEFAULT_MODEL}): "
        + ", ".join(
            f"{spec.name} ({spec.credits_per_page} cr/page, +{spec.surcharge_per_page} "
            "structured or with an instruction)"
            for spec in MODEL_CATALOGUE
        ),
    )
    parser.add_argument(
        "--instruction",
        metavar="TEXT",
        help=f"what to extract, in words (up to {MAX_INSTRUCTION_LENGTH} characters)",
    )
    parser.add_argument(
        "--schema",
        metavar="FILE.json|module:Class",
        help="the fields to extract: a JSON schema file, or a Pydantic model, dataclass or "
        "TypedDict as module:Class (imported from the current directory too; needs the "
        "pydantic extra)",
    )


def _add_pages_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pages",
        metavar="LIST",
        help="only these pages of each PDF, e.g. 1-3,7: the PDF is cut locally and only "
        "they are sent and paid for (needs the pdf extra)",
    )


def _add_estimate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = _subcommand(commands, "estimate", ESTIMATE_HELP)
    parser.add_argument("files", nargs="+", metavar="FILE", help="local PDFs or images")
    _add_job_options(parser)
    parser.add_argument(
        "--extract-bounding-boxes",
        action="store_true",
        help="price bounding boxes too (+1 credit a page)",
    )
    _add_pages_option(parser)


def _add_global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """Options accepted before and after the subcommand.

    On subcommands their default is SUPPRESS, so a value given before the subcommand
    is not overwritten by the subcommand's default.
    """
    default: object = None if defaults else argparse.SUPPRESS
    group = parser.add_argument_group("connection and output")
    group.add_argument(
        "--api-key",
        metavar="KEY",
        default=default,
        help="API key (default: $LEAPOCR_API_KEY; prefer the variable: command lines are "
        "visible to other users)",
    )
    group.add_argument(
        "--base-url",
        metavar="URL",
        default=default,
        help="API base URL (default: $LEAPOCR_BASE_URL, else the LeapOCR service)",
    )
    group.add_argument(
        "--max-retries",
        type=_non_negative_int,
        metavar="N",
        default=3 if defaults else argparse.SUPPRESS,
        help="retries of a request that failed with 429, 5xx or a connection error (default: 3)",
    )
    group.add_argument(
        "--allow-insecure-http",
        action="store_true",
        default=False if defaults else argparse.SUPPRESS,
        help="allow an http:// base URL other than localhost (the key then travels unencrypted)",
    )
    _add_modes(
        group,
        (
            "json-events",
            "events as JSON lines on stderr (the default when stderr is not a terminal)",
        ),
        ("human", "events for a person on stderr, even when it is not a terminal"),
        ("json", "events as JSON lines on stdout, results inside them (the 0.1 behaviour)"),
        default=default,
    )


def _add_modes(
    container: argparse._ActionsContainer, *modes: tuple[str, str], default: object
) -> None:
    """Mutually exclusive ``--FLAG`` switches, each setting ``mode`` to ``FLAG``."""
    group = container.add_mutually_exclusive_group()
    for flag, text in modes:
        group.add_argument(
            f"--{flag}",
            dest="mode",
            action="store_const",
            const=flag,
            default=default,
            help=text,
        )


def _subcommand(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    text: str,
    *,
    epilog: str = EPILOG,
    global_options: bool = True,
) -> argparse.ArgumentParser:
    """A subcommand: ``text`` is its summary line, then (after a blank line) its
    description; without one, the description is the summary as a sentence."""
    summary, _, description = text.partition("\n\n")
    parser = commands.add_parser(
        name,
        help=summary,
        description=description or summary[0].upper() + summary[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if global_options:
        _add_global_options(parser, defaults=False)
    return parser


def _add_job_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str
) -> argparse.ArgumentParser:
    parser = _subcommand(commands, name, summary)
    parser.add_argument("job_id", metavar="JOB_ID")
    return parser


def _add_job_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", metavar="DIR", help="write the result to DIR/<job id>.md|.json (default: stdout)"
    )


def _add_process(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = _subcommand(commands, "process", PROCESS_HELP, epilog=OUTPUT_HELP + "\n" + EPILOG)
    parser.add_argument(
        "sources",
        nargs="+",
        metavar="FILE_OR_URL",
        help="local documents, directories (every supported file in them) or http(s) URLs",
    )
    _add_job_options(parser)
    parser.add_argument(
        "--template",
        dest="template_slug",
        metavar="SLUG",
        help="a template saved on the service (instead of --format, --model, --schema and "
        "--instruction)",
    )
    parser.add_argument(
        "--extract-bounding-boxes",
        action="store_true",
        help="also locate each block of text on its page (in the JSON output; +1 credit a page)",
    )
    _add_pages_option(parser)
    parser.add_argument(
        "--max-credits",
        type=_non_negative_int,
        metavar="N",
        help="a budget: a document whose estimated price would take the credits spent and "
        "reserved by the documents in flight past N is not submitted, and nothing more is",
    )
    parser.add_argument(
        "--submit-rate",
        type=_positive_float,
        metavar="R",
        help="at most R job creations per second (default: no cap; 429s slow it down anyway)",
    )
    parser.add_argument(
        "--save-as-template",
        action="store_true",
        help="save these options as a template on the service for later jobs",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="write each result to DIR/<name>.md|.json, mirroring the tree of a directory "
        "argument (default: stdout)",
    )
    parser.add_argument(
        "--no-wait",
        dest="wait",
        action="store_false",
        help="only submit: print the job ids and exit (see `leapocr status` and `result`)",
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help="delete each job once its result is saved (failed jobs are kept)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=4,
        metavar="N",
        help="documents processed at once (default: 4)",
    )
    parser.add_argument(
        "--recursive",
        action="store_true",
        help="for a directory, also process the files in its subdirectories (with --out, "
        "their results go to the same subdirectories of DIR)",
    )
    resume = parser.add_argument_group(
        "resuming",
        "With --out DIR, a journal at DIR/.leapocr-journal.sqlite records each document's\n"
        "job and outcome, so running the same command again after a crash skips what is\n"
        "done, waits on what was submitted, and never pays for a document twice.",
    )
    journal = resume.add_mutually_exclusive_group()
    journal.add_argument(
        "--journal", metavar="PATH", help="keep the journal at PATH (default: in --out DIR)"
    )
    journal.add_argument(
        "--no-journal", action="store_true", help="keep no journal: a new run starts afresh"
    )
    resume.add_argument(
        "--retry-failed",
        action="store_true",
        help="submit again the documents the journal shows as failed, or as possibly "
        "submitted without an answer (they may then be billed twice)",
    )
    _add_waiting_options(parser)


def _add_waiting_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--poll-interval",
        type=_positive_float,
        default=2.0,
        metavar="S",
        help="seconds between status checks at first; grows gently (default: 2)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=600.0,
        metavar="S",
        help="give up waiting for a job after S seconds, exit code 4 (default: 600)",
    )


def _add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _subcommand(commands, "demo", DEMO_HELP, epilog="", global_options=False)


def _add_completion(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = _subcommand(commands, "completion", COMPLETION_HELP, epilog="", global_options=False)
    parser.add_argument("shell", metavar="SHELL", choices=["bash", "zsh", "fish"])


def _add_emulator(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = _subcommand(commands, "emulator", EMULATOR_HELP, epilog="", global_options=False)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8765,
        help="port to listen on, 0 for a free one (default: 8765)",
    )
    parser.add_argument(
        "--api-key",
        dest="emulator_api_key",
        metavar="KEY",
        default="test-key",
        help="the API key the emulator accepts (default: test-key)",
    )
    parser.add_argument(
        "--processing-seconds",
        type=_non_negative_float,
        default=2.0,
        metavar="S",
        help="how long each job takes (default: 2)",
    )
    parser.add_argument(
        "--credits",
        type=_non_negative_int,
        default=None,
        metavar="N",
        help="credit balance; 402 once it runs out (default: unlimited)",
    )
    parser.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="URL",
        help="POST signed job events to URL (repeatable); the signing secret is printed",
    )
    parser.add_argument(
        "--webhook-secret",
        metavar="S",
        help="sign webhook deliveries with S instead of a generated secret",
    )
    _add_modes(
        parser,
        ("json", "print the addresses as JSON"),
        ("human", "print the addresses as text"),
        default=argparse.SUPPRESS,
    )


def _number(text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _positive_int(text: str) -> int:
    value = int(_number(text, int))
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(_number(text, int))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text}")
    return value


def _positive_float(text: str) -> float:
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value
