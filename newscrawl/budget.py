"""How many requests a crawl may send: in all (NEWSCRAWL_MAX_PAGES) and per site
(NEWSCRAWL_MAX_PAGES_PER_SITE, what ends a spider trap).

A request is charged when it is sent (`BudgetGate`, the first downloader
middleware), in the scheduler's order of priority, so that a site's budget goes
first to its sitemaps and feeds and the articles they list, then to the links of
its hubs, last to the links found on its articles: when the budget is spent, what
is left are the pages the site valued least. Sitemaps and feeds are charged like
pages: a sitemap index that fans out to a million sitemaps costs its site its
budget and no more. Retries and redirects of a charged request are not charged
again: a site's budget counts the pages asked of it.

The scheduler may hold requests a site's budget has no room for yet, but not
without end: a site stops being given new requests once what it has been sent
and what waits for it reach QUEUE_FACTOR times its budget, or times the crawl's
(each site against it alone: see PageBudget.may_queue), or once the crawl's is
spent (the duplicate filter's drops do not count), so a sitemap past the budget is
not read further. A request
that reaches the gate after the budget is spent is not sent; its URL is kept
pending for the next run, unless it is a sitemap's, a feed's or a start page's,
which the next run finds again where this one did (spiders/_base.py).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest

from newscrawl.runlog import count_site
from newscrawl.vocabulary import REQUESTS_SENT

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request

__all__ = ["BUDGET_QUEUED", "BUDGET_SITE", "OVER_BUDGET_REASON", "BudgetGate", "PageBudget"]

logger = logging.getLogger(__name__)

# Request meta: the site a request is to be charged to (set by the spider) ...
BUDGET_SITE = "newscrawl_budget_site"
# ... and, once the scheduler took it, the site whose queue counts it.
BUDGET_QUEUED = "newscrawl_budget_queued"
# What a request refused at the gate fails with (the spider counts it).
OVER_BUDGET_REASON = "over the page budget"
# Requests a site may have sent and waiting, as a multiple of its budget.
QUEUE_FACTOR = 2


class PageBudget:
    """Requests sent and waiting, in all and per site, against their caps (0: none)."""

    def __init__(self, max_pages: int = 0, max_per_site: int = 0) -> None:
        self.max_pages = max_pages
        self.max_per_site = max_per_site
        self.sent_total = 0
        self.sent: Counter[str] = Counter()
        self.waiting_total = 0
        self.waiting: Counter[str] = Counter()

    def may_queue(self, site: str) -> bool:
        """Whether one more request for `site` may wait in the scheduler.

        The crawl's cap bounds each site's queue, not all of them together: a
        bound on the sum went to the sites whose sitemaps were read first, and a
        site read a moment later could queue nothing, so the scheduler, fair
        between the sites it has requests of, sent it none (with --max-pages 24
        and three sites of 20 new articles each, one site got no article, run
        after run a different one). What is sent stays bounded by the cap."""
        if self.crawl_cap_reached():
            return False
        return not any(
            cap and self.sent[site] + self.waiting[site] >= QUEUE_FACTOR * cap
            for cap in (self.max_pages, self.max_per_site)
        )

    def room_for_backlog(self) -> int:
        """How many of the URLs earlier runs left pending a site is given at the
        start (0: all): one budget's worth, the smaller cap, so that a site's queue
        keeps room for what its sitemaps and feeds list now."""
        caps = [cap for cap in (self.max_pages, self.max_per_site) if cap]
        return min(caps, default=0)

    def may_send(self, site: str) -> bool:
        """Whether one more request for `site` may be sent."""
        if self.crawl_cap_reached():
            return False
        return not (self.max_per_site and self.sent[site] >= self.max_per_site)

    def crawl_cap_reached(self) -> bool:
        return bool(self.max_pages) and self.sent_total >= self.max_pages

    def queued(self, site: str) -> None:
        self.waiting_total += 1
        self.waiting[site] += 1

    def unqueued(self, site: str) -> None:
        """A waiting request left: sent, refused, or dropped as a duplicate."""
        self.waiting_total -= 1
        self.waiting[site] -= 1

    def charge(self, site: str) -> None:
        self.sent_total += 1
        self.sent[site] += 1


class BudgetGate:
    """Downloader middleware, first of all: charges a request to its site's budget
    as it is sent, or refuses it when the budget is spent. The spider owns the
    budget (`spider.budget`) and is told of a refusal through its errback."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BudgetGate:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        site = request.meta.pop(BUDGET_QUEUED, None)
        budget = getattr(self.crawler.spider, "budget", None)
        if site is None or not isinstance(budget, PageBudget):
            return  # not charged (robots.txt, a retry or redirect of a charged request)
        budget.unqueued(site)
        if not budget.may_send(site):
            raise IgnoreRequest(OVER_BUDGET_REASON)
        budget.charge(site)
        count_site(self.crawler, site, REQUESTS_SENT)
