"""Item pipelines: thin Scrapy adapters over the site's cleaning and the store.

A worker has read each article and cleaned it by the page's own rules (see
newscrawl/pageworker.py). Here, in order (ITEM_PIPELINES): the cleaning pipeline
applies its site's boilerplate (a set lookup in the site model) and the minimum
length, and the store (SQLite or PostgreSQL, see newscrawl/runstore.py) keeps
it. JSON Lines output is Scrapy's own feed export, except for its text: a JSON
Lines file's records wait in a spool beside it (newscrawl/feeds.py), held by the
cleaning pipeline before the store commits their rows, and are written when the
pipelines close, each with its final text: its row's after the store's re-clean
of the run's sites, or, without a store, its page's cleaned against the site
model of every spooled article. So no record depends on the order pages came in.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task, threads

from newscrawl.article import clean_article_explained, drop_reason, raw_fingerprints
from newscrawl.cleaning.cleaner import text_without_site_boilerplate
from newscrawl.cleaning.normalize import word_count
from newscrawl.cleaning.siteboiler import SiteModel
from newscrawl.config import NewscrawlConfig
from newscrawl.feeds import (
    FeedSpool,
    PageState,
    SpoolError,
    commit_spools,
    discard_unchanged,
    drop_unstored_records,
    flush_spools,
    keep_stored_record,
    open_spools,
    output_failed,
    spools_of,
    spools_stored,
)
from newscrawl.frontier import counted_as
from newscrawl.items import ArticleItem, article_record
from newscrawl.runlog import count_site, count_write_error, patterns_timed_out, stop_on_write_error
from newscrawl.runstore import RunStore, url_states
from newscrawl.storage import OTHER_SITE, SHRUNK, RolledBack, StorageError
from newscrawl.vocabulary import ARTICLES, CPU_MS, DROPPED, PAGES_DROPPED, STORE, UNCHANGED

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from newscrawl.frontier import Frontier

__all__ = ["CleaningPipeline", "NoArticle", "StorePipeline"]

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
    """CPU milliseconds of this thread since `started` (a time.thread_time()).

    The thread's, not the process's (time.process_time()): the other threads'
    work in the meantime (the pool's, Twisted's, while SQLite holds no lock on
    Python) is not this step's. With the process's, a 1,165-page crawl counted
    0.29-0.34 ms a page to cleaning, with the thread's 0.08-0.14."""
    return round((time.thread_time() - started) * 1000)


def _no_article(
    crawler: Crawler, url: str, site: str | None, reason: str, detail: str = "",
    asked: str | None = None,
) -> NoArticle:  # fmt: skip
    """Count a page without an article, settle its URL in the store (`asked`, the
    URL it was asked for before redirects, where known: the one its sitemap
    lists), and say why."""
    _stats(crawler).inc_value(f"{PAGES_DROPPED}{reason}")
    count_site(crawler, site, reason)
    states = url_states(crawler)
    if states is not None and site:
        states.mark_not_article(site, asked or url, reason)
    return NoArticle(url, reason, detail)


class CleaningPipeline:
    """Applies its site's boilerplate to an article a worker cleaned by the page's
    own rules; drops the item when too little text is left.

    Site boilerplate is learned from the pages of this run as they come; the store
    re-cleans its rows against the final counts when the crawl ends.
    """

    def __init__(self, config: NewscrawlConfig, crawler: Crawler) -> None:
        self.min_words = config.min_words
        self.cleaner_for = config.cleaners()
        self.crawler = crawler
        self.stats = _stats(crawler)
        self.sites = SiteModel()
        # With a store, its pipeline writes the spooled records after the re-clean.
        self.has_store = config.database is not None
        self.spools: list[FeedSpool] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleaningPipeline:
        return cls(NewscrawlConfig.of(crawler), crawler)

    def open_spider(self) -> None:
        self.spools = open_spools(self.crawler)

    async def close_spider(self) -> None:
        if self.has_store or not self.spools:
            return  # with a store, its pipeline writes the records
        # On a thread, as the store pipeline's close (see there).
        await maybe_deferred_to_future(
            threads.deferToThread(flush_spools, self.crawler, None, self.min_words)
        )

    def process_item(self, item: object) -> object:
        if not isinstance(item, ArticleItem):
            self._spool(item, None)
            return item
        started = time.thread_time()
        try:
            return self._clean(item)
        finally:
            self.stats.inc_value(f"{CPU_MS}clean", _ms_since(started))

    def _spool(self, item: object, page: PageState | None, raw: list[str] | None = None) -> None:
        """Hold the item for each spooled JSON Lines output (committed with the
        store's next commit, before its rows, so a killed run's records are there
        for the next run)."""
        if not self.spools:
            return
        if isinstance(item, ArticleItem):
            record, site, key = article_record(item), item.site, item.canonical_url
        else:
            record, site, key = ItemAdapter(item).asdict(), None, None
        # The spool's own site model is for a crawl without a store (a store has
        # its own); a page's raw fingerprints may be 50,000 rows, so only then.
        fingerprints = () if self.has_store else (raw or ())
        for spool in self.spools:
            if spool.failed:
                continue
            try:
                spool.add(record, site, key, page, fingerprints)
            except SpoolError as exc:
                spool.failed = True
                output_failed(self.crawler, str(exc))

    def _clean(self, item: ArticleItem) -> ArticleItem:
        raw = item.raw_fingerprints
        if raw is None:
            raw = sorted(raw_fingerprints(item))
        page = None
        if item.kept_fingerprints is not None and self.spools:
            # As the page's own rules left it: what the final model is applied to.
            page = PageState(
                item.text, item.word_count, dict(item.cleaning), list(item.kept_fingerprints)
            )
        boilerplate: frozenset[str] = frozenset()
        if item.site and item.canonical_url:
            self.sites.observe(item.site, item.canonical_url, raw)
            boilerplate = self.sites.boilerplate(item.site, among=raw)
        if item.kept_fingerprints is None:
            # Not read by newscrawl's workers (another spider's item): every rule here.
            result = clean_article_explained(item, self.cleaner_for(item.site), boilerplate)
            patterns_timed_out(self.crawler, item.site, item.url or "", result.timed_out)
        else:
            self._drop_site_boilerplate(item, item.kept_fingerprints, boilerplate)
            item.boilerplate_used = sorted(set(raw) & boilerplate)
        for rule, dropped in item.cleaning.items():
            if dropped:
                self.stats.inc_value(f"{DROPPED}{rule}", dropped)
        reason = drop_reason(item, self.min_words)
        if reason:
            url = item.url or ""
            raise _no_article(self.crawler, url, item.site, reason, f" ({item.word_count} words)",
                              asked=item.hints.get("requested_url"))  # fmt: skip
        self.stats.inc_value(ARTICLES)
        self._spool(item, page, raw)
        return item

    def _drop_site_boilerplate(
        self, item: ArticleItem, kept_fingerprints: list[str], boilerplate: frozenset[str]
    ) -> None:
        """The site's part of cleaning, on what the page's rules kept (a set lookup)."""
        item.text, item.word_count, item.cleaning = text_without_site_boilerplate(
            item.text, item.word_count, item.cleaning, kept_fingerprints, boilerplate,
            self.min_words,
        )  # fmt: skip


class StorePipeline:
    """Upserts articles into the crawl's store (SQLite or PostgreSQL), committing in
    batches.

    An article's URLs are marked done in the transaction that stores it. A batch
    is committed every `sqlite_commit_every` items, every `sqlite_commit_seconds`
    while it holds rows (a timer: a crawl waiting on slow downloads sends no item
    that would commit them), and when the spider closes (Ctrl-C included), so a
    stopped crawl keeps everything up to its last commit, and its next run
    fetches the rest. An
    article counts as stored (in the run record, the summary, the progress line)
    once its batch is committed, not before.
    """

    def __init__(self, config: NewscrawlConfig, crawler: Crawler) -> None:
        if config.database is None:
            raise NotConfigured  # off: nothing to log, it is the default
        self.crawler = crawler
        self.commit_every = config.sqlite_commit_every
        self.commit_seconds = config.sqlite_commit_seconds
        self.min_words = config.min_words
        self.stats = _stats(crawler)
        self.store: RunStore | None = None
        self.last_commit = time.monotonic()
        # (site, store outcome, run counter) of the batch's articles
        self.uncommitted: list[tuple[str | None, str, str]] = []
        # Rows counted stored from another page's claim, that the page at the URL
        # may take back (frontier.counted_as).
        self.claimed_rows: set[str] = set()
        self.ticker: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(NewscrawlConfig.of(crawler), crawler)

    def open_spider(self) -> None:
        self.store = RunStore.of(self.crawler)
        if self.commit_seconds > 0:
            self.ticker = task.LoopingCall(self._commit_due)
            # A failure the timer does not expect ends it: said, not left in a
            # Deferred nobody reads (the items still commit their batches).
            self.ticker.start(self.commit_seconds, now=False).addErrback(
                lambda failure: logger.error(
                    "the commit timer stopped: %s", failure.getErrorMessage()
                )
            )

    def _commit_due(self) -> None:
        """The timer: a batch waits at most `commit_seconds`, committed though no
        item has come since (the next may be minutes away, or never: a crawl killed
        meanwhile would lose rows the setting promised to keep)."""
        store = self.store
        if store is None or store.frontier is None:
            return
        if not self.uncommitted:
            commit_spools(self.crawler)  # records of items that are not articles
            return
        try:
            self._commit(store.frontier)
        except StorageError as exc:
            # Once: the crawl stops, and a commit retried every tick would count
            # the error again and again.
            if self.ticker is not None and self.ticker.running:
                self.ticker.stop()
            stop_on_write_error(self.crawler, str(exc))

    def process_item(self, item: object) -> object:
        store = self.store
        if not isinstance(item, ArticleItem) or store is None or store.frontier is None:
            return item
        started = time.thread_time()
        try:
            return self._store(item, store.frontier)
        finally:
            self.stats.inc_value(f"{CPU_MS}store", _ms_since(started))

    def _store(self, item: ArticleItem, frontier: Frontier) -> ArticleItem:
        try:
            outcome = frontier.store_article(item)
            counter = counted_as(item, outcome, self.claimed_rows)
            self.uncommitted.append((item.site, outcome, counter))
            if outcome == UNCHANGED and item.site and item.canonical_url:
                discard_unchanged(self.crawler, item.site, item.canonical_url)
            elif outcome == SHRUNK:
                self._keep_stored(item, frontier)
            now = time.monotonic()
            if (
                frontier.store.pending >= self.commit_every
                or now - self.last_commit >= self.commit_seconds
            ):
                self._commit(frontier)
        except StorageError as exc:
            stop_on_write_error(self.crawler, str(exc))
            return item  # the feeds still get it: a storage failure must not lose it
        if outcome == OTHER_SITE:
            logger.warning(
                "%s: another site's article is stored under %s; this copy is not",
                item.url, item.canonical_url,
            )  # fmt: skip
        return item

    def _keep_stored(self, item: ArticleItem, frontier: Frontier) -> None:
        """The store kept its article over `item`, the page's cut-down copy (a
        teaser: storage.SHRUNK): said, and the item becomes the article as stored,
        for the spooled outputs and those written as items come (standard output)."""
        logger.warning(
            "%s: its text shrank from the stored article's to %d words, under half"
            " (a paywall's teaser, a partial page?): the stored article is kept",
            item.url, word_count(item.raw_text or item.text),
        )  # fmt: skip
        if not item.site or not item.canonical_url:
            return
        record = frontier.store.stored_record(item.canonical_url)
        if record is None:
            return
        keep_stored_record(self.crawler, item.site, item.canonical_url, record)
        for name, value in record.items():
            setattr(item, name, value)

    def _commit(self, frontier: Frontier) -> None:
        """Commit the batch, its spooled JSON Lines records first (see FeedSpool),
        then count what it stored (StorageError: nothing). Once a JSON Lines
        output has failed, the batch is rolled back instead: a row committed
        without its record would never reach the file, as the next run would
        not fetch its page again."""
        if not commit_spools(self.crawler):
            frontier.store.rollback()
            self.uncommitted.clear()
            self.last_commit = time.monotonic()
            return
        try:
            frontier.store.commit()
        except RolledBack:
            # The batch is gone: not stored, not counted (the end of the crawl
            # commits again, and that commit has nothing to do); its pages are
            # fetched again by the next run.
            self.uncommitted.clear()
            drop_unstored_records(self.crawler)  # and so are its JSON Lines records
            raise
        spools_stored(self.crawler)
        self.last_commit = time.monotonic()
        for site, outcome, counter in self.uncommitted:
            count_site(self.crawler, site, counter)
            self.stats.inc_value(f"{STORE}{outcome}")
        self.uncommitted.clear()

    async def close_spider(self) -> None:
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()  # before the last commit, which is on a thread
        # On a thread: the re-clean and the records of a big run take seconds, and
        # the event loop must keep turning (the crawl's timers, a cluster worker's
        # lease). Nothing else uses the store by then: Scrapy closes the pipelines
        # once the downloads and the items are done.
        await maybe_deferred_to_future(threads.deferToThread(self.finish))

    def finish(self) -> None:
        """Commit the last batch; with JSON Lines records waiting, have the run's
        sites re-cleaned and write the records with their rows' final text."""
        store, self.store = self.store, None
        if store is None or store.frontier is None:
            return
        frontier = store.frontier
        try:
            self._commit(frontier)
        except StorageError as exc:
            count_write_error(self.crawler, str(exc))
        spools = spools_of(self.crawler)
        if spools and store.articles is not None:
            # The JSON Lines records get the rows' final text: re-clean first.
            try:
                store.reclean_run(also={s for spool in spools for s in spool.sites()})
            except StorageError as exc:
                count_write_error(self.crawler, str(exc))
            flush_spools(self.crawler, store.articles, self.min_words)
