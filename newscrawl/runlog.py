"""What a run counts, per site, for its record; and the stop on a failed write.

Components count a site's events with `count_site` (stats keys under
SITE_STATS); the run record, the summary and `newscrawl stats` read them back
with `site_counts`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from newscrawl.stopwatch import stop_crawl
from newscrawl.vocabulary import (
    RUN_TOTALS,
    SITE_STATS,
    STORAGE_ERROR,
    STORE_ERROR,
    WRITE_ERRORS,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["count_site", "run_totals", "site_counts", "stop_on_write_error"]

logger = logging.getLogger(__name__)


def stop_on_write_error(crawler: Crawler, error: str) -> None:
    """Count a store write that failed; the first one ends the crawl (finish reason
    STORAGE_ERROR), since every later write would fail too."""
    assert crawler.stats is not None
    crawler.stats.inc_value(WRITE_ERRORS)
    if crawler.stats.get_value(WRITE_ERRORS) > 1:
        return
    logger.error("stopping the crawl: %s", error)
    crawler.stats.set_value(STORE_ERROR, error)
    stop_crawl(crawler, STORAGE_ERROR)


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
