"""The ``leapocr`` command: LeapOCR from a shell or a script.

``leapocr process a.pdf b.pdf --out results/`` processes documents concurrently and
writes each result; ``status``, ``result``, ``delete`` and ``models`` wrap the client
methods of the same names, ``emulator`` runs the offline emulator and ``webhooks listen``
verifies and prints webhook deliveries. See
``leapocr --help`` for output formats and the exit codes below.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._cli.codes import (
    EXIT_API,
    EXIT_INTERRUPTED,
    EXIT_JOB,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_for,
)
from ._cli.commands import COMMANDS
from ._cli.parser import build_parser
from ._cli.ui import Console, error_fields
from .errors import LeapOCRError

__all__ = [
    "EXIT_API",
    "EXIT_INTERRUPTED",
    "EXIT_JOB",
    "EXIT_OK",
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
    console = make_console(args.mode)
    try:
        return COMMANDS[args.command](args, console)
    except (LeapOCRError, OSError) as error:
        return report(console, error)
    except KeyboardInterrupt:
        if console.json_mode:
            console.event("interrupted", exit_code=EXIT_INTERRUPTED)
        else:
            console.message("leapocr: interrupted")
        return EXIT_INTERRUPTED


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


def make_console(mode: str | None) -> Console:
    """JSON lines unless asked for text or stderr is a terminal (then live bars too)."""
    interactive = sys.stderr.isatty()
    json_mode = mode == "json" or (mode is None and not interactive)
    return Console(sys.stdout, sys.stderr, json_mode=json_mode, live=interactive)


def report(console: Console, error: LeapOCRError | OSError) -> int:
    """Say why the command failed; its exit code."""
    code = exit_code_for(error)
    if console.json_mode:
        console.event("error", exit_code=code, **error_fields(error))
    else:
        console.message(f"leapocr: error: {error}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
