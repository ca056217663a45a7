"""`scrapy crawl`, run as `newscrawl crawl` runs a crawl (runner.run_spider).

Scrapy builds the spider inside its event loop, where a bad argument ends as a
traceback; checked here, with the check `newscrawl crawl` makes, it is a usage
error: one message and exit code 2. So are a store, an archive folder or an
output file that cannot be used (Scrapy opens a feed's file at the first item:
a folder in its place cost a traceback for every item, and exit code 0), and a
crawl that cannot start. A crawl that stops on a failure (its store, its output,
its workers) exits with the code `newscrawl crawl` gives it, its reason as the
last line, not 0; one that lost work (a site unreachable, refusing every
request, or cut off by its circuit breaker; the page budget with pages left) or
fetched nothing exits 1.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawl.archive import ArchiveError
from newscrawl.cli.common import ignore_late_stops
from newscrawl.config import ConfigError, NewscrawlConfig
from newscrawl.runner import OutputError, run_spider
from newscrawl.spiders.arguments import SpiderArgumentError, check_spider_arguments
from newscrawl.storage import StorageError

__all__ = ["Command"]


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's own usage error
            return
        assert self.settings is not None
        try:
            check_spider_arguments(args[0], opts.spargs)
            report = run_spider(args[0], opts.spargs, self.settings)
        except (SpiderArgumentError, ConfigError, OutputError, StorageError, ArchiveError) as exc:
            raise UsageError(str(exc), print_help=False) from None
        # The table of codes in the README.
        from newscrawl.cli.crawling import budget_cut, crawl_outcome, losses

        cluster = NewscrawlConfig.from_settings(self.settings).cluster_url is not None
        self.exitcode, error = crawl_outcome(report, cluster=cluster)
        for problem in losses(report):
            print(f"scrapy: warning: {problem}", file=sys.stderr)
        if budget_cut(report):
            print("scrapy: warning: the page budget stopped the crawl with pages left",
                  file=sys.stderr)  # fmt: skip
        if error:
            print(f"scrapy: error: {error}", file=sys.stderr)
        # Scrapy exits with self.exitcode: a stop signal cannot change it now.
        ignore_late_stops()
