"""What a run counts, per site, for its record; and the stop on a failed write.

Components count a site's events with `count_site` (stats keys under
SITE_STATS); the run record, the summary and `newscrawl stats` read them back
with `site_counts`.
"""

from __future__ import annotations

import logging
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.statscollectors import MemoryStatsCollector

from newscrawl.cleaning.fragments import PatternTimeouts
from newscrawl.stopwatch import stop_crawl
from newscrawl.vocabulary import (
    FETCHED,
    HTTP_ERROR,
    NETWORK_ERROR,
    PATTERN_TIMEOUTS,
    RUN_TOTALS,
    SITE_STATS,
    STORAGE_ERROR,
    STORE_ERROR,
    TOO_LARGE,
    WRITE_ERRORS,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = [
    "RunStats",
    "count_site",
    "count_write_error",
    "failing",
    "patterns_timed_out",
    "run_totals",
    "site_counts",
    "stop_on_write_error",
]

logger = logging.getLogger(__name__)


class RunStats(MemoryStatsCollector):
    """Scrapy's stats collector (STATS_CLASS), its attributes read as any object's.

    Scrapy hooks every attribute read of its collector (`__getattribute__`, which
    wraps the counting methods to warn of a deprecated `spider` argument), its own
    `_stats` included: 2.1 us an inc_value against 0.2. A crawl counts dozens of
    times a page (more for each link found), and the hook cost the crawler's
    process 0.15-0.25 ms a page (sampled, 400-page crawls, 2026-12-02). A
    `spider` argument is still taken and ignored, with Scrapy's deprecation
    warning, which each method gives itself: a plugin that still passes one is
    told, as under Scrapy's own collector."""

    __getattribute__ = object.__getattribute__

    def get_value(self, key: str, default: Any = None, spider: Any = None) -> Any:
        if spider is not None:
            _spider_passed("get_value")
        return self._stats.get(key, default)

    def set_value(self, key: str, value: Any, spider: Any = None) -> None:
        if spider is not None:
            _spider_passed("set_value")
        self._stats[key] = value

    def inc_value(self, key: str, count: int = 1, start: int = 0, spider: Any = None) -> None:
        if spider is not None:
            _spider_passed("inc_value")
        stats = self._stats
        stats[key] = stats.setdefault(key, start) + count

    def max_value(self, key: str, value: Any, spider: Any = None) -> None:
        if spider is not None:
            _spider_passed("max_value")
        self._stats[key] = max(self._stats.setdefault(key, value), value)

    def min_value(self, key: str, value: Any, spider: Any = None) -> None:
        if spider is not None:
            _spider_passed("min_value")
        self._stats[key] = min(self._stats.setdefault(key, value), value)

    def get_stats(self, spider: Any = None) -> dict[str, Any]:
        if spider is not None:
            _spider_passed("get_stats")
        return self._stats

    def set_stats(self, stats: dict[str, Any], spider: Any = None) -> None:
        if spider is not None:
            _spider_passed("set_stats")
        self._stats = stats

    def clear_stats(self, spider: Any = None) -> None:
        if spider is not None:
            _spider_passed("clear_stats")
        self._stats.clear()

    def open_spider(self, spider: Any = None) -> None:
        if spider is not None:
            _spider_passed("open_spider")

    def close_spider(self, spider: Any = None, reason: str | None = None) -> None:
        if spider is not None:
            _spider_passed("close_spider")
        super().close_spider(reason=reason)


def _spider_passed(method: str) -> None:
    warnings.warn(
        f"Passing a 'spider' argument to RunStats.{method}() is deprecated and the"
        " argument will be removed in a future Scrapy version.",
        category=ScrapyDeprecationWarning,
        stacklevel=3,
    )


_TIMEOUTS: WeakKeyDictionary[Any, PatternTimeouts] = WeakKeyDictionary()


def patterns_timed_out(
    crawler: Crawler, site: str | None, url: str, patterns: Iterable[str], count: bool = True
) -> None:
    """The user's fragment `patterns` ran out of time on the page `url` of `site`
    (stored with the paragraphs they did not finish): a warning per site and
    pattern, once a crawl; the page counted under PATTERN_TIMEOUTS unless it was
    counted already (`count`: the end of the run's re-clean of a page read by it)."""
    patterns = tuple(patterns)
    if not patterns:
        return
    timeouts = _TIMEOUTS.setdefault(crawler, PatternTimeouts())
    for warning in timeouts.add(site, url, patterns):
        logger.warning("%s", warning)
    if count:
        count_site(crawler, site, PATTERN_TIMEOUTS)


def stop_on_write_error(crawler: Crawler, error: str) -> None:
    """Count a store write that failed; the first one ends the crawl (finish reason
    STORAGE_ERROR), since every later write would fail too."""
    if count_write_error(crawler, error, "stopping the crawl: "):
        stop_crawl(crawler, STORAGE_ERROR)


def count_write_error(crawler: Crawler, error: str, said: str = "") -> bool:
    """Count a store write that failed, and keep the first one's message (the exit
    code tells it: a write that failed as the crawl closed, its last batch or its
    run record, made a run end with exit 0). True for the first."""
    assert crawler.stats is not None
    crawler.stats.inc_value(WRITE_ERRORS)
    if crawler.stats.get_value(WRITE_ERRORS) > 1:
        return False
    logger.error("%s%s", said, error)
    crawler.stats.set_value(STORE_ERROR, error)
    return True


def count_site(crawler: Crawler, site: str | None, counter: str, count: int = 1) -> None:
    """Count an event of a site for the run record, and in the run's totals."""
    if crawler.stats is not None and site:
        crawler.stats.inc_value(f"{SITE_STATS}{site}/{counter}", count)
        crawler.stats.inc_value(f"{RUN_TOTALS}{counter}", count)


def run_totals(stats: Mapping[str, Any]) -> dict[str, int]:
    """The run's counts in all, by counter (what `count_site` counted)."""
    return {
        key[len(RUN_TOTALS) :]: value
        for key, value in stats.items()
        if key.startswith(RUN_TOTALS) and isinstance(value, int)
    }


def site_counts(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """The counts `count_site` made, by site and counter, from a crawl's stats."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value in stats.items():
        if key.startswith(SITE_STATS) and isinstance(value, int):
            site, _, counter = key[len(SITE_STATS) :].rpartition("/")
            counts[site][counter] = value
    return counts


def failing(counts: Mapping[str, int]) -> str | None:
    """Whether a site's run lost more pages than it fetched (and more than a few
    dead links): "failing: N pages not fetched, M fetched", else None. The
    crawl's exit code and `newscrawl stats` judge by this one rule: a site whose
    every article answered 503 with a Retry-After of a day ended a crawl with
    exit code 0 that `stats` then called failing (found by a hostile-site test)."""
    fetched, failed = counts.get(FETCHED, 0), pages_not_fetched(counts)
    if failed > max(3, fetched):
        return f"failing: {failed} pages not fetched, {fetched} fetched"
    return None


def pages_not_fetched(counts: Mapping[str, int]) -> int:
    """A site's pages that were asked for and got no page: an HTTP error, a network
    error, or an answer past DOWNLOAD_MAXSIZE."""
    # Pages past DOWNLOAD_MAXSIZE were network errors here until they had their own
    # counter (too_large): a site all of whose pages were past it was then no longer
    # said to be failing, its row all zeros.
    return counts.get(HTTP_ERROR, 0) + counts.get(NETWORK_ERROR, 0) + counts.get(TOO_LARGE, 0)
