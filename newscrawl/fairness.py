"""One slow site must not starve the others: the scheduler's fair queue.

Scrapy's downloader takes at most CONCURRENT_REQUESTS requests at once, and a
request counts from the moment the downloader takes it: also while it waits for
its host's robots.txt, and while it waits in its site's slot for the delay. With
Scrapy's default queue, a site whose pages answer one byte every half second (or
whose two hundred sub-domains each make robots.txt wait) fills those places, and
every other site waits behind it until the slow one's circuit breaker opens.

SiteFairQueue is Scrapy's DownloaderAwarePriorityQueue (one queue per download
slot, which newscrawl makes the site; the next request comes from the slot with
the fewest requests in the downloader), changed in two ways:

- it counts every request the downloader holds, not only those past its
  middlewares (a request waiting for robots.txt is held too);
- a site holding its slot's concurrency plus SITE_HOLD_HEADROOM requests gets no
  more until one finishes. More would only wait in the downloader (a slot sends
  no more than its concurrency at once), and there they would keep other sites'
  requests out. A stalled site then holds a few places, never all of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from scrapy.pqueues import DownloaderAwarePriorityQueue, DownloaderInterface

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request

    from newscrawl.pagereader import PageReader

__all__ = ["SITE_HOLD_HEADROOM", "SiteFairQueue"]

# Requests a site may hold in the downloader beyond its slot's concurrency: enough
# that its slot never runs dry between a response and the next pop (with a delay
# of a few hundred ms and concurrency 2, one would do; two leave a margin).
SITE_HOLD_HEADROOM = 2


class _HeldByDownloader(DownloaderInterface):
    """Requests in the downloader per slot, counting those still in its middlewares,
    and how many each slot may hold."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        self._found: PageReader | None = None
        self._looked_up = False
        settings = crawler.settings
        self.per_slot = settings.getdict("DOWNLOAD_SLOTS")
        self.default_concurrency = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")

    def stats(self, possible_slots: Iterable[str]) -> list[tuple[int, str]]:
        held = Counter(self.downloader.get_slot_key(r) for r in self.downloader.active)
        reader = self._reader()
        if reader is not None:  # a heavy site's pages waiting for the workers
            return [(held[slot] + reader.held(slot), slot) for slot in possible_slots]
        return [(held[slot], slot) for slot in possible_slots]

    def _reader(self) -> PageReader | None:
        """The crawl's page workers (looked up once: the queue pops for every request)."""
        if self._looked_up:
            return self._found
        from newscrawl.pagereader import PageReader

        try:
            self._found = self.crawler.get_extension(PageReader)
        except RuntimeError:  # the extensions are not made yet
            return None
        self._looked_up = True
        return self._found

    def may_hold(self, slot: str) -> int:
        concurrency = self.per_slot.get(slot, {}).get("concurrency", self.default_concurrency)
        return int(concurrency or 1) + SITE_HOLD_HEADROOM


class SiteFairQueue(DownloaderAwarePriorityQueue):
    """SCHEDULER_PRIORITY_QUEUE: fair between sites (see the module's docstring)."""

    def __init__(self, crawler: Crawler, *args: Any, **kwargs: Any) -> None:
        super().__init__(crawler, *args, **kwargs)
        self.held = _HeldByDownloader(crawler)
        self._downloader_interface = self.held

    def _eligible(self) -> list[tuple[int, str]]:
        return [
            (held, slot)
            for held, slot in self.held.stats(self.pqueues)
            if held < self.held.may_hold(slot)
        ]

    def pop(self) -> Request | None:
        stats = self._eligible()
        if not stats:
            return None  # every site with requests holds its share: wait for one
        slot = self._next_slot(stats, update_state=True)
        queue = self.pqueues[slot]
        request = queue.pop()
        if len(queue) == 0:  # (in memory: newscrawl keeps no JOBDIR, see the README)
            del self.pqueues[slot]
            queue.close()
        return request

    def peek(self) -> Request | None:
        stats = self._eligible()
        if not stats:
            return None
        return self.pqueues[self._next_slot(stats, update_state=False)].peek()
