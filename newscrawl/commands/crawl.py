"""`scrapy crawl`, checking newscrawl's spider arguments and settings before starting.

Scrapy builds the spider inside its event loop, where a bad argument ends as a
traceback; checked here, it is a usage error: one message and exit code 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawl.config import ConfigError, NewscrawlConfig
from newscrawl.sites import SitesFileError, load_sites
from newscrawl.urls import InvalidURLError, parse_url_list

__all__ = ["Command"]

NEWSCRAWL_SPIDERS = {"news", "article"}


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and args[0] in NEWSCRAWL_SPIDERS:
            spider_args = opts.spargs
            try:
                if args[0] == "news" and spider_args.get("sites"):
                    load_sites(Path(spider_args["sites"]))
                elif args[0] == "news" and not spider_args.get("urls"):
                    for name in ("sitemaps", "feeds"):
                        if spider_args.get(name):
                            parse_url_list(spider_args[name])
                    if not (spider_args.get("sitemaps") or spider_args.get("feeds")):
                        raise InvalidURLError(
                            "give -a urls=..., sitemaps=..., feeds=... or sites=FILE"
                        )
                else:
                    parse_url_list(spider_args.get("urls", ""))
            except SitesFileError as exc:
                raise UsageError(f"-a sites: {exc}", print_help=False) from None
            except InvalidURLError as exc:
                raise UsageError(f"-a urls=URL[,URL...]: {exc}", print_help=False) from None
            try:
                assert self.settings is not None
                NewscrawlConfig.from_settings(self.settings)
            except ConfigError as exc:
                raise UsageError(str(exc), print_help=False) from None
        super().run(args, opts)
