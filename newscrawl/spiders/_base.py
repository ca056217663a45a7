"""What both spiders share: URL arguments, the page cap, handing pages on."""

from __future__ import annotations

import codecs
import json
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newscrawl.archive import ARCHIVE_META
from newscrawl.budget import BUDGET_CHARGED, BUDGET_SITE, PageBudget
from newscrawl.circuit import CIRCUIT_OPEN
from newscrawl.config import NewscrawlConfig, parse_site_patterns, setting_name
from newscrawl.hosts import site_key
from newscrawl.items import PageItem
from newscrawl.netguard import ADDRESS_REFUSED
from newscrawl.refresh import not_modified
from newscrawl.robots import ROBOTS_UNREACHABLE
from newscrawl.runlog import count_site
from newscrawl.runstore import url_states
from newscrawl.sites import SiteConfig, SiteDirectory, sites_from_urls
from newscrawl.urls import parse_url_list, site_of, without_password
from newscrawl.vocabulary import (
    BLOCKED,
    FETCH_FAILED,
    KNOWN,
    MAX_PAGES_REACHED,
    OVER_BUDGET,
    PAGES_OVER_SITE_CAP,
    PAGES_SKIPPED,
    UNREACHABLE,
)

__all__ = ["BaseNewsSpider", "fetch_failure_reason"]

logger = logging.getLogger(__name__)


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def fetch_failure_reason(failure: Failure) -> str:
    """A short reason for a failed request: "http_404", "DNSLookupError", ..."""
    error = failure.value
    if isinstance(error, IgnoreRequest) and str(error).startswith(ROBOTS_UNREACHABLE):
        return "unreachable"  # whatever made its robots.txt unreachable
    if ADDRESS_REFUSED in str(error):  # by the address guard, or by its resolver (DNS)
        return "address_refused"
    if isinstance(error, HttpError):
        return f"http_{error.response.status}"
    if isinstance(error, IgnoreRequest):
        if "robots.txt" in str(error):
            return "robots_txt"
        if str(error).startswith(ADDRESS_REFUSED):
            return "address_refused"
        return "circuit_open" if str(error).startswith(CIRCUIT_OPEN) else "ignored"
    return failure.type.__name__ if failure.type else "error"


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _site_counter(reason: str) -> str:
    """The run-record counter for a fetch failure."""
    if reason in ("robots_txt", "circuit_open", "address_refused"):
        return reason
    if reason == "unreachable":
        return UNREACHABLE
    if reason in ("http_401", "http_403", "http_429"):
        return "blocked"
    if reason.startswith("http_"):
        return "http_error"
    return "network_error"


def page_text(response: TextResponse) -> str:
    """The page as text. A page said to be UTF-8 whose bytes are not UTF-8 at all (a
    Latin-1 site behind a server that labels everything UTF-8) is read as
    Windows-1252, instead of with a replacement character for every accented letter.
    A UTF-8 page with a few broken bytes stays UTF-8."""
    text = response.text
    if "\ufffd" not in text or codecs.lookup(response.encoding).name != "utf-8":
        return text
    broken = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))  # counted in C, not char by char
    if non_ascii > broken:
        return text  # real UTF-8 characters too: keep them
    return response.body.decode("cp1252", errors="replace")


def ld_json_types(response: TextResponse) -> list[str]:
    """The @type values of the page's JSON-LD blocks (top level and @graph)."""
    types: list[str] = []
    for block in response.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            data = json.loads(block)
        except ValueError:
            continue
        nodes = data if isinstance(data, list) else [data]
        for node in list(nodes):
            if isinstance(node, dict) and isinstance(node.get("@graph"), list):
                nodes.extend(node["@graph"])
        for node in nodes:
            if isinstance(node, dict):
                value = node.get("@type")
                values = value if isinstance(value, list) else [value]
                types.extend(v for v in values if isinstance(v, str))
    return types


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
        self.directory = SiteDirectory(self.sites)
        # Each site's seeds: the only internal addresses it may reach (netguard).
        self.seeds_by_site = self.directory.seeds_by_site()
        self.budget = PageBudget()
        # URL -> why it could not be fetched; read by the CLI's report.
        self.fetch_failures: dict[str, str] = {}
        self.blocked_sites: set[str] = set()  # warned about once
        self.counted_known: set[str] = set()  # URLs counted as already stored, once each
        self.counted_left: set[str] = set()  # URLs counted as left for the next run

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> BaseNewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Before anything reads the configuration: both front doors (`newscrawl
        # crawl`, `scrapy crawl` and scrapyd) pass here, so the sites' own settings
        # hold whichever way the crawl was started.
        apply_site_settings(spider.sites, crawler.settings)
        config = NewscrawlConfig.of(crawler)
        spider.budget = PageBudget(config.max_pages, config.max_pages_per_site)
        crawler.signals.connect(spider._charge, signal=signals.request_scheduled)
        crawler.signals.connect(spider._refund, signal=signals.request_dropped)
        return spider

    # -- the page budget ----------------------------------------------------------

    def may_request(self, site: str) -> bool:
        """Whether `site` may have one more request, under NEWSCRAWL_MAX_PAGES and
        NEWSCRAWL_MAX_PAGES_PER_SITE; counts a refusal."""
        if self.budget.allows(site):
            return True
        assert self.crawler.stats is not None
        if self.budget.crawl_cap_reached():
            self.crawler.stats.set_value(MAX_PAGES_REACHED, True)
        else:
            self.crawler.stats.inc_value(PAGES_OVER_SITE_CAP)
        return False

    def left_for_next_run(self, site: str, url: str) -> None:
        """A URL the budget had no room for: remembered as pending, so that the
        next run fetches it, and counted once."""
        if url in self.counted_left:
            return
        self.counted_left.add(url)
        count_site(self.crawler, site, OVER_BUDGET)
        states = url_states(self.crawler)
        if states is not None:
            states.add_pending(site, url, None, None)

    def count_known(self, site: str, url: str) -> None:
        """An article found again that is stored already: counted once per URL."""
        if url not in self.counted_known:
            self.counted_known.add(url)
            count_site(self.crawler, site, KNOWN)

    def _charge(self, request: scrapy.Request, spider: Any = None) -> None:
        """request_scheduled: charge a new request to its site's budget; a retry or
        redirect of a charged one carries no charge of its own."""
        site = request.meta.pop(BUDGET_SITE, None)
        request.meta.pop(BUDGET_CHARGED, None)
        if site is None:
            return
        if not self.budget.allows(site):
            raise IgnoreRequest("over the page budget")  # the engine does not schedule it
        self.budget.charge(site)
        request.meta[BUDGET_CHARGED] = site

    def _refund(self, request: scrapy.Request, spider: Any = None) -> None:
        """request_dropped: the duplicate filter dropped it; it costs nothing."""
        site = request.meta.pop(BUDGET_CHARGED, None)
        if site is not None:
            self.budget.refund(site)

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
                yield self.make_request(url, name, callback=self.parse, dont_filter=True)

    def page_item(self, response: TextResponse) -> PageItem:
        meta = response.meta
        site = self.directory.by_name.get(meta.get("site", ""))
        hints = {
            "site": meta.get("site") or site_of(response.url),
            # Where a declared canonical URL may point (see hosts.py).
            "site_keys": sorted(site.keys | {site_key(response.url)} if site else ()),
            "requested_url": (meta.get("redirect_urls") or [response.url])[0],
            "published": meta.get("published"),
            "title": meta.get("title"),
            "etag": _header(response, b"ETag"),
            "last_modified": _header(response, b"Last-Modified"),
            ARCHIVE_META: meta.get(ARCHIVE_META),  # where the page is archived (archive.py)
        }
        return PageItem(
            url=response.url,
            html=page_text(response),
            fetched_at=utc_now(),
            status=response.status,
            hints={key: value for key, value in hints.items() if value},
        )

    def on_error(self, failure: Failure) -> None:
        if not_modified(self.crawler, failure):  # a 304: unchanged, nothing to extract
            return
        reason = fetch_failure_reason(failure)
        request = getattr(failure, "request", None)
        url = without_password(request.url) if request is not None else "?"
        site = request.meta.get("site") if request is not None else None
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{FETCH_FAILED}{reason}")
        count_site(self.crawler, site or site_of(url), _site_counter(reason))
        self.fetch_failures[url] = reason
        states = url_states(self.crawler)
        if states is not None and request is not None and request.meta.get("tracked"):
            states.mark_failed(site or site_of(url), url, reason)
        # One page that fails is routine (counted, in the summary, tried again next
        # run); a site that refuses us needs a person: said once per site.
        if _site_counter(reason) == BLOCKED and (site or url) not in self.blocked_sites:
            self.blocked_sites.add(site or url)
            logger.warning("%s refuses the crawler: %s for %s", site or url, reason, url)
        logger.info("not fetched: %s: %s", url, reason)

    def is_html(self, response: Response) -> bool:
        """True for an HTML page; anything else (PDF, image, JSON) is counted and skipped."""
        if isinstance(response, HtmlResponse):
            return True
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"{PAGES_SKIPPED}not_html")
        self.fetch_failures[response.url] = "not_html"
        logger.info("not an HTML page, skipped: %s", response.url)
        return False
