"""Item pipelines: thin Scrapy adapters over extraction, cleaning and storage.

Order (see ITEM_PIPELINES in settings): extraction turns a PageItem into an
ArticleItem, cleaning cleans it or drops it, SQLite stores it. JSON Lines output
is Scrapy's own feed export, which receives what comes out of the last pipeline.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from newscrawl.article import build_article, clean_article, raw_fingerprints
from newscrawl.cleaning.siteboiler import SiteModel
from newscrawl.config import NewscrawlConfig
from newscrawl.extract import extract_article
from newscrawl.items import ArticleItem, PageItem
from newscrawl.storage import ArticleStore, StorageError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

__all__ = ["CleaningPipeline", "ExtractionPipeline", "NoArticle", "SqlitePipeline"]

logger = logging.getLogger(__name__)

# The finish reason of a crawl stopped because its database could not be written.
STORAGE_ERROR = "storage_error"


class NoArticle(DropItem):
    """A fetched page that yields no article; `reason` is the short name counted in stats."""

    def __init__(self, url: str | None, reason: str, detail: str = "") -> None:
        super().__init__(f"no article at {url}: {reason}{detail}")
        self.reason = reason


def _stats(crawler: Crawler) -> StatsCollector:
    assert crawler.stats is not None  # set by Scrapy before pipelines are built
    return crawler.stats


def _config(crawler: Crawler) -> NewscrawlConfig:
    return NewscrawlConfig.from_settings(crawler.settings)


class ExtractionPipeline:
    """PageItem -> ArticleItem with trafilatura's text and metadata."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        return cls(_stats(crawler))

    def process_item(self, item: object) -> object:
        if not isinstance(item, PageItem):
            return item
        extraction = extract_article(item.html, item.url)
        if extraction.failure:
            self.stats.inc_value(f"newscrawl/pages_dropped/{extraction.failure}")
            raise NoArticle(item.url, extraction.failure)
        return build_article(extraction, item.url, item.fetched_at)


class CleaningPipeline:
    """Cleans an ArticleItem's text; drops the item when too little text is left.

    Site boilerplate is learned from the pages of this run as they come; the
    SQLite store re-cleans its rows against the final counts when the crawl ends.
    """

    def __init__(self, config: NewscrawlConfig, stats: StatsCollector) -> None:
        self.cleaner = config.make_cleaner()
        self.min_words = config.min_words
        self.stats = stats
        self.sites = SiteModel()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleaningPipeline:
        return cls(_config(crawler), _stats(crawler))

    def process_item(self, item: object) -> object:
        if not isinstance(item, ArticleItem):
            return item
        boilerplate: frozenset[str] = frozenset()
        if item.site and item.canonical_url:
            self.sites.observe(item.site, item.canonical_url, raw_fingerprints(item))
            boilerplate = self.sites.boilerplate(item.site)
        reason = clean_article(item, self.cleaner, self.min_words, boilerplate)
        for rule, dropped in item.cleaning.items():
            if dropped:
                self.stats.inc_value(f"newscrawl/dropped/{rule}", dropped)
        if reason:
            self.stats.inc_value(f"newscrawl/pages_dropped/{reason}")
            raise NoArticle(item.url, reason, f" ({item.word_count} words)")
        self.stats.inc_value("newscrawl/articles")
        return item


class SqlitePipeline:
    """Upserts articles into SQLite (NEWSCRAWL_SQLITE_PATH), committing in batches.

    A batch is committed every `sqlite_commit_every` items, after
    `sqlite_commit_seconds`, and when the spider closes (Ctrl-C included), so a
    stopped crawl keeps everything up to its last commit.
    """

    def __init__(
        self, config: NewscrawlConfig, stats: StatsCollector, crawler: Crawler | None = None
    ) -> None:
        if config.sqlite_path is None:
            raise NotConfigured("NEWSCRAWL_SQLITE_PATH is not set")
        self.crawler = crawler
        self.path = config.sqlite_path
        self.commit_every = config.sqlite_commit_every
        self.commit_seconds = config.sqlite_commit_seconds
        self.stats = stats
        self.cleaner = config.make_cleaner()
        self.store: ArticleStore | None = None
        self.last_commit = time.monotonic()
        self.sites_written: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SqlitePipeline:
        return cls(_config(crawler), _stats(crawler), crawler)

    def open_spider(self) -> None:
        self.store = ArticleStore.open(self.path)
        logger.info("storing articles in %s", self.path)

    def process_item(self, item: object) -> object:
        if not isinstance(item, ArticleItem) or self.store is None:
            return item
        try:
            self.store.upsert(item)
            now = time.monotonic()
            if (
                self.store.pending >= self.commit_every
                or now - self.last_commit >= self.commit_seconds
            ):
                self.store.commit()
                self.last_commit = now
        except StorageError as exc:
            self._stop(exc)
            return item  # the feeds still get it: a storage failure must not lose it
        if item.site:
            self.sites_written.add(item.site)
        self.stats.inc_value("newscrawl/sqlite/rows_written")
        return item

    def _stop(self, error: StorageError) -> None:
        """End the crawl at the first write error: every later write would fail too."""
        self.stats.inc_value("newscrawl/sqlite/write_errors")
        if self.stats.get_value("newscrawl/sqlite/write_errors") > 1:
            return
        logger.error("stopping the crawl: %s", error)
        self.stats.set_value("newscrawl/sqlite/error", str(error))
        if self.crawler is not None and self.crawler.engine is not None:
            engine = self.crawler.engine
            if hasattr(engine, "close_spider_async"):  # Scrapy 2.14+
                deferred_from_coro(engine.close_spider_async(reason=STORAGE_ERROR))
            elif self.crawler.spider is not None:
                engine.close_spider(self.crawler.spider, STORAGE_ERROR)

    def close_spider(self) -> None:
        if self.store is None:
            return
        try:
            self.store.commit()
            # Clean the sites of this run against everything now known about them, so
            # stored text does not depend on the order pages arrived in.
            changed = self.store.reclean(self.cleaner, self.sites_written)
            self.stats.set_value("newscrawl/sqlite/recleaned", changed)
        finally:
            self.store.close()
            self.store = None
