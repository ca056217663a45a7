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
from weakref import WeakKeyDictionary

from scrapy.spidermiddlewares.urllength import UrlLengthMiddleware
from w3lib.url import safe_url_string

from newscrawl.runlog import count_site
from newscrawl.vocabulary import LINKS_TOO_LONG

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

__all__ = ["SHOWN_CHARS", "QuietUrlLength", "left_out", "too_long"]

logger = logging.getLogger(__name__)

# What the log shows of such a URL.
SHOWN_CHARS = 120
# The sites whose first such URL a crawl has logged.
_WARNED: WeakKeyDictionary[Crawler, set[str | None]] = WeakKeyDictionary()


def too_long(url: str, limit: int) -> bool:
    """Whether `url` is longer than `limit` (URLLENGTH_LIMIT; 0: no limit) as a
    request sends it, escaped (what this middleware measures): for the spider,
    which leaves such a link out before it can be remembered as pending for the
    next run (where this middleware would drop it again, every run)."""
    if not limit:
        return False
    if len(url) > limit:
        return True
    return not url.isascii() and len(safe_url_string(url)) > limit


def left_out(crawler: Crawler, site: str | None, url: str, limit: int, count: int = 1) -> None:
    """`count` URLs of `site` longer than `limit` left out (`url` one of them): counted
    (`links_too_long`), and the site's first logged, cut short, once a crawl."""
    count_site(crawler, site, LINKS_TOO_LONG, count)
    warned = _WARNED.setdefault(crawler, set())
    if site not in warned:
        warned.add(site)
        logger.info("%s: links longer than URLLENGTH_LIMIT (%d characters) are not followed"
                    " (links_too_long), e.g. %s...", site or "a site", limit,
                    url[:SHOWN_CHARS])  # fmt: skip


class QuietUrlLength(UrlLengthMiddleware):
    """UrlLengthMiddleware that counts and logs as `left_out` does."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if len(request.url) <= self.maxlength:
            return request
        left_out(self.crawler, request.meta.get("site"), request.url, self.maxlength)
        return None
