"""DEPTH_LIMIT for links, not for what a sitemap or feed lists.

Scrapy's DepthMiddleware counts every request a callback yields as one link
further from the start pages, and drops those past DEPTH_LIMIT with a debug
line. A sitemap's or feed's entries are the site's own list of its pages, not
links: a sitemap index nested by year, month and day, or a feed announced by a
section page two links from the home page, put them past the limit, and every
article they listed was dropped unsaid (a run stored 0 of 4 and exited 0). An
entry the spider marks LISTED_ENTRY keeps its depth, but at most the limit: it
is fetched, and the links it holds (one further) are not followed, so the limit
still bounds a chain of pages announcing feeds that list more such pages. A
chain of sitemap indexes (or of feeds listing feeds) is bounded by its nesting
(MAX_NESTING in spiders/news.py), a fan-out by the site's page budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.spidermiddlewares.depth import DepthMiddleware

if TYPE_CHECKING:
    from scrapy.http import Request, Response

__all__ = ["LISTED_ENTRY", "ListedDepth"]

# meta key of a request for a sitemap's or feed's entry (an article, a child sitemap).
LISTED_ENTRY = "newscrawl_listed_entry"


class ListedDepth(DepthMiddleware):
    """DepthMiddleware that never drops a listed entry for its depth."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        listed = request.meta.pop(LISTED_ENTRY, False)
        if not listed or response is None or not self.maxdepth:
            return super().get_processed_request(request, response)
        if response.meta["depth"] + 1 <= self.maxdepth:
            return super().get_processed_request(request, response)
        # As deep as links may go: its own links are one further, and not followed.
        request.meta.pop("depth_reset", None)
        request.meta["depth"] = self.maxdepth
        if self.prio:
            request.priority -= self.maxdepth * self.prio
        self.stats.max_value("request_depth_max", self.maxdepth)
        return request
