"""The crawl's stats collector (newscrawl.runlog.RunStats) counts as Scrapy's does."""

from __future__ import annotations

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
    ours.inc_value("pages", spider=None)  # deprecated by Scrapy: still taken, unwarned
    assert ours.get_value("pages") == 4
