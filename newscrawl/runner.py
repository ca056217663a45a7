"""Run a spider in Scrapy's CrawlerProcess and report what happened.

The `newscrawl` command is a thin front over this: the same spiders, settings
and pipelines that `scrapy crawl` uses, plus a per-URL account of outcomes.
"""

from __future__ import annotations

import gc
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from twisted.python.failure import Failure

from newscrawl.archive import check_archive_dir
from newscrawl.config import ConfigError, NewscrawlConfig
from newscrawl.feeds import local_feed_path, spool_busy
from newscrawl.folders import make_parent
from newscrawl.logformatter import quiet_routine_logs
from newscrawl.replacing import clashing_output, is_stream, not_an_output
from newscrawl.scrapyvalues import check_guards, check_scrapy_values
from newscrawl.storage import ArticleStore
from newscrawl.storelock import StoreLock
from newscrawl.urls import requested_url
from newscrawl.vocabulary import ITEM_ERRORS, START_ERROR, START_FAILED

__all__ = [
    "CrawlReport",
    "OutputError",
    "check_apart",
    "check_before_crawl",
    "check_store",
    "check_writable",
    "load_settings",
    "run_spider",
    "write_stats",
]

logger = logging.getLogger(__name__)

# The crawler's garbage collector, tuned for a long-running process that allocates
# heavily (responses, items, Deferreds) and frees almost everything by reference
# counting: collect the youngest generation every 10,000 allocations instead of
# 700, and leave the objects alive at start-up (modules, Scrapy's machinery) out of
# every collection. In a 2,000-page crawl of the benchmark's site the main
# process spent 1.67 s in collections with Python's defaults and 0.40 s with these.
GC_THRESHOLD = (10_000, 20, 20)
DEFAULT_GC_THRESHOLD = gc.get_threshold()


class OutputError(RuntimeError):
    """An output file cannot be written; raised before any page is fetched."""


@dataclass
class CrawlReport:
    stats: dict[str, Any]
    articles: dict[str, str] = field(default_factory=dict)  # requested URL -> canonical URL
    failures: dict[str, str] = field(default_factory=dict)  # requested URL -> reason
    # Why NEWSCRAWL_STATS_FILE could not be written at the end (None: it was, or none).
    stats_error: str | None = None

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "unknown"))

    def counts(self, prefix: str) -> dict[str, int]:
        """Stats under `prefix` (e.g. "newscrawl/dropped/"), keyed by the rest of the name."""
        return {
            key[len(prefix) :]: int(value)
            for key, value in sorted(self.stats.items())
            if key.startswith(prefix) and isinstance(value, int) and not isinstance(value, bool)
        }


def load_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """newscrawl's settings module, then `overrides` at command-line priority."""
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    for name, value in dict(overrides or {}).items():
        try:
            settings.set(name, value, priority="cmdline")
        except (ValueError, TypeError):  # a dict setting's JSON, for one
            raise ConfigError(f"setting {name}: {value!r} is not a dict (JSON object)") from None
    return settings


def check_writable(path: Path) -> None:
    """Fail early, with the path in the message, if `path` cannot be appended to."""
    try:
        make_parent(path)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def check_creatable(path: Path) -> None:
    """Fail early, with the path in the message, if `path` could not be written at
    the end of the run; without creating it: a run killed before then leaves no
    empty file where a reader expects JSON."""
    if path.exists():
        check_writable(path)
        return
    try:
        make_parent(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: permission denied")


def run_spider(spider_name: str, spider_args: Mapping[str, Any], settings: Settings) -> CrawlReport:
    """Crawl with `spider_name` given `spider_args`; blocks until the crawl ends.

    The store is the crawl's own business (newscrawl/runstore.py: opened, locked
    and migrated before the first request); a store that cannot be opened ends
    the crawl at once with finish reason STORE_UNAVAILABLE."""
    config = check_before_crawl(settings)
    report = _crawl(spider_name, spider_args, settings)
    if config.stats_file is not None:
        write_stats(config.stats_file, report)
    return report


def check_before_crawl(settings: Settings) -> NewscrawlConfig:
    """The crawl's configuration, once every check that can fail before Scrapy
    starts has passed: ConfigError (a setting), StorageError (the store),
    ArchiveError, OutputError (an output that cannot be written), each one line.
    `newscrawl crawl` and `scrapy crawl` both make them."""
    config = NewscrawlConfig.from_settings(settings)  # ConfigError before anything starts
    outputs = [("NEWSCRAWL_STATS_FILE", config.stats_file)]
    outputs += [(f"the feed {uri}", local_feed_path(str(uri))) for uri in settings.getdict("FEEDS")]
    # Before check_store, which may leave an empty file and its lock where the
    # folder would go.
    outputs.append(("the archive folder", config.archive_dir))
    check_apart(config.database, outputs)
    check_scrapy_values(settings)  # Scrapy's own settings too
    check_guards(settings, config.address_guard)
    if config.database is not None:
        check_store(config.database)
    if config.archive_dir is not None:
        check_archive_dir(config.archive_dir)  # ArchiveError, one line, before Scrapy starts
    if config.stats_file is not None:
        check_creatable(config.stats_file)  # not an error line after the crawl, exit 0
    for uri, options in settings.getdict("FEEDS").items():
        # A local file, as a path or a file: URI (file:///sys/x.jsonl lost every
        # record, with exit code 0), or a folder (its records too, each with a
        # traceback); not a device or a pipe, which opening could block on.
        path = local_feed_path(str(uri))  # None for stdout: and other schemes
        if path is not None and not is_stream(path):
            check_writable(path)
            options = options or {}
            appending = not options.get("overwrite") and options.get("format") in (
                "jsonlines",
                "jl",
            )
            unfit = not_an_output(path, appending)
            if unfit is not None:
                raise OutputError(unfit)
            if spool_busy(path, fresh=bool(options.get("overwrite"))):
                raise OutputError(f"another newscrawl run is writing {path}")
    return config


def check_apart(database: Path | str | None, outputs: list[tuple[str, Path | None]]) -> None:
    """OutputError if an output of the run would be written over the store or
    over another output (see replacing.clashing_output)."""
    clash = clashing_output(database, outputs)
    if clash is not None:
        raise OutputError(clash)


def check_store(database: Path | str) -> None:
    """StorageError, one line, before Scrapy starts (and logs), for a store the
    crawl could not open: not a database, a newer schema, unreachable, or a
    SQLite file another run holds. Nothing is opened for writing or kept: the
    crawl's store (newscrawl/runstore.py) takes the lock and opens it itself."""
    ArticleStore.check(database)
    if isinstance(database, Path):
        lock = StoreLock(database)
        lock.acquire()
        lock.release()


def _crawl(spider_name: str, spider_args: Mapping[str, Any], settings: Settings) -> CrawlReport:
    quiet_routine_logs(str(settings.get("LOG_LEVEL", "INFO")))
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider_name)
    report = CrawlReport(stats={})

    def scraped(item: Any, response: Any, spider: Any) -> None:
        report.articles[requested_url(response)] = item.canonical_url

    def dropped(item: Any, response: Any, exception: BaseException, spider: Any) -> None:
        report.failures[requested_url(response)] = getattr(exception, "reason", str(exception))

    def item_failed(item: Any, response: Any, failure: Failure, spider: Any) -> None:
        # Not DropItem (a reason counted where it is raised): an error no pipeline
        # meant, its article lost for this run. Scrapy has logged it.
        if crawler.stats is not None:
            crawler.stats.inc_value(ITEM_ERRORS)
        error = failure.value
        reason = _one_line(error) if isinstance(error, BaseException) else "unknown error"
        report.failures[requested_url(response)] = f"item_error: {reason}"

    start_error: list[str] = []

    def start_failed(failure: Failure) -> None:
        # Crawler.crawl raises only while the crawler and its engine start; once
        # the engine runs, errors are logged and counted. Handled here, the error
        # is one line at the end (cli/crawling.py) instead of Twisted's
        # "Unhandled error in Deferred" tracebacks; -L DEBUG keeps the traceback.
        error = failure.value
        assert error is not None  # a Failure always holds its exception
        start_error.append(_start_error(error))
        logger.debug("the crawl could not start", exc_info=error)

    crawler.signals.connect(scraped, signal=signals.item_scraped)
    crawler.signals.connect(dropped, signal=signals.item_dropped)
    crawler.signals.connect(item_failed, signal=signals.item_error)
    process.crawl(crawler, **spider_args).addErrback(start_failed)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        process.start()
    finally:
        gc.set_threshold(*DEFAULT_GC_THRESHOLD)
        gc.unfreeze()
    report.stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    if start_error:
        # Whatever Scrapy made of it ("shutdown" when the engine was closed, no
        # reason when it was never made), it was no stop: the crawl never ran.
        report.stats["finish_reason"] = START_FAILED
        report.stats[START_ERROR] = start_error[0]
    for url, reason in getattr(crawler.spider, "fetch_failures", {}).items():
        report.failures.setdefault(url, reason)
    return report


def _start_error(exc: BaseException) -> str:
    """Why the crawl could not start, in one line. Scrapy cleans up after a failed
    start, and the clean-up can raise too ("Engine slot not assigned" after a
    SCHEDULER_PRIORITY_QUEUE that does not import): the first error comes first."""
    first = exc
    while first.__context__ is not None and not first.__suppress_context__:
        first = first.__context__
    if first is exc:
        return _one_line(exc)
    return f"{_one_line(first)} (then {_one_line(exc)})"


def _one_line(exc: BaseException) -> str:
    """An exception as one line: its class (the message alone can be a bare name,
    as a KeyError's is) and its message, line breaks folded."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def write_stats(path: Path, report: CrawlReport) -> None:
    """The crawl's stats and per-URL failures as one JSON object, for monitoring.
    A file that cannot be written is `report.stats_error` (the exit code says it:
    a file on /proc passed the check before the crawl, and the run exited 0)."""
    record = {"stats": report.stats, "failures": report.failures}
    try:
        path.write_text(json.dumps(record, default=str, sort_keys=True, indent=1), "utf-8")
    except OSError as exc:
        report.stats_error = f"cannot write the stats to {path}: {exc.strerror or exc}"
