"""A circuit breaker per site: a site that keeps failing is left alone for the run.

A site is the crawl's (`request.meta["site"]`), sub-domains included: two
hundred slow sub-domains of one site open its breaker as one slow host would.

A site answering 5xx to everything, or timing out, would otherwise take every
request of its sitemap and every retry, and hold a scheduled crawl for hours.
After NEWSCRAWL_SITE_FAILURE_LIMIT failures in a row (5xx answers, network
errors; any other answer resets the count), further requests to that site are
dropped for this run, with one warning and a count in the stats. (Requests the
downloader already holds, at most CONCURRENT_REQUESTS, still go out.)
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from newscrawl.config import NewscrawlConfig
from newscrawl.hosts import site_key
from newscrawl.runlog import count_site
from newscrawl.vocabulary import BREAKER_OPENED, CIRCUIT_OPENED

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["CIRCUIT_OPEN", "SiteCircuitBreaker"]

logger = logging.getLogger(__name__)

CIRCUIT_OPEN = "circuit open"


class SiteCircuitBreaker:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limit = NewscrawlConfig.of(crawler).site_failure_limit
        self.failures: Counter[str] = Counter()
        self.open: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SiteCircuitBreaker:
        return cls(crawler)

    @staticmethod
    def _site(request: Request) -> str:
        return str(request.meta.get("site") or site_key(request.url))

    def process_request(self, request: Request, spider: Any = None) -> None:
        if self.limit and self._site(request) in self.open:
            raise IgnoreRequest(f"{CIRCUIT_OPEN}: {self._site(request)} kept failing")

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        if response.status >= 500:
            self._failed(request, f"HTTP {response.status}")
        else:
            self.failures[self._site(request)] = 0
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        if not isinstance(exception, IgnoreRequest):
            self._failed(request, type(exception).__name__)

    def _failed(self, request: Request, why: str) -> None:
        site = self._site(request)
        self.failures[site] += 1
        if self.limit and self.failures[site] >= self.limit and site not in self.open:
            self.open.add(site)
            logger.warning(
                "%s failed %d times in a row (last: %s): no more requests to it this run",
                site, self.failures[site], why,
            )  # fmt: skip
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(CIRCUIT_OPENED)
            # Per site too: a breaker that opened at the site's last request drops
            # nothing, and the crawl exited 0 however the site had failed. (Under
            # the crawl's own name for it: a request without one has no row.)
            if request.meta.get("site"):
                count_site(self.crawler, site, BREAKER_OPENED)
