"""Retry-After: a site that answers 429 or 503 with it gets exactly that pause.

Scrapy retries 429 and 503 at once and ignores Retry-After. This downloader
middleware, placed before Scrapy's RetryMiddleware sees the answer, reads the
header (seconds, or an HTTP date), holds back the site's download slot for that
long — no request to the site leaves before the time is up — and schedules the
request again. A wait longer than NEWSCRAWL_MAX_RETRY_AFTER seconds, or more than
NEWSCRAWL_RETRY_AFTER_TIMES pauses for one request, gives the request up.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy.http import Request, Response

from newscrawl.config import NewscrawlConfig
from newscrawl.discovery import parse_date
from newscrawl.vocabulary import RETRY_AFTER_PAUSES

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["RetryAfterBackoff", "retry_after_seconds"]

logger = logging.getLogger(__name__)

_TIMES_KEY = "newscrawl_retry_after_times"


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date); None if absent
    or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isascii() and text.isdigit():  # not "²", which isdigit() too
        return float(text)
    moment = parse_date(text)
    if moment is None:
        return None
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class RetryAfterBackoff:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        config = NewscrawlConfig.of(crawler)
        self.max_wait = config.max_retry_after
        self.max_times = config.retry_after_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterBackoff:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response  # Scrapy's RetryMiddleware decides
        times = int(request.meta.get(_TIMES_KEY, 0))
        stats = self.crawler.stats
        if wait > self.max_wait or times >= self.max_times:
            logger.warning(
                "giving up %s: Retry-After %.0f s (pause %d)", request.url, wait, times + 1
            )
            request.meta["dont_retry"] = True
            return response
        self._hold_slot(request, wait)
        if stats is not None:
            stats.inc_value(RETRY_AFTER_PAUSES)
        logger.info(
            "%s answered %d: pausing the site %.1f s (Retry-After)",
            request.url,
            response.status,
            wait,
        )
        return request.replace(dont_filter=True, meta={**request.meta, _TIMES_KEY: times + 1})

    def _hold_slot(self, request: Request, wait: float) -> None:
        """No request leaves the site's download slot before `wait` seconds from now."""
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            # The downloader sends the next request once `lastseen + delay` has passed.
            slot.lastseen = max(slot.lastseen, time.monotonic() + wait)
