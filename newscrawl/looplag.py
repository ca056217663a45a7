"""How long the event loop went without turning: the loop-lag probe.

Every site's downloads, timeouts and stop signals wait on the crawler's one event
loop; anything that holds it (a parse, a long cleaning, a big pickle) stalls them
all. This extension asks the reactor to wake it every TICK seconds and records,
as the stat `newscrawl/loop/max_lag_ms`, the longest it ever waited beyond that.
The benchmark reads the stat, and the tests of hostile pages assert on it: the
page worker's promise is that no page, however big, holds the loop.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from scrapy import signals
from twisted.internet import task

from newscrawl.vocabulary import LOOP_MAX_LAG_MS

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["LoopLag"]

logger = logging.getLogger(__name__)

# Often enough to see a stall of a tenth of a second; a wake-up costs microseconds.
TICK = 0.05
# A stall this long (seconds) is logged: every site's downloads waited for it.
REPORTED_LAG = 0.5


class LoopLag:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.max_lag = 0.0
        self.last = 0.0
        self.ticker: task.LoopingCall | None = None
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LoopLag:
        return cls(crawler)

    def engine_started(self) -> None:
        self.last = time.monotonic()
        self.ticker = task.LoopingCall(self.tick)
        self.ticker.start(TICK, now=False)

    def tick(self) -> None:
        now = time.monotonic()
        lag = now - self.last - TICK
        self.last = now
        if lag >= REPORTED_LAG:
            logger.info("the event loop stalled %.0f ms", 1000 * lag)
        if lag > self.max_lag:
            self.max_lag = lag
            self.stats.set_value(LOOP_MAX_LAG_MS, round(1000 * lag))

    def spider_closed(self) -> None:
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        self.stats.set_value(LOOP_MAX_LAG_MS, round(1000 * max(self.max_lag, 0.0)))
