"""The crawl's page workers, as the spider uses them: send a response, await what
it holds (newscrawl/pageworker.py).

`PageReader` is an extension: it starts the pool of worker processes when the
spider opens (and checks that they answer, before any request: a pool that
cannot start ends the crawl at once, finish reason EXTRACTION_FAILED), and stops
it when the spider closes. The spider awaits `read_page`, `read_sitemap` and
`read_feed`; the event loop keeps downloading for every site meanwhile. At most
NEWSCRAWL_EXTRACT_QUEUE documents wait for a worker; while they do, the spider's
callbacks wait, and Scrapy holds back further responses.

A document that takes more CPU than NEWSCRAWL_EXTRACT_TIMEOUT, or more memory than
NEWSCRAWL_WORKER_MEMORY_MB, or whose worker dies, gets a failure reason and the
crawl goes on; workers that die on WORKER_CRASH_LIMIT documents in a row end it.
With NEWSCRAWL_WORKERS = 0 the documents are read in the crawler's process (for
debugging: that blocks the event loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import Counter
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import signals
from scrapy.exceptions import CloseSpider

from newscrawl.config import NewscrawlConfig
from newscrawl.readings import DiscoveryReading, PageReading
from newscrawl.stopwatch import crawl_stopping, stop_crawl
from newscrawl.vocabulary import CPU_MS, EXTRACTION_ERROR, EXTRACTION_FAILED
from newscrawl.workers import (
    EXTRACTION_CRASHED,
    EXTRACTION_INTERRUPTED,
    EXTRACTION_MEMORY,
    EXTRACTION_SKIPPED,
    EXTRACTION_TIMEOUT,
    TASK_FAILURES,
    ExtractionPool,
    failure_of,
    feed_in_worker,
    page_in_worker,
    sitemap_in_worker,
)
from newscrawl.workershare import WorkerShare

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from concurrent.futures import Future

    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["WORKER_CRASH_LIMIT", "WORKER_START_SECONDS", "PageReader"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How long the workers may take to answer their first page: a fork server loads
# trafilatura first (2-5 s on the project's machine, up to 4 times that on a
# loaded one).
WORKER_START_SECONDS = 60.0
PROBE = b"<html><body><p>newscrawl checks that its workers start</p></body></html>"
# Documents in a row whose worker died that stop the crawl.
WORKER_CRASH_LIMIT = 5
# Scrapy sends no request to any site while the responses its callbacks hold pass
# SCRAPER_SLOT_MAX_ACTIVE_SIZE (5 MB), and a document is held while a worker reads
# it: one page of 6 MB that a worker read for its whole time bound (6 s) stopped
# every site's downloads for 5.2 s. A document of HELD_APART_BYTES or more is held
# apart from that bound while it waits for a worker and is read, up to
# HELD_APART_MAX_BYTES of them at once, two pages at the download cap (past them,
# they count as Scrapy counts them: the crawler's memory stays bounded). Bounded
# by their number (two of 4 MB or more), two pages of 3.6 MB, together past the
# bound, stopped every site's downloads for 16 s. Raising the bound itself to 64 MB did the same for big pages, but let
# small pages pile up waiting for the workers: 457 against 385 MiB of peak PSS in
# the benchmark's link crawl of 1,165 pages (11 of which are over 1 MB, none
# over 1.6).
HELD_APART_BYTES = 1_000_000
HELD_APART_MAX_BYTES = 2 * 32 * 1024 * 1024


class PageReader:
    """Extension: the crawl's page workers (see the module's docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        config = NewscrawlConfig.of(crawler)
        self.crawler = crawler
        self.config = config
        self.pool: ExtractionPool | None = None
        self.slots = asyncio.Semaphore(config.queue_size)
        self.crashes_in_a_row = 0
        self.held_apart = 0  # bytes of big documents held apart from Scrapy's bound now
        self.gave_up = False
        # Per site: its pages in a row that ran out of a worker's time or memory.
        self.over_bounds_in_a_row: Counter[str] = Counter()
        self.skipped_sites: set[str] = set()
        # Per site: its pages in the pool, and what they cost (workershare.py).
        self.share = WorkerShare(self._others_waiting)
        self._turn_waiters: list[asyncio.Future[None]] = []
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageReader:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> PageReader:
        reader = crawler.get_extension(cls)
        if reader is None:
            raise RuntimeError("newscrawl.pagereader.PageReader is not in EXTENSIONS")
        return reader

    # -- the pool's life --------------------------------------------------------

    async def spider_opened(self, spider: Any) -> None:
        workers = self.config.worker_count
        if workers <= 0:
            return
        # In a thread: the first pool of a process starts the fork server, and
        # creating a worker waits until the server has imported trafilatura (seconds
        # on a busy machine) - time the event loop would stand still. pebble starts
        # its workers at the pool's first task, so the probe is given there too.
        self.pool, future = await asyncio.to_thread(self._start_pool, workers)
        logger.info("reading pages in %d worker processes", workers)
        try:
            await asyncio.wait_for(asyncio.wrap_future(future), WORKER_START_SECONDS)
        except (TimeoutError, *TASK_FAILURES) as exc:
            why = "they did not answer" if isinstance(exc, asyncio.TimeoutError) else str(exc)
            self._give_up(f"the extraction workers cannot start: {why or type(exc).__name__}")
            raise CloseSpider(EXTRACTION_FAILED) from None

    def _start_pool(self, workers: int) -> tuple[ExtractionPool, Future[PageReading]]:
        """A pool of `workers`, started: with the probe page given to it."""
        # The processes started from this thread (the fork server, its workers,
        # multiprocessing's resource tracker, through the pool's threads) inherit
        # its signal mask. With SIGHUP blocked there, a hangup sent to the crawl's
        # process group (its terminal closed) reaches the crawler's process alone,
        # which stops the crawl and then them (stopwatch.py); it killed them first,
        # and a new resource tracker printed tracebacks. (Python's handlers run in
        # the main thread, which leaves SIGHUP unblocked.)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
        pool = ExtractionPool(workers, self.config.extract_timeout, self.config.worker_memory_mb)
        return pool, pool.call(page_in_worker, PROBE, "http://newscrawl.invalid/")

    async def spider_closed(self, spider: Any) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            # In a thread: stopping joins the pool's threads and waits for its
            # workers to end, which on a busy machine took the event loop 60 ms
            # and more that the other closing work (the store's) waited for.
            await asyncio.to_thread(pool.stop)

    def _give_up(self, message: str) -> bool:
        """Say why the crawl stops reading pages; False if it was said already
        (the first reason is the one to tell)."""
        if self.gave_up:
            return False
        self.gave_up = True
        logger.error("stopping the crawl: %s", message)
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(EXTRACTION_ERROR, message)
        return True

    def _watch(self, failure: str | None) -> None:
        """Workers that die on document after document (a broken installation, a
        machine out of memory) end the crawl rather than fetch what nobody reads."""
        self.crashes_in_a_row = self.crashes_in_a_row + 1 if failure == EXTRACTION_CRASHED else 0
        message = f"the extraction workers died on {WORKER_CRASH_LIMIT} pages in a row"
        if self.crashes_in_a_row == WORKER_CRASH_LIMIT and self._give_up(message):
            stop_crawl(self.crawler, EXTRACTION_FAILED)

    # -- reading ----------------------------------------------------------------

    @contextlib.contextmanager
    def _held_apart(self, body: bytes, *, any_size: bool = False) -> Iterator[None]:
        """While the block runs, a big `body` (`any_size`: any body) does not count
        against Scrapy's bound on the responses its callbacks hold (see
        HELD_APART_BYTES)."""
        try:
            engine = self.crawler.engine
        except RuntimeError:  # no crawl running: a spider driven by hand
            engine = None
        slot = getattr(getattr(engine, "scraper", None), "slot", None)
        size = len(body)
        room = HELD_APART_MAX_BYTES - self.held_apart
        if (size < HELD_APART_BYTES and not any_size) or size > room or slot is None:
            yield
            return
        self.held_apart += size
        slot.max_active_size += size
        try:
            yield
        finally:
            slot.max_active_size -= size
            self.held_apart -= size

    async def _run(self, function: Callable[..., T], failed: Callable[[str], T], *args: Any,
                   unless: Callable[[], str | None] = lambda: None, **kwargs: Any) -> T:  # fmt: skip
        """`function` in a worker (or here, without workers); failures as `failed(why)`,
        also where `unless()` gives a reason not to read it, once a worker's turn has
        come: a page that waited its turn while its site's pages ran out of the
        workers' bounds is not read either (see _judge_site)."""
        if self.pool is None:
            return function(*args, **kwargs)
        async with self.slots:
            if why := unless():
                return failed(why)
            future = self.pool.call(function, *args, **kwargs)
            with contextlib.suppress(*TASK_FAILURES):  # looked at below
                await asyncio.wrap_future(future)
        try:
            result = future.result()
        except TASK_FAILURES as exc:
            failure = failure_of(exc)
            if failure == EXTRACTION_CRASHED and crawl_stopping(self.crawler):
                # A stop signal to the whole process group ends the workers too
                # (pebble's worker then exits with 255 as often as with 15).
                failure = EXTRACTION_INTERRUPTED
            if self.pool.stalled is not None:
                why = f"the extraction workers stopped answering: {self.pool.stalled}"
                if self._give_up(why):
                    stop_crawl(self.crawler, EXTRACTION_FAILED)
            elif failure == EXTRACTION_CRASHED:  # a timeout neither counts nor resets
                self._watch(failure)
            return failed(failure)
        self._watch(None)
        return result

    async def read_page(
        self, response: Response, site: str | None, *, declared_article: bool, read_links: bool
    ) -> PageReading:
        """What the page `response` is and holds (newscrawl/pageworker.py)."""
        if site in self.skipped_sites:
            return PageReading(failure=EXTRACTION_SKIPPED)
        patterns = (
            *self.config.fragment_patterns,
            *(self.config.site_fragment_patterns.get(site, ()) if site else ()),
        )
        content_type = response.headers.get(b"Content-Type")
        # Sitemaps, feeds and a spider driven by hand have no site to share with.
        shared = site if self.pool is not None else None
        entered, cost = False, None
        if shared:
            self.share.arrived(shared)
        # A heavy site's pages waiting for their turn are held apart from Scrapy's
        # bound on held responses whatever their size: three of 2.8 MB waiting
        # passed it, and no site got a download until they were read (a healthy
        # site beside them kept 21% of its pace). The scheduler gives a heavy site
        # no more downloads while they wait (fairness.py): they stay a few.
        waits = self.share.must_wait(shared) if shared else False
        try:
            with self._held_apart(response.body, any_size=waits):
                if shared:
                    await self._wait_turn(shared)
                    self.share.entered(shared)
                    entered = True
                reading = await self._run(
                    page_in_worker, lambda why: PageReading(failure=why),
                    response.body, response.url,
                    content_type.decode("latin-1") if content_type else None,
                    declared_article=declared_article, read_links=read_links,
                    fragment_patterns=patterns, min_words=self.config.min_words, explain=False,
                    discovered_date=response.meta.get("published"), sign_story=True,
                    unless=lambda: EXTRACTION_SKIPPED if site in self.skipped_sites else None,
                )  # fmt: skip
            cost = self._cost(reading)
        finally:
            if shared:
                self.share.left(shared, cost, entered)
                self._wake_waiters()
        self._count_cpu(reading.cpu_seconds)
        if site is not None:
            self._judge_site(site, reading.failure)
        return reading

    async def _wait_turn(self, site: str) -> None:
        """Until a page of `site` may enter the pool (workershare.py)."""
        while self.share.must_wait(site):
            waiter = asyncio.get_running_loop().create_future()
            self._turn_waiters.append(waiter)
            await waiter

    def _wake_waiters(self) -> None:
        """A page left the pool: the pages waiting for their turn look again."""
        waiters, self._turn_waiters = self._turn_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _cost(self, reading: PageReading) -> float | None:
        """What reading the page cost a worker, for its site's share: a page past
        the time or memory bound cost the bound; one not read tells nothing."""
        if reading.failure in (EXTRACTION_TIMEOUT, EXTRACTION_MEMORY):
            return self.config.extract_timeout
        if reading.failure in (EXTRACTION_SKIPPED, EXTRACTION_CRASHED, EXTRACTION_INTERRUPTED):
            return None
        return reading.cpu_seconds

    def _others_waiting(self, site: str) -> bool:
        """Whether the scheduler or the downloader holds a request of a site other
        than `site` (a download slot is a site: newscrawl/fairness.py)."""
        try:
            engine = self.crawler.engine
        except RuntimeError:
            return True  # no crawl running: nothing is known, hold back as before
        if engine is None:
            return True
        downloader = engine.downloader
        if any(downloader.get_slot_key(request) != site for request in downloader.active):
            return True
        scheduler = engine.scheduler
        queues = getattr(getattr(scheduler, "mqs", None), "pqueues", None)
        if queues is None:
            return True  # not the fair queue: its sites are not known
        return any(slot != site and len(queue) for slot, queue in queues.items())

    def held(self, site: str) -> int:
        """Pages of `site` the scheduler counts as held by the site (fairness.py)."""
        return self.share.held(site)

    def _judge_site(self, site: str, failure: str | None) -> None:
        """A site whose pages each take a worker's whole time bound (8 s of CPU) held
        the workers, and every other site's pages behind them, for as long as its
        page budget lasted: 40 such pages stretched a crawl from 5 s to 6 minutes.
        After NEWSCRAWL_SITE_FAILURE_LIMIT of them in a row, its pages are counted
        (extraction_skipped) and read again by the next run, not by a worker now."""
        if failure not in (EXTRACTION_TIMEOUT, EXTRACTION_MEMORY):
            self.over_bounds_in_a_row[site] = 0
            return
        self.over_bounds_in_a_row[site] += 1
        limit = self.config.site_failure_limit
        if limit and self.over_bounds_in_a_row[site] >= limit and site not in self.skipped_sites:
            self.skipped_sites.add(site)
            logger.warning(
                "%s: %d pages in a row ran out of a worker's time or memory (last: %s):"
                " no more of its pages are read this run",
                site, self.over_bounds_in_a_row[site], failure,
            )  # fmt: skip

    async def read_sitemap(self, response: Response) -> DiscoveryReading:
        return await self._read_discovery(sitemap_in_worker, response)

    async def read_feed(self, response: Response) -> DiscoveryReading:
        return await self._read_discovery(feed_in_worker, response)

    async def _read_discovery(
        self, function: Callable[[bytes, str], DiscoveryReading], response: Response
    ) -> DiscoveryReading:
        with self._held_apart(response.body):
            reading = await self._run(
                function, lambda why: DiscoveryReading("", failure=why), response.body, response.url
            )
        self._count_cpu(reading.cpu_seconds)
        return reading

    def _count_cpu(self, seconds: float) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"{CPU_MS}extract", round(seconds * 1000))
