"""What both spiders share: URL arguments, the page cap, handing pages on."""

from __future__ import annotations

import logging
from array import array
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.archive import ARCHIVE_META
from newscrawl.article import build_article
from newscrawl.budget import BUDGET_QUEUED, BUDGET_SITE, OVER_BUDGET_REASON, PageBudget
from newscrawl.circuit import CIRCUIT_OPEN
from newscrawl.config import NewscrawlConfig, parse_site_patterns, setting_name
from newscrawl.duplicates import SIMILARITY_THRESHOLD, similarity
from newscrawl.hosts import site_key
from newscrawl.items import CLEANING_RULES, ArticleItem
from newscrawl.listdepth import LISTED_ENTRY
from newscrawl.netguard import ADDRESS_REFUSED, REDIRECT_REFUSED
from newscrawl.pagereader import PageReader
from newscrawl.readings import (
    MAX_AUTHOR_CHARS,
    MAX_AUTHORS,
    MAX_PARAGRAPH_CHARS,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    NO_TEXT,
    PageReading,
)
from newscrawl.refresh import not_modified
from newscrawl.robots import ROBOTS_UNREACHABLE
from newscrawl.runlog import count_site, patterns_timed_out
from newscrawl.runstore import RunStore, url_states
from newscrawl.sites import SiteConfig, SiteDirectory, sites_from_urls
from newscrawl.sniff import looks_like_html
from newscrawl.storage import CLAIMS_URL, TAKES_BACK_URL, StorageError, content_hash
from newscrawl.urllength import SHOWN_CHARS
from newscrawl.urls import canonicalize, parse_url_list, requested_url, site_of, without_password
from newscrawl.vocabulary import (
    BLOCKED,
    CANONICAL_REFUSED,
    DISCOVERY_LEFT,
    DISCOVERY_NOT_FETCHED,
    FETCH_FAILED,
    KNOWN,
    MAX_PAGES_REACHED,
    NOT_HTML,
    OFFSITE_REDIRECT,
    OVER_BUDGET,
    PAGES_DROPPED,
    PAGES_OVER_SITE_CAP,
    PAGES_SKIPPED,
    PAGES_TRUNCATED,
    TOO_LARGE,
    UNREACHABLE,
)
from newscrawl.workers import (
    EXTRACTION_CRASHED,
    EXTRACTION_INTERRUPTED,
    EXTRACTION_MEMORY,
    EXTRACTION_SKIPPED,
    EXTRACTION_TIMEOUT,
)

__all__ = ["BaseNewsSpider", "fetch_failure_reason"]

# Failures of a page's reading that say something about the crawl, not the page.
UNREADABLE = frozenset({EXTRACTION_TIMEOUT, EXTRACTION_CRASHED, EXTRACTION_MEMORY})
# (EXTRACTION_SKIPPED is said once for its site, by the page reader.)

logger = logging.getLogger(__name__)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# Scrapy's RedirectMiddleware gives up a chain of more than REDIRECT_MAX_TIMES
# redirects (or a loop) with an IgnoreRequest of this message.
_REDIRECTS_SPENT = "max redirections reached"
REDIRECT_LIMIT = "redirect_limit"
# meta key of a request for a link the crawl keeps pending until it is fetched, as
# a listed URL is, at its depth: held only in the scheduler's memory, a link found
# on an article was lost when the run stopped (the stored article is not fetched
# again, so neither is the link found again).
LINKED = "newscrawl_linked"
# Scrapy's HttpCompressionMiddleware gives up a body that decompresses past
# DOWNLOAD_MAXSIZE with an IgnoreRequest that says this.
_DECOMPRESSED_PAST_MAXSIZE = "exceeded DOWNLOAD_MAXSIZE"


# Why a sitemap or feed may not be fetched and the run still be whole: it is gone,
# or the site (401, 403: "refuses the crawler", said once a run), its robots.txt,
# the address guard or a redirect rule refuses it (said each run, the same each
# run), or its site as a whole failed (said as such). A 429 is of the moment.
_STANDING_REFUSALS = frozenset({
    "http_404", "http_410", "http_401", "http_403", "robots_txt", "address_refused",
    "redirect_refused", "circuit_open", "unreachable",
})  # fmt: skip


# Why a link the crawl kept pending (LINKED) is settled, not fetched again by later
# runs: the refusals above that stand, and a redirect elsewhere or round in a loop.
# Not 401 or 403: a firewall's answer to a burst, and settled, the URL was
# "already stored" for every sitemap that listed it later (found by helper-116).
_LINK_SETTLED = frozenset({
    "http_404", "http_410", "robots_txt", "address_refused", "redirect_refused",
    OFFSITE_REDIRECT, REDIRECT_LIMIT,
})  # fmt: skip


def link_depth(request: scrapy.Request) -> int | None:
    """The depth of a link the crawl keeps pending (LINKED); None for any other
    request (a listed URL keeps none)."""
    return int(request.meta.get("depth", 0)) if request.meta.get(LINKED) else None


def fetch_failure_reason(failure: Failure) -> str:
    """A short reason for a failed request: "http_404", "DNSLookupError", ..."""
    error = failure.value
    if isinstance(error, IgnoreRequest) and str(error).startswith(ROBOTS_UNREACHABLE):
        return "unreachable"  # whatever made its robots.txt unreachable
    if isinstance(error, IgnoreRequest) and str(error) == OVER_BUDGET_REASON:
        return OVER_BUDGET
    if ADDRESS_REFUSED in str(error):  # by the address guard, or by its resolver (DNS)
        return "address_refused"
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    # Scrapy's download handlers cancel a download only when its body passes
    # DOWNLOAD_MAXSIZE (its Content-Length says so, or the bytes received do;
    # a timeout is a DownloadTimeoutError): counted as what it is, not by the
    # exception's name, and as the decompression bomb is.
    if isinstance(error, DownloadCancelledError):
        return TOO_LARGE
    if isinstance(error, IgnoreRequest):
        if _DECOMPRESSED_PAST_MAXSIZE in str(error):
            return TOO_LARGE
        if "robots.txt" in str(error):
            return "robots_txt"
        if str(error).startswith(ADDRESS_REFUSED):
            return "address_refused"
        if str(error).startswith(REDIRECT_REFUSED):
            return "redirect_refused"
        if str(error) == _REDIRECTS_SPENT:
            return REDIRECT_LIMIT
        return "circuit_open" if str(error).startswith(CIRCUIT_OPEN) else "ignored"
    return failure.type.__name__ if failure.type else "error"


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _site_counter(reason: str) -> str:
    """The run-record counter for a fetch failure."""
    if reason in ("robots_txt", "circuit_open", "address_refused", TOO_LARGE):
        return reason
    if reason == REDIRECT_LIMIT:  # the site's answers, as a 404 is
        return "http_error"
    if reason == "unreachable":
        return UNREACHABLE
    if reason in ("http_401", "http_403", "http_429"):
        return "blocked"
    if reason.startswith("http_"):
        return "http_error"
    return "network_error"


def apply_site_settings(sites: list[SiteConfig], settings: Any) -> None:
    """What a sites file says of each site that is a setting: its `delay` and
    `concurrency` (DOWNLOAD_SLOTS, by site: every request carries its site as its
    download slot) and its `boilerplate` (NEWSCRAWL_SITE_FRAGMENT_PATTERNS). What
    the settings already say of a site wins: they were given on purpose."""
    if settings.frozen:
        return  # a crawler set up by hand (tests): its settings are as given
    slots = {
        site.name: {
            k: v for k, v in (("delay", site.delay), ("concurrency", site.concurrency)) if v
        }
        for site in sites
    }
    _merge_setting(settings, "DOWNLOAD_SLOTS", {n: s for n, s in slots.items() if s},
                   settings.getdict("DOWNLOAD_SLOTS"))  # fmt: skip
    patterns_name = setting_name("site_fragment_patterns")
    patterns = {site.name: list(site.boilerplate) for site in sites if site.boilerplate}
    given = settings.get(patterns_name)
    _merge_setting(settings, patterns_name, patterns,
                   {k: list(v) for k, v in parse_site_patterns(given).items()} if given else {})  # fmt: skip


def _merge_setting(settings: Any, name: str, ours: dict[str, Any], given: dict[str, Any]) -> None:
    if not ours:
        return
    priority = max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["spider"])
    settings.set(name, {**ours, **given}, priority=priority)


# How many articles' own claims on their URLs a run keeps in memory (0.9 KB each:
# the URL and the packed signature), so that a run of a million pages does not
# hold a million. A page naming the URL of an article read longer ago is judged
# against the store's row (ArticleStore.claim_on); only a run without a store
# lets it take the URL then.
OWN_CLAIMS_KEPT = 20_000


class BaseNewsSpider(scrapy.Spider):
    """Takes `urls` (comma-separated, or a list from Python) and hands pages on as PageItems.

    Every request carries its site (`meta["site"]`), which is also its download
    slot: a site's sub-domains share its delay and concurrency, its circuit
    breaker and its page budget.
    """

    def __init__(self, urls: str | Iterable[str] = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = parse_url_list(urls)
        if not hasattr(self, "sites"):
            self.sites = sites_from_urls(self.start_urls)
        self.directory = SiteDirectory(self.sites, getattr(self, "other_sites", ()))
        # Each site's seeds: the only internal addresses it may reach (netguard).
        self.seeds_by_site = self.directory.seeds_by_site()
        self.budget = PageBudget()
        # URL -> why it could not be fetched; read by the CLI's report.
        self.fetch_failures: dict[str, str] = {}
        self.blocked_sites: set[str] = set()  # warned about once
        self.moved_sites: set[str] = set()  # warned about once: redirected elsewhere
        self.counted_known: set[str] = set()  # URLs counted as already stored, once each
        # Canonical URLs named this run by a page at another address: the first
        # such page and its text's signature (see _another_story_claims); and
        # pages' own URLs, held by the page itself (_take_back_claim), the most
        # recent OWN_CLAIMS_KEPT of them, oldest first.
        self.canonical_claims: dict[str, tuple[str, Any]] = {}
        self.own_claims: dict[str, None] = {}
        # Pages stored under another page's URL that must be read again, under their
        # own (see _take_back_claim), and the pages so re-read this run, once each.
        self.rereads: list[scrapy.Request] = []
        self.reread_pages: set[str] = set()
        # URLs counted as left for the next run, each with the depth it is kept
        # pending at (None: no depth, or not kept: found again where it was).
        self.counted_left: dict[str, int | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> BaseNewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Before anything reads the configuration: both front doors (`newscrawl
        # crawl`, `scrapy crawl` and scrapyd) pass here, so the sites' own settings
        # hold whichever way the crawl was started.
        apply_site_settings(spider.sites, crawler.settings)
        config = NewscrawlConfig.of(crawler)
        spider.budget = PageBudget(config.max_pages, config.max_pages_per_site)
        crawler.signals.connect(spider._queued, signal=signals.request_scheduled)
        crawler.signals.connect(spider._dropped, signal=signals.request_dropped)
        return spider

    # -- the page budget ----------------------------------------------------------

    def may_request(self, site: str) -> bool:
        """Whether `site` may be given one more request: what it was sent and what
        waits for it are within its budget's bound (newscrawl/budget.py)."""
        if self.budget.may_queue(site):
            return True
        self._budget_spent()
        return False

    def _budget_spent(self) -> None:
        assert self.crawler.stats is not None
        if self.budget.crawl_cap_reached():
            self.crawler.stats.set_value(MAX_PAGES_REACHED, True)
        else:
            self.crawler.stats.inc_value(PAGES_OVER_SITE_CAP)

    def left_for_next_run(
        self, site: str, url: str, found_again: bool = False, depth: int | None = None
    ) -> None:
        """A URL the budget had no room for, counted once: remembered as pending
        (a link with its `depth`), so that the next run fetches it; or,
        `found_again` (a sitemap, a feed, a start page: see `found_again`), not
        remembered. A pending URL is fetched as an article page (a listed one
        first, a link once the run is idle): a sitemap kept so was read as a page ("not
        HTML") and its real request dropped as a duplicate, run after run, its
        articles never found (found by an attack). A link left again nearer
        the home page is counted once and kept at the nearer depth."""
        if url in self.counted_left:
            kept = self.counted_left[url]
            if depth is None or kept is None or depth >= kept:
                return
            # Kept at the depth it was first found, the next run fetched it there, and
            # the pages behind it fell past DEPTH_LIMIT (#7 of a review).
        else:
            count_site(self.crawler, site, DISCOVERY_LEFT if found_again else OVER_BUDGET)
        self.counted_left[url] = None if found_again else depth
        states = url_states(self.crawler)
        if states is not None and not found_again:
            states.add_pending(site, url, None, None, depth)

    def backlog_held(self, site: str, urls: list[str]) -> None:
        """URLs earlier runs left pending that this run's budget has no room for
        (PageBudget.room_for_backlog): they stay pending for a later run, and are
        counted as left for it, as a request the budget refused is."""
        if not urls:
            return
        assert self.crawler.stats is not None
        if self.budget.room_for_backlog() == self.budget.max_pages:
            self.crawler.stats.set_value(MAX_PAGES_REACHED, True)
        else:
            self.crawler.stats.inc_value(PAGES_OVER_SITE_CAP)
        for url in urls:
            if url not in self.counted_left:
                self.counted_left[url] = None  # listed: kept with no depth
                count_site(self.crawler, site, OVER_BUDGET)

    def found_again(self, request: scrapy.Request) -> bool:
        """Whether every run asks for `request` anew, from where this one found it
        (robots.txt, the sites file, a sitemap index, a start page): a sitemap, a
        feed, a start page. The news spider knows its own."""
        return False

    def count_known(self, site: str, url: str) -> None:
        """An article found again that is stored already: counted once per URL."""
        if url not in self.counted_known:
            self.counted_known.add(url)
            count_site(self.crawler, site, KNOWN)

    def _queued(self, request: scrapy.Request, spider: Any = None) -> None:
        """request_scheduled: a new request waits for its site's budget (the budget
        gate charges it when it is sent); a retry or redirect of one carries none."""
        self.request_scheduled(request)
        if self._redirect_away(request):
            self.redirected_away(request)
            self.request_gone(request)
            raise IgnoreRequest(f"{OFFSITE_REDIRECT}: {request.url}")
        if self._redirect_loop(request):
            # Before the duplicate filter, which would drop it unsaid, and whatever
            # its dont_filter (a start URL's chain went round twenty times).
            self._redirect_failed(request, REDIRECT_LIMIT, _site_counter(REDIRECT_LIMIT))
            logger.info("not fetched: %s: %s (a redirect loop)",
                        without_password(requested_url(request)), REDIRECT_LIMIT)  # fmt: skip
            self.request_gone(request)
            raise IgnoreRequest(f"{REDIRECT_LIMIT}: {request.url}")
        site = request.meta.pop(BUDGET_SITE, None)
        request.meta.pop(BUDGET_QUEUED, None)
        if site is None:
            return
        if not self.budget.may_queue(site):
            self._budget_spent()
            self.left_for_next_run(
                site, request.url, self.found_again(request), link_depth(request)
            )
            self.request_gone(request)
            raise IgnoreRequest(OVER_BUDGET_REASON)  # the engine does not schedule it
        self.budget.queued(site)
        request.meta[BUDGET_QUEUED] = site

    def _dropped(self, request: scrapy.Request, spider: Any = None) -> None:
        """request_dropped: the duplicate filter dropped it; it costs nothing, but
        for a redirect to a page the crawl asked for already (another listed
        URL's target, a listed page, another site's home page): that page is the
        one asked for, so it is asked for once more, past the filter, and its
        answer (an article stored, a 404, a hub, another site's page) is that of
        the URL asked for. Dropped, the URL was lost unsaid, pending for ever
        (found by a hostile-site test: three old URLs redirected to one article,
        two were never settled; a site whose start page redirected to another
        site's home yielded nothing and no warning). A loop never gets here
        (_redirect_loop)."""
        site = request.meta.pop(BUDGET_QUEUED, None)
        if site is not None:
            self.budget.unqueued(site)
        self.request_gone(request)
        if request.meta.get("redirect_urls") and self.crawler.engine is not None:
            logger.debug("%s redirects to %s, asked for already this run: asked again",
                         without_password(requested_url(request)),
                         without_password(request.url))  # fmt: skip
            self.crawler.engine.crawl(request.replace(dont_filter=True))

    def _redirect_loop(self, request: scrapy.Request) -> bool:
        """Whether `request` follows a redirect back to a page of its own chain (A ->
        B -> A), the same page however it is written: with a fragment (A ->
        A#comments), a letter escaped (%73 for s). It leaves no page: counted as
        a chain without end is (found by a review: dropped by the duplicate
        filter, the URL stayed pending for ever)."""
        chain = request.meta.get("redirect_urls")
        if not chain:
            return False
        fingerprint = self.crawler.request_fingerprinter.fingerprint
        here = fingerprint(request)
        return any(fingerprint(request.replace(url=url)) == here for url in chain)

    def _redirect_away(self, request: scrapy.Request) -> bool:
        """Whether `request` follows a redirect to another site's page, or to no
        site's, that is not to be fetched: dropped before Scrapy's offsite filter
        would drop it unsaid (a start page, `allow_offsite`, may lead on)."""
        # Not `dont_filter`, which lets a redirect through Scrapy's offsite filter:
        # a retried request has it (found by a review: a retry that redirected to
        # another site fetched its page and its robots.txt).
        return (
            bool(request.meta.get("redirect_urls"))
            and not request.meta.get("allow_offsite")
            and not self.owns(request)
        )

    def owns(self, message: scrapy.Request | Response) -> bool:
        """Whether the URL of `message` is its site's own (True when the crawl
        does not know its site)."""
        config = self.directory.by_name.get(message.meta.get("site") or "")
        return config is None or self.directory.owns(config, message.url)

    def redirected_away(self, message: scrapy.Request | Response) -> None:
        """A page that redirected to another site's page, or to no site's: not this
        site's to store. Counted as not fetched, its URL marked failed (read
        again while listed, its attempts growing) and, once a site, said: most
        often the site moved to a new domain, and a person must change its
        sites file; silently, every article was lost and asked for every run."""
        site = self._redirect_failed(message, OFFSITE_REDIRECT, OFFSITE_REDIRECT)
        level = logging.INFO if site in self.moved_sites else logging.WARNING
        self.moved_sites.add(site)
        logger.log(level, "%s: %s redirects to another site's page, %s: not fetched"
                   " (has the site moved?)", site, without_password(requested_url(message)),
                   without_password(message.url))  # fmt: skip

    def _redirect_failed(
        self, message: scrapy.Request | Response, reason: str, counter: str
    ) -> str:
        """Count the page `message` was asked for as not fetched for `reason` (the
        run record's `counter`), and mark its URL failed; its site."""
        asked = requested_url(message)
        site = str(message.meta.get("site") or site_of(asked))
        tracked = bool(message.meta.get("tracked"))
        linked = bool(message.meta.get(LINKED))
        self._not_fetched(without_password(asked), site, reason, counter, tracked, linked)
        return site

    def _not_fetched(
        self, asked: str, site: str, reason: str, counter: str, tracked: bool,
        linked: bool = False,
    ) -> None:  # fmt: skip
        """Count the page asked for at `asked` (after redirects, the first URL: the
        one `scrape` was given, or a sitemap lists) as not fetched for `reason`,
        the run record's `counter` of `site`; a `tracked` URL is marked failed
        under it, not under the last hop of its redirects (found by a review: the
        URL listed stayed pending for ever, a row of its last hop added every
        run)."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{FETCH_FAILED}{reason}")
        count_site(self.crawler, site, counter)
        self.fetch_failures[asked] = reason
        states = url_states(self.crawler)
        if states is not None and linked and reason in _LINK_SETTLED:
            # A link that is gone or refused: settled, as an untracked link was, not
            # asked for by two more runs, each exiting 1 for the site "failing"
            # (found by helper-115). Where a page still links it, it is found again.
            states.mark_not_article(site, asked, reason)
        elif states is not None and tracked:
            states.mark_failed(site, asked, reason)

    def request_scheduled(self, request: scrapy.Request) -> None:
        """`request` reached the scheduler (past every spider middleware that may
        drop a request silently): for the bookkeeping of subclasses."""

    def request_gone(self, request: scrapy.Request) -> None:
        """`request` will reach no callback (dropped, over budget, failed): for the
        bookkeeping of subclasses."""

    # -- requests -------------------------------------------------------------------

    def make_request(self, url: str, site: str, **kwargs: Any) -> scrapy.Request:
        """A request for `url` on behalf of `site`, charged to its budget."""
        meta = {**kwargs.pop("meta", {}), "site": site, "download_slot": site, BUDGET_SITE: site}
        return scrapy.Request(url, errback=self.on_error, meta=meta, **kwargs)

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            site = self.directory.site_for(url)
            name = site.name if site is not None else site_of(url)
            if self.may_request(name):
                # The user's own URL: followed wherever it redirects (a short link).
                yield self.make_request(url, name, callback=self.parse, dont_filter=True,
                                        meta={"allow_offsite": True})  # fmt: skip

    def page_hints(self, response: Response) -> dict[str, Any]:
        """What the crawl knew of a page before reading it: its site, a sitemap's or
        feed's date and title, its HTTP validators."""
        meta = response.meta
        site = self.directory.by_name.get(meta.get("site", ""))
        hints = {
            "site": meta.get("site") or site_of(response.url),
            # Where a declared canonical URL may point (see hosts.py).
            "site_keys": sorted(site.keys | {site_key(response.url)} if site else ()),
            "requested_url": requested_url(response),
            "published": meta.get("published"),
            "title": meta.get("title"),
            "etag": _header(response, b"ETag"),
            "last_modified": _header(response, b"Last-Modified"),
            ARCHIVE_META: meta.get(ARCHIVE_META),  # where the page is archived (archive.py)
        }
        return {key: value for key, value in hints.items() if value}

    def article_from(self, response: Response, reading: PageReading) -> ArticleItem | None:
        """The article a worker read on an article page (cleaned by its own rules; the
        site's boilerplate is the cleaning pipeline's), or None, counted, when the
        page gave none."""
        hints = self.page_hints(response)
        facts = reading.article
        if facts is None:
            self.no_article(hints["site"], response, reading.failure or NO_TEXT)
            return None
        site = self.directory.by_name.get(hints["site"])
        item = build_article(
            facts.extraction, response.url, utc_now(), hints,
            foreign=lambda url: self.directory.foreign_to(site, url), words=facts.word_count,
        )  # fmt: skip
        if self._another_story_claims(item, facts, response.url):
            item.hints = {**item.hints, "canonical_refused": item.canonical_url}
            item.canonical_url = canonicalize(response.url)
        item.text, item.word_count = facts.text, facts.word_count
        item.cleaning = {rule: facts.counts.get(rule, 0) for rule in CLEANING_RULES}
        item.kept_fingerprints = list(facts.kept_fingerprints)
        item.raw_fingerprints = list(facts.raw_fingerprints)
        item.signed = facts.signed
        if item.hints.get("canonical_refused"):
            logger.info(
                "%s declares the canonical URL %s (another site's, its front page, or too long):"
                " stored under its own address",
                response.url, str(item.hints["canonical_refused"])[:SHOWN_CHARS],
            )  # fmt: skip
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(CANONICAL_REFUSED)
            count_site(self.crawler, item.site, "canonical_refused")
        return item

    def _another_story_claims(self, item: ArticleItem, facts: Any, url: str) -> bool:
        """Whether another page of this run, whose text is another story, named the
        canonical URL this page names (not its own address). A template with the
        canonical link wired to a section's home ("/news/") made every article of
        the section one row, each overwriting the one before; by its URL a home
        cannot be told from an article's permalink, but by its pages' texts it
        can: the AMP or print copy of an article is the same story, the next
        article is not. The first page keeps the canonical URL; an article the
        store holds under it came first (its page named it in an earlier run, or
        is at that URL: a page of the next run naming a stored article's URL
        replaced its story, and the story was lost)."""
        canonical, own = item.canonical_url, canonicalize(url)
        if not canonical:
            return False
        signed = getattr(facts, "signed", None)
        mark: Any = signed.signature if signed is not None and signed.signature else None
        mark = mark or content_hash(facts.text)  # unsigned (no store, too short): its hash
        if canonical == own:
            _mark_taken_back(item, self._take_back_claim(canonical, mark, item.site))
            return False
        claim = self.canonical_claims.get(canonical)
        if claim is None:
            stored = self._stored_claim(canonical)
            claim = stored or (own, mark)
            self.canonical_claims[canonical] = claim
        first_page, first_mark = claim
        if first_page == own:
            # Stored under another page's URL: a row the page at that URL may take
            # back (frontier.counted_as).
            item.hints = {**item.hints, CLAIMS_URL: True}
            return False
        if _same_story(first_mark, mark):
            return False
        # Refused, it is stored under its own URL: as the page at that URL, it takes
        # it back from another story stored there. In a chain (article n naming
        # article n-1 as canonical) the next article held this URL, and this
        # page's row wrote over its story, lost (helper-113 D2).
        _mark_taken_back(item, self._take_back_claim(own, mark, item.site))
        return True

    def _take_back_claim(self, canonical: str, mark: Any, site: str | None) -> bool:
        """The page at `canonical` itself, read after another page of this run
        that named `canonical` as its own and was stored under it: if that page is
        another story, this page's row replaces it, and it is read again (once) to
        be stored under its own URL, its claim refused. Before, the story read
        first was overwritten and lost, and the run said both were stored (found
        by a hostile-site session). True when another story's claim is replaced
        (the row replaced is counted by frontier.counted_as)."""
        claim = self.canonical_claims.get(canonical)
        if claim is None:
            # Read first, the page at its own URL holds it: a page read later that
            # names it (another story) is refused. Unclaimed, that page took the
            # URL and its record replaced this one in a run without a store. Every
            # article is such a page: its signature is kept packed (0.8 KB, not 7.7).
            packed = array("I", mark) if isinstance(mark, tuple) else mark
            self.canonical_claims[canonical] = (canonical, packed)
            self.own_claims[canonical] = None
            if len(self.own_claims) > OWN_CLAIMS_KEPT:
                oldest = next(iter(self.own_claims))
                del self.own_claims[oldest]
                if self.canonical_claims.get(oldest, ("",))[0] == oldest:
                    del self.canonical_claims[oldest]
            return False
        if claim[0] == canonical or _same_story(claim[1], mark):
            return False
        self.canonical_claims[canonical] = (canonical, mark)
        displaced = claim[0]
        if displaced in self.reread_pages or not site:
            return True
        self.reread_pages.add(displaced)
        logger.info(
            "%s was stored under %s, which is another story's own URL: read again under its own",
            displaced, canonical,
        )  # fmt: skip
        if not self.may_request(site):
            self.left_for_next_run(site, displaced)
            # Its item marked it done: only made pending, it was never read again.
            states = url_states(self.crawler)
            if states is not None:
                states.mark_read_again(site, displaced)
            return True
        # A page found before, not a link: DEPTH_LIMIT does not drop it (a chain of
        # takebacks, each reread one deeper, lost its fourth story unsaid).
        meta = {"article": True, LISTED_ENTRY: True}
        self.rereads.append(
            self.make_request(displaced, site, callback=self.parse, dont_filter=True, meta=meta)
        )
        return True

    def take_rereads(self) -> list[scrapy.Request]:
        """The requests of pages to read again (_take_back_claim), once."""
        rereads, self.rereads = self.rereads, []
        return rereads

    def _stored_claim(self, canonical: str) -> tuple[str, Any] | None:
        """The page the store's article at `canonical` came from and its story's
        mark (ArticleStore.claim_on), or None: no such article, or no store."""
        run_store = RunStore.of(self.crawler)
        store = run_store.articles if run_store is not None else None
        if store is None:
            return None
        try:
            held = store.claim_on(canonical)
        except StorageError:
            return None  # the store pipeline meets it too, and stops the crawl
        return (canonicalize(held[0]), held[1]) if held is not None else None

    def no_article(self, site: str, response: Response, reason: str) -> None:
        """A fetched page that gave no article: counted, the URL it was asked for
        settled (after redirects, the first: the one a sitemap or an earlier run
        lists; settling the last hop left it pending, fetched again every run)."""
        url = response.url
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{PAGES_DROPPED}{reason}")
        count_site(self.crawler, site, reason)
        asked = requested_url(response)
        self.fetch_failures[asked] = reason
        states = url_states(self.crawler)
        if states is not None and reason in (EXTRACTION_INTERRUPTED, EXTRACTION_SKIPPED):
            states.mark_failed(site, asked, reason)  # not read: read again next run
        elif states is not None:
            states.mark_not_article(site, asked, reason)
        level = logging.WARNING if reason in UNREADABLE else logging.INFO
        logger.log(level, "no article at %s: %s", without_password(url), reason)

    async def read(self, response: Response, site: str, declared: bool) -> PageReading:
        """What the page holds, from a worker (newscrawl/pagereader.py)."""
        reader = PageReader.of(self.crawler)
        reading = await reader.read_page(response, site, declared_article=declared,
                                         read_links=not declared)  # fmt: skip
        if reading.article is not None and reading.article.timed_out:
            patterns_timed_out(
                self.crawler, site, without_password(response.url), reading.article.timed_out
            )
        if reading.tags_cut or reading.text_cut or reading.authors_cut:
            count_site(self.crawler, site, PAGES_TRUNCATED)
            url = without_password(response.url)
            if reading.tags_cut:
                logger.info("page truncated: %s: %d tags past the first %d were not read",
                            url, reading.tags_cut, MAX_TAGS)  # fmt: skip
            if reading.text_cut:
                logger.info("text truncated: %s: %d characters were not kept (a text keeps"
                            " %d at most, a paragraph %d)", url, reading.text_cut,
                            MAX_TEXT_CHARS, MAX_PARAGRAPH_CHARS)  # fmt: skip
            if reading.authors_cut:
                logger.info("authors truncated: %s: %d names dropped or cut (an article keeps"
                            " %d at most, a name %d characters)", url, reading.authors_cut,
                            MAX_AUTHORS, MAX_AUTHOR_CHARS)  # fmt: skip
        return reading

    def on_error(self, failure: Failure) -> None:
        if not_modified(self.crawler, failure):  # a 304: unchanged, nothing to extract
            return
        reason = fetch_failure_reason(failure)
        request = getattr(failure, "request", None)
        url = without_password(request.url) if request is not None else "?"
        site = request.meta.get("site") if request is not None else None
        if request is not None:
            self.request_gone(request)
        if reason == OVER_BUDGET:  # the budget gate: not a failure, left for the next run
            self._budget_spent()
            again = request is not None and self.found_again(request)
            depth = link_depth(request) if request is not None else None
            self.left_for_next_run(site or site_of(url), url, again, depth)
            return
        asked = without_password(requested_url(request)) if request is not None else url
        tracked = request is not None and bool(request.meta.get("tracked"))
        linked = request is not None and bool(request.meta.get(LINKED))
        self._not_fetched(
            asked, site or site_of(url), reason, _site_counter(reason), tracked, linked
        )
        # One page that fails is routine (counted, in the summary, tried again next
        # run); a site that refuses us needs a person: said once per site.
        if _site_counter(reason) == BLOCKED and (site or url) not in self.blocked_sites:
            self.blocked_sites.add(site or url)
            logger.warning("%s refuses the crawler: %s for %s", site or url, reason, url)
        # A sitemap or a feed lists a site's articles: one that cannot be read is no
        # routine dead link, and a person should hear of it.
        callback = getattr(getattr(request, "callback", None), "__name__", "")
        if callback in ("parse_sitemap", "parse_feed"):
            logger.warning("sitemap or feed not fetched: %s: %s", url, reason)
            if reason not in _STANDING_REFUSALS:
                # What it lists is lost for the run: a loss, as an unreadable one's.
                count_site(self.crawler, site or site_of(url), DISCOVERY_NOT_FETCHED)
        else:
            logger.info("not fetched: %s: %s", url, reason)

    def is_html(self, response: Response) -> bool:
        """True for an HTML page; anything else (PDF, image, JSON) is counted and skipped.
        An answer that names no Content-Type is judged by its first tag, as a
        browser judges it (newscrawl/sniff.py)."""
        if isinstance(response, HtmlResponse):
            return True
        if not response.headers.get(b"Content-Type") and looks_like_html(response.body):
            return True
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{PAGES_SKIPPED}{NOT_HTML}")
        self.fetch_failures[requested_url(response)] = NOT_HTML
        self.settle_listed(response, NOT_HTML)
        logger.info("not an HTML page, skipped: %s", response.url)
        return False

    def settle_listed(self, response: Response, reason: str) -> None:
        """A listed URL (a sitemap's, a feed's, an earlier run's) whose answer is no
        article page and will not become one (a PDF, an image, a sitemap): skipped
        for `reason`, not asked for again. Left pending, it was fetched (and charged
        to the budget) on every run for ever (found by an attack)."""
        states = url_states(self.crawler)
        if states is not None and response.meta.get("tracked"):
            site = str(response.meta.get("site") or site_of(response.url))
            states.mark_not_article(site, without_password(requested_url(response)), reason)


def _mark_taken_back(item: ArticleItem, taken: bool) -> None:
    """Hint that `item` takes its URL back from another story, if it does (see
    BaseNewsSpider._take_back_claim)."""
    if taken:
        item.hints = {**item.hints, TAKES_BACK_URL: True}


def _same_story(first: Any, other: Any) -> bool:
    """Whether two pages' marks (story signatures, or text hashes where a page
    was not signed) are of one story."""
    if isinstance(first, tuple | array) and isinstance(other, tuple | array):
        return similarity(first, other) >= SIMILARITY_THRESHOLD
    return bool(first == other)
