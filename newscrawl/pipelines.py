"""Item pipelines: thin Scrapy adapters over extraction, cleaning and storage.

Order (see ITEM_PIPELINES in settings): extraction turns a PageItem into an
ArticleItem, cleaning cleans it or drops it, the store (SQLite or PostgreSQL,
see newscrawl/runstore.py) keeps it. JSON Lines output is Scrapy's own feed
export, which receives what comes out of the last pipeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from newscrawl.article import build_article, clean_article, raw_fingerprints
from newscrawl.cleaning.siteboiler import SiteModel
from newscrawl.config import NewscrawlConfig
from newscrawl.items import ArticleItem, PageItem
from newscrawl.runlog import count_site, stop_on_write_error
from newscrawl.runstore import RunStore, url_states
from newscrawl.stopwatch import stop_crawl
from newscrawl.storage import OTHER_SITE, StorageError
from newscrawl.vocabulary import (
    ARTICLES,
    CANONICAL_REFUSED,
    CPU_MS,
    DROPPED,
    EXTRACTION_ERROR,
    EXTRACTION_FAILED,
    PAGES_DROPPED,
    STORE,
    STORED,
    UNCHANGED,
)
from newscrawl.workers import (
    EXTRACTION_CRASHED,
    EXTRACTION_MEMORY,
    EXTRACTION_TIMEOUT,
    TASK_FAILURES,
    ExtractionPool,
    TimedExtraction,
    extract_timed,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from newscrawl.frontier import Frontier

__all__ = ["CleaningPipeline", "ExtractionPipeline", "NoArticle", "StorePipeline"]

logger = logging.getLogger(__name__)


class NoArticle(DropItem):
    """A fetched page that yields no article; `reason` is the short name counted in stats."""

    def __init__(self, url: str | None, reason: str, detail: str = "") -> None:
        super().__init__(f"no article at {url}: {reason}{detail}")
        self.reason = reason


def _stats(crawler: Crawler) -> StatsCollector:
    assert crawler.stats is not None  # set by Scrapy before pipelines are built
    return crawler.stats


def _ms_since(started: float) -> int:
    """CPU milliseconds of this process since `started` (a time.process_time())."""
    return round((time.process_time() - started) * 1000)


def _no_article(
    crawler: Crawler, url: str, site: str | None, reason: str, detail: str = ""
) -> NoArticle:
    """Count a page without an article, settle its URL in the store, and say why."""
    _stats(crawler).inc_value(f"{PAGES_DROPPED}{reason}")
    count_site(crawler, site, reason)
    states = url_states(crawler)
    if states is not None and site:
        states.mark_not_article(site, url, reason)
    return NoArticle(url, reason, detail)


# The page the workers' start is checked with, and how long they may take to answer
# it: a fork server loads trafilatura first (2-5 s on the project's machine, up
# to 4 times that on a loaded one).
PROBE_PAGE = "<html><body><p>newscrawl checks that its workers start</p></body></html>"
WORKER_START_SECONDS = 60.0
# Pages in a row whose worker died that stop the crawl.
WORKER_CRASH_LIMIT = 5


class ExtractionPipeline:
    """PageItem -> ArticleItem with trafilatura's text and metadata.

    Extraction runs in a pool of worker processes (NEWSCRAWL_WORKERS), awaited so
    that the event loop keeps downloading meanwhile; at most NEWSCRAWL_EXTRACT_QUEUE
    pages wait for a worker, and while they do, Scrapy holds back further
    responses (its scraper slot is full), so a fast site cannot fill memory.
    """

    def __init__(self, config: NewscrawlConfig, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = _stats(crawler)
        self.workers = config.worker_count
        self.timeout = config.extract_timeout
        self.memory_mb = config.worker_memory_mb
        self.queue_size = config.queue_size
        self.pool: ExtractionPool | None = None
        self.slots: asyncio.Semaphore | None = None
        self.crashes_in_a_row = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractionPipeline:
        return cls(NewscrawlConfig.of(crawler), crawler)

    async def open_spider(self) -> None:
        if self.workers > 0:
            self.pool = ExtractionPool(self.workers, self.timeout, self.memory_mb)
            self.slots = asyncio.Semaphore(self.queue_size)
            logger.info("extracting in %d worker processes", self.workers)
            await self._check_workers(self.pool)

    async def _check_workers(self, pool: ExtractionPool) -> None:
        """Fail fast, before any request, when the workers cannot start: a page,
        extracted. (Otherwise every page would wait for workers that never come.)"""
        future = pool.submit(PROBE_PAGE, None)
        try:
            await asyncio.wait_for(asyncio.wrap_future(future), WORKER_START_SECONDS)
        except (TimeoutError, *TASK_FAILURES) as exc:
            why = "they did not answer" if isinstance(exc, asyncio.TimeoutError) else str(exc)
            self._give_up(f"the extraction workers cannot start: {why or type(exc).__name__}")
            raise CloseSpider(EXTRACTION_FAILED) from None

    def _give_up(self, message: str) -> None:
        logger.error("stopping the crawl: %s", message)
        self.stats.set_value(EXTRACTION_ERROR, message)

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.stop()
            self.pool = None

    def _watch_crashes(self, failure: str | None) -> None:
        """Workers that die on page after page (a broken installation, a machine
        out of memory) end the crawl rather than fetch pages nobody can extract."""
        self.crashes_in_a_row = self.crashes_in_a_row + 1 if failure == EXTRACTION_CRASHED else 0
        if self.crashes_in_a_row == WORKER_CRASH_LIMIT:
            self._give_up(f"the extraction workers died on {WORKER_CRASH_LIMIT} pages in a row")
            stop_crawl(self.crawler, EXTRACTION_FAILED)

    async def _extract(self, item: PageItem) -> TimedExtraction:
        if self.pool is None or self.slots is None:
            return extract_timed(item.html, item.url)
        async with self.slots:
            future = self.pool.submit(item.html, item.url)
            with contextlib.suppress(*TASK_FAILURES):  # outcome() reports them
                await asyncio.wrap_future(future)
            return ExtractionPool.outcome(future)

    async def process_item(self, item: object) -> object:
        if not isinstance(item, PageItem):
            return item
        timed = await self._extract(item)
        self.stats.inc_value(f"{CPU_MS}extract", round(timed.cpu_seconds * 1000))
        extraction = timed.extraction
        self._watch_crashes(extraction.failure)
        if extraction.failure in (EXTRACTION_TIMEOUT, EXTRACTION_CRASHED, EXTRACTION_MEMORY):
            logger.warning("extraction failed for %s: %s", item.url, extraction.failure)
        if extraction.failure:
            raise _no_article(self.crawler, item.url, item.hints.get("site"), extraction.failure)
        article = build_article(extraction, item.url, item.fetched_at, item.hints)
        if article.hints.get("canonical_refused"):
            logger.info(
                "%s declares another site's canonical URL %s: stored under its own address",
                item.url, article.hints["canonical_refused"],
            )  # fmt: skip
            self.stats.inc_value(CANONICAL_REFUSED)
            count_site(self.crawler, article.site, "canonical_refused")
        return article


class CleaningPipeline:
    """Cleans an ArticleItem's text; drops the item when too little text is left.

    Site boilerplate is learned from the pages of this run as they come; the
    SQLite store re-cleans its rows against the final counts when the crawl ends.
    """

    def __init__(self, config: NewscrawlConfig, crawler: Crawler) -> None:
        self.cleaner_for = config.cleaners()
        self.min_words = config.min_words
        self.crawler = crawler
        self.stats = _stats(crawler)
        self.sites = SiteModel()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleaningPipeline:
        return cls(NewscrawlConfig.of(crawler), crawler)

    def process_item(self, item: object) -> object:
        if not isinstance(item, ArticleItem):
            return item
        started = time.process_time()
        try:
            return self._clean(item)
        finally:
            self.stats.inc_value(f"{CPU_MS}clean", _ms_since(started))

    def _clean(self, item: ArticleItem) -> ArticleItem:
        boilerplate: frozenset[str] = frozenset()
        if item.site and item.canonical_url:
            fingerprints = raw_fingerprints(item)
            self.sites.observe(item.site, item.canonical_url, fingerprints)
            boilerplate = self.sites.boilerplate(item.site, among=fingerprints)
        reason = clean_article(item, self.cleaner_for(item.site), self.min_words, boilerplate)
        for rule, dropped in item.cleaning.items():
            if dropped:
                self.stats.inc_value(f"{DROPPED}{rule}", dropped)
        if reason:
            url = item.url or ""
            raise _no_article(self.crawler, url, item.site, reason, f" ({item.word_count} words)")
        self.stats.inc_value(ARTICLES)
        return item


class StorePipeline:
    """Upserts articles into the crawl's store (SQLite or PostgreSQL), committing in
    batches.

    An article's URLs are marked done in the transaction that stores it. A batch
    is committed every `sqlite_commit_every` items, after `sqlite_commit_seconds`,
    and when the spider closes (Ctrl-C included), so a stopped crawl keeps
    everything up to its last commit, and its next run fetches the rest. An
    article counts as stored (in the run record, the summary, the progress line)
    once its batch is committed, not before.
    """

    def __init__(self, config: NewscrawlConfig, crawler: Crawler) -> None:
        if config.database is None:
            raise NotConfigured  # off: nothing to log, it is the default
        self.crawler = crawler
        self.commit_every = config.sqlite_commit_every
        self.commit_seconds = config.sqlite_commit_seconds
        self.stats = _stats(crawler)
        self.store: RunStore | None = None
        self.last_commit = time.monotonic()
        self.uncommitted: list[tuple[str | None, str]] = []  # (site, outcome) of the batch

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(NewscrawlConfig.of(crawler), crawler)

    def open_spider(self) -> None:
        self.store = RunStore.of(self.crawler)

    def process_item(self, item: object) -> object:
        store = self.store
        if not isinstance(item, ArticleItem) or store is None or store.frontier is None:
            return item
        started = time.process_time()
        try:
            return self._store(item, store.frontier)
        finally:
            self.stats.inc_value(f"{CPU_MS}store", _ms_since(started))

    def _store(self, item: ArticleItem, frontier: Frontier) -> ArticleItem:
        try:
            outcome = frontier.store_article(item)
            self.uncommitted.append((item.site, outcome))
            now = time.monotonic()
            if (
                frontier.store.pending >= self.commit_every
                or now - self.last_commit >= self.commit_seconds
            ):
                self._commit(frontier)
                self.last_commit = now
        except StorageError as exc:
            stop_on_write_error(self.crawler, str(exc))
            return item  # the feeds still get it: a storage failure must not lose it
        if outcome == OTHER_SITE:
            logger.warning(
                "%s: another site's article is stored under %s; this copy is not",
                item.url, item.canonical_url,
            )  # fmt: skip
        return item

    def _commit(self, frontier: Frontier) -> None:
        """Commit the batch, then count what it stored (StorageError: nothing)."""
        frontier.store.commit()
        for site, outcome in self.uncommitted:
            counter = outcome if outcome in (UNCHANGED, OTHER_SITE) else STORED
            count_site(self.crawler, site, counter)
            self.stats.inc_value(f"{STORE}{outcome}")
        self.uncommitted.clear()

    def close_spider(self) -> None:
        if self.store is not None and self.store.frontier is not None:
            try:
                self._commit(self.store.frontier)
            except StorageError as exc:
                logger.error("%s", exc)
        self.store = None
