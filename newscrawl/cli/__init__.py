"""The `newscrawl` command: a thin front over the same crawler `scrapy crawl` runs.

Each module registers its commands: crawling.py (crawl, scrape, demo),
offline.py (extract, eval), records.py (reclean, state, stats), collection.py
(search, export, reextract), cluster.py (writer, stats --cluster); common.py
holds what they share. Expected errors (a
malformed URL, a missing file, an unwritable output, a bad setting) end with one
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from newscrawl import __version__
from newscrawl.cli import cluster, collection, crawling, offline, records
from newscrawl.cli.common import (
    EXIT_EXTRACTION,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    StdoutError,
    discard_stdout,
    flush_stdout,
    guarded_stdout,
    ignore_late_stops,
    stderr_on_devnull_if_closed,
)
from newscrawl.workers import WorkersFailed

__all__ = ["build_parser", "command", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newscrawl",
        description="Crawl news sites, extract clean article text, store it as JSON Lines or SQLite.",
    )
    parser.add_argument("--version", action="version", version=f"newscrawl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    crawling.add_parsers(commands)
    offline.add_parsers(commands)
    records.add_parsers(commands)
    collection.add_parsers(commands)
    cluster.add_parsers(commands)
    return parser


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command in this process; its exit code. The process's handlers of
    the stop signals are left as they were found (a crawl sets its own)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    handlers = {number: signal.getsignal(number) for number in _STOP_SIGNALS}
    try:
        return _run(build_parser().parse_args(argv))
    finally:
        if in_main_thread:  # (a thread can neither set nor have changed them)
            for number, handler in handlers.items():
                if handler is not None:  # None: set outside Python, left alone
                    signal.signal(number, handler)


def command() -> NoReturn:
    """The `newscrawl` command: a command, then the process's exit, whose code a
    stop signal can no longer change (see ignore_late_stops)."""
    stderr_on_devnull_if_closed()
    try:
        code = _run(build_parser().parse_args())
    finally:
        ignore_late_stops()
    sys.exit(code)


def _run(args: argparse.Namespace) -> int:
    try:
        with guarded_stdout():
            code: int = args.handler(args)
            flush_stdout()
        return code
    except StdoutError as exc:  # a full device: one line, as for an output named with -o
        discard_stdout()
        print(f"newscrawl: error: cannot write standard output: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    except CommandError as exc:
        print(f"newscrawl: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except WorkersFailed as exc:  # extract, reextract, eval: what was done is kept
        print(f"newscrawl: error: {exc}", file=sys.stderr)
        return EXIT_EXTRACTION
    except KeyboardInterrupt:
        print("newscrawl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `newscrawl extract ... | head`: the reader left; that is not an error.
        sys.stderr.close()
        return EXIT_OK


if __name__ == "__main__":
    command()
