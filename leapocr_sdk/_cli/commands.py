"""The ``leapocr`` subcommands. Each takes the parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from .._client import AsyncLeapOCR, LeapOCR
from .._constants import JOURNAL_FILE_NAME
from .._validation import check_options
from ..errors import ConfigurationError, ValidationError
from ..types import JobStatusInfo
from . import webhooks
from .codes import EXIT_OK, worst
from .process import (
    ProcessOptions,
    Summary,
    expand_sources,
    process_batch,
    save,
    submit_all,
)
from .render import source_stem, unique_stems
from .ui import Console, HumanReporter, Item, JsonReporter, Reporter

_LABEL_WIDTH = 40


# process


def process(args: argparse.Namespace, console: Console) -> int:
    """Submit every input, wait, and save each result; the worst input's exit code."""
    options = process_options(args)
    items = make_items(expand_sources(args.sources, recursive=args.recursive))
    reporter = make_reporter(console, items, options)
    summary = Summary()
    try:
        codes = asyncio.run(_process(args, items, options, reporter, summary))
    finally:
        reporter.close()
    if options.wait and len(items) > 1:
        if console.json_mode:
            console.event("summary", **summary.fields())
        else:
            console.message(f"{len(items)} documents: {summary.line()}")
    return worst(codes)


async def _process(
    args: argparse.Namespace,
    items: list[Item],
    options: ProcessOptions,
    reporter: Reporter,
    summary: Summary,
) -> list[int]:
    async with AsyncLeapOCR(
        args.api_key, base_url=args.base_url, max_retries=args.max_retries
    ) as client:
        if not options.wait:
            return await submit_all(client, items, options, reporter)
        return await process_batch(client, items, options, reporter, summary)


def process_options(args: argparse.Namespace) -> ProcessOptions:
    """The checked options of ``process`` (ValidationError before any request)."""
    schema = load_schema(args.schema) if args.schema else None
    return ProcessOptions(
        submit=check_options(
            output_type=args.output_type,
            model=args.model,
            instruction=args.instruction,
            schema=schema,
            template_slug=args.template_slug,
            extract_bounding_boxes=args.extract_bounding_boxes,
            save_as_template=args.save_as_template,
        ),
        out_dir=Path(args.out) if args.out else None,
        wait=args.wait,
        delete=args.delete,
        concurrency=args.concurrency,
        poll_interval=args.poll_interval,
        timeout=args.timeout,
        journal=journal_path(args),
        retry_failed=args.retry_failed,
    )


def journal_path(args: argparse.Namespace) -> Path | None:
    """``--journal PATH``; else, with ``--out DIR``, ``DIR/.leapocr-journal.sqlite``."""
    if args.no_journal or not args.wait:
        return None
    if args.journal:
        return Path(args.journal)
    return Path(args.out) / JOURNAL_FILE_NAME if args.out else None


def load_schema(path: str) -> dict[str, Any]:
    """The JSON object in the ``--schema`` file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read --schema {path!r}: {exc.strerror or exc}") from None
    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"--schema {path!r} is not valid JSON: {exc}") from None
    if not isinstance(schema, dict):
        raise ValidationError(f"--schema {path!r} must hold a JSON object (a JSON schema)")
    return schema


def make_items(sources: list[str]) -> list[Item]:
    """The inputs, each with its output stem and a short label for progress lines."""
    return [
        Item(index=index, source=source, stem=stem, label=_label(source))
        for index, (source, stem) in enumerate(zip(sources, unique_stems(sources), strict=True))
    ]


def _label(source: str) -> str:
    if len(source) <= _LABEL_WIDTH:
        return source
    return "..." + source[-(_LABEL_WIDTH - 3) :]


def make_reporter(console: Console, items: list[Item], options: ProcessOptions) -> Reporter:
    to_stdout = options.out_dir is None
    if console.json_mode:
        return JsonReporter(console, with_results=to_stdout)
    return HumanReporter(console, items, show_results=to_stdout, show_job_ids=not options.wait)


# status, result, delete, models


def client(args: argparse.Namespace) -> LeapOCR:
    return LeapOCR(args.api_key, base_url=args.base_url, max_retries=args.max_retries)


def status(args: argparse.Namespace, console: Console) -> int:
    with client(args) as leapocr:
        info = leapocr.get_status(args.job_id)
    if console.json_mode:
        console.event(
            "status",
            job_id=info.job_id,
            status=info.status.value,
            progress=info.progress,
            processed_pages=info.processed_pages,
            total_pages=info.total_pages,
            error_message=info.error_message,
        )
    else:
        console.output(status_line(info) + "\n")
    return EXIT_OK


def status_line(info: JobStatusInfo) -> str:
    text = f"{info.job_id}  {info.status.value}  {info.progress:.0%}"
    if info.total_pages:
        text += f"  ({info.processed_pages or 0}/{info.total_pages} pages)"
    if info.error_message:
        text += f"  error: {info.error_message}"
    return text


def result(args: argparse.Namespace, console: Console) -> int:
    item = Item(index=0, source=args.job_id, stem=source_stem(args.job_id), label=args.job_id)
    out_dir = Path(args.out) if args.out else None
    reporter: Reporter
    if console.json_mode:
        reporter = JsonReporter(console, with_results=out_dir is None)
    else:
        reporter = HumanReporter(console, [item], show_results=out_dir is None)
    with client(args) as leapocr:
        job_result = leapocr.get_result(args.job_id)
    save(item, job_result, out_dir, reporter)
    reporter.close()
    return EXIT_OK


def delete(args: argparse.Namespace, console: Console) -> int:
    with client(args) as leapocr:
        leapocr.delete_job(args.job_id)
    if console.json_mode:
        console.event("deleted", job_id=args.job_id)
    else:
        console.message(f"deleted job {args.job_id}")
    return EXIT_OK


def models(args: argparse.Namespace, console: Console) -> int:
    with client(args) as leapocr:
        available = leapocr.list_models()
    if console.json_mode:
        for model in available:
            console.event(
                "model",
                name=model.name,
                display_name=model.display_name,
                credits_per_page=model.credits_per_page,
                description=model.description,
            )
        return EXIT_OK
    rows = [("MODEL", "NAME", "CREDITS/PAGE", "DESCRIPTION")]
    rows += [(m.name, m.display_name, str(m.credits_per_page), m.description) for m in available]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for name, display, credits, description in rows:
        console.output(
            f"{name:<{widths[0]}}  {display:<{widths[1]}}  {credits:>{widths[2]}}  {description}\n"
        )
    return EXIT_OK


# emulator


def emulator(args: argparse.Namespace, console: Console) -> int:
    """Serve the emulator in the foreground until Ctrl-C or SIGTERM."""
    if importlib.util.find_spec("pypdf") is None:
        raise ConfigurationError(
            "the emulator needs the testing extra: pip install 'leapocr-sdk[testing]'"
        )
    from ..testing import LeapOCREmulator  # the testing extra is optional

    emu = LeapOCREmulator(
        api_key=args.emulator_api_key,
        host=args.host,
        port=args.port,
        processing_seconds=args.processing_seconds,
        credits=args.credits,
    )
    with _sigterm_interrupts():  # until serve_forever takes over the signals
        try:
            emu.start()
            announce(console, emu.base_url, emu.api_key)
            for url in args.webhook:
                secret = emu.add_webhook(url, secret=args.webhook_secret)
                announce_webhook(console, url, secret)
            emu.serve_forever()  # returns, stopped, on Ctrl-C or SIGTERM
        except KeyboardInterrupt:
            emu.stop()
    if console.json_mode:
        console.event("stopped")
    else:
        console.message("emulator stopped")
    return EXIT_OK


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt (as Ctrl-C does) while in the block."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def announce(console: Console, base_url: str, api_key: str) -> None:
    env = {"LEAPOCR_BASE_URL": base_url, "LEAPOCR_API_KEY": api_key}
    if console.json_mode:
        console.event("listening", base_url=base_url, api_key=api_key, env=env)
        return
    exports = "".join(f"  export {name}={value}\n" for name, value in env.items())
    console.output(
        f"LeapOCR emulator listening on {base_url}\n"
        f"API key: {api_key} (a throwaway test key)\n"
        "It reads the text embedded in PDFs; it does not do OCR.\n"
        f"To use it from another shell:\n{exports}"
        "Press Ctrl-C to stop.\n"
    )


def announce_webhook(console: Console, url: str, secret: str) -> None:
    if console.json_mode:
        console.event("webhook", url=url, secret=secret)
    else:
        console.output(f"Webhooks: job events POSTed to {url}, signed with secret {secret}\n")


COMMANDS = {
    "process": process,
    "status": status,
    "result": result,
    "delete": delete,
    "models": models,
    "emulator": emulator,
    "webhooks": webhooks.run,
}
