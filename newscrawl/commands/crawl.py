"""`scrapy crawl`, with the checks and the exit code of `newscrawl crawl`.

Scrapy builds the spider inside its event loop, where a bad argument ends as a
traceback; checked here, with the check `newscrawl crawl` makes, it is a usage
error: one message and exit code 2. So are a store, an archive folder or an
output file that cannot be used (Scrapy opens a feed's file at the first item:
a folder in its place cost a traceback for every item, and exit code 0). And a
crawl that stops on a failure (its store, its output, its workers) exits with
the code `newscrawl crawl` gives it, its reason as the last line, not 0; one
that lost work (a site unreachable, refusing every request, or cut off by its
circuit breaker; the page budget with pages left) or fetched nothing exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from newscrawl.archive import ArchiveError
from newscrawl.config import ConfigError
from newscrawl.runner import (
    CrawlReport,
    OutputError,
    check_before_crawl,
    start_error_line,
    write_stats,
)
from newscrawl.spiders.arguments import SpiderArgumentError, check_spider_arguments
from newscrawl.storage import StorageError

__all__ = ["Command"]


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage error
            return
        assert self.settings is not None and self.crawler_process is not None
        try:
            check_spider_arguments(args[0], opts.spargs)
            config = check_before_crawl(self.settings)
        except (SpiderArgumentError, ConfigError, OutputError, StorageError, ArchiveError) as exc:
            raise UsageError(str(exc), print_help=False) from None
        crawler = self._create_crawler(args[0])
        start_error: list[str] = []

        def start_failed(failure: Failure) -> None:
            # As newscrawl crawl says it (runner._crawl): one line, exit 2, not
            # Twisted's "Unhandled error in Deferred" tracebacks.
            assert failure.value is not None
            start_error.append(start_error_line(failure.value))

        def task_done(task: asyncio.Future[Any]) -> None:
            if not task.cancelled() and (error := task.exception()) is not None:
                start_error.append(start_error_line(error))

        # A Deferred, or with Scrapy's asyncio crawler process, a Task.
        started: Any = self.crawler_process.crawl(crawler, **opts.spargs)
        if isinstance(started, Deferred):
            started.addErrback(start_failed)
        else:
            started.add_done_callback(task_done)
        self.crawler_process.start()
        if start_error:
            print(f"scrapy: error: the crawl could not start: {start_error[0]}", file=sys.stderr)
            self.exitcode = 2
            return
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        # The table of codes in the README.
        from newscrawl.cli.crawling import budget_cut, crawl_outcome, losses

        report = CrawlReport(stats=dict(crawler.stats.get_stats()) if crawler.stats else {})
        if config.stats_file is not None:
            write_stats(config.stats_file, report)
        self.exitcode, error = crawl_outcome(report, cluster=config.cluster_url is not None)
        for problem in losses(report):
            print(f"scrapy: warning: {problem}", file=sys.stderr)
        if budget_cut(report):
            print("scrapy: warning: the page budget stopped the crawl with pages left",
                  file=sys.stderr)  # fmt: skip
        if error:
            print(f"scrapy: error: {error}", file=sys.stderr)
