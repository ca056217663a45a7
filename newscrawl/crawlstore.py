"""The SQLite store of one crawl, shared by the spider, the pipelines and the run log.

Opened on first use (taking the store's lock, so two crawls never write one
database at once) and closed when the spider closes: the sites of the run are
re-cleaned against the final site model, the run's record is written, the lock
released.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl.config import crawler_config
from newscrawl.frontier import Frontier, URLStates
from newscrawl.stopwatch import stop_crawl
from newscrawl.storage import ArticleStore, StorageError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = [
    "SITE_STATS",
    "STORAGE_ERROR",
    "WRITE_ERRORS",
    "CrawlStore",
    "StoreLock",
    "count_site",
    "crawl_store",
    "site_counts",
    "stop_on_write_error",
    "url_states",
]

logger = logging.getLogger(__name__)

SITE_STATS = "newscrawl/site/"
# The finish reason of a crawl stopped because its store could not be written.
STORAGE_ERROR = "storage_error"
# The stats key failed store writes are counted under. A cluster worker
# acknowledges no request once it is set: their articles may not be stored.
WRITE_ERRORS = "newscrawl/sqlite/write_errors"


def stop_on_write_error(crawler: Crawler, error: str) -> None:
    """Count a store write that failed; the first one ends the crawl (finish reason
    STORAGE_ERROR), since every later write would fail too."""
    assert crawler.stats is not None
    crawler.stats.inc_value(WRITE_ERRORS)
    if crawler.stats.get_value(WRITE_ERRORS) > 1:
        return
    logger.error("stopping the crawl: %s", error)
    crawler.stats.set_value("newscrawl/sqlite/error", error)
    stop_crawl(crawler, STORAGE_ERROR)


def count_site(crawler: Crawler, site: str | None, counter: str, count: int = 1) -> None:
    """Count an event of a site for the run record (and the crawl stats)."""
    if crawler.stats is not None and site:
        crawler.stats.inc_value(f"{SITE_STATS}{site}/{counter}", count)


def site_counts(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """The counts `count_site` made, by site and counter, from a crawl's stats."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value in stats.items():
        if key.startswith(SITE_STATS) and isinstance(value, int):
            site, _, counter = key[len(SITE_STATS) :].rpartition("/")
            counts[site][counter] = value
    return counts


class StoreLock:
    """An exclusive lock on a database (a `.lock` file beside it), held for a run.

    flock locks go with the process: a crawl killed with SIGKILL leaves none behind.
    """

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StorageError(
                f"another newscrawl crawl ({holder}) is using {self.path.with_suffix('')}; "
                "this one stops"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class CrawlStore:
    """The open store, its frontier and lock, for one crawler.

    A SQLite file is locked for the run; a PostgreSQL database is not, since the
    workers of a cluster write it together (each one its own sites).
    """

    def __init__(self, database: Path | str) -> None:
        self.lock: StoreLock | None = None
        if isinstance(database, Path):
            self.lock = StoreLock(database)
            self.lock.acquire()
        try:
            self.articles = ArticleStore.open(database)
        except StorageError:
            if self.lock is not None:
                self.lock.release()
            raise
        self.frontier = Frontier(self.articles)
        self.run_id: int | None = None

    def close(self) -> None:
        try:
            self.articles.close()
        finally:
            if self.lock is not None:
                self.lock.release()


def crawl_store(crawler: Crawler) -> CrawlStore | None:
    """The crawler's store, opened on first use; None when no database is configured."""
    store: CrawlStore | None = getattr(crawler, "_newscrawl_store", None)
    if store is None:
        config = crawler_config(crawler)
        if config.database is None:
            return None
        store = CrawlStore(config.database)
        crawler._newscrawl_store = store  # type: ignore[attr-defined]
        store.run_id = store.frontier.start_run(crawler.spidercls.name)
    return store


def url_states(crawler: Crawler) -> URLStates | None:
    """Where the crawl records what became of the URLs it tracks: its store's
    frontier; a worker of a writer cluster has no store and sends them to the
    writer; None when neither is configured."""
    store = crawl_store(crawler)
    if store is not None:
        return store.frontier
    if not crawler.settings.getbool("NEWSCRAWL_CLUSTER_WRITER"):
        return None
    relay: URLStates | None = getattr(crawler, "_newscrawl_url_relay", None)
    if relay is None:
        from newscrawl.writer import URLStateRelay  # needs the cluster extra

        relay = URLStateRelay.for_crawler(crawler)
        crawler._newscrawl_url_relay = relay  # type: ignore[attr-defined]
    return relay


class CrawlStoreExtension:
    """Closes the crawl's store when the spider closes, after the pipelines."""

    def __init__(self, crawler: Crawler) -> None:
        config = crawler_config(crawler)
        if config.database is None:
            raise NotConfigured  # off: nothing to log, it is the default
        self.crawler = crawler
        self.cleaner_for = config.cleaners()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStoreExtension:
        return cls(crawler)

    def spider_closed(self, spider: Any, reason: str) -> None:
        store: CrawlStore | None = getattr(self.crawler, "_newscrawl_store", None)
        if store is None:
            return
        try:
            stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
            counts = site_counts(stats)
            if reason != "storage_error":
                # Clean the sites of this run against everything now known about them,
                # so stored text does not depend on the order pages arrived in.
                changed = store.articles.reclean(self.cleaner_for, sorted(counts), stale_only=True)
                if self.crawler.stats is not None:
                    self.crawler.stats.set_value("newscrawl/sqlite/recleaned", changed)
            if store.run_id is not None:
                store.frontier.finish_run(store.run_id, reason, counts)
        except StorageError as exc:
            logger.error("could not finish the run record: %s", exc)
        finally:
            store.close()
            self.crawler._newscrawl_store = None  # type: ignore[attr-defined]
