"""`news`: crawl news sites: sitemaps, feeds and links; store the pages that are articles.

Discovery, in one crawl of a site: robots.txt `Sitemap:` lines, sitemap indexes
(recursive, gzipped or not), Google News sitemaps, RSS/Atom/JSON feeds (given,
or announced by the start pages), and links followed from the start pages (up to
DEPTH_LIMIT). With a database (NEWSCRAWL_SQLITE_PATH), articles stored in an
earlier run are not fetched again unless their sitemap `lastmod` is newer than
that fetch, or `refresh` is set; start pages, feeds and sitemaps always are.
"""

from __future__ import annotations

import asyncio
import difflib
import itertools
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Request, Response

from newscrawl.config import NewscrawlConfig
from newscrawl.discovery import (
    Entry,
    discovery_kind,
    parse_date,
    robots_sitemaps,
)
from newscrawl.dupefilter import URLDupeFilter
from newscrawl.feeds import replaces_json_lines
from newscrawl.frontier import Frontier, KnownURL, PendingURL
from newscrawl.heldlinks import HeldLinks
from newscrawl.items import ArticleItem
from newscrawl.listdepth import LISTED_ENTRY
from newscrawl.pagereader import PageReader
from newscrawl.pagetype import ARTICLE, classify_page
from newscrawl.readings import DATE_STATED, DiscoveryReading, PageReading
from newscrawl.refresh import conditional_headers, listed_as_changed
from newscrawl.robots import ROBOTS_TXT_READ
from newscrawl.runlog import count_site, stop_on_write_error
from newscrawl.runstore import RunStore, url_states
from newscrawl.sites import (
    SiteConfig,
    UrlClock,
    load_sites,
    parse_age,
    sites_from_urls,
    url_timeout_warning,
)
from newscrawl.spiders._base import LINKED, BaseNewsSpider
from newscrawl.storage import StorageError
from newscrawl.urllength import left_out, too_long
from newscrawl.urls import canonicalize, has_credentials, parse_url_list, requested_url
from newscrawl.vocabulary import (
    DISCOVERY_CUT_SHORT,
    DISCOVERY_READ,
    DISCOVERY_TOO_DEEP,
    DISCOVERY_UNREADABLE,
    ENTRIES_CUT,
    FETCHED,
    LINKS_CUT,
    NOT_ARTICLE,
    NOT_WANTED,
    OFFSITE_REDIRECT,
    PAGES,
    TOO_OLD,
    URL_PATTERN_TIMEOUTS,
)
from newscrawl.workers import EXTRACTION_INTERRUPTED

__all__ = ["NewsSpider"]

logger = logging.getLogger(__name__)


def _as_list(value: str | Iterable[str]) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _flag(value: str | bool, name: str) -> bool:
    """A yes/no spider argument: a bool, or its text from `-a`/scrapyd's `-d` in
    any case; other text is refused (`-d refresh=True` was read as no)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"{name}: not yes or no: {value!r} (1, true, yes; 0, false, no)")


# The scheduler's order within a site (higher first): its sitemaps and feeds, its
# start pages, the articles its sitemaps, feeds and earlier runs list, the links
# of its hubs, and last the links found on its articles. Sent in this order, a
# site's page budget goes to what the site lists before what its articles link to.
DISCOVERY_PRIORITY = 30
# How many sitemaps or feeds deep a request is from the one it started from (robots.txt's,
# the sites file's, one a page announced): a sitemap index's child is one deeper, and so is
# every entry a sitemap or feed lists, which may turn out to be a sitemap or feed itself.
NESTING = "newscrawl_nesting"
# The deepest nesting read. Real sites nest an index by year, month and day (3 or 4); a
# server that makes each index list the next (or each feed's item the next feed) held a
# crawl until the site's page budget was spent, a request at each politeness delay.
MAX_NESTING = 8
START_PRIORITY = 20
LISTED_PRIORITY = 10
# What earlier runs left pending comes after what the site lists now: a backlog
# that a page budget cut took the next run's budget before the day's new articles.
PENDING_PRIORITY = 5
# A stored article a sitemap or feed lists as changed: after every new one.
LISTED_AGAIN_PRIORITY = 3
HUB_LINK_PRIORITY = 0
ARTICLE_LINK_PRIORITY = -10
# meta key of a sitemap or feed request: the site whose links wait for it.
READING_FOR = "newscrawl_reading_for"
# meta key of a start page's request: a sitemap or feed given as one is read as one.
START_PAGE = "newscrawl_start_page"
READING_ASKED = "newscrawl_reading_asked"  # counted in HeldLinks (once per request)
# Links of one page scheduled before the event loop turns (see `parse`).
LINKS_PER_TURN = 25


def older_than(published: str | None, window: datetime) -> bool:
    """Whether an article published at `published` (ISO 8601, maybe a date alone)
    is older than `window`. A date alone is the whole day: an article dated today
    is not older than "the last two hours"."""
    moment = parse_date(published)
    if moment is None or published is None:
        return False
    if len(published.strip()) == len("2026-11-30"):
        return moment.date() < window.astimezone(UTC).date()
    return moment < window


class NewsSpider(BaseNewsSpider):
    """scrapy crawl news -a urls=URL[,URL...] [-a sitemaps=...] [-a feeds=...] -O out.jsonl
    scrapy crawl news -a sites=sites.toml [-a site=NAME] [-a since=2026-11-01] [-a max_age=2d]

    Article pages are handed on; hubs (home, section, tag, author pages) are only
    followed, and fetched again on every run.
    """

    name = "news"

    def __init__(
        self,
        urls: str | Iterable[str] = "",
        sitemaps: str | Iterable[str] = "",
        feeds: str | Iterable[str] = "",
        sites: str | Iterable[SiteConfig] = "",
        site: str = "",
        since: str | datetime | None = None,
        max_age: str | timedelta | None = None,
        refresh: str | bool = False,
        **kwargs: Any,
    ) -> None:
        if isinstance(sites, str) and sites:
            configs = load_sites(Path(sites))
        elif not isinstance(sites, str):
            configs = list(sites)
        else:
            urls_list = parse_url_list(urls) if _as_list(urls) else []
            configs = sites_from_urls(
                urls_list, parse_url_list(sitemaps) if _as_list(sitemaps) else [],
                parse_url_list(feeds) if _as_list(feeds) else [],
            )  # fmt: skip
            if not configs:
                parse_url_list("")  # raises "no URL given"
        # With --site, the sites file's sites (in its order): the pages of those not
        # crawled are still theirs (SiteDirectory).
        self.other_sites = list(configs) if site else []
        if site:
            configs = [c for c in configs if c.name == site]
            if not configs:
                where = f"{sites}: " if isinstance(sites, str) and sites else ""
                names = [c.name for c in self.other_sites]
                close = difflib.get_close_matches(site, names, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"{where}no site named {site!r}{hint}")
        self.sites = configs
        entry_urls = [u for c in configs for u in c.entry_urls]
        super().__init__(entry_urls, **kwargs)
        self.since = self._window(since, max_age)
        self.refresh = _flag(refresh, "refresh")
        self.ask_conditionally = True  # (from_crawler: not with -O)
        # Scrapy's offsite filter (redirects included), in IDNA form: a domain
        # admits its sub-domains. Which site a URL is, is the directory's question.
        self.allowed_domains = self.directory.domains
        self.known: dict[str, dict[str, KnownURL]] = {}
        # Per site, the URLs earlier runs left pending that this run holds back.
        self.backlog: dict[str, set[str]] = {}
        # (site, allow or deny pattern) that ran out of time: warned of once a crawl.
        self.url_patterns_warned: set[tuple[str, str]] = set()
        # A writer cluster's worker: its sites' URLs left to fetch, from the writer.
        self.pending_from_writer: dict[str, list[PendingURL]] = {}
        # Links earlier runs left pending, by site and canonical URL, until this run
        # is idle; one this run asks for under any form leaves it (request_scheduled).
        self.pending_links: dict[str, dict[str, PendingURL]] = {}
        self.held_links: HeldLinks[Request] = HeldLinks()
        # The requests whose pages' links wait in `held_links` (with how many), and
        # the page each held link came from. A cluster worker leaves such a request
        # in flight in Redis until its links are sent on: killed before that, the
        # worker's successor fetches the page again and finds them (they were lost).
        self.links_held_for: Counter[Request] = Counter()
        self.held_from: dict[Request, Request] = {}
        self.releasing: set[asyncio.Future[None]] = set()

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> NewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, NewsSpider)
        # With -O every article of the run needs a record, which a 304 does not give.
        spider.ask_conditionally = not replaces_json_lines(crawler.settings)
        crawler.signals.connect(spider.robots_read, signal=ROBOTS_TXT_READ)
        crawler.signals.connect(spider.release_held_links, signal=signals.spider_idle)
        crawler.signals.connect(spider.release_pending_links, signal=signals.spider_idle)
        return spider

    @staticmethod
    def _window(since: str | datetime | None, max_age: str | timedelta | None) -> datetime | None:
        if isinstance(since, str) and since:
            moment = parse_date(since)
            if moment is None:
                raise ValueError(f"since: not a date: {since!r} (e.g. 2026-11-01)")
            if moment > datetime.now(UTC):  # every entry too old: nothing would be fetched
                raise ValueError(f"since: a date in the future: {since!r}")
            return moment
        if isinstance(since, datetime):
            return since if since.tzinfo else since.replace(tzinfo=UTC)
        if isinstance(max_age, str) and max_age:
            try:
                max_age = parse_age(max_age)
            except ValueError as exc:
                raise ValueError(f"max_age: {exc}") from None
        if isinstance(max_age, timedelta):
            return datetime.now(UTC) - max_age
        return None

    # -- seeds ----------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        run_store = RunStore.of(self.crawler)
        store = run_store.frontier if run_store is not None else None
        settings = NewscrawlConfig.of(self.crawler)
        seeding = self._sites_to_seed(settings)
        if store is None and settings.cluster_writer:
            await self._known_from_writer([c.name for c in seeding], settings.cluster_timeout)
        # Without ROBOTSTXT_OBEY no robots.txt is read for rules: read it for its
        # Sitemap lines. (With it, the robots middleware hands them over.)
        read_robots = not self.crawler.settings.getbool("ROBOTSTXT_OBEY")
        try:
            if store is not None:
                seeding = _least_recently_served_first(seeding, store)
            for config in seeding:
                if store is not None:
                    self.known[config.name] = store.known_articles(config.name)
        except StorageError as exc:
            stop_on_write_error(self.crawler, str(exc))  # its end says why: exit 1
            return
        for config in seeding:
            site = config.name
            meta = {"allow_offsite": True}
            # Seeds pass the duplicate filter like any request: a start page found
            # again as a link costs nothing more, and in a cluster a restarted
            # worker does not fetch them a second time.
            hosts = {
                urlunsplit((*urlsplit(u)[:2], "/robots.txt", "", "")) for u in config.entry_urls
            }
            for robots in sorted(hosts) if read_robots else ():
                yield Request(robots, callback=self.parse_robots, errback=self.robots_unavailable,
                              meta={**meta, "site": site, "download_slot": site})  # fmt: skip
            for urls, callback, priority in (
                (config.sitemaps, self.parse_sitemap, DISCOVERY_PRIORITY),
                (config.feeds, self.parse_feed, DISCOVERY_PRIORITY),
                (config.start_urls, self.parse, START_PRIORITY),
            ):
                for url in urls:
                    if self.may_request(site):
                        yield self.make_request(
                            url, site, callback=callback, priority=priority,
                            meta={**meta, START_PAGE: callback == self.parse},
                        )  # fmt: skip
                    else:  # the sites file names it again next run
                        self.left_for_next_run(site, url, found_again=True)
            # What an earlier run found and did not finish (stopped, killed, failed).
            if store is not None:
                try:
                    pending = store.pending(config.name)
                except StorageError as exc:
                    stop_on_write_error(self.crawler, str(exc))
                    return
            else:
                pending = self.pending_from_writer.get(config.name, [])
            clock = UrlClock()  # the pending URLs are one list, as a sitemap's
            # The newest first, and no more than one budget's worth: the queue a
            # budget allows holds two, and the rest of it is left to what the
            # site's sitemaps and feeds list now. The backlog held back stays
            # pending, also where a sitemap lists it again: there it took that
            # room before the articles listed after it (a backlog of 16 took a
            # budget of 10, and the 5 articles published since were not fetched).
            # What the window leaves out is too old, as article_request counts it,
            # and takes no room: held back, it was "left for the next run", which
            # would leave it out again, and every run exited 1 for it.
            window = self.window_for(config)
            current = []
            for row in pending:
                dated = parse_date(row.published)
                if window is not None and dated is not None and dated < window:
                    count_site(self.crawler, config.name, TOO_OLD)
                else:
                    current.append(row)
            # Links an earlier run found and did not fetch wait for the end of this
            # run's own discovery (release_pending_links): the home page may link
            # one nearer than it was found, and queued now at its old depth, it
            # was fetched there, the link found this run dropped as a duplicate,
            # and the articles behind it were past DEPTH_LIMIT (helper-115).
            pending = [row for row in current if row.depth is None]
            links = [row for row in current if row.depth is not None]
            if links:
                self.pending_links[config.name] = {row.url: row for row in links}
            room = self.budget.room_for_backlog() or len(pending)
            held = [row.url for row in pending[room:]]
            self.backlog[config.name] = {canonicalize(url) for url in held}
            self.backlog_held(config.name, held)
            for row in pending[:room]:
                request, over_budget = self.article_request(
                    config, Entry(row.url, parse_date(row.published), title=row.title), clock,
                    priority=PENDING_PRIORITY, left_by_earlier_run=True,
                )  # fmt: skip
                if request is not None:
                    yield request
                elif over_budget:
                    break
            self.url_patterns_timed_out(config.name, "the list earlier runs left", clock)

    async def _known_from_writer(self, sites: list[str], timeout: float) -> None:
        """A cluster worker without a store learns from the run's writer which
        articles earlier runs stored (see newscrawl/cluster/writer.py)."""
        from newscrawl.cluster.worker import ClusterWorker, known_from_writer

        worker = ClusterWorker.of(self.crawler)
        known = await known_from_writer(worker.server, worker.keys, sites, timeout)
        if known is None:
            logger.warning(
                "no `newscrawl writer` has started for this run within %g s: every article"
                " found is fetched, also those earlier runs stored", timeout,
            )  # fmt: skip
            return
        self.known.update(known.known)
        self.pending_from_writer.update(known.pending)

    def _sites_to_seed(self, config: NewscrawlConfig) -> list[SiteConfig]:
        """Every site; in a cluster, this worker's shard of them (the others seed theirs)."""
        if config.cluster_url is None:
            return self.sites
        return [c for c in self.sites if config.shard.owns(c.name)]

    # -- discovery --------------------------------------------------------------

    def robots_read(self, url: str, site: str | None, text: str) -> None:
        """ROBOTS_TXT_READ: schedule the sitemaps a site's robots.txt names."""
        config = self.directory.by_name.get(site or "")
        if config is None or self.crawler.engine is None:
            return
        for request in self._robots_sitemaps(config, text, url):
            self.crawler.engine.crawl(request)

    def parse_robots(self, response: Response) -> Iterator[Request]:
        config = self.config_for(response)
        if config is None or response.status != 200:
            return
        text = response.text if hasattr(response, "text") else ""
        yield from self._robots_sitemaps(config, text, response.url)

    def _robots_sitemaps(self, config: SiteConfig, text: str, url: str) -> Iterator[Request]:
        for sitemap in robots_sitemaps(text, url):
            if sitemap in config.sitemaps:
                continue
            if not self.directory.owns(config, sitemap):
                count_site(self.crawler, config.name, "offsite")
            elif self.may_request(config.name):
                yield self.make_request(
                    sitemap, config.name, callback=self.parse_sitemap, priority=DISCOVERY_PRIORITY
                )
            else:
                self.left_for_next_run(config.name, sitemap, found_again=True)

    def robots_unavailable(self, failure: Any) -> None:
        # A missing robots.txt is normal, and an unreachable site shows in its pages.
        logger.debug("robots.txt not read for its Sitemap lines: %s", failure.value)

    async def parse_sitemap(self, response: Response) -> AsyncIterator[Request]:
        try:
            config = self.config_for(response)
            if config is None or self._nested_too_deep(config, response, "sitemap"):
                return
            reading = await PageReader.of(self.crawler).read_sitemap(response)
            if reading.failure:
                logger.warning("sitemap skipped: %s: %s", response.url, reading.failure)
                if reading.failure != EXTRACTION_INTERRUPTED:  # the crawl's stop, not the sitemap
                    count_site(self.crawler, config.name, DISCOVERY_UNREADABLE)
                return
            self._cut_short(config, reading, response.url, "sitemap")
            if not reading.entries:
                logger.warning("no URLs in sitemap %s", response.url)
                count_site(self.crawler, config.name, "empty_sitemaps")
            else:
                self.crawler.stats.inc_value(DISCOVERY_READ)
            for request in self._entry_requests(
                config, reading, response.url, int(response.meta.get(NESTING, 0))
            ):
                yield request
        finally:
            self.request_gone(response.request or response)

    async def parse_feed(self, response: Response) -> AsyncIterator[Request]:
        try:
            config = self.config_for(response)
            if config is None or self._nested_too_deep(config, response, "feed"):
                return
            reading = await PageReader.of(self.crawler).read_feed(response)
            if reading.failure:  # as a sitemap's: said, never silently empty
                logger.warning("feed skipped: %s: %s", response.url, reading.failure)
                if reading.failure != EXTRACTION_INTERRUPTED:  # the crawl's stop, not the feed
                    count_site(self.crawler, config.name, DISCOVERY_UNREADABLE)
                return
            self._cut_short(config, reading, response.url, "feed")
            if not reading.entries:  # a bot challenge's page, bytes that are no feed
                logger.warning("no entries in feed %s", response.url)
                count_site(self.crawler, config.name, "empty_feeds")
            else:
                self.crawler.stats.inc_value(DISCOVERY_READ)
            for request in self._entry_requests(
                config, reading, response.url, int(response.meta.get(NESTING, 0))
            ):
                yield request
        finally:
            self.request_gone(response.request or response)

    def _cut_short(
        self, config: SiteConfig, reading: DiscoveryReading, url: str, kind: str
    ) -> None:
        """Say and count a sitemap or feed that ended before its end: what it listed
        after the cut is lost for the run (and for every run the server cuts it)."""
        if reading.cut_short:
            logger.warning(
                "%s %s ended before its end (cut short): %d entries read, the rest lost",
                kind, url, len(reading.entries),
            )  # fmt: skip
            count_site(self.crawler, config.name, DISCOVERY_CUT_SHORT)

    def _nested_too_deep(self, config: SiteConfig, response: Response, kind: str) -> bool:
        """Whether a sitemap or feed is nested past MAX_NESTING: warned of and
        counted, not read (the same each run, as a gone sitemap: not a loss)."""
        nesting = int(response.meta.get(NESTING, 0))
        if nesting <= MAX_NESTING:
            return False
        logger.warning(
            "%s %s is nested %d deep, past %d (an endless chain?): not read",
            kind, response.url, nesting, MAX_NESTING,
        )  # fmt: skip
        count_site(self.crawler, config.name, DISCOVERY_TOO_DEEP)
        return True

    # -- links of article pages wait for the site's sitemaps and feeds -------------

    def make_request(self, url: str, site: str, **kwargs: Any) -> Request:
        request = super().make_request(url, site, **kwargs)
        if kwargs.get("callback") in (self.parse_sitemap, self.parse_feed):
            request.meta[READING_FOR] = site
            # A site's sitemap or feed may be served from elsewhere (a CDN's
            # host): followed where it redirects, as the sites file's own are;
            # its entries are the site's only (_entry_requests). Dropped, a
            # robots.txt sitemap that moved lost its articles (found by a review).
            request.meta["allow_offsite"] = True
        return request

    def found_again(self, request: Request) -> bool:
        """Sitemaps, feeds and start pages: every run asks for them anew."""
        return request.callback in (self.parse_sitemap, self.parse_feed) or bool(
            request.meta.get(START_PAGE)
        )

    def request_scheduled(self, request: Request) -> None:
        """A sitemap or feed of its site reached the scheduler: its links wait for it.
        Counted here, not when the request is made: a spider middleware (depth,
        URL length) may drop a request without a word. A retry or a redirect of it
        carries READING_ASKED and is not counted again."""
        site = request.meta.get(READING_FOR)
        if site is not None and not request.meta.get(READING_ASKED):
            request.meta[READING_ASKED] = True
            self.held_links.asked(site)
        links = self.pending_links.get(request.meta.get("site", ""))
        if links:
            # Asked for now, in whatever form (an AMP copy, a redirect's target): not
            # asked for again at idle. The duplicate filter keeps raw URLs, and in
            # a cluster worker (no store to ask) there is none.
            links.pop(canonicalize(request.url), None)

    def request_gone(self, request: Request | Response) -> None:
        """A sitemap or feed request is done with (read, failed or dropped): once
        all of its site's are, the links held for it go to the scheduler."""
        site = request.meta.pop(READING_FOR, None)
        if site is not None and request.meta.pop(READING_ASKED, False):
            self._release(self.held_links.done(site))

    def _may_hold(
        self, response: Response, request: Request, depth: int, within_depth: bool,
        url_limit: int,
    ) -> bool:  # fmt: skip
        """Whether a link of `response` may wait in HeldLinks: released links go to
        the scheduler directly, past the spider middlewares, so one those would
        drop (too deep, too long) is not held but yielded, and dropped there.
        `depth`, `within_depth` and `url_limit`: as `parse` found them for the page."""
        if not within_depth or len(request.url) > url_limit:
            return False
        request.meta["depth"] = depth
        request.headers.setdefault(b"Referer", response.url.encode("utf-8", "replace"))
        return True

    def _release(self, requests: list[Request]) -> None:
        if requests:
            task = asyncio.ensure_future(self._schedule(requests))
            self.releasing.add(task)  # a task nobody refers to may be collected
            task.add_done_callback(self.releasing.discard)

    async def _schedule(self, requests: list[Request]) -> None:
        """Hand `requests` to the scheduler, LINKS_PER_TURN at a time with a turn of
        the event loop between (thousands may have been held)."""
        for number, request in enumerate(requests, 1):
            engine = self.crawler.engine
            if engine is None or not engine.running:
                return  # the crawl is ending: the links are found again next run
            engine.crawl(request)
            self._sent_on(request)
            if number % LINKS_PER_TURN == 0:
                await asyncio.sleep(0)

    def _sent_on(self, request: Request) -> None:
        """A held link is with the scheduler: its page need not wait for it."""
        page = self.held_from.pop(request, None)
        if page is not None:
            self.links_held_for[page] -= 1
            if self.links_held_for[page] <= 0:
                del self.links_held_for[page]

    def release_pending_links(self) -> None:
        """spider_idle: the links earlier runs found and did not fetch, once this
        run has nothing else to do, each as deep as it was found (from depth 0, a
        trap of pages linking on went DEPTH_LIMIT deeper each run). One this run
        asked for (in any form: request_scheduled; the duplicate filter has its
        raw URL), or stored or settled (the store says so), was fetched where it
        was found; one found again nearer, past the budget, is as near as found."""
        if not self.pending_links:
            return
        if self.releasing:
            # Held links on their way to the scheduler (release_held_links, at this
            # same idle) may be some of these, found nearer: once they are asked
            # for, the next idle releases the rest.
            raise DontCloseSpider
        pending, self.pending_links = self.pending_links, {}
        run_store = RunStore.of(self.crawler)
        store = run_store.frontier if run_store is not None else None
        dupefilter = URLDupeFilter.of(self.crawler)
        requests = []
        for site, links in pending.items():
            config = self.directory.by_name.get(site)
            if config is None:
                continue
            rows = list(links.values())
            if store is not None:  # (a cluster worker has none: its start's rows)
                try:
                    now = store.left_to_fetch(site, list(links))
                except StorageError as exc:
                    stop_on_write_error(self.crawler, str(exc))
                    return
                rows = [replace(row, depth=now[row.url]) for row in rows if row.url in now]
            clock = UrlClock()
            for row in rows:
                if dupefilter is not None and dupefilter.seen(row.url):
                    continue
                # Over the budget, it stays pending, counted as left (no break:
                # each one is counted, and the run's exit says so).
                request, _ = self.article_request(
                    config, Entry(row.url, None, title=row.title), clock,
                    priority=ARTICLE_LINK_PRIORITY, depth=row.depth, left_by_earlier_run=True,
                )  # fmt: skip
                if request is not None:
                    requests.append(request)
            self.url_patterns_timed_out(site, "the links earlier runs left", clock)
        if requests:
            self._release(requests)
            raise DontCloseSpider

    def release_held_links(self) -> None:
        """spider_idle: a crawl never ends with links held (a document whose end
        went unnoticed must not keep them)."""
        held = self.held_links.release_all()
        if held:
            self._release(held)
            raise DontCloseSpider

    def _entry_requests(
        self, config: SiteConfig, reading: DiscoveryReading, where: str, nesting: int
    ) -> Iterator[Request]:
        """Requests for a sitemap's or feed's entries, until the site's budget has no
        more room: the rest is not looked at. `nesting`: the sitemap's or feed's own."""
        if reading.cut:
            count_site(self.crawler, config.name, ENTRIES_CUT, reading.cut)
        if reading.kind == "index" and nesting + 1 > MAX_NESTING and reading.entries:
            # Its sitemaps would be past the limit: not asked for at all (fetched
            # and then refused, an index of 50,000 took a budget's requests).
            logger.warning(
                "sitemap index %s is nested %d deep: its %d sitemaps, past %d, are not read"
                " (an endless chain?)",
                where, nesting, len(reading.entries), MAX_NESTING,
            )  # fmt: skip
            count_site(self.crawler, config.name, DISCOVERY_TOO_DEEP, len(reading.entries))
            return
        clock = UrlClock()
        try:
            for request in self._entries_within(config, reading, clock):
                request.meta[NESTING] = nesting + 1
                yield request
        finally:  # (a generator closed early too)
            self.url_patterns_timed_out(config.name, where, clock)

    def _entries_within(
        self, config: SiteConfig, reading: DiscoveryReading, clock: UrlClock
    ) -> Iterator[Request]:
        url_limit = self.crawler.settings.getint("URLLENGTH_LIMIT")
        # Articles stored already (fetched again if listed as changed) come after
        # the list's new ones, and after those earlier runs left (PENDING_PRIORITY):
        # a sitemap whose every lastmod is its build time (as
        # many CMSs write it), oldest first, spent the site's budget fetching again
        # what was stored, while its new articles, listed last, waited run after run.
        stored = self.known.get(config.name, {})
        new: list[Entry] = []
        again: list[Entry] = []
        children: list[Entry] = []
        for entry in reading.entries:
            if too_long(entry.url, url_limit):
                left_out(self.crawler, config.name, entry.url, url_limit)  # as a page's links
                continue
            if not self.directory.owns(config, entry.url):
                count_site(self.crawler, config.name, "offsite")
                continue
            if reading.kind == "index":
                children.append(entry)
                continue
            (again if stored and canonicalize(entry.url) in stored else new).append(entry)
        # An index's newest sitemaps first, by their lastmod: read in the order
        # listed, the first child read took the budget, and an index listing its
        # children oldest first (post-sitemap1.xml holds the first posts, a
        # by-month index starts with the first month) spent it on its oldest
        # articles. A child without a lastmod may change at any time (a generated
        # news sitemap often states none): those come first, in the index's order.
        children.sort(key=_child_time, reverse=True)
        for entry in children:
            if not self.may_request(config.name):
                self.left_for_next_run(config.name, entry.url, found_again=True)
                continue  # counted, not read: the next run reads the index again
            # Listed, not linked: not dropped for its depth (listdepth.py).
            yield self.make_request(
                entry.url, config.name, callback=self.parse_sitemap,
                priority=DISCOVERY_PRIORITY, meta={LISTED_ENTRY: True},
            )  # fmt: skip
        # Newest first, where the list dates its entries (news sitemaps and feeds
        # list newest first, plain sitemaps often oldest first): when the budget
        # cuts the list, what waits for the next run is what is oldest.
        new.sort(key=_listed_time, reverse=True)
        for entry, priority in itertools.chain(
            ((entry, LISTED_PRIORITY) for entry in new),
            ((entry, LISTED_AGAIN_PRIORITY) for entry in again),
        ):
            request, over_budget = self.article_request(config, entry, clock, priority)
            if request is not None:
                request.meta[LISTED_ENTRY] = True
                yield request
            elif over_budget:
                return  # entries past the budget are not looked at further

    def window_for(self, config: SiteConfig) -> datetime | None:
        """The oldest publication time the crawl wants of `config`'s articles (--since,
        or the site's or the crawl's max_age), or None for any."""
        return self.since or (datetime.now(UTC) - config.max_age if config.max_age else None)

    def article_from(self, response: Response, reading: PageReading) -> ArticleItem | None:
        """As every spider reads an article; and one whose own date is older than the
        crawl's window (a sitemap or feed gave none, or a wrong one) is left out,
        counted as too old. Only for a date the page states: its listing's date was
        judged, to the minute, when it was listed (the day it leaves the article,
        in its own zone, was then judged again as UTC's and dropped the evening's
        items of feeds west of UTC); and a date htmldate guessed from a page that
        states none (a script's build number, an old picture's folder) dropped
        new articles (found by a hostile-site session and a review)."""
        item = super().article_from(response, reading)
        config = self.config_for(response)
        if item is None or config is None:
            return item
        window = self.window_for(config)
        stated = item.hints.get("published_from") == DATE_STATED
        if window is not None and stated and older_than(item.published, window):
            self.no_article(config.name, response, TOO_OLD)
            return None
        return item

    def article_request(
        self, config: SiteConfig, entry: Entry, clock: UrlClock, priority: int = LISTED_PRIORITY,
        depth: int | None = None, left_by_earlier_run: bool = False,
    ) -> tuple[Request | None, bool]:  # fmt: skip
        """A request for an article URL from a sitemap, feed or earlier run, or None
        to skip it; and whether it was skipped for the budget (the URL stays
        pending for the next run). `clock`: the time of the list's URLs for the
        site's allow and deny patterns; `depth`: that of a link an earlier run
        found (None: a listed URL). `left_by_earlier_run`: the URL is a row an
        earlier run left pending, settled here if the site's patterns leave it out."""
        wanted = config.judge(entry.url, clock)
        if not wanted:
            states = url_states(self.crawler)
            if wanted is False and left_by_earlier_run and states is not None:
                # The patterns changed since it was found: skipped by every run and
                # never settled, it was pending for ever. (Not when a pattern ran
                # out of time on it, None: that is no verdict.)
                states.mark_not_article(config.name, entry.url, NOT_WANTED)
            return None, False
        dated = entry.published or entry.lastmod
        window = self.window_for(config)
        if window is not None and dated is not None and dated < window:
            count_site(self.crawler, config.name, TOO_OLD)
            return None, False
        if canonicalize(entry.url) in self.backlog.get(config.name, ()):
            return None, False  # held back for a later run (start: the backlog)
        known = self.known.get(config.name, {}).get(canonicalize(entry.url))
        fetched = parse_date(known.fetched_at) if known is not None else None
        if known is not None and not self.refresh and not listed_as_changed(entry.lastmod, fetched):
            self.count_known(config.name, canonicalize(entry.url))
            return None, False
        states = url_states(self.crawler)
        published = entry.published.isoformat() if entry.published else None
        if states is not None:
            states.add_pending(config.name, entry.url, published, entry.title, depth)
        if not self.may_request(config.name):
            self.left_for_next_run(config.name, entry.url, depth=depth)
            return None, True
        # A news sitemap or a feed lists articles; a plain sitemap lists any page.
        declared = entry.published is not None or entry.title is not None
        meta: dict[str, Any] = {"article": declared, "tracked": True, "published": published,
                                "title": entry.title}  # fmt: skip
        if depth is not None:
            meta.update({"depth": depth, LINKED: True})
        request = self.make_request(
            entry.url, config.name, callback=self.parse, meta=meta, priority=priority,
            headers=conditional_headers(known) if self.ask_conditionally else {},
        )  # fmt: skip
        return request, False

    # -- pages ------------------------------------------------------------------

    def config_for(self, response: Response) -> SiteConfig | None:
        return self.directory.by_name.get(response.meta.get("site", "")) or self.directory.site_for(
            response.url
        )

    async def parse(self, response: Response) -> AsyncIterator[ArticleItem | Request]:
        config = self.config_for(response)
        if config is None:
            return
        site = config.name
        count_site(self.crawler, site, FETCHED)
        listed = bool(response.meta.get("tracked")) and not response.meta.get(LINKED)
        if not isinstance(response, HtmlResponse) and (response.meta.get(START_PAGE) or listed):
            kind = discovery_kind(response.body)
            if kind is not None:
                # A sitemap's or a feed's URL given as a start URL, or listed as an
                # article: by a sitemap, or by an earlier run that kept a sitemap
                # its budget refused as a pending URL (its real request is then
                # dropped as a duplicate of this one). Read as one; a listed one
                # is settled, found again where it is listed as a sitemap or feed.
                what = "listed URL" if listed else "start URL"
                logger.info("%s %s is a %s: read as one", what, response.url, kind)
                self.settle_listed(response, kind)
                reader = self.parse_sitemap if kind == "sitemap" else self.parse_feed
                async for request in reader(response):
                    yield request
                return
        if not self.is_html(response):
            return
        assert self.crawler.stats is not None
        offsite = not self.directory.owns(config, response.url)
        if offsite:
            # Redirected to another site's (or no site's) page: not this site's to
            # store; a start page may still lead on (a site that moved).
            if not response.meta.get("allow_offsite"):
                self.redirected_away(response)
                return
            count_site(self.crawler, site, OFFSITE_REDIRECT)
        # A news sitemap or a feed listed it as an article, and the sitemap or feed is
        # how this site's pages are found: its links are not read.
        declared = bool(response.meta.get("article")) and not offsite
        reading = await self.read(response, site, declared)
        article: ArticleItem | None = None
        # Why a tracked URL that gave no article is settled: after its links are
        # kept pending, as an article is stored after them (see the end).
        settled: str | None = None
        if not offsite:
            self.crawler.stats.inc_value(f"{PAGES}{reading.kind}")
            wanted = reading.kind == ARTICLE and self.wanted(config, response.url)
            if reading.kind != ARTICLE:
                count_site(self.crawler, site, NOT_ARTICLE)
                settled = NOT_ARTICLE
            elif wanted:
                article = self.article_from(response, reading)
                # Before this page's links take the site's room: a reread refused
                # by the budget lost its story (found by helper-116).
                for request in self.take_rereads():
                    yield request
            elif wanted is False:
                # Redirected to a page the site's patterns leave out (a login
                # page): left pending, it was fetched again every run.
                settled = NOT_WANTED
            # None: a pattern ran out of time on where it redirected (counted as
            # such). No verdict: the URL stays pending, not settled as left out.
        for url in reading.feeds:
            if url in config.feeds or not self.directory.owns(config, url):
                continue
            if self.may_request(site):
                yield self.make_request(
                    url, site, callback=self.parse_feed, priority=DISCOVERY_PRIORITY
                )
            else:
                self.left_for_next_run(site, url, found_again=True)
        if reading.links_cut:
            count_site(self.crawler, site, LINKS_CUT, reading.links_cut)
        # Links found on an article come after everything else of its site.
        priority = ARTICLE_LINK_PRIORITY if reading.kind == ARTICLE else HUB_LINK_PRIORITY
        site_known = self.known.get(site)
        dupefilter = URLDupeFilter.of(self.crawler)
        offsite_links = 0
        links_too_long: list[str] = []
        url_limit = self.crawler.settings.getint("URLLENGTH_LIMIT")
        clock = UrlClock()
        # How deep this page's links are; past DEPTH_LIMIT, ListedDepth drops them
        # (not kept pending: the next run would fetch them).
        depth = int(response.meta.get("depth", 0)) + 1
        depth_limit = self.crawler.settings.getint("DEPTH_LIMIT")
        within_depth = not depth_limit or depth <= depth_limit
        link_states = url_states(self.crawler) if within_depth else None
        # The links kept pending, written a slice at a time, one statement each
        # (a link fetched meanwhile keeps the state its fetch gave its row).
        linked: list[tuple[str, int]] = []
        for number, url in enumerate(reading.links, 1):
            if number % LINKS_PER_TURN == 0:
                if linked and link_states is not None:
                    link_states.add_pending_links(site, linked)
                    linked = []
                # Scheduling a link (Scrapy's middlewares, the duplicate filter) takes 0.1 to
                # 3 ms on a busy machine: let the event loop turn between
                # slices of a page's thousands, so that no download waits for them all.
                await asyncio.sleep(0)
            if has_credentials(url):
                count_site(self.crawler, site, "credentials_refused")
                continue  # user:password@ in a link: never requested, never printed
            if too_long(url, url_limit):
                # Left out here, as QuietUrlLength would drop it: neither judged by the
                # site's patterns nor kept as pending for the next run.
                links_too_long.append(url)
                continue
            if not self.directory.owns(config, url):
                offsite_links += 1  # another site's page, or no site's: its own crawl finds it
                continue
            wanted = config.judge(url, clock)
            if wanted is None:
                continue  # a pattern ran out of time on it: not followed (counted below)
            if not wanted and classify_page(url) == ARTICLE:
                continue
            known = None
            if site_known:  # (a first crawl of the site knows none: no key to make)
                key = canonicalize(url)
                known = site_known.get(key)
                # Stored articles are not fetched again; hubs always are (they change).
                if known is not None and known.state == "done" and not self.refresh:
                    self.count_known(site, key)
                    continue
            if dupefilter is not None and dupefilter.seen(url):
                # The duplicate filter would drop it (newscrawl/dupefilter.py); and
                # past the budget it was counted left, and the home page kept
                # pending for ever (found by helper-116).
                continue
            if self.may_request(site):
                request = self.make_request(url, site, callback=self.parse, priority=priority,
                                            headers=conditional_headers(known)
                                            if self.ask_conditionally else {})  # fmt: skip
                if link_states is not None and wanted:
                    # Pending until fetched (see LINKED); a page the allow patterns
                    # leave out (a section page) is found again where it was.
                    linked.append((url, depth))
                    request.meta.update({"tracked": True, LINKED: True})
                if (
                    reading.kind == ARTICLE
                    and self._may_hold(response, request, depth, within_depth, url_limit)
                    and self.held_links.hold(site, request)
                ):
                    if response.request is not None:
                        self.held_from[request] = response.request
                        self.links_held_for[response.request] += 1
                    continue  # until the site's sitemaps and feeds are read
                yield request
            elif wanted and within_depth:
                # Kept pending as a followed link is (a hub's too: found on an
                # article, which is not fetched again, it was never found again).
                self.left_for_next_run(site, url, depth=depth)
        if linked and link_states is not None:
            link_states.add_pending_links(site, linked)
        if offsite_links:  # once a page: a hub may hold thousands
            count_site(self.crawler, site, "offsite", offsite_links)
        if links_too_long:  # once a page, as offsite links
            left_out(self.crawler, site, links_too_long[0], url_limit, len(links_too_long))
        self.url_patterns_timed_out(site, response.url, clock)
        states = url_states(self.crawler)
        if settled is not None and states is not None and response.meta.get("tracked"):
            # The URL listed, not where it redirects (see no_article). Settled before
            # the links were kept, a hub committed with part of them, and a kill
            # lost the rest for good (found by helper-115).
            states.mark_not_article(site, requested_url(response), settled)
        if article is not None:
            # After its links are kept pending: a commit that stores the article
            # stores them too (in a store's transaction, those rows come first),
            # and a run killed after it cannot lose them with the page.
            yield article

    def wanted(self, config: SiteConfig, url: str) -> bool | None:
        """Whether a fetched page's `url` passes its site's allow and deny patterns;
        None when one ran out of time on it (counted and warned of): not known to
        pass, its article is not kept, but nor is the URL judged left out."""
        clock = UrlClock()
        wanted = config.judge(url, clock)
        self.url_patterns_timed_out(config.name, url, clock)
        return wanted

    def url_patterns_timed_out(self, site: str, where: str, clock: UrlClock) -> None:
        """`site`'s allow or deny patterns ran out of `clock`'s time on URLs of the
        page, sitemap or feed `where`, which were not followed: counted under
        URL_PATTERN_TIMEOUTS, and a warning per site and pattern, once a crawl."""
        if not clock.not_followed:
            return
        count_site(self.crawler, site, URL_PATTERN_TIMEOUTS, clock.not_followed)
        for pattern in clock.timed_out:
            if (site, pattern) not in self.url_patterns_warned:
                self.url_patterns_warned.add((site, pattern))
                logger.warning("%s", url_timeout_warning(site, pattern, where))


def _least_recently_served_first(sites: list[SiteConfig], store: Frontier) -> list[SiteConfig]:
    """`sites` in the order to seed them: those the last runs sent no request to
    first, then the one served longest ago, and so on (the sites file's order
    among equals). Seeded in the file's order every run, a page budget smaller
    than what the sites' sitemaps cost went to the first sites run after run:
    with twelve sites and --max-pages 6, the last six were sent no request in
    three runs (found by a review)."""
    served = store.last_served(site.name for site in sites)
    return sorted(sites, key=lambda site: served.get(site.name, 0))


def _listed_time(entry: Entry) -> tuple[bool, float]:
    """The sort key of a listed entry: dated ones by their date, before undated."""
    dated = entry.published or entry.lastmod
    return (dated is not None, dated.timestamp() if dated is not None else 0.0)


def _child_time(entry: Entry) -> tuple[bool, float, bool, tuple[int, ...]]:
    """The sort key of an index's sitemap: undated ones, then dated by their date;
    among those alike, those whose address names no date, then by that date."""
    dated, moment = _listed_time(entry)
    named = _named_date(entry.url)
    return (not dated, moment, not named, named)


# A year, maybe a month and a day after it, in a sitemap's address
# ("sitemap-2026-11.xml", "/2026/11/sitemap.xml", "posts-202611.xml"). An index
# that gives its sitemaps no lastmod (WordPress's own states none), or the same
# one for all (its build time), says nothing of their age but by their names:
# read in its order, one listing them by month, oldest first, spent the budget
# on its oldest articles. One named by no date ("news-sitemap.xml") may be the
# latest and stays first, as one without a lastmod does. A number alone is no
# date: "post-sitemap1.xml" holds the first posts on some sites, the latest on
# others.
_NAMED_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)(?:[-_/.]?(0[1-9]|1[0-2])(?:[-_/.]?(0[1-9]|[12]\d|3[01]))?)?(?!\d)"
)


def _named_date(url: str) -> tuple[int, ...]:
    """The year, month and day a sitemap's address names (the last date in it), or ()."""
    parts = urlsplit(url)
    dates = _NAMED_DATE.findall(f"{parts.path}?{parts.query}")
    return tuple(int(part) for part in dates[-1] if part) if dates else ()
