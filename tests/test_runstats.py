"""The crawl's stats collector (newscrawl.runlog.RunStats) counts as Scrapy's does."""

from __future__ import annotations

import pytest
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from newscrawl.runlog import RunStats


def test_the_crawl_counts_with_run_stats() -> None:
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    assert load_object(settings["STATS_CLASS"]) is RunStats


def test_run_stats_count_as_scrapys() -> None:
    crawler = get_crawler()
    ours, scrapys = RunStats(crawler), MemoryStatsCollector(crawler)
    for stats in (ours, scrapys):
        stats.inc_value("pages")
        stats.inc_value("pages", 2)
        stats.max_value("peak", 5)
        stats.max_value("peak", 3)
        stats.min_value("low", 2)
        stats.set_value("reason", "finished")
    assert ours.get_stats() == scrapys.get_stats() == {
        "pages": 3, "peak": 5, "low": 2, "reason": "finished",
    }  # fmt: skip
    ours.inc_value("pages", spider=None)  # None is no spider: nothing to warn of
    assert ours.get_value("pages") == 4


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("inc_value", ("pages",)), ("set_value", ("pages", 1)), ("get_value", ("pages",)),
        ("max_value", ("pages", 1)), ("min_value", ("pages", 1)), ("get_stats", ()),
        ("set_stats", ({},)), ("clear_stats", ()), ("open_spider", ()),
    ],
)  # fmt: skip
def test_a_spider_argument_is_taken_with_scrapys_deprecation_warning(
    method: str, args: tuple[object, ...]
) -> None:
    """RunStats skips Scrapy's attribute hook, which is where Scrapy warns of a
    deprecated `spider` argument: a plugin that passed one went unwarned."""
    stats = RunStats(get_crawler())
    stats.set_value("pages", 3)
    with pytest.warns(ScrapyDeprecationWarning, match=f"RunStats.{method}"):
        getattr(stats, method)(*args, spider=object())
    if method == "inc_value":
        assert stats.get_value("pages") == 4
