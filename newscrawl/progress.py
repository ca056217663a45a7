"""A progress line for long crawls on a terminal, updated in place.

Enabled by NEWSCRAWL_PROGRESS (the `newscrawl` command turns it on when stderr is
a terminal); elsewhere Scrapy's periodic log lines (LogStats) say the same.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import IO, TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from newscrawl.config import NewscrawlConfig
from newscrawl.runlog import run_totals, site_counts
from newscrawl.vocabulary import ARTICLES, FETCHED, STORED, UNCHANGED

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["ProgressLine", "progress_text"]


def progress_text(
    stats: dict[str, Any], elapsed: float, width: int = 100, store: bool = False
) -> str:
    """One line, in the run record's counts: pages fetched, articles (with a
    `store`, those committed to it; else those kept), the rate, and the busiest
    sites by pages fetched."""
    totals = run_totals(stats)
    pages = totals.get(FETCHED, 0)
    if store or STORED in totals or UNCHANGED in totals:
        kept = f"stored {totals.get(STORED, 0)}"
    else:
        kept = f"articles {int(stats.get(ARTICLES, 0))}"
    rate = pages / elapsed * 60 if elapsed > 0 else 0.0
    per_site = {site: c[FETCHED] for site, c in site_counts(stats).items() if FETCHED in c}
    busiest = sorted(per_site.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    sites = ", ".join(f"{site} {count}" for site, count in busiest)
    line = f"pages fetched {pages} | {kept} | {rate:.0f} pages/min | {sites}".rstrip(" |")
    return line[:width]


class ProgressLine:
    def __init__(self, crawler: Crawler, stream: IO[str] = sys.stderr) -> None:
        config = NewscrawlConfig.of(crawler)
        if not config.progress:
            raise NotConfigured  # off: nothing to log, it is the default
        self.store = config.database is not None
        self.crawler = crawler
        self.stream = stream
        self.started = time.monotonic()
        self.drawn = False  # the line is on the screen
        self.loop = task.LoopingCall(self.show)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLine:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.loop.start(1.0, now=False)
        # A log line must not be glued to the progress line: clear it first, and
        # draw it again at the next tick. (Scrapy's handler is in place by now.)
        for handler in logging.getLogger().handlers:
            handler.addFilter(self._clear_for_log)

    def _clear_for_log(self, record: logging.LogRecord) -> bool:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn = False
        return True

    def show(self) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        text = progress_text(stats, time.monotonic() - self.started, store=self.store)
        self.stream.write("\r\033[K" + text)
        self.stream.flush()
        self.drawn = True

    def spider_closed(self, spider: Any) -> None:
        for handler in logging.getLogger().handlers:
            handler.removeFilter(self._clear_for_log)
        if self.loop.running:
            self.loop.stop()
            self.stream.write("\r\033[K")
            self.stream.flush()
