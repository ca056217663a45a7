"""`scrapy crawl`, checking newscrawl's spider arguments and settings before starting.

Scrapy builds the spider inside its event loop, where a bad argument ends as a
traceback; checked here, with the check `newscrawl crawl` makes, it is a usage
error: one message and exit code 2.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawl.config import ConfigError, NewscrawlConfig
from newscrawl.spiders.arguments import SpiderArgumentError, check_spider_arguments

__all__ = ["Command"]


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1:
            try:
                check_spider_arguments(args[0], opts.spargs)
                assert self.settings is not None
                NewscrawlConfig.from_settings(self.settings)
            except (SpiderArgumentError, ConfigError) as exc:
                raise UsageError(str(exc), print_help=False) from None
        super().run(args, opts)
