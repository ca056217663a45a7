"""Requests for URLs longer than URLLENGTH_LIMIT: dropped, counted, not printed.

Scrapy's UrlLengthMiddleware drops them too, but logs each at INFO with its
whole URL: a hub of 100 KB links wrote a 100 KB line a link, a sitemap of
50,000 such entries would write 5 GB. It measures the request's URL as sent
(escaped: an emoji is 12 characters there), so it is the one place that sees
every request a callback yields (page links, sitemap and feed entries, URLs an
earlier run left pending) at the length that counts. This middleware takes its
place: the request is counted for its site (`links_too_long`) and logged once a
site, cut short.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware

from newscrawl.runlog import count_site
from newscrawl.vocabulary import LINKS_TOO_LONG

if TYPE_CHECKING:
    from scrapy.http import Request, Response

__all__ = ["SHOWN_CHARS", "QuietUrlLength"]

logger = logging.getLogger(__name__)

# What the log shows of such a URL.
SHOWN_CHARS = 120


class QuietUrlLength(UrlLengthMiddleware):
    """UrlLengthMiddleware that counts per site and logs a site's first, shortened."""

    def __init__(self, maxlength: int) -> None:
        super().__init__(maxlength)
        self.warned: set[str | None] = set()  # sites whose first such URL was logged

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if len(request.url) <= self.maxlength:
            return request
        site = request.meta.get("site")
        count_site(self.crawler, site, LINKS_TOO_LONG)
        if site not in self.warned:
            self.warned.add(site)
            logger.info("%s: links longer than URLLENGTH_LIMIT (%d characters) are not followed"
                        " (links_too_long), e.g. %s...", site or "a site", self.maxlength,
                        request.url[:SHOWN_CHARS])  # fmt: skip
        return None
