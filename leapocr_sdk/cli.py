"""The ``leapocr`` command: LeapOCR from a shell or a script.

``leapocr process a.pdf b.pdf --out results/`` processes documents concurrently and
writes each result; ``status``, ``wait``, ``result``, ``delete`` and ``models`` wrap the
client methods of the same names, ``emulator`` runs the offline emulator, ``demo`` tries
it all offline, ``webhooks listen`` verifies and prints webhook deliveries and
``completion`` prints a shell completion script. Results go to stdout, events to stderr. See
``leapocr --help`` for output formats and the exit codes below.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._cli.codes import (
    EXIT_API,
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_JOB,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    exit_code_for,
)
from ._cli.commands import COMMANDS
from ._cli.messages import cli_message
from ._cli.parser import build_parser
from ._cli.signals import BROKEN_PIPE, Stopper, interrupted
from ._cli.ui import Console, error_fields
from .errors import LeapOCRError

__all__ = [
    "EXIT_API",
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "EXIT_JOB",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "main",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        check_combinations(parser, args)
    except SystemExit as done:  # --help, --version, or a usage error (already printed)
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    stopper = Stopper()
    console = make_console(args.mode, stopper)
    try:
        with stopper.signals_interrupt():
            return COMMANDS[args.command](args, console)
    except (LeapOCRError, OSError) as error:
        return report(console, error)
    except KeyboardInterrupt as error:  # Ctrl-C, SIGTERM, or a closed stdout
        stop = interrupted(error)
        if console.json_mode:
            console.event("interrupted", exit_code=stop.exit_code, signal=stop.signal_name)
        elif stop.signum != BROKEN_PIPE:  # quiet then, as other Unix tools are
            console.message(f"leapocr: {stop.reason}")
        return stop.exit_code


def check_combinations(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors argparse cannot express by itself."""
    if args.command == "process" and args.template_slug:
        given = [
            flag
            for flag, value in (
                ("--format", args.output_type),
                ("--model", args.model),
                ("--schema", args.schema),
                ("--instruction", args.instruction),
            )
            if value is not None
        ]
        if given:
            parser.error(
                f"--template cannot be combined with {', '.join(given)}: the template sets the "
                "format, model, schema and instruction itself"
            )
    if args.command == "process" and not args.wait:
        if args.delete:
            parser.error("--delete needs the result: it cannot be used with --no-wait")
        if args.out:
            parser.error("--no-wait writes no result: it cannot be used with --out")


def make_console(mode: str | None, stopper: Stopper | None = None) -> Console:
    """Where each kind of output goes, from the flags and which streams are terminals.

    Events: for a person when stderr is a terminal (or with ``--human``), else JSON
    lines on stderr (``--json-events`` anywhere; ``--json``: on stdout, as in 0.1).
    Records on stdout (status, models...): JSON lines unless stdout is a terminal.
    """
    if mode == "json":  # the 0.1 single stream: events and records as JSON, on stdout
        json_events = records_json = True
        live = False
    else:
        live = sys.stderr.isatty()
        json_events = mode == "json-events" or (mode is None and not live)
        records_json = False if mode == "human" else not sys.stdout.isatty()
    return Console(
        sys.stdout,
        sys.stderr,
        json_mode=json_events,
        live=live,
        records_json=records_json,
        events_on_stdout=mode == "json",
        stopper=stopper,
    )


def report(console: Console, error: LeapOCRError | OSError) -> int:
    """Say why the command failed; its exit code."""
    code = exit_code_for(error)
    if console.json_mode:
        console.event("error", exit_code=code, **error_fields(error))
    else:
        console.message(f"leapocr: error: {cli_message(error)}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
