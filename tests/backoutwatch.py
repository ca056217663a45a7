"""A test's extension that watches the page workers' share per site
(newscrawl/workershare.py):

- how often, while a heavy site's pages waited for their turn, Scrapy held back
  every download because the responses its callbacks hold passed its bound
  (SCRAPER_SLOT_MAX_ACTIVE_SIZE);
- per site, by how many its pages in the pool rose, at most, above what they
  were (one at least) once a page of another site had been read (`alone_rise`).
  A heavy site held to one page beside any site read once (as if that site
  were crawled to the end) never rises: from then on its pages in the pool only
  fall, or go from none to one.

It looks every SAMPLE_SECONDS and writes what it saw, as JSON, to the file the
setting BACKOUT_WATCH_FILE names when the spider closes. It only reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

from newscrawl.pagereader import PageReader

SAMPLE_SECONDS = 0.05


class BackoutWatch:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = Path(crawler.settings["BACKOUT_WATCH_FILE"])
        self.counts = {"samples": 0, "waiting": 0, "backed_out_while_waiting": 0}
        self.alone_from: dict[str, int] = {}  # see the module's docstring
        self.alone_rise: dict[str, int] = {}
        self.loop = task.LoopingCall(self._look)
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoutWatch:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.loop.start(SAMPLE_SECONDS, now=False)

    def _look(self) -> None:
        share = PageReader.of(self.crawler).share
        slot = getattr(getattr(self.crawler.engine, "scraper", None), "slot", None)
        if slot is None:
            return
        self.counts["samples"] += 1
        if sum(share.reading.values()) > sum(share.in_pool.values()):  # pages wait their turn
            self.counts["waiting"] += 1
            if slot.needs_backout():
                self.counts["backed_out_while_waiting"] += 1
        for site in share.in_pool | share.reading:
            if site in self.alone_from:
                rise = share.in_pool[site] - self.alone_from[site]
                self.alone_rise[site] = max(self.alone_rise.get(site, 0), rise)
            elif any(other != site for other in share.cost):
                self.alone_from[site] = max(1, share.in_pool[site])

    def spider_closed(self, spider: Any) -> None:
        if self.loop.running:
            self.loop.stop()
        self.path.write_text(json.dumps({**self.counts, "alone_rise": self.alone_rise}), "utf-8")
