"""The ``leapocr`` subcommands. Each takes the parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import importlib.util
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path

from .._client import AsyncLeapOCR, LeapOCR
from .._constants import JOURNAL_FILE_NAME
from .._validation import SubmitOptions, compose_options
from ..errors import ConfigurationError, ValidationError
from ..types import JobResult, JobStatusInfo, OutputFormat
from . import webhooks
from .codes import EXIT_JOB, EXIT_OK, EXIT_USAGE, worst
from .estimate import estimate, load_schema
from .inputs import STDIN, check_out_dir, problem_with, spool_stdin, temporary_directory
from .process import (
    ProcessOptions,
    Summary,
    check_outputs,
    expand_sources,
    process_batch,
    save,
    submit_all,
)
from .render import source_stem
from .signals import BROKEN_PIPE, Interrupted, sigterm_interrupts
from .ui import Console, HumanReporter, Item, JsonReporter, Reporter

# process


def process(args: argparse.Namespace, console: Console) -> int:
    """Submit every input, wait, and save each result; the worst input's exit code.

    Every input is checked first (see ``inputs``): if any cannot be processed, nothing
    is submitted and the exit code is 2.
    """
    check_out_dir(args.out)
    options = process_options(args)
    if args.sources.count(STDIN) > 1:
        raise ValidationError("'-' (stdin) can be given only once")
    inputs = expand_sources(args.sources, recursive=args.recursive)
    if options.out_dir is not None:
        check_outputs(inputs, options.out_dir, result_extension(options))
    with temporary_directory() as spool:
        items = make_items(inputs)
        reporter = make_reporter(console, items, options)
        problems = [(item, problem_with(item.source)) for item in items]
        if any(problem for _, problem in problems):
            for item, problem in problems:
                if problem:
                    reporter.failed(item, None, ValidationError(problem), EXIT_USAGE)
            reporter.close()
            if not console.json_mode:
                console.message("leapocr: nothing was submitted")
            return EXIT_USAGE
        items = [
            replace(item, location=str(spool_stdin(Path(spool)))) if item.source == STDIN else item
            for item in items
        ]
        summary = Summary()
        try:
            codes = console.stopper.run(_process(args, items, options, reporter, summary))
        except Interrupted as stop:
            reporter.close()
            if options.wait and (console.json_mode or stop.signum != BROKEN_PIPE):
                say_summary(console, items, summary)
            raise
        finally:
            reporter.close()
    if options.wait and len(items) > 1:
        say_summary(console, items, summary)
    return worst(codes)


def say_summary(console: Console, items: list[Item], summary: Summary) -> None:
    if console.json_mode:
        console.event("summary", **summary.fields())
    else:
        console.message(f"{len(items)} documents: {summary.line(console.symbols.dot)}")


async def _process(
    args: argparse.Namespace,
    items: list[Item],
    options: ProcessOptions,
    reporter: Reporter,
    summary: Summary,
) -> list[int]:
    async with AsyncLeapOCR(
        args.api_key,
        base_url=args.base_url,
        max_retries=args.max_retries,
        allow_insecure_http=args.allow_insecure_http,
    ) as client:
        if not options.wait:
            return await submit_all(client, items, options, reporter)
        return await process_batch(client, items, options, reporter, summary)


def process_options(args: argparse.Namespace) -> ProcessOptions:
    """The checked options of ``process`` (ValidationError before any request)."""
    schema = load_schema(args.schema) if args.schema else None
    # The processing flags are named like the options: checked once, here, for the client.
    chosen = {name: getattr(args, name) for name in SubmitOptions._fields}
    waiting = {"poll_interval": args.poll_interval, "timeout": args.timeout}
    return ProcessOptions(
        document=compose_options(
            {**chosen, "schema": schema, "pages": args.pages, **waiting}, one_document=False
        ),
        out_dir=Path(args.out) if args.out else None,
        wait=args.wait,
        delete=args.delete,
        concurrency=args.concurrency,
        journal=journal_path(args),
        retry_failed=args.retry_failed,
        max_credits=args.max_credits,
        submit_rate=args.submit_rate,
    )


def journal_path(args: argparse.Namespace) -> Path | None:
    """``--journal PATH``; else, with ``--out DIR``, ``DIR/.leapocr-journal.sqlite``."""
    if args.no_journal or not args.wait:
        return None
    if args.journal:
        return Path(args.journal)
    return Path(args.out) / JOURNAL_FILE_NAME if args.out else None


def make_items(inputs: list[tuple[str, tuple[str, ...]]]) -> list[Item]:
    """The inputs, each with where its result goes and a short label for progress lines."""
    return [
        Item(
            index=index,
            source=source,
            output=output,
            label="(stdin)" if source == STDIN else source,
        )
        for index, (source, output) in enumerate(inputs)
    ]


def result_extension(options: ProcessOptions) -> str:
    """The extension results will have, as far as the options tell (a template: either)."""
    submit = options.document.submit
    if submit.extract_bounding_boxes or submit.output_type is OutputFormat.STRUCTURED:
        return ".json"
    return ".md" if submit.output_type is OutputFormat.MARKDOWN else ".md|.json"


def make_reporter(console: Console, items: list[Item], options: ProcessOptions) -> Reporter:
    to_stdout = options.out_dir is None
    if console.json_mode:
        return JsonReporter(
            console, with_results=to_stdout, many=len(items) > 1, show_job_ids=not options.wait
        )
    return HumanReporter(console, items, show_results=to_stdout, show_job_ids=not options.wait)


# status, result, delete, models


def client(args: argparse.Namespace) -> LeapOCR:
    return LeapOCR(
        args.api_key,
        base_url=args.base_url,
        max_retries=args.max_retries,
        allow_insecure_http=args.allow_insecure_http,
    )


def status(args: argparse.Namespace, console: Console) -> int:
    """A job's status; a deleted job says so, with exit code 4 (its result is gone)."""
    with client(args) as leapocr:
        info = leapocr.get_status(args.job_id)
    if info.deleted_at is not None:  # the service still shows its status before deletion
        if console.records_json:
            console.record(
                "status",
                job_id=info.job_id,
                status="deleted",
                deleted_at=info.deleted_at.isoformat(),
            )
        else:
            when = info.deleted_at.isoformat(sep=" ", timespec="seconds")
            console.output(f"{info.job_id}  deleted  at {when}: its result is gone\n")
        return EXIT_JOB
    if console.records_json:
        console.record(
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
    """A job's status on one line, for a person."""
    text = f"{info.job_id}  {info.status.value}  {info.progress:.0%}"
    if info.total_pages:
        text += f"  ({info.processed_pages or 0}/{info.total_pages} pages)"
    if info.error_message:
        text += f"  error: {info.error_message}"
    return text


def result(args: argparse.Namespace, console: Console) -> int:
    """Fetch a finished job's result (exit code 4 if it is not finished yet)."""
    with client(args) as leapocr:
        job_result = leapocr.get_result(args.job_id)
    return show_result(args, console, job_result)


def wait(args: argparse.Namespace, console: Console) -> int:
    """Wait for a job (progress on stderr), then print or save its result."""
    item = _job_item(args.job_id)
    reporter = _job_reporter(args, console, item)
    try:
        with client(args) as leapocr:
            job_result = leapocr.wait_until_done(
                args.job_id,
                poll_interval=args.poll_interval,
                timeout=args.timeout,
                on_progress=lambda info: reporter.waiting(item, info),
            )
    finally:
        reporter.close()
    return show_result(args, console, job_result, reporter)


def show_result(
    args: argparse.Namespace,
    console: Console,
    job_result: JobResult,
    reporter: Reporter | None = None,
) -> int:
    item = _job_item(args.job_id)
    reporter = reporter or _job_reporter(args, console, item)
    save(item, job_result, Path(args.out) if args.out else None, reporter)
    reporter.close()
    return EXIT_OK


def _job_item(job_id: str) -> Item:
    return Item(index=0, source=job_id, output=(source_stem(job_id),), label=job_id)


def _job_reporter(args: argparse.Namespace, console: Console, item: Item) -> Reporter:
    to_stdout = not args.out
    if console.json_mode:
        return JsonReporter(console, with_results=to_stdout)
    return HumanReporter(console, [item], show_results=to_stdout)


def delete(args: argparse.Namespace, console: Console) -> int:
    with client(args) as leapocr:
        leapocr.delete_job(args.job_id)
    if console.records_json:
        console.record("deleted", job_id=args.job_id)
    else:
        console.message(f"deleted job {args.job_id}")
    return EXIT_OK


def models(args: argparse.Namespace, console: Console) -> int:
    with client(args) as leapocr:
        available = leapocr.list_models()
    if console.records_json:
        for model in available:
            console.record(
                "model",
                name=model.name,
                display_name=model.display_name,
                credits_per_page=model.credits_per_page,
                surcharge_per_page=model.surcharge_per_page,
                description=model.description,
            )
        return EXIT_OK
    rows = [("MODEL", "NAME", "CREDITS/PAGE", "+STRUCTURED", "DESCRIPTION")]
    rows += [
        (m.name, m.display_name, str(m.credits_per_page), f"+{m.surcharge_per_page}", m.description)
        for m in available
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    for name, display, credits, surcharge, description in rows:
        console.output(
            f"{name:<{widths[0]}}  {display:<{widths[1]}}  {credits:>{widths[2]}}  "
            f"{surcharge:>{widths[3]}}  {description}\n"
        )
    return EXIT_OK


# emulator


def emulator(args: argparse.Namespace, console: Console) -> int:
    """Serve the emulator in the foreground until Ctrl-C or SIGTERM."""
    _need_testing_extra("the emulator")
    from ..testing import LeapOCREmulator  # the testing extra is optional

    emu = LeapOCREmulator(
        api_key=args.emulator_api_key,
        host=args.host,
        port=args.port,
        processing_seconds=args.processing_seconds,
        credits=args.credits,
    )
    try:  # SIGTERM raises Interrupted (see main) until serve_forever takes the signals over
        emu.start()
        announce(console, emu.base_url, emu.api_key)
        for url in args.webhook:
            secret = emu.add_webhook(url, secret=args.webhook_secret)
            announce_webhook(console, url, secret)
        emu.serve_forever()  # returns, stopped, on Ctrl-C or SIGTERM
    except KeyboardInterrupt:
        emu.stop()
    if console.records_json:
        console.record("stopped")
    else:
        console.message("emulator stopped")
    return EXIT_OK


def _need_testing_extra(what: str) -> None:
    if importlib.util.find_spec("pypdf") is None:
        raise ConfigurationError(
            f"{what} needs the testing extra: pip install 'leapocr-sdk[testing]'"
        )


def _sigterm_interrupts() -> AbstractContextManager[None]:
    """SIGTERM raises ``KeyboardInterrupt`` in the block (``webhooks listen`` imports it)."""
    return sigterm_interrupts()


def announce(console: Console, base_url: str, api_key: str) -> None:
    env = {"LEAPOCR_BASE_URL": base_url, "LEAPOCR_API_KEY": api_key}
    if console.records_json:
        console.record("listening", base_url=base_url, api_key=api_key, env=env)
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
    if console.records_json:
        console.record("webhook", url=url, secret=secret)
    else:
        console.output(f"Webhooks: job events POSTed to {url}, signed with secret {secret}\n")


def demo(args: argparse.Namespace, console: Console) -> int:
    """``leapocr demo``: the emulator and the bundled sample, from the installed package."""
    _need_testing_extra("the demo")
    from .demo import run_demo

    run_demo()
    return EXIT_OK


def completion(args: argparse.Namespace, console: Console) -> int:
    """Print the completion script for ``args.shell``."""
    from .completion import script

    console.output(script(args.shell))
    return EXIT_OK


COMMANDS = {
    "process": process,
    "status": status,
    "wait": wait,
    "demo": demo,
    "completion": completion,
    "result": result,
    "delete": delete,
    "models": models,
    "estimate": estimate,
    "emulator": emulator,
    "webhooks": webhooks.run,
}
