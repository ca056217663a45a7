"""`news`: crawl news sites: sitemaps, feeds and links; store the pages that are articles.

Discovery, in one crawl of a site: robots.txt `Sitemap:` lines, sitemap indexes
(recursive, gzipped or not), Google News sitemaps, RSS/Atom/JSON feeds (given,
or announced by the start pages), and links followed from the start pages (up to
DEPTH_LIMIT). With a database (NEWSCRAWL_SQLITE_PATH), articles stored in an
earlier run are not fetched again unless their sitemap `lastmod` is newer than
that fetch, or `refresh` is set; start pages, feeds and sitemaps always are.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy.http import HtmlResponse, Request, Response
from scrapy.linkextractors import LinkExtractor

from newscrawl.crawlstore import count_site, crawl_store, url_states
from newscrawl.discovery import (
    Entry,
    feed_links,
    parse_date,
    parse_feed,
    parse_sitemap,
    robots_sitemaps,
)
from newscrawl.frontier import KnownURL, PendingURL
from newscrawl.items import PageItem
from newscrawl.pagetype import ARTICLE, classify_page
from newscrawl.sites import SiteConfig, load_sites, parse_age
from newscrawl.spiders._base import BaseNewsSpider, ld_json_types
from newscrawl.urls import canonicalize, parse_url_list, site_of

__all__ = ["NewsSpider"]

logger = logging.getLogger(__name__)


def _as_list(value: str | Iterable[str]) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def _sites_from_urls(urls: list[str], sitemaps: list[str], feeds: list[str]) -> list[SiteConfig]:
    """One site per host for URLs given on the command line."""
    by_host: dict[str, dict[str, list[str]]] = {}
    for key, values in (("start_urls", urls), ("sitemaps", sitemaps), ("feeds", feeds)):
        for url in values:
            by_host.setdefault(site_of(url), {}).setdefault(key, []).append(url)
    return [
        SiteConfig(
            name=host,
            start_urls=tuple(lists.get("start_urls", ())),
            sitemaps=tuple(lists.get("sitemaps", ())),
            feeds=tuple(lists.get("feeds", ())),
        )
        for host, lists in by_host.items()
    ]


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
            configs = _sites_from_urls(
                urls_list, parse_url_list(sitemaps) if _as_list(sitemaps) else [],
                parse_url_list(feeds) if _as_list(feeds) else [],
            )  # fmt: skip
            if not configs:
                parse_url_list("")  # raises "no URL given"
        if site:
            configs = [c for c in configs if c.name == site]
            if not configs:
                raise ValueError(f"no site named {site!r}")
        self.sites = configs
        entry_urls = [u for c in configs for u in c.entry_urls]
        super().__init__(entry_urls, **kwargs)
        self.since = self._window(since, max_age)
        self.refresh = refresh in (True, "1", "true", "yes")
        self.site_by_host = {urlsplit(u).netloc.lower(): c for c in configs for u in c.entry_urls}
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in entry_urls})
        # LinkExtractor compares domains with the whole netloc, port included, so
        # a site on a non-default port (a local server) is named with its port.
        self.links = LinkExtractor(allow_domains=sorted(self.site_by_host), unique=True)
        self.known: dict[str, dict[str, KnownURL]] = {}
        # A writer cluster's worker: its sites' URLs left to fetch, from the writer.
        self.pending_from_writer: dict[str, list[PendingURL]] = {}

    @staticmethod
    def _window(since: str | datetime | None, max_age: str | timedelta | None) -> datetime | None:
        if isinstance(since, str) and since:
            moment = parse_date(since)
            if moment is None:
                raise ValueError(f"since: not a date: {since!r}")
            return moment
        if isinstance(since, datetime):
            return since
        if isinstance(max_age, str) and max_age:
            max_age = parse_age(max_age)
        if isinstance(max_age, timedelta):
            return datetime.now(UTC) - max_age
        return None

    # -- seeds ----------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        store = crawl_store(self.crawler)
        seeding = self._sites_to_seed()
        if store is None and self.crawler.settings.getbool("NEWSCRAWL_CLUSTER_WRITER"):
            await self._known_from_writer([c.name for c in seeding])
        for config in seeding:
            if store is not None:
                self.known[config.name] = store.frontier.known_articles(config.name)
            meta = {"site": config.name, "allow_offsite": True}
            # Seeds skip the duplicate filter of a single crawl (a start page found
            # again as a link is fetched again); in a cluster they pass the shared
            # one, so that a restarted worker does not fetch them a second time.
            unfiltered = not self.crawler.settings.get("NEWSCRAWL_CLUSTER_URL")
            hosts = {
                urlunsplit((*urlsplit(u)[:2], "/robots.txt", "", "")) for u in config.entry_urls
            }
            for robots in sorted(hosts):
                yield Request(robots, callback=self.parse_robots, errback=self.robots_unavailable,
                              meta=meta, dont_filter=unfiltered)  # fmt: skip
            for url in config.sitemaps:
                yield self.make_request(
                    url, callback=self.parse_sitemap, meta=meta, dont_filter=unfiltered
                )
            for url in config.feeds:
                yield self.make_request(
                    url, callback=self.parse_feed, meta=meta, dont_filter=unfiltered
                )
            for url in config.start_urls:
                if self.may_request(config.name):
                    yield self.make_request(
                        url, callback=self.parse, meta=meta, dont_filter=unfiltered
                    )
            # What an earlier run found and did not finish (stopped, killed, failed).
            if store is not None:
                pending = store.frontier.pending(config.name)
            else:
                pending = self.pending_from_writer.get(config.name, [])
            for row in pending:
                request = self.article_request(
                    config, Entry(row.url, parse_date(row.published), title=row.title)
                )
                if request is not None:
                    yield request

    async def _known_from_writer(self, sites: list[str]) -> None:
        """A cluster worker without a store learns from the run's writer which
        articles earlier runs stored (see newscrawl/writer.py)."""
        from newscrawl.cluster import connect, run_prefix  # needs the cluster extra
        from newscrawl.writer import known_from_writer

        settings = self.crawler.settings
        prefix = run_prefix(settings.get("NEWSCRAWL_CLUSTER_RUN", ""), self.name)
        server = connect(settings.get("NEWSCRAWL_CLUSTER_URL", ""))
        timeout = settings.getfloat("NEWSCRAWL_CLUSTER_TIMEOUT", 60.0)
        known = await known_from_writer(server, prefix, sites, timeout)
        server.close()
        if known is None:
            logger.warning(
                "no `newscrawl writer` has started for this run within %g s: every article"
                " found is fetched, also those earlier runs stored", timeout,
            )  # fmt: skip
            return
        self.known.update(known.known)
        self.pending_from_writer.update(known.pending)

    def _sites_to_seed(self) -> list[SiteConfig]:
        """Every site; in a cluster, this worker's shard of them (the others seed theirs)."""
        if not self.crawler.settings.get("NEWSCRAWL_CLUSTER_URL"):
            return self.sites
        from newscrawl.cluster import Shard  # needs the cluster extra

        shard = Shard.parse(self.crawler.settings.get("NEWSCRAWL_SHARD", "0/1"))
        return [c for c in self.sites if shard.owns(c.name)]

    # -- discovery --------------------------------------------------------------

    def parse_robots(self, response: Response) -> Iterator[Request]:
        config = self.config_for(response)
        if config is None or response.status != 200:
            return
        for url in robots_sitemaps(
            response.text if hasattr(response, "text") else "", response.url
        ):
            if url not in config.sitemaps:
                yield self.make_request(
                    url, callback=self.parse_sitemap, meta={"site": config.name}
                )

    def robots_unavailable(self, failure: Any) -> None:
        # A missing robots.txt is normal, and an unreachable site shows in its pages.
        logger.debug("robots.txt not read for its Sitemap lines: %s", failure.value)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        config = self.config_for(response)
        if config is None:
            return
        try:
            kind, entries = parse_sitemap(response.body, response.url)
        except ValueError as exc:
            logger.warning("sitemap skipped: %s: %s", response.url, exc)
            return
        if not entries:
            logger.warning("no URLs in sitemap %s", response.url)
            count_site(self.crawler, config.name, "empty_sitemaps")
        for entry in entries:
            if kind == "index":
                yield self.make_request(
                    entry.url, callback=self.parse_sitemap, meta={"site": config.name}
                )
            elif (request := self.article_request(config, entry)) is not None:
                yield request

    def parse_feed(self, response: Response) -> Iterator[Request]:
        config = self.config_for(response)
        if config is None:
            return
        for entry in parse_feed(response.body, response.url):
            if (request := self.article_request(config, entry)) is not None:
                yield request

    def article_request(self, config: SiteConfig, entry: Entry) -> Request | None:
        """A request for an article URL from a sitemap, feed or earlier run; None to skip."""
        if not config.wants(entry.url):
            return None
        dated = entry.published or entry.lastmod
        window = self.since or (datetime.now(UTC) - config.max_age if config.max_age else None)
        if window is not None and dated is not None and dated < window:
            count_site(self.crawler, config.name, "too_old")
            return None
        known = self.known.get(config.name, {}).get(canonicalize(entry.url))
        if known is not None and not self.refresh:
            fetched = parse_date(known.fetched_at)
            if entry.lastmod is None or fetched is None or entry.lastmod <= fetched:
                count_site(self.crawler, config.name, "already_stored")
                return None
        if not self.may_request(config.name):
            return None
        states = url_states(self.crawler)
        published = entry.published.isoformat() if entry.published else None
        if states is not None:
            states.add_pending(config.name, entry.url, published, entry.title)
        # A news sitemap or a feed lists articles; a plain sitemap lists any page.
        declared = entry.published is not None or entry.title is not None
        meta = {"site": config.name, "article": declared, "tracked": True,
                "published": published, "title": entry.title}  # fmt: skip
        return self.make_request(entry.url, callback=self.parse, meta=meta)

    # -- pages ------------------------------------------------------------------

    def config_for(self, response: Response) -> SiteConfig | None:
        name = response.meta.get("site")
        return next((c for c in self.sites if c.name == name), None) or self.site_by_host.get(
            urlsplit(response.url).netloc.lower()
        )

    def parse(self, response: Response) -> Iterator[PageItem | Request]:
        config = self.config_for(response)
        site = config.name if config else site_of(response.url)
        count_site(self.crawler, site, "pages_fetched")
        if not self.is_html(response):
            return
        assert isinstance(response, HtmlResponse) and self.crawler.stats is not None
        if response.meta.get("article"):
            # A news sitemap or a feed listed it as an article, and the sitemap or feed
            # is how this site's pages are found: no need to parse it here (the
            # crawler's process is the bottleneck; extraction runs in workers).
            self.crawler.stats.inc_value(f"newscrawl/pages/{ARTICLE}")
            yield self.page_item(response)
            return
        og_type = response.xpath('//meta[@property="og:type"]/@content').get()
        kind = classify_page(response.url, og_type, ld_json_types(response))
        self.crawler.stats.inc_value(f"newscrawl/pages/{kind}")
        if kind == ARTICLE:
            if config is None or config.wants(response.url):
                yield self.page_item(response)
        else:
            count_site(self.crawler, site, "not_article")
        if config is None:
            return
        for url in feed_links(response.text, response.url):
            if url not in config.feeds:
                yield self.make_request(url, callback=self.parse_feed, meta={"site": site})
        for link in self.links.extract_links(response):
            if not config.wants(link.url) and classify_page(link.url) == ARTICLE:
                continue
            known = self.known.get(site, {}).get(canonicalize(link.url))
            # Stored articles are not fetched again; hubs always are (they change).
            if known is not None and known.state == "done" and not self.refresh:
                count_site(self.crawler, site, "already_stored")
                continue
            if not self.may_request(site):
                self.crawler.stats.set_value("newscrawl/max_pages_reached", True)
                return
            yield self.make_request(link.url, callback=self.parse, meta={"site": site})
