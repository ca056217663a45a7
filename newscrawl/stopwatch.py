"""A stop that takes too long is made short: the stop watchdog.

On Ctrl-C or SIGTERM (or SIGHUP, as SIGTERM), Scrapy stops gracefully: it waits for the downloads in
flight (up to DOWNLOAD_TIMEOUT) and for the pages being processed, extraction
included. That is bounded, but the bound depends on several settings, and a
service manager (systemd waits 90 s) wants one number. After the first stop
signal this extension starts a timer of NEWSCRAWL_STOP_TIMEOUT seconds (60);
if the crawl has not closed by then, it logs why and ends the process at once.
A second signal does not abandon the stop (Scrapy's own answer to it, which
leaves the last batch uncommitted and exits 0): it shortens what is left of
the timer to SECOND_SIGNAL_SECONDS.
Nothing is lost that was acknowledged: SQLite keeps every committed article (and
the URLs of the others stay pending, so the next run fetches them), and a torn
last JSON Lines record is cut by the next run.

A stop signal that comes while the spider already closes (its pages all done,
or a component's stop) has nothing left to stop: the close goes on, the timer
bounding it, and the run ends as it was ending. Passed to Scrapy, it stopped the
reactor halfway through the close (Scrapy's second close of the spider returns
as soon as the first has begun), and the run record, the finish reason and
perhaps the JSON Lines records were lost.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro
from twisted.python.threadable import isInIOThread

from newscrawl.config import NewscrawlConfig

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = [
    "EXIT_FORCED",
    "NoRetryWhileStopping",
    "StopWatchdog",
    "crawl_stopping",
    "spider_closing",
    "stop_crawl",
]

logger = logging.getLogger(__name__)

EXIT_FORCED = 3  # the exit status of a stop that the watchdog cut short
# After a second stop signal, the graceful stop has at most this long (seconds).
SECOND_SIGNAL_SECONDS = 5.0
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_crawl(crawler: Crawler, reason: str) -> None:
    """Close the crawl gracefully with finish reason `reason` (from any component,
    on any thread: the pipelines' end-of-run work runs on one, and closing the
    engine there raised "There is no current event loop in thread")."""
    if not isInIOThread():  # type: ignore[no-untyped-call]
        from twisted.internet import reactor

        reactor.callFromThread(stop_crawl, crawler, reason)
        return
    engine = crawler.engine
    if engine is None:
        return
    if hasattr(engine, "close_spider_async"):  # Scrapy 2.14+
        deferred_from_coro(engine.close_spider_async(reason=reason))
    elif crawler.spider is not None:
        engine.close_spider(crawler.spider, reason)


def _as_sigterm(number: int, frame: Any) -> None:
    """SIGHUP's handler: whatever SIGTERM's is now (the first stop, or the second)."""
    handler = signal.getsignal(signal.SIGTERM)
    if callable(handler):
        handler(number, frame)


class StopWatchdog:
    def __init__(self, crawler: Crawler) -> None:
        # 0: no limit; the extension still keeps a stop signal off a closing crawl.
        self.seconds = NewscrawlConfig.of(crawler).stop_timeout
        self.signalled = False  # a stop signal came
        self.timer: threading.Timer | None = None
        self.deadline = 0.0
        self.within = ""  # what the timer bounds, for its message
        self.crawler = crawler
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        # Not at spider_closed: the run's record is written by a spider_closed
        # handler (newscrawl/runstore.py), which the timer must bound too.
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopWatchdog:
        return cls(crawler)

    def engine_started(self) -> None:
        # Wrap whatever handles the stop signals now (Scrapy's graceful stop);
        # outside the main thread (a test's in-process crawl) there is nothing to wrap.
        if threading.current_thread() is not threading.main_thread():
            return
        self._wrap_handlers()

    def _wrap_handlers(self) -> None:
        for number in _STOP_SIGNALS:
            previous = signal.getsignal(number)
            if callable(previous) and not getattr(previous, "newscrawl_watchdog", False):
                signal.signal(number, self._wrap(previous))
        # A hangup (the terminal or SSH session of a crawl closed) killed the
        # crawl like SIGKILL, its run record left open: it stops it as SIGTERM
        # does. Not where it is ignored (`nohup`): that was asked for.
        if signal.getsignal(signal.SIGHUP) == signal.SIG_DFL:
            signal.signal(signal.SIGHUP, _as_sigterm)

    def _wrap(self, previous: Any) -> Any:
        def on_stop_signal(number: int, frame: Any) -> None:
            if not self.signalled:
                self.signalled = True
                if self.seconds > 0:
                    self._start_timer(self.seconds)
                if spider_closing(self.crawler):
                    # Scrapy's stop would end the reactor before the close
                    # ends: it only goes on, within the timer. (No logging in a
                    # signal handler: the stream may be half-written.)
                    from twisted.internet import reactor

                    reactor.callFromThread(_log_stop_while_closing, number)
                    return
                previous(number, frame)  # Scrapy's graceful stop
                # Scrapy has put its "kill at once" handler in place for the next
                # signal: ours goes back in front of it.
                self._wrap_handlers()
                return
            # A second signal: Scrapy would stop the reactor at once, leaving the
            # store's last batch uncommitted and the run record open, and exit 0
            # (or 130 with the record lost, in the middle of the close). Instead
            # the graceful stop goes on, with at most SECOND_SIGNAL_SECONDS left
            # before the watchdog ends the process (exit 3); so too without a
            # first limit (NEWSCRAWL_STOP_TIMEOUT=0).
            left = self.deadline - time.monotonic() if self.timer is not None else float("inf")
            if left > SECOND_SIGNAL_SECONDS:
                logger.warning(
                    "a second stop signal: exiting in at most %g s", SECOND_SIGNAL_SECONDS
                )
                if self.timer is not None:
                    self.timer.cancel()
                self._start_timer(
                    SECOND_SIGNAL_SECONDS, f"{SECOND_SIGNAL_SECONDS:g} s of a second stop signal"
                )

        on_stop_signal.newscrawl_watchdog = True  # type: ignore[attr-defined]
        return on_stop_signal

    def _start_timer(self, seconds: float, within: str | None = None) -> None:
        """Exit (EXIT_FORCED) in `seconds`, saying the crawl did not stop `within`
        them (by default, NEWSCRAWL_STOP_TIMEOUT)."""
        self.within = within or f"NEWSCRAWL_STOP_TIMEOUT ({seconds:g} s)"
        self.deadline = time.monotonic() + seconds
        self.timer = threading.Timer(seconds, self._expired)
        self.timer.daemon = True
        self.timer.start()

    def _expired(self) -> None:
        # A thread, not the event loop: this must work when the loop is stuck.
        message = (
            f"newscrawl: error: the crawl did not stop within {self.within}: exiting now;"
            " uncommitted articles are fetched again next run\n"
        )
        try:
            sys.stderr.write(message)
            sys.stderr.flush()
        finally:
            os._exit(EXIT_FORCED)

    def engine_stopped(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


def _log_stop_while_closing(number: int) -> None:
    logger.info(
        "Received %s while the crawl closes: the close goes on (the output, the run record)",
        signal.Signals(number).name,
    )


def spider_closing(crawler: Crawler) -> bool:
    """Whether the spider's close has begun and not ended (Scrapy's slot holds its
    `closing` from the start of the close until the spider is closed)."""
    engine = crawler.engine
    slot = getattr(engine, "_slot", None) if engine is not None else None
    return getattr(slot, "closing", None) is not None


class NoRetryWhileStopping:
    """A downloader middleware: once the crawl is stopping, a failed download is
    not retried. Requests the scheduler holds are dropped by a stop, but one that
    a component awaits itself (robots.txt, fetched with engine.download) was
    retried in place: a host that accepts and never answers held a SIGTERM stop
    for three times DOWNLOAD_TIMEOUT, past NEWSCRAWL_STOP_TIMEOUT (exit 3). Placed
    after Scrapy's RetryMiddleware (550), so that it sees the answer first."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NoRetryWhileStopping:
        return cls(crawler)

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        if crawl_stopping(self.crawler):
            request.meta["dont_retry"] = True
        return response

    def process_exception(self, request: Any, exception: Any, spider: Any = None) -> None:
        if crawl_stopping(self.crawler):
            request.meta["dont_retry"] = True


def crawl_stopping(crawler: Crawler) -> bool:
    """Whether the crawl is stopping: a stop signal, or a component's stop_crawl."""
    engine = crawler.engine
    if engine is None:
        return False
    return not engine.running or spider_closing(crawler)
