"""robots.txt that fails closed, as RFC 9309 asks.

Scrapy treats a robots.txt it cannot get (a 5xx answer, a refused connection, a
timeout) as "allow everything". RFC 9309 (section 2.3.1.4) says the opposite:
an unreachable robots.txt means "disallow everything" until it can be read. A
downloader middleware turns such an answer into a robots.txt that disallows all,
before Scrapy's RobotsTxtMiddleware reads it; it also cuts a huge robots.txt to
the 500 KiB a crawler must parse (section 2.5), so a hostile one costs nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["DISALLOW_ALL", "MAX_ROBOTS_BYTES", "FailClosedRobotsTxt"]

logger = logging.getLogger(__name__)

DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"
MAX_ROBOTS_BYTES = 500 * 1024


def _is_robots(request: Request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and request.url.endswith("/robots.txt")


class FailClosedRobotsTxt:
    """Downloader middleware: an unreachable robots.txt disallows the whole site."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FailClosedRobotsTxt:
        return cls(crawler)

    def _closed(self, request: Request, why: str) -> Response:
        logger.warning(
            "robots.txt unreachable (%s): not crawling %s this run (RFC 9309)",
            why,
            request.url[:-11],
        )
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("newscrawl/robots_unreachable")
        return Response(request.url, status=200, body=DISALLOW_ALL, request=request)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        if not _is_robots(request):
            return response
        if response.status >= 500:
            return self._closed(request, f"HTTP {response.status}")
        if len(response.body) > MAX_ROBOTS_BYTES:
            return response.replace(body=response.body[:MAX_ROBOTS_BYTES])
        return response

    def process_exception(
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Response | None:
        if not _is_robots(request) or isinstance(exception, IgnoreRequest):
            return None
        return self._closed(request, type(exception).__name__)
