"""A site whose pages each cost a worker seconds must not take the workers from
the others: the page workers' share per site.

A page under the workers' time bound can still cost seconds of CPU: a paragraph
of 20,000 <span> elements, 0.4 MB, took trafilatura 4.3 s (its main extractor is
quadratic in them); the 1,165 dev pages take 0.26 s at most. A site serving such
pages, all under the bound, was never counted as failing (pagereader's
_judge_site counts pages past the bound), and its pages held both workers, with
every other site's pages queued behind them in the pool; waiting for their turn,
they also filled Scrapy's bound on the responses its callbacks hold (5 MB), and
no site got any download.

So a site whose pages cost HEAVY_PAGE_SECONDS of CPU or more (on average, recent
pages weighing most) is *heavy*, as is a site none of whose pages has been read
yet, and while the crawl reads pages of more than one
site:

- a heavy site has at most HEAVY_SITE_PAGES pages in the pool at once (running or
  queued for a worker): the other workers stay free for the other sites;
- its pages waiting for that turn, and the one in the pool, count as requests the
  site holds (newscrawl/fairness.py): the scheduler gives it no more downloads
  until they are read, so its waiting pages stay a few.

A crawl of one site is not held back: there is nobody to share with; nor is a
heavy site once the others are done (no request of theirs waits in the scheduler
or the downloader, no page of theirs is read): a crawl of a heavy site beside a
small one kept it to one worker to the end, at half its pace alone.

Pure bookkeeping; pagereader.PageReader does the waiting.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

__all__ = ["HEAVY_PAGE_SECONDS", "HEAVY_SITE_PAGES", "WorkerShare"]

# CPU seconds a page that makes its site heavy: four times the dearest of the
# 1,165 dev pages (0.26 s on a busy 2-core machine; the median page 0.015 s).
HEAVY_PAGE_SECONDS = 1.0
# Pages a heavy site may have in the pool at once.
HEAVY_SITE_PAGES = 1
# The weight of a site's newest page in its average cost: a site that alternates
# cheap and dear pages averages half the dear one's cost, and stays heavy.
NEWEST_WEIGHT = 0.5


class WorkerShare:
    """Per site: the average CPU its pages cost, and its pages in the pool."""

    def __init__(self, others_waiting: Callable[[str], bool] | None = None) -> None:
        """`others_waiting(site)`: whether the crawl holds requests of sites other
        than `site` (in its scheduler or downloader); without it, a site read
        once counts as crawled to the end."""
        self.others_waiting = others_waiting
        self.cost: dict[str, float] = {}
        self.in_pool: Counter[str] = Counter()
        self.reading: Counter[str] = Counter()  # waiting for the pool, or in it

    def heavy(self, site: str) -> bool:
        """Whether `site`'s pages are dear, or not known yet: the first page of a
        site read beside others is read alone, or the pages a heavy site sent
        before its first was read would all take the pool."""
        return self.cost.get(site, HEAVY_PAGE_SECONDS) >= HEAVY_PAGE_SECONDS

    def shared(self, site: str) -> bool:
        """Whether the crawl reads the pages of sites other than `site`, or will."""
        if any(other != site for other in self.reading):
            return True
        if self.others_waiting is not None:
            return self.others_waiting(site)
        return any(other != site for other in self.cost)

    def must_wait(self, site: str) -> bool:
        """Whether a page of `site` must wait before it enters the pool."""
        return self.heavy(site) and self.in_pool[site] >= HEAVY_SITE_PAGES and self.shared(site)

    def held(self, site: str) -> int:
        """The pages of `site` the scheduler counts as held by it: those of a heavy
        site waiting to be read or being read."""
        return self.reading[site] if self.heavy(site) else 0

    def arrived(self, site: str) -> None:
        self.reading[site] += 1

    def entered(self, site: str) -> None:
        self.in_pool[site] += 1

    def left(self, site: str, cpu_seconds: float | None, entered: bool) -> None:
        """A page of `site` is done (`entered`: it was in the pool); it cost
        `cpu_seconds` (None: not read, which tells nothing of its cost)."""
        self.reading[site] -= 1
        if self.reading[site] <= 0:
            del self.reading[site]
        if entered:
            self.in_pool[site] -= 1
            if self.in_pool[site] <= 0:
                del self.in_pool[site]
        if cpu_seconds is not None:
            before = self.cost.get(site)
            self.cost[site] = (
                cpu_seconds
                if before is None
                else NEWEST_WEIGHT * cpu_seconds + (1 - NEWEST_WEIGHT) * before
            )
