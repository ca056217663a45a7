"""How long the event loop went without turning: the loop-lag probe.

Every site's downloads, timeouts and stop signals wait on the crawler's one event
loop; anything that holds it (a parse, a long cleaning, a big pickle) stalls them
all. This extension asks the reactor to wake it every TICK seconds and records,
as the stat `newscrawl/loop/max_lag_ms`, the longest it ever waited beyond that.
The benchmark reads the stat.

A loop also goes without turning when the machine gives its thread no CPU (a busy
machine, a container's CPU quota): that says nothing about the crawler. On Linux
the probe also reads, for each of the process's threads, how long it waited for a
CPU while it could run (/proc/self/task/*/schedstat), and records, as
`newscrawl/loop/max_held_ms`, the longest stall less the loop's thread's wait and
the longest other thread's, and never less than the CPU the loop's own thread
used in it: how long the crawler's own work (a parse, a blocking call) held the
loop. The other threads' waits count because
of the GIL: a thread of the pool's (sending a page, receiving a result) that the
machine stops while it holds the interpreter's lock stops the loop's thread too,
which then sleeps on the lock rather than waiting for a CPU. The tests of hostile
pages assert on it: the page worker's promise is that no page, however big, holds
the loop, whatever the machine's load. Elsewhere it is the stall itself.
"""

from __future__ import annotations

import logging
import os
import threading
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
TASKS = Path("/proc/self/task")


class ThreadTimes:
    """Each thread of this process: (nanoseconds on a CPU, nanoseconds waiting for
    one while runnable), from Linux's schedstat; None where the kernel does not say.

    Each thread's file is opened once and read again in place (pread): the probe
    reads them all every TICK, and opening each anew cost 180 us a read with 8
    threads against 21 us (2026-12-02), 0.5 ms of the crawler's CPU a page at 9
    pages a second, more on a slower crawl."""

    def __init__(self) -> None:
        self.files: dict[str, int] = {}  # thread id -> its open schedstat

    def read(self) -> dict[str, tuple[int, int]] | None:
        times = {}
        try:
            tasks = os.listdir(TASKS)  # noqa: PTH208 (names: no Path made a thread a tick)
        except OSError:
            return None
        for tid in tasks:
            try:
                fd = self.files.get(tid)
                if fd is None:
                    fd = self.files[tid] = os.open(TASKS / tid / "schedstat", os.O_RDONLY)
                fields = os.pread(fd, 128, 0).split()
                times[tid] = (int(fields[0]), int(fields[1]))
            except (OSError, ValueError, IndexError):
                # A thread that ended meanwhile: its file is forgotten, so that a new
                # thread given the same id is read from its own next time.
                stale = self.files.pop(tid, None)
                if stale is not None:
                    os.close(stale)
                continue
        for tid in self.files.keys() - set(tasks):  # threads that ended
            os.close(self.files.pop(tid))
        return times or None

    def close(self) -> None:
        for fd in self.files.values():
            os.close(fd)
        self.files.clear()


def thread_times() -> dict[str, tuple[int, int]] | None:
    """Each thread of this process: (nanoseconds on a CPU, nanoseconds waiting for
    one while runnable), read once (see ThreadTimes)."""
    reader = ThreadTimes()
    try:
        return reader.read()
    finally:
        reader.close()


def held_seconds(
    lag: float,
    own: str,
    before: dict[str, tuple[int, int]] | None,
    after: dict[str, tuple[int, int]] | None,
) -> tuple[float, float]:
    """Of a stall of `lag` seconds of the loop's thread `own`: how long the crawler's
    own work held it, and how long a CPU was waited for meanwhile. That wait is the
    loop's thread's own plus the longest of any other thread's (see the module's
    docstring; other threads' waits overlap in time, so they are not added up), each
    at most the interval; the held time is the stall less it, never less than the
    CPU the loop's thread itself used, nor more than the stall."""
    if before is None or after is None or own not in before or own not in after:
        return lag, 0.0
    interval = lag + TICK

    def waited(tid: str) -> float:
        return min(max(after[tid][1] - before[tid][1], 0) / 1e9, interval)

    others = max((waited(tid) for tid in after if tid != own and tid in before), default=0.0)
    wait = waited(own) + others
    ran = (after[own][0] - before[own][0]) / 1e9
    return min(lag, max(ran, lag - wait)), wait


class LoopLag:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.max_lag = 0.0
        self.max_held = 0.0
        self.last = 0.0
        self.last_times: dict[str, tuple[int, int]] | None = None
        self.own = ""
        self.times = ThreadTimes()
        self.ticker: task.LoopingCall | None = None
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LoopLag:
        return cls(crawler)

    def engine_started(self) -> None:
        self.last = time.monotonic()
        self.own = str(threading.get_native_id())  # the reactor's thread: this one
        self.last_times = self.times.read()
        self.ticker = task.LoopingCall(self.tick)
        self.ticker.start(TICK, now=False)

    def tick(self) -> None:
        now, times = time.monotonic(), self.times.read()
        lag = now - self.last - TICK
        # The part of the stall spent waiting for a CPU: not the crawler's.
        held, waited = held_seconds(lag, self.own, self.last_times, times)
        self.last, self.last_times = now, times
        if lag >= REPORTED_LAG:
            logger.info(
                "the event loop stalled %.0f ms (its threads waited %.0f ms for a CPU)",
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
        self.times.close()
        self.stats.set_value(LOOP_MAX_LAG_MS, round(1000 * max(self.max_lag, 0.0)))
        self.stats.set_value(LOOP_MAX_HELD_MS, round(1000 * max(self.max_held, 0.0)))
