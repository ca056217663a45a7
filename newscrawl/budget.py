"""How many requests a crawl may send: in all (NEWSCRAWL_MAX_PAGES) and per site
(NEWSCRAWL_MAX_PAGES_PER_SITE, what ends a spider trap).

A request is charged when the scheduler takes it, and refunded when the
duplicate filter drops it, so that a menu of fifty links repeated on every page
costs one request per link, not one per sighting. Sitemaps and feeds are charged
like pages: a sitemap index that fans out to a million sitemaps costs its site
its budget and no more. Retries and redirects of a charged request are not
charged again: a site's budget counts the pages asked of it.
"""

from __future__ import annotations

from collections import Counter

__all__ = ["BUDGET_CHARGED", "BUDGET_SITE", "PageBudget"]

# Request meta: the site a request should be charged to (set by the spider) ...
BUDGET_SITE = "newscrawl_budget_site"
# ... and, once the scheduler took it, the site it was charged to.
BUDGET_CHARGED = "newscrawl_budget_charged"


class PageBudget:
    """Requests charged, in all and per site, against their caps (0: no cap)."""

    def __init__(self, max_pages: int = 0, max_per_site: int = 0) -> None:
        self.max_pages = max_pages
        self.max_per_site = max_per_site
        self.total = 0
        self.by_site: Counter[str] = Counter()

    def allows(self, site: str) -> bool:
        """Whether one more request for `site` fits both caps."""
        if self.max_pages and self.total >= self.max_pages:
            return False
        return not (self.max_per_site and self.by_site[site] >= self.max_per_site)

    def crawl_cap_reached(self) -> bool:
        return bool(self.max_pages) and self.total >= self.max_pages

    def charge(self, site: str) -> None:
        self.total += 1
        self.by_site[site] += 1

    def refund(self, site: str) -> None:
        self.total -= 1
        self.by_site[site] -= 1
