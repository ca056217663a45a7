"""A progress line for long crawls on a terminal, updated in place.

Enabled by NEWSCRAWL_PROGRESS (the `newscrawl` command turns it on when stderr is
a terminal); elsewhere Scrapy's periodic log lines (LogStats) say the same.
"""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from newscrawl.config import NewscrawlConfig
from newscrawl.runlog import site_counts
from newscrawl.vocabulary import ARTICLES

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["ProgressLine", "progress_text"]


def progress_text(stats: dict[str, Any], elapsed: float, width: int = 100) -> str:
    """One line: pages fetched, articles stored, rate, and the busiest sites."""
    pages = int(stats.get("response_received_count", 0))
    stored = int(stats.get(ARTICLES, 0))
    rate = pages / elapsed * 60 if elapsed > 0 else 0.0
    per_site = {
        site: c["pages_fetched"] for site, c in site_counts(stats).items() if "pages_fetched" in c
    }
    busiest = sorted(per_site.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    sites = "  ".join(f"{site} {count}" for site, count in busiest)
    line = f"fetched {pages}  stored {stored}  {rate:.0f} pages/min  {sites}".rstrip()
    return line[:width]


class ProgressLine:
    def __init__(self, crawler: Crawler, stream: IO[str] = sys.stderr) -> None:
        if not NewscrawlConfig.of(crawler).progress:
            raise NotConfigured  # off: nothing to log, it is the default
        self.crawler = crawler
        self.stream = stream
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.show)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLine:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.loop.start(1.0, now=False)

    def show(self) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        text = progress_text(stats, time.monotonic() - self.started)
        self.stream.write("\r\033[K" + text)
        self.stream.flush()

    def spider_closed(self, spider: Any) -> None:
        if self.loop.running:
            self.loop.stop()
            self.stream.write("\r\033[K")
            self.stream.flush()
