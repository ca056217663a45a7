"""How long the event loop went without turning: the loop-lag probe.

Every site's downloads, timeouts and stop signals wait on the crawler's one event
loop; anything that holds it (a parse, a long cleaning, a big pickle) stalls them
all. This extension asks the reactor to wake it every TICK seconds and records,
as the stat `newscrawl/loop/max_lag_ms`, the longest it ever waited beyond that.
The benchmark reads the stat.

A loop also goes without turning when the machine gives its thread no CPU (a busy
machine, a container's CPU quota): that says nothing about the crawler. On Linux
the probe also reads how long the loop's thread waited for a CPU while it could
run (/proc/thread-self/schedstat) and records, as `newscrawl/loop/max_held_ms`,
the longest stall less that wait: how long the crawler's own work (a parse, a
blocking call) held the loop. The tests of hostile pages assert on it: the page
worker's promise is that no page, however big, holds the loop, whatever the
machine's load. Elsewhere it is the stall itself.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from scrapy import signals
from twisted.internet import task

from newscrawl.vocabulary import LOOP_MAX_HELD_MS, LOOP_MAX_LAG_MS

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["LoopLag"]

logger = logging.getLogger(__name__)

# Often enough to see a stall of a tenth of a second; a wake-up costs microseconds.
TICK = 0.05
# A stall this long (seconds) is logged: every site's downloads waited for it.
REPORTED_LAG = 0.5
SCHEDSTAT = Path("/proc/thread-self/schedstat")


def cpu_wait() -> float | None:
    """Seconds the calling thread has waited for a CPU while runnable, in all (Linux
    schedstat's run delay); None where the kernel does not say."""
    try:
        return int(SCHEDSTAT.read_bytes().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


class LoopLag:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.max_lag = 0.0
        self.max_held = 0.0
        self.last = 0.0
        self.last_wait: float | None = None
        self.ticker: task.LoopingCall | None = None
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LoopLag:
        return cls(crawler)

    def engine_started(self) -> None:
        self.last = time.monotonic()
        self.last_wait = cpu_wait()
        self.ticker = task.LoopingCall(self.tick)
        self.ticker.start(TICK, now=False)

    def tick(self) -> None:
        now, wait = time.monotonic(), cpu_wait()
        lag = now - self.last - TICK
        # The part of the stall the thread spent waiting for a CPU: not the crawler's.
        waited = wait - self.last_wait if wait is not None and self.last_wait is not None else 0.0
        held = lag - waited
        self.last, self.last_wait = now, wait
        if lag >= REPORTED_LAG:
            logger.info(
                "the event loop stalled %.0f ms (%.0f ms of it waiting for a CPU)",
                1000 * lag,
                1000 * waited,
            )
        if lag > self.max_lag:
            self.max_lag = lag
            self.stats.set_value(LOOP_MAX_LAG_MS, round(1000 * lag))
        if held > self.max_held:
            self.max_held = held
            self.stats.set_value(LOOP_MAX_HELD_MS, round(1000 * held))

    def spider_closed(self) -> None:
        if self.ticker is not None and self.ticker.running:
            self.tick()  # a stall since the last tick (closing the pipelines) counts too
            self.ticker.stop()
        self.stats.set_value(LOOP_MAX_LAG_MS, round(1000 * max(self.max_lag, 0.0)))
        self.stats.set_value(LOOP_MAX_HELD_MS, round(1000 * max(self.max_held, 0.0)))
