"""Quieter logs for what is routine: dropped items, unreachable sites.

Scrapy's default logs a dropped item's repr at WARNING; for a page that is its
whole HTML, and a page that is not an article is routine, not a warning. A site
that refuses connections or times out is logged with a traceback by Scrapy's
robots.txt middleware; here it is one line.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult

__all__ = [
    "NetworkErrorTracebacks",
    "NewscrawlLogFormatter",
    "QuietNetworkErrors",
    "RetriesGivenUp",
    "RoutineLogs",
    "quiet_routine_logs",
]


class NewscrawlLogFormatter(LogFormatter):
    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "Dropped: %(exception)s",
            "args": {"exception": exception},
        }


def _network_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "the site could not be reached": expected, not bugs."""
    from scrapy import exceptions
    from twisted.internet import error
    from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

    names = ("CannotResolveHostError", "DownloadConnectionRefusedError", "DownloadFailedError",
             "DownloadTimeoutError", "ResponseDataLossError", "DownloadCancelledError")  # fmt: skip
    scrapy_errors = tuple(getattr(exceptions, name) for name in names if hasattr(exceptions, name))
    return (
        *scrapy_errors,
        error.ConnectError,
        error.ConnectionLost,
        error.TimeoutError,
        error.DNSLookupError,
        ResponseFailed,
        ResponseNeverReceived,
    )


class NetworkErrorTracebacks(logging.Filter):
    """Logs a failed download as one line: its traceback says nothing to a user."""

    def __init__(self) -> None:
        super().__init__()
        self.expected = _network_errors()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], self.expected):
            record.msg = f"{record.msg} ({type(record.exc_info[1]).__name__})"
            record.exc_info = None
            record.exc_text = None
        return True


# The Scrapy loggers that log a failed download with its traceback.
_NOISY_LOGGERS = ("scrapy.core.scraper", "scrapy.downloadermiddlewares.robotstxt")


class QuietNetworkErrors:
    """Extension: puts NetworkErrorTracebacks on the loggers that need it."""

    def __init__(self) -> None:
        for name in _NOISY_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, NetworkErrorTracebacks) for f in logger.filters):
                logger.addFilter(NetworkErrorTracebacks())

    @classmethod
    def from_crawler(cls, crawler: Any) -> QuietNetworkErrors:
        return cls()


# What Scrapy logs at INFO that a person running a crawl does not need to read:
# the settings and components it started with, its memory and its stats dumps.
# (Every count is in newscrawl's summary and in NEWSCRAWL_STATS_FILE.)
_ROUTINE = {
    "scrapy.utils.log": ("Scrapy ", "Versions"),
    "scrapy.addons": ("Enabled addons",),
    "scrapy.middleware": ("Enabled ",),
    "scrapy.crawler": ("Overridden settings",),
    "scrapy.extensions.memusage": ("Peak memory usage",),
    "scrapy.statscollectors": ("Dumping Scrapy stats",),
    "scrapy.extensions.telnet": ("Telnet",),
    "scrapy.core.engine": ("Spider opened", "Closing spider", "Spider closed"),
    "scrapy.extensions.feedexport": ("Stored ",),
}


class RoutineLogs(logging.Filter):
    """Drops Scrapy's routine INFO lines unless the log level is DEBUG."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO or not str(record.msg).startswith(self.prefixes)


class RetriesGivenUp(logging.Filter):
    """Scrapy logs a request whose retries ran out at ERROR; for a crawl that is a
    dead link, counted with its reason (http_500, ...) and tried again next run,
    and at -L WARNING a normal run prints nothing (cron mails what it prints).
    It is logged at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.ERROR and str(record.msg).startswith("Gave up retrying"):
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True


def quiet_routine_logs(log_level: str) -> None:
    """Keep Scrapy's routine lines out of a run's log, unless it asks for DEBUG."""
    retry = logging.getLogger("scrapy.downloadermiddlewares.retry")
    if not any(isinstance(f, RetriesGivenUp) for f in retry.filters):
        retry.addFilter(RetriesGivenUp())
    wanted = log_level != "DEBUG"
    for name, prefixes in _ROUTINE.items():
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, RoutineLogs)]:
            logger.removeFilter(old)
        if wanted:
            logger.addFilter(RoutineLogs(prefixes))
