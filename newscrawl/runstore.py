"""The store of one crawl: one owner opens it, keeps it, closes it.

`RunStore` is an extension. When the spider opens, before the first request, it
locks a SQLite file (newscrawl/storelock.py), opens and migrates the database,
and records the run; a database it cannot open or lock ends the crawl before
anything is fetched, with finish reason STORE_UNAVAILABLE and the reason in the
stats (the `newscrawl` command prints it as one line, exit code 2). When the
spider closes, after the pipelines, it re-cleans the sites of the run against
their final site model, writes the run's record and closes the store, on a
thread, so that the event loop keeps turning meanwhile. (When
JSON Lines records wait for their rows' final text, the store pipeline has the
re-clean done as it closes, before it writes them: see `reclean_run`.)

The spider and the pipelines find it with `RunStore.of(crawler)`. A worker of a
writer cluster has no store: its URL states go to the run's writer through the
cluster worker's relay, which `url_states` hands out in the store's place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from newscrawl.config import NewscrawlConfig
from newscrawl.frontier import Frontier, URLStates
from newscrawl.reclean import reclean
from newscrawl.runlog import (
    count_write_error,
    patterns_timed_out,
    site_counts,
    stop_on_write_error,
)
from newscrawl.storage import ArticleStore, StorageError
from newscrawl.storelock import StoreLock
from newscrawl.vocabulary import RECLEANED, STORAGE_ERROR, STORE_ERROR, STORE_UNAVAILABLE

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["RunStore", "StoppingURLStates", "url_states"]

logger = logging.getLogger(__name__)


class RunStore:
    """Extension: the crawl's store (NEWSCRAWL_SQLITE_PATH or NEWSCRAWL_DATABASE_URL)."""

    def __init__(self, crawler: Crawler) -> None:
        config = NewscrawlConfig.of(crawler)
        if config.database is None and not config.cluster_writer:
            raise NotConfigured  # off: nothing to log, it is the default
        self.crawler = crawler
        self.database = config.database
        self.writer_cluster = config.database is None
        self.store_timeout = config.store_timeout
        self.cleaner_for = config.cleaners()
        self.articles: ArticleStore | None = None
        self.frontier: Frontier | None = None
        self.lock: StoreLock | None = None
        self.run_id: int | None = None
        self.recleaned = False  # the end-of-run re-clean is done (or was not to be)
        # What the crawl records of the URLs it tracks: the frontier, or a relay.
        self.url_states: URLStates | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunStore:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> RunStore | None:
        """The crawl's store, or None when it has none."""
        return crawler.get_extension(cls)

    def spider_opened(self, spider: Any) -> None:
        if self.writer_cluster:
            from newscrawl.cluster.worker import ClusterWorker  # the cluster extra

            self.url_states = ClusterWorker.of(self.crawler).relay
            return
        assert self.database is not None
        try:
            self._open(self.database, spider)
        except StorageError as exc:
            self._close_quietly()
            if self.crawler.stats is not None:
                self.crawler.stats.set_value(STORE_ERROR, str(exc))
            logger.error("%s", exc)
            raise CloseSpider(STORE_UNAVAILABLE) from None

    def _open(self, database: Path | str, spider: Any) -> None:
        if isinstance(database, Path):
            # Before the database: two runs never migrate or write one file at once.
            self.lock = StoreLock(database)
            self.lock.acquire()
        self.articles = ArticleStore.open(database, call_limit=self.store_timeout)
        self.frontier = Frontier(self.articles)
        self.url_states = StoppingURLStates(self.frontier, self.crawler)
        self.run_id = self.frontier.start_run(spider.name)
        logger.info("storing articles in %s", self.articles.path)

    async def spider_closed(self, spider: Any, reason: str) -> None:
        if self.articles is None:
            return
        # On a thread, as the store pipeline's close: a big run's re-clean takes
        # seconds, and the event loop must keep turning. Scrapy waits for it.
        await maybe_deferred_to_future(threads.deferToThread(self.finish, reason))

    def finish(self, reason: str) -> None:
        """Re-clean the run's sites (unless done), record the run's end, close."""
        if self.articles is None or self.frontier is None:
            return
        try:
            stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
            counts = site_counts(stats)
            if reason != STORAGE_ERROR:
                self.reclean_run()
            if self.run_id is not None:
                self.frontier.finish_run(self.run_id, reason, counts)
        except StorageError as exc:
            count_write_error(self.crawler, str(exc), "could not finish the run record: ")
        finally:
            self._close_quietly()

    def reclean_run(self, also: Iterable[str] = ()) -> None:
        """Clean the sites of this run (and `also`) against everything now known
        about them, so stored text does not depend on the order pages arrived in.
        Once a run: the store pipeline asks first when JSON Lines records wait for
        the final text (newscrawl/feeds.py), else the spider's close does. Not
        after a failed write (the crawl stopped with STORAGE_ERROR)."""
        if self.recleaned or self.articles is None:
            return
        self.recleaned = True
        stats = self.crawler.stats
        if stats is not None and stats.get_value(STORE_ERROR):
            return
        sites = set(site_counts(stats.get_stats() if stats is not None else {})) | set(also)
        changed = reclean(
            self.articles, self.cleaner_for, sorted(sites), stale_only=True,
            # The pages were counted as the run read them; warned of once a crawl.
            timed_out=lambda site, url, patterns: patterns_timed_out(
                self.crawler, site, url, patterns, count=False
            ),
        )  # fmt: skip
        if stats is not None:
            stats.set_value(RECLEANED, changed)

    def _close_quietly(self) -> None:
        # The connection first: closing any descriptor of the file would drop
        # SQLite's own locks, and the store lock's release closes one.
        try:
            if self.articles is not None:
                self.articles.close()  # its last commit
        except StorageError as exc:
            count_write_error(self.crawler, str(exc))
        finally:
            self.articles = self.frontier = None
            self.url_states = None
            if self.lock is not None:
                self.lock.release()
                self.lock = None


class StoppingURLStates:
    """The frontier's URL states, as the spider and the pipelines write them: a
    write the store refuses (its PostgreSQL server restarted or gone, a full
    disk) stops the crawl as a failed article's does (storage_error, one line,
    exit 1). Raised into Scrapy, it was a traceback, and a page without an
    article was counted as an article lost to an error in an item pipeline."""

    def __init__(self, frontier: Frontier, crawler: Crawler) -> None:
        self.frontier = frontier
        self.crawler = crawler

    def add_pending(
        self, site: str, url: str, published: str | None, title: str | None,
        depth: int | None = None,
    ) -> None:  # fmt: skip
        try:
            self.frontier.add_pending(site, url, published, title, depth)
        except StorageError as exc:
            stop_on_write_error(self.crawler, str(exc))

    def add_pending_links(self, site: str, links: list[tuple[str, int]]) -> None:
        try:
            self.frontier.add_pending_links(site, links)
        except StorageError as exc:
            stop_on_write_error(self.crawler, str(exc))

    def mark_failed(self, site: str, url: str, reason: str) -> None:
        try:
            self.frontier.mark_failed(site, url, reason)
        except StorageError as exc:
            stop_on_write_error(self.crawler, str(exc))

    def mark_not_article(self, site: str, url: str, reason: str) -> None:
        try:
            self.frontier.mark_not_article(site, url, reason)
        except StorageError as exc:
            stop_on_write_error(self.crawler, str(exc))

    def mark_read_again(self, site: str, url: str) -> None:
        try:
            self.frontier.mark_read_again(site, url)
        except StorageError as exc:
            stop_on_write_error(self.crawler, str(exc))

    def mark_unchanged(self, url: str) -> None:
        try:
            self.frontier.mark_unchanged(url)
        except StorageError as exc:
            stop_on_write_error(self.crawler, str(exc))


def url_states(crawler: Crawler) -> URLStates | None:
    """Where the crawl records what became of the URLs it tracks (found in a
    sitemap or feed, failed, not an article): its store's frontier, a writer
    cluster's relay, or None."""
    store = RunStore.of(crawler)
    return store.url_states if store is not None else None
