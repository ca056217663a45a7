"""Site boilerplate learned from the pages themselves.

A paragraph that recurs on several pages of one site is that site's furniture
("Join our commenting forum", a standards notice, a newsletter pitch), whatever
its wording and whether or not a pattern knows it. The model counts, per site,
on how many distinct pages each paragraph occurs; the cleaner drops paragraphs
over the threshold.

Counts depend only on the set of pages seen, never on their order, so cleaning
every page against the final counts gives the same text however the crawl ran.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache

from newscrawl.cleaning.normalize import fingerprint_key, words

__all__ = [
    "MIN_PAGES",
    "MIN_SHARE",
    "RECENT_MIN_PAGES",
    "RECENT_SHARE",
    "SiteModel",
    "boilerplate_fingerprints",
    "fingerprint",
    "key_fingerprint",
    "new_furniture",
    "page_fingerprints",
    "pages_needed",
]

# A paragraph is boilerplate of its site when it occurs on at least MIN_PAGES
# distinct pages and on at least MIN_SHARE of the site's pages seen. Measured on
# the shared dev sets (up to 5 pages per site in fundus): 3 pages dropped 0.6
# points of precision worth of furniture and no ground-truth text; 2 pages also
# dropped recurring body text (aeb recall -0.003). The share keeps large crawls
# from dropping a background paragraph that a few stories of a series reuse.
MIN_PAGES = 3
MIN_SHARE = 0.2
# A paragraph that appeared later than the site's first pages (a redesign's new
# furniture) is boilerplate too when it is on RECENT_MIN_PAGES pages and on
# RECENT_SHARE of the pages fetched since the day it first appeared: a store that
# kept 1,000 pages of the old template otherwise needed 200 pages with the new
# one before its furniture went, and every article till then kept it. A template
# puts its furniture on every page; 0.8 leaves room for a section with another.
# 10 pages (not 3): a series of stories sharing a background paragraph is often
# all a slow site fetched in a day. Pages of one day (every page set of the dev
# sets) are judged by MIN_SHARE alone, as before: neither clause changes them.
RECENT_MIN_PAGES = 10
RECENT_SHARE = 0.8


@lru_cache(maxsize=16384)
def fingerprint(paragraph: str) -> str:
    """A short, stable key for a paragraph's words (case and punctuation ignored).

    Cached: the site model, the cleaner and the store each ask for the same page's."""
    return key_fingerprint(fingerprint_key(paragraph))


def key_fingerprint(key: str) -> str:
    """The fingerprint of a paragraph whose fingerprint_key is `key`."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def page_fingerprints(paragraphs: Iterable[str]) -> set[str]:
    """The distinct fingerprints of a page's paragraphs (those with any words)."""
    return {fingerprint(p) for p in paragraphs if words(p)}


def pages_needed(pages: int) -> float:
    """On how many pages a paragraph must occur, of a site's `pages`, to be boilerplate."""
    return max(MIN_PAGES, MIN_SHARE * pages)


def boilerplate_fingerprints(counts: Counter[str], pages: int) -> frozenset[str]:
    """The fingerprints of a site that pass both thresholds."""
    needed = pages_needed(pages)
    return frozenset(fp for fp, count in counts.items() if count >= needed)


def new_furniture(
    candidates: Iterable[tuple[str, int, str]], pages_by_day: Iterable[tuple[str, int]]
) -> frozenset[str]:
    """The fingerprints that became the site's furniture after its first pages.

    `candidates`: (fingerprint, on how many pages, the first day it was on one);
    `pages_by_day`: (day, how many of the site's pages were fetched that day). A
    fingerprint qualifies when it is on RECENT_MIN_PAGES pages and on RECENT_SHARE
    of the pages fetched on or after its first day."""
    days = sorted(pages_by_day)
    since: dict[str, int] = {}
    total = 0
    for day, count in reversed(days):
        total += count
        since[day] = total
    return frozenset(
        fp
        for fp, count, first_day in candidates
        if count >= RECENT_MIN_PAGES and count >= RECENT_SHARE * since.get(first_day, count)
    )


class SiteModel:
    """Per-site paragraph counts, in memory; fed one page (by URL) at a time."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.pages: dict[str, set[str]] = defaultdict(set)

    def observe(self, site: str, page: str, fingerprints: Iterable[str]) -> None:
        """Count a page's paragraphs once per page, however often it is seen."""
        if page in self.pages[site]:
            return
        self.pages[site].add(page)
        self.counts[site].update(set(fingerprints))

    def boilerplate(self, site: str, among: Iterable[str] | None = None) -> frozenset[str]:
        """The fingerprints of `site`'s boilerplate; with `among` (a page's own
        fingerprints), only those that are also in `among`. That is all a page's
        cleaning needs, and its cost does not grow with the site: the whole set
        means a pass over every paragraph the site has shown, and doing that for
        each page made a crawl's cleaning quadratic in the site's size."""
        counts, pages = self.counts[site], len(self.pages[site])
        if among is None:
            return boilerplate_fingerprints(counts, pages)
        needed = pages_needed(pages)
        return frozenset(fp for fp in among if counts.get(fp, 0) >= needed)
