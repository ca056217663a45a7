"""The sites file: which news sites to crawl, and how (TOML).

    [[site]]
    name = "courier"                       # required, unique
    start_urls = ["https://courier.example/"]
    sitemaps = ["https://courier.example/news-sitemap.xml"]
    feeds = ["https://courier.example/rss"]
    allow = ['/\\d{4}/\\d\\d/']            # URL regexes an article must match (any)
    deny = ['/video/']                    # URL regexes that exclude (any)
    boilerplate = ["From our archive"]    # extra fragment patterns for this site (bounded
                                          # in time: see cleaning/fragments.py)
    delay = 2.0                           # seconds between requests to the site (at most 30)
    concurrency = 1                       # requests at once to the site
    max_age = "3d"                        # skip entries older than this (at most 100 years)
    archive = "warc/courier"              # keep its fetched pages as WARC files here

Errors name the file, the line and the key.

`allow` and `deny` run on every link, sitemap and feed entry of the site, in the
crawler's event loop, on URLs the site writes. An ordinary slug pattern can
backtrack catastrophically on one hostile URL (`/news/([a-z0-9]+-?)+\\.html$` on
`/news/` and 34 a's and an x froze a crawl past every stop), so they are
compiled with the `regex` module (which backtracks less) and bounded as the
`boilerplate` patterns are: URL_PATTERN_SECONDS of CPU a URL, and
URL_PATTERNS_PAGE_SECONDS for all the URLs of one page, sitemap or feed (a
UrlClock). A URL whose patterns run out of time is not followed, counted
(`url_pattern_timeouts`) and warned of once a site and pattern.

A site is the unit of politeness, budgets and trust. It owns the registrable
domains of its seeds (start URLs, sitemaps, feeds) and every sub-domain of them
(see newscrawl/hosts.py): `news.courier.example` and `www.courier.example` are
both courier's, share its download slot (delay, concurrency), its page budget and
its circuit breaker, and what they serve (a canonical link, a sitemap entry, a
redirect) can never reach or replace another site's pages. Two sites of one
file may not share a registrable domain unless their seeds name different
hosts; a URL then belongs to the site whose seed host it is, or is under.
"""

from __future__ import annotations

import re
import time
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex

from newscrawl.cleaning.fragments import compile_user_pattern, shown_pattern
from newscrawl.hosts import host_key, registrable_domain, site_key
from newscrawl.urls import InvalidURLError, parse_url, site_of

__all__ = [
    "MAX_AGE",
    "MAX_CONCURRENCY",
    "MAX_DELAY",
    "MAX_SITES_FILE_BYTES",
    "URL_PATTERNS_PAGE_SECONDS",
    "URL_PATTERN_SECONDS",
    "SiteConfig",
    "SiteDirectory",
    "SitesFileError",
    "UrlClock",
    "compile_url_pattern",
    "load_sites",
    "parse_age",
    "sites_from_urls",
    "url_timeout_warning",
]

_AGE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_MINUTES = {"m": 1, "h": 60, "d": 24 * 60, "w": 7 * 24 * 60}
# An age past a century reaches back before any news site, so it is no limit at
# all, and a much larger one overflowed Python's dates (a traceback, or a crawl
# that failed as it opened): 100 years (36,500 days) is the most an age may be.
MAX_AGE = timedelta(days=36_500)
# The longest wait between two requests to a site, in seconds (a sites file's
# `delay`, and DOWNLOAD_DELAY and AutoThrottle's delays given with -s). A stop
# (Ctrl-C, SIGTERM) waits for a request held back by its delay to go out and
# come back, and must fit in NEWSCRAWL_STOP_TIMEOUT (60 s). Measured with a
# local site and SIGINT 8 s into the crawl: `delay = 60` (AutoThrottle's own
# AUTOTHROTTLE_MAX_DELAY default in Scrapy) stopped in 60 s, cut short with
# exit 3; `delay = 30` in 33 s, exit 130. So 30 s, newscrawl's own
# AUTOTHROTTLE_MAX_DELAY (settings.py), which leaves the stop room for the
# download. Far beyond it a crawl never sent its first request (`delay =
# 1e308`: robots.txt waited for ever).
MAX_DELAY = 30.0
# The largest sites file read: 100,000 start URLs take 3.6 MB.
MAX_SITES_FILE_BYTES = 64 * 2**20
# The most requests at once a site may ask for. Scrapy's downloader takes at most
# CONCURRENT_REQUESTS (16 here) for all sites together, so more is never used;
# without a bound a value past 64 bits reached Redis's queue of a cluster as is.
MAX_CONCURRENCY = 256
# The CPU time a site's allow and deny patterns have for one URL, all together.
# Measured with `regex` on a 2-core machine (and bounded in tests/test_url_patterns.py):
# ordinary patterns take 5 to 60 us on a URL of URLLENGTH_LIMIT (2,083)
# characters, the reported slug pattern 0.6 to 1.3 ms on a long slug that fails it;
# a backtracking one runs for minutes. 10 ms leaves the ordinary ones a wide margin.
URL_PATTERN_SECONDS = 0.01
# The CPU time for the URLs of one page, sitemap or feed, all together: what its
# thousands of hostile links (5,000 a page, 50,000 a sitemap) may cost at most.
# Four ordinary patterns spend about 0.6 s on a full sitemap of 50,000 entries;
# a stop (NEWSCRAWL_STOP_TIMEOUT, 60 s) waits for one document at most.
URL_PATTERNS_PAGE_SECONDS = 5.0
_KEYS = {
    "name", "start_urls", "sitemaps", "feeds", "allow", "deny", "boilerplate", "delay",
    "concurrency", "max_age", "archive",
}  # fmt: skip


class SitesFileError(ValueError):
    """The sites file cannot be used; the message says where and why."""


def parse_age(text: str) -> timedelta:
    """ "30m", "12h", "2d", "1w" as a timedelta."""
    match = _AGE.match(text)
    if not match:
        raise ValueError(f"not an age like 30m, 12h, 2d or 1w: {text!r}")
    number, unit = int(match.group(1)), match.group(2)
    if number == 0:  # every entry older than the run itself: nothing would be fetched
        raise ValueError(f"an age of at least 1m: {text!r}")
    # Compared in minutes: a timedelta of a huge number overflows as it is made.
    if number * _MINUTES[unit] > MAX_AGE // timedelta(minutes=1):
        raise ValueError(f"an age of at most {MAX_AGE.days} days (100 years): {text!r}")
    return timedelta(**{_UNITS[unit]: number})


def compile_url_pattern(source: str) -> regex.Pattern[str]:
    """An allow or deny pattern as a crawl applies it: with `regex`, in its
    `re`-compatible version, case-sensitive (ValueError if it is no pattern)."""
    try:
        return regex.compile(source, regex.VERSION0)
    except (regex.error, OverflowError, RecursionError, ValueError) as exc:
        # OverflowError: "a{4294967296}"; RecursionError: a pattern nested too deep.
        raise ValueError(f"invalid pattern {shown_pattern(source)}: {exc}") from None


@dataclass
class UrlClock:
    """The CPU time one page's (sitemap's, feed's) URLs have for their site's allow
    and deny patterns; the patterns that ran out of it, in the order they did, and
    how many URLs were not followed for it."""

    left: float = URL_PATTERNS_PAGE_SECONDS
    timed_out: dict[str, None] = field(default_factory=dict)
    not_followed: int = 0

    def search(self, patterns: Sequence[tuple[str, regex.Pattern[str]]], url: str,
               url_left: float) -> tuple[bool | None, float]:  # fmt: skip
        """Whether one of `patterns` is found in `url` (None: one ran out of time, in
        the URL's `url_left` seconds or the page's), and the URL's time left."""
        if not patterns:
            # Nothing to time: a site without deny patterns (most) came here for
            # every link, and the clock's read alone cost 0.5 us.
            return False, url_left
        started = time.thread_time()
        for source, compiled in patterns:
            bound = min(url_left, self.left)
            if bound <= 0:
                # Spent before this pattern ran (by the one that timed out, most
                # often): the warning names this one only when it names none.
                self._out_of_time(None if self.timed_out else source)
                return None, url_left
            page_bound = self.left < url_left
            try:
                found = compiled.search(url, timeout=bound) is not None
            except TimeoutError:
                found = None
            ended = time.thread_time()
            self.left -= ended - started
            url_left -= ended - started
            started = ended
            if found is None:
                # Cut short by the rest of the page's time, which the pattern already
                # named most often spent (a few microseconds may be left of it): the
                # page's time ran out, not this pattern's, and it is named only when
                # none is.
                self._out_of_time(None if page_bound and self.timed_out else source)
                return None, url_left
            if found:
                return True, url_left
        return False, url_left

    def _out_of_time(self, source: str | None) -> None:
        if source is not None:
            self.timed_out[source] = None
        self.not_followed += 1


def url_timeout_warning(site: str, pattern: str, where: str) -> str:
    """One line: `site`'s allow or deny `pattern` ran out of time on URLs of `where`."""
    return (
        f"site {site}: URL pattern {shown_pattern(pattern)} ran out of time on URLs of {where}"
        f" ({URL_PATTERN_SECONDS * 1000:g} ms of CPU a URL, {URL_PATTERNS_PAGE_SECONDS:g} s"
        " a page): those URLs not followed; it may nest repetitions, as ([a-z0-9]+-?)+ does"
    )


@dataclass(frozen=True)
class SiteConfig:
    name: str
    start_urls: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    boilerplate: tuple[str, ...] = ()
    delay: float | None = None
    concurrency: int | None = None
    max_age: timedelta | None = None
    archive: Path | None = None  # its own WARC folder (else the crawl's, if any)
    _allow: tuple[tuple[str, regex.Pattern[str]], ...] = field(
        default=(), repr=False, compare=False
    )
    _deny: tuple[tuple[str, regex.Pattern[str]], ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        for key in ("allow", "deny"):
            compiled = tuple((p, compile_url_pattern(p)) for p in getattr(self, key))
            object.__setattr__(self, f"_{key}", compiled)

    def judge(self, url: str, clock: UrlClock | None = None) -> bool | None:
        """Whether an article URL passes the site's allow and deny patterns; None when
        a pattern ran out of `clock`'s time on it (the clock names it). Not known
        to pass, such a URL is not followed: whether it was denied, or allowed,
        cannot be told, and a link the crawl skips loses less than one the
        operator excluded and the crawl fetched."""
        clock = clock if clock is not None else UrlClock()
        denied, url_left = clock.search(self._deny, url, URL_PATTERN_SECONDS)
        if denied is not False:
            return None if denied is None else False
        if not self._allow:
            return True
        allowed, _ = clock.search(self._allow, url, url_left)
        return allowed

    def wants(self, url: str, clock: UrlClock | None = None) -> bool:
        """Whether an article URL is known to pass the site's allow and deny patterns."""
        return self.judge(url, clock) is True

    @property
    def entry_urls(self) -> tuple[str, ...]:
        return self.start_urls + self.sitemaps + self.feeds

    @property
    def keys(self) -> frozenset[str]:
        """The site keys (registrable domain, and port) of its seeds: a URL with
        one of these is the site's."""
        return frozenset(site_key(url) for url in self.entry_urls)


class SiteDirectory:
    """Which site of the crawl a URL belongs to."""

    def __init__(self, sites: list[SiteConfig], others: Sequence[SiteConfig] = ()) -> None:
        """`sites` are crawled; `others` are the sites file's sites (in its order)
        when `--site` crawls some of them: the URLs of those not crawled are still
        theirs, and a crawled site sharing a registrable domain with one of them
        must not take its pages or its rows."""
        self.sites = sites
        self.by_name = {site.name: site for site in sites}
        self.by_key: dict[str, list[SiteConfig]] = {}
        # In the sites file's order (`others` may hold all of its sites), whatever
        # `--site` picked: a tie between two seeds of one host goes to the first.
        for site in [*others, *(s for s in sites if s not in others)]:
            for key in site.keys:
                self.by_key.setdefault(key, []).append(site)

    def site_for(self, url: str) -> SiteConfig | None:
        """The site `url` belongs to, or None if it is no site's."""
        candidates = self.by_key.get(site_key(url))
        if not candidates:
            return None
        if len(candidates) == 1:
            return candidates[0]
        # Sites sharing a registrable domain: the one whose seed host is the
        # URL's host or its nearest parent (see _closeness); none when no seed
        # host covers it (sites a. and b., the bare domain): the first site of
        # the file got it, so that which site followed a link, or claimed an
        # article, depended on the file's order.
        host = host_key(urlsplit(url).hostname or "")
        best = max(candidates, key=lambda site: _closeness(site, host))
        return best if _closeness(best, host) >= 0 else None

    def foreign_to(self, site: SiteConfig | None, url: str) -> bool:
        """Whether `url` is not `site`'s, though a site of the sites file shares its
        registrable domain: another site's, or no site's when several share it
        and no seed host covers the URL (sites a. and b., the bare domain), which
        neither may then claim. A domain no site of the file has is for the
        caller's own test (the site's keys)."""
        if not self.by_key.get(site_key(url)):
            return False
        return self.site_for(url) is not site

    def owns(self, site: SiteConfig, url: str) -> bool:
        """Whether `url` is `site`'s (not another site's, not off every site)."""
        return self.site_for(url) is site

    @property
    def domains(self) -> list[str]:
        """Every registrable domain of the crawl, without ports (Scrapy's
        allowed_domains: a domain admits its sub-domains)."""
        return sorted(
            {
                registrable_domain(urlsplit(u).hostname or "")
                for s in self.sites
                for u in s.entry_urls
            }
        )

    def seeds_by_site(self) -> dict[str, list[str]]:
        return {site.name: list(site.entry_urls) for site in self.sites}


def _closeness(site: SiteConfig, host: str) -> int:
    """How closely one of `site`'s seed hosts covers `host` (its length), -1: none.
    A seed on www. covers the bare domain and its other sub-domains too (less
    closely than their own seeds): the www. site is the domain's main one, and
    its pages are often served from the bare domain (a redirect either way)."""
    best = -1
    for url in site.entry_urls:
        seed = host_key(urlsplit(url).hostname or "")
        if host == seed or host.endswith("." + seed):
            best = max(best, len(seed))
        elif seed.startswith("www.") and (host == seed[4:] or host.endswith("." + seed[4:])):
            best = max(best, len(seed) - 4)
    return best


def sites_from_urls(
    urls: Sequence[str], sitemaps: Sequence[str] = (), feeds: Sequence[str] = ()
) -> list[SiteConfig]:
    """Sites for URLs given on the command line: one per registrable domain (and
    port), named after the host of its first URL."""
    by_key: dict[str, dict[str, list[str]]] = {}
    names: dict[str, str] = {}
    for kind, values in (("start_urls", urls), ("sitemaps", sitemaps), ("feeds", feeds)):
        for url in values:
            key = site_key(url)
            names.setdefault(key, site_of(url))
            by_key.setdefault(key, {}).setdefault(kind, []).append(url)
    return [
        SiteConfig(
            name=names[key],
            start_urls=tuple(lists.get("start_urls", ())),
            sitemaps=tuple(lists.get("sitemaps", ())),
            feeds=tuple(lists.get("feeds", ())),
        )
        for key, lists in by_key.items()
    ]


def _line_of(text: str, index: int, key: str | None) -> int:
    """The line of the `index`-th [[site]] table (or of `key` within it), 1-based."""
    lines = text.splitlines()
    seen = -1
    for number, line in enumerate(lines, 1):
        if line.strip().startswith("[[site]]"):
            seen += 1
            if seen == index and key is None:
                return number
        elif seen == index and key is not None and re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return 1


def _line_of_top_key(text: str, key: str) -> int:
    """The line that opens the top-level `key` (a table header or `key = ...`)
    outside every [[site]] table, 1-based; 1 if not found (a quoted key)."""
    name = re.escape(key)
    opens = re.compile(rf"\s*(\[\[?\s*{name}\s*[\].]|{name}\s*=)")
    in_site = False
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_site = re.match(r"\[\[\s*site\s*\]\]", stripped) is not None
        if not in_site and opens.match(line):
            return number
    return 1


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a string or a list of strings")
    return tuple(value)


class _KeyError(ValueError):
    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key


def _value(raw: dict[str, Any], key: str) -> Any:
    """The checked value of `key` (raises _KeyError naming the key)."""
    value = raw[key]
    try:
        if key == "name":
            if not isinstance(value, str) or not value.strip():
                raise ValueError("must be a non-empty string")
            return value.strip()
        if key in ("start_urls", "sitemaps", "feeds"):
            return tuple(parse_url(u) for u in _strings(value, key))
        if key in ("allow", "deny", "boilerplate"):
            patterns = _strings(value, key)
            for pattern in patterns:
                if key == "boilerplate":  # as the cleaning applies it (with `regex`)
                    compile_user_pattern(pattern)
                else:  # as the crawl applies it (with `regex` too)
                    compile_url_pattern(pattern)
            return patterns
        if key == "delay":
            # TOML has inf and nan: both are floats, and nan passes any comparison
            # but the one written as "not (0 < value <= MAX_DELAY)".
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError("must be a number of seconds")
            if not 0 < value <= MAX_DELAY:
                raise ValueError(f"must be above 0 and at most {MAX_DELAY:g} seconds: {value!r}")
            return float(value)
        if key == "concurrency":
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not 1 <= value <= MAX_CONCURRENCY
            ):
                raise ValueError(f"must be a whole number from 1 to {MAX_CONCURRENCY}: {value!r}")
            return value
        if key == "archive":
            if not isinstance(value, str) or not value.strip():
                raise ValueError("must be the path of a folder")
            return Path(value)
        return parse_age(str(value))  # max_age
    except (ValueError, InvalidURLError, re.error, OverflowError, RecursionError) as exc:
        # OverflowError: "a{4294967296}"; RecursionError: a pattern nested too deep.
        raise _KeyError(key, str(exc)) from None


def _site(raw: dict[str, Any]) -> SiteConfig:
    for key in raw:
        if key not in _KEYS:
            raise _KeyError(key, f"unknown key {key!r}")
    if "name" not in raw:
        raise _KeyError(None, "a site needs a name")
    values = {key: _value(raw, key) for key in raw}
    site = SiteConfig(**values)
    if not site.entry_urls:
        raise _KeyError("name", "a site needs start_urls, sitemaps or feeds")
    return site


def load_sites(path: Path) -> list[SiteConfig]:
    """Read and check a sites file."""
    try:
        with path.open("rb") as file:
            content = file.read(MAX_SITES_FILE_BYTES + 1)
    except OSError as exc:
        raise SitesFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(content) > MAX_SITES_FILE_BYTES:
        # Read whole, /dev/zero or a 3 GB file took 6 GB of memory and no word.
        raise SitesFileError(
            f"{path}: larger than {MAX_SITES_FILE_BYTES // 2**20} MiB: no sites file"
        )
    try:
        text = content.decode("utf-8-sig")  # a byte-order mark (Notepad's) is no TOML
    except UnicodeDecodeError as exc:
        # TOML is UTF-8. Without the path, the codec's words ("can't decode byte
        # 0xc1 in position 3") did not say which file, and `reclean --sites`
        # printed them as a traceback.
        line = content[: exc.start].count(b"\n") + 1
        raise SitesFileError(
            f"{path}:{line}: not UTF-8 text (byte 0x{content[exc.start]:02x} at offset"
            f" {exc.start}); a sites file is TOML, in UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SitesFileError(f"{path}: {exc}") from None
    except RecursionError:  # arrays nested thousands deep: tomllib recurses
        raise SitesFileError(f"{path}: nested too deep to be a sites file") from None
    for key in data:
        if key != "site":
            # A table that is not [[site]] ([[sites]], [site.x], a key above the
            # first table) was passed over: its sites were never crawled.
            raise SitesFileError(
                f"{path}:{_line_of_top_key(text, key)}: unknown key {key!r}"
                " (a sites file holds [[site]] tables only)"
            )
    tables = data.get("site")
    if (
        not isinstance(tables, list)
        or not tables
        or not all(isinstance(table, dict) for table in tables)
    ):
        raise SitesFileError(f"{path}: no [[site]] tables")
    sites: list[SiteConfig] = []
    names: set[str] = set()
    # The site of each seed host seen so far: each site's seeds are looked up
    # once. Compared with every earlier site's, a file of 4,000 sites took 38 s
    # to read (and 20,000 past five minutes), every cron run.
    owners: dict[tuple[str, str], str] = {}
    for index, raw in enumerate(tables):
        try:
            site = _site(raw)
        except _KeyError as exc:
            line = _line_of(text, index, exc.key if exc.key in raw else None)
            where = f" key {exc.key!r}:" if exc.key and "unknown key" not in str(exc) else ""
            raise SitesFileError(f"{path}:{line}:{where} {exc}") from None
        if site.name in names:
            line = _line_of(text, index, "name")
            raise SitesFileError(f"{path}:{line}: key 'name': site {site.name!r} is defined twice")
        seeds = _seed_hosts(site)
        for seed, host in seeds.items():
            if host in owners:
                line = _line_of(text, index, None)
                raise SitesFileError(
                    f"{path}:{line}: site {site.name!r}: {seed} is on a seed host of site"
                    f" {owners[host]!r}, which would own every page there; give them"
                    " different hosts or make them one site"
                )
        owners.update(dict.fromkeys(seeds.values(), site.name))
        names.add(site.name)
        sites.append(site)
    return sites


def _seed_hosts(site: SiteConfig) -> dict[str, tuple[str, str]]:
    """The (site key, host) of each start URL of `site`, by URL. Sites that share a
    site key are told apart by their seeds' hosts (SiteDirectory.site_for): two
    that start on one host cannot be, and the second got nothing, without a word.
    Sitemaps and feeds are left out: two sites may well have their feeds on one
    service's host (a feed carries its site with it), where no page is."""
    return {url: _seed_host(url) for url in site.start_urls}


def _seed_host(url: str) -> tuple[str, str]:
    return site_key(url), host_key(urlsplit(url).hostname or "")
