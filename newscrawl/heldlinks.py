"""Links found on article pages wait while their site's sitemaps and feeds are read.

A site's sitemaps and feeds list the articles it wants read; an article page links
to anything (related stories, archives, tag pages). Priorities put listed articles
before such links, but only among requests already waiting: while a sitemap is
still being downloaded or read, the links of the first article pages would take
the downloader, and with a page budget take the listed articles' place. So the
links of article pages are held, per site, until every sitemap and feed the site
has asked for is read (or has failed), then released to the scheduler, where
their low priority orders them after the listed articles.

Pure bookkeeping: the spider says when a document is asked for and when it is
done with, and sends on what `done` and `release_all` return.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Generic, TypeVar

__all__ = ["MAX_HELD", "MAX_HELD_ALL", "HeldLinks"]

T = TypeVar("T")

# Requests held for one site, and for all sites, at most (20,000 requests take about
# 14 MB); past that they go on at once and rely on their priority alone.
MAX_HELD = 20_000
MAX_HELD_ALL = 100_000


class HeldLinks(Generic[T]):
    def __init__(self, limit: int = MAX_HELD, limit_all: int = MAX_HELD_ALL) -> None:
        self.limit = limit
        self.limit_all = limit_all
        self.count = 0
        self.reading: Counter[str] = Counter()
        self.held: defaultdict[str, list[T]] = defaultdict(list)

    def asked(self, site: str) -> None:
        """A sitemap or feed of `site` was asked for."""
        self.reading[site] += 1

    def done(self, site: str) -> list[T]:
        """One of `site`'s sitemaps or feeds was read, or failed: what to release."""
        if self.reading[site] > 0:
            self.reading[site] -= 1
        if self.reading[site] > 0:
            return []
        del self.reading[site]
        released = self.held.pop(site, [])
        self.count -= len(released)
        return released

    def hold(self, site: str, item: T) -> bool:
        """Hold `item` if `site` is still reading its sitemaps and feeds (and has room)."""
        if not self.reading.get(site) or self.count >= self.limit_all:
            return False
        if len(self.held[site]) >= self.limit:
            return False
        self.held[site].append(item)
        self.count += 1
        return True

    def release_all(self) -> list[T]:
        """Everything held (the crawl would otherwise end with it). Called when
        nothing is in flight: any document still counted as being read was lost
        without notice, and is forgotten."""
        released = [item for items in self.held.values() for item in items]
        self.held.clear()
        self.reading.clear()
        self.count = 0
        return released
