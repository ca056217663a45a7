"""robots.txt, obeyed for every request, and failing closed as RFC 9309 asks.

newscrawl reads robots.txt itself instead of through Scrapy's
RobotsTxtMiddleware, which (in 2.19) lets the third and later requests that wait
for a host's robots.txt through unchecked, reads an unreachable robots.txt as
"allow everything", and does the same when the fetch is refused. Here:

- Every request to an origin (scheme, host, port) waits for the same verdict;
  robots.txt is fetched once per origin and run.
- RFC 9309's semantics: 2xx, parse it (up to 500 KiB, section 2.5: the download
  stops there, so a robots.txt of 40 MB is read, not refused for passing the
  32 MB download cap); 4xx,
  "unavailable", crawl as if there were none; 5xx or a network error,
  "unreachable", crawl nothing there this run (section 2.3.1.4). A 429 counts as
  unreachable: a site asking us to slow down is not an invitation.
- Redirects are followed by hand, up to five (section 2.3.1.2); more is
  "unavailable". A redirect newscrawl refuses to follow (to an internal address,
  to another scheme, to a URL with credentials, in a loop) means unreachable:
  disallow. A refused robots.txt is never "no robots.txt".
- A robots.txt of more rules with wildcards than MAX_PATTERN_RULES, each
  checked on its own for every request, is not read either: unreachable; so is
  one of a site whose robots.txt files (one an origin: its sub-domains' too)
  passed MAX_SITE_ROBOTS_BYTES, each kept for the run.

The robots.txt request goes through the other downloader middlewares (address
guard, retries, circuit breaker) in its site's download slot, so it is as polite
and as guarded as any page. Its text is offered to the spider through the
ROBOTS_TXT_READ signal, for its `Sitemap:` lines.
"""

from __future__ import annotations

import codecs
import logging
import re
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet.defer import Deferred

from newscrawl.hosts import host_key, netloc_host, url_port
from newscrawl.netguard import ADDRESS_REFUSED
from newscrawl.runlog import count_site
from newscrawl.urls import InvalidURLError, parse_url, without_password
from newscrawl.vocabulary import ROBOTS_TOO_COSTLY, ROBOTS_UNAVAILABLE, ROBOTS_UNREACHABLE_STAT

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

__all__ = [
    "MAX_PATTERN_RULES",
    "MAX_REDIRECTS",
    "MAX_ROBOTS_BYTES",
    "MAX_SITE_ROBOTS_BYTES",
    "ROBOTS_FORBIDDEN",
    "ROBOTS_TXT_READ",
    "ROBOTS_UNREACHABLE",
    "RobotsTxt",
    "Verdict",
    "applicable_groups",
    "only_own_groups",
    "pattern_rules",
    "robots_names",
    "whole_lines",
]

logger = logging.getLogger(__name__)

# Sent with url (the robots.txt read, after redirects), site and text.
ROBOTS_TXT_READ = object()

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 section 2.5: parse at least this much
MAX_REDIRECTS = 5  # RFC 9309 section 2.3.1.2
# The parser checks a rule with a "*" or "$" on its own, in Python, for every
# request of the origin, in the crawl's one event loop: a robots.txt of 500 KiB
# of them (21,794 "Disallow: /*q1*z*y$") took 0.8 to 1.3 s to parse and 0.08 to
# 0.5 s to check each URL of its site, and a healthy site's 30 articles beside
# three such sites took 35 s instead of 4 (the loop held for up to 1.1 s at a
# time). At this many (measured on 2 cores): 12 ms to parse, under 1 ms a check
# (4 ms for a URL of 2,000 characters); news sites write a few dozen such rules,
# shops a few hundred. More, and the file is not read: its origin is not
# crawled this run (fail closed, as for an unreachable robots.txt: obeying some
# of its rules would not be obeying it).
MAX_PATTERN_RULES = 1000
# An origin's parsed robots.txt is kept for the run: about 8 bytes of memory for
# each byte of the file (500 KiB of distinct rules: 4 MB). A site may have any
# number of sub-domains, each its own origin: 300 of them, each serving 500 KiB,
# took the crawler to 1.3 GB and held its event loop up to 1.3 s at a time
# (parsing); a few more, past MEMUSAGE_LIMIT_MB, and the crawl of every site
# stopped. Past this much robots.txt kept for one site (8 files of the most
# that is read; only the groups that may apply to newscrawl are kept), its
# further origins are not crawled this run (fail closed).
MAX_SITE_ROBOTS_BYTES = 8 * MAX_ROBOTS_BYTES
# What a refused request's IgnoreRequest says (the spider counts by it).
ROBOTS_FORBIDDEN = "Forbidden by robots.txt"
ROBOTS_UNREACHABLE = "robots.txt unreachable"
# The meta key of a robots.txt request: how many bytes of it have arrived.
_ROBOTS_BYTES = "newscrawl_robots_bytes"


@dataclass(frozen=True)
class Verdict:
    """What an origin's robots.txt allows: a parser (None: everything), or, when
    it could not be read, `unreachable` with the reason (nothing is allowed)."""

    parser: RobotParser | None = None
    unreachable: str | None = None
    # The host itself may not be reached (the address guard refused its robots.txt).
    address_refused: str | None = None

    def refusal(self, url: str, user_agent: str) -> str | None:
        if self.address_refused is not None:
            return self.address_refused
        if self.unreachable is not None:
            return f"{ROBOTS_UNREACHABLE} ({self.unreachable})"
        if self.parser is not None and not all(
            self.parser.allowed(form, user_agent) for form in path_forms(url)
        ):
            return ROBOTS_FORBIDDEN
        return None


def whole_lines(body: bytes) -> bytes:
    """The part of a robots.txt that is read: all of it up to MAX_ROBOTS_BYTES; past
    that, its first MAX_ROBOTS_BYTES without the line the cut went through. A line
    cut short is no rule the site wrote, and always a broader one: the half line
    "Disallow: /" of "Disallow: /archive/private/1/" forbade the whole site. Dropped,
    the limit can only lose rules. (A file of exactly MAX_ROBOTS_BYTES whose last
    line has no end loses that line: its download stopped there too, so whether
    more came after cannot be told.)"""
    if len(body) < MAX_ROBOTS_BYTES:
        return body
    body = body[:MAX_ROBOTS_BYTES]
    # RFC 9309 section 2.2: a line ends with CR, LF or CR LF.
    end = max(body.rfind(b"\n"), body.rfind(b"\r"))
    return body[: end + 1]


def gunzipped(body: bytes) -> bytes:
    """A robots.txt served gzipped without a Content-Encoding that says so (a
    server that keeps the file compressed; only the header makes Scrapy
    decompress it): its text, to MAX_ROBOTS_BYTES and a byte more, so that
    whole_lines cuts it as a long file. Read as it came, it held no rule, and
    every page it forbids was fetched. A body that does not decompress stays as
    it is."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    text = b""
    rest = body
    # Member after member, as gunzip reads `cat a.gz b.gz` (the body is at most
    # MAX_ROBOTS_BYTES: _bytes_received); junk after one is not read.
    while rest.startswith(b"\x1f\x8b") and len(text) <= MAX_ROBOTS_BYTES:
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            text += member.decompress(rest, MAX_ROBOTS_BYTES + 1 - len(text))
        except zlib.error:
            return text if text else body  # the members before it stand
        if not member.eof:
            if len(text) <= MAX_ROBOTS_BYTES:
                # The stream ended early (a file stored cut short): its last
                # line was cut, and a cut rule is a broader one (whole_lines).
                text = text[: max(text.rfind(b"\n"), text.rfind(b"\r")) + 1]
            break
        rest = member.unused_data
    return text


# Byte order marks, the longer first (UTF-32-LE's begins with UTF-16-LE's).
_MARKED_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def robots_text(body: bytes) -> str:
    """A robots.txt's text: UTF-8 (RFC 9309), unless a byte order mark says
    UTF-16 or UTF-32, as an editor on Windows saves a file. Read as UTF-8, such a
    file's "Disallow: /a/" was no rule at all, and every page it forbids was
    fetched."""
    for mark, encoding in _MARKED_ENCODINGS:
        if body.startswith(mark):
            return body.decode(encoding, errors="replace")
    return body.decode("utf-8", errors="replace")


def path_forms(url: str) -> list[str]:
    """`url`, and the forms of it a server may take for the same path, which its
    robots.txt rules must also allow: its dot segments resolved and its runs of
    slashes made one, and before that its path's escapes decoded.
    "/news/../private/x.html" is "/private/x.html" to the server, as are
    "/private%2fx.html" and "//private/x.html" to many, and a rule for "/private/"
    matched none of them as written: a link could take the crawl into what
    robots.txt forbids."""
    parts = urlsplit(url)
    forms = [url]
    for path in (parts.path, unquote(parts.path)):
        if "/." in path or "//" in path or path != parts.path:
            reference = _SLASHES.sub("/", path) + (f"?{parts.query}" if parts.query else "")
            resolved = urljoin(f"{parts.scheme}://{parts.netloc}/", "/" + reference.lstrip("/"))
            if resolved not in forms:
                forms.append(resolved)
    return forms


_SLASHES = re.compile("/{2,}")


ALLOW_ALL = Verdict()

# RFC 9309 section 2.2.1: a product token is letters, "_" and "-" (digits too, in
# practice: "Bing2bot"). A robots.txt group applies to a crawler whose product
# token it names, case-insensitively.
_PRODUCT_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
# A group's name as robots.txt files write it (wildcards dropped, as parsers drop
# them): a token, maybe with a version ("newscrawl/1.0").
_GROUP_TOKEN = re.compile(r"([A-Za-z0-9_-]+)(?:/\S*)?")
# Names in a User-Agent header: its first product, and "Name/1.0" forms inside
# its comments ("Mozilla/5.0 (compatible; MyNewsBot/1.0; +https://...)").
_HEADER_NAME = re.compile(r"(?:^|[\s(;])([A-Za-z][A-Za-z0-9_-]*)/\d")
# How Protego (Scrapy's parser) spells a User-agent line: these fields, before a
# colon or, without one, before the first space.
_USER_AGENT_FIELDS = ("user-agent", "useragent", "user agent")
# Its fields that apply to the whole site, not to a group: they end no group.
_SITE_WIDE_FIELDS = ("sitemap", "sitemaps", "site-map", "host")


def robots_names(explicit: object, user_agent: object) -> list[str]:
    """The names robots.txt groups are newscrawl's by, lower case, the one the
    parser is asked with first: ROBOTSTXT_USER_AGENT's product token when it is
    set; else USER_AGENT's first product token ("newscrawl" of "newscrawl/1.0
    (open-source news text crawler; Scrapy)") and the Name/version forms in its
    comments (a browser-style header names its crawler there). Not words of
    the header: the parser matched a group's name at the start of any word of
    what it was given, so the groups for "crawler", "Scrapy" or "news" applied
    to newscrawl, and a site that disallowed everyone but them was crawled."""
    header = str(explicit or user_agent or "").strip()
    first = _PRODUCT_TOKEN.match(header)
    names = [first[0].lower()] if first else [header.lower() or "*"]
    if not explicit:
        names += [name.lower() for name in _HEADER_NAME.findall(header)]
    return list(dict.fromkeys(names))


def _user_agent_value(line: str) -> str | None:
    """The value of `line` if it is a User-agent line as Protego reads one."""
    content = line.split("#", 1)[0].strip()
    if ":" in content:
        field, value = content.split(":", 1)
        if field.strip().lower() in _USER_AGENT_FIELDS:
            return value.strip()
        if not value or value[0].isspace():
            return None  # another field, with its colon
    words = content.split()
    for count in (1, 2):
        if " ".join(words[:count]).lower() in _USER_AGENT_FIELDS:
            return " ".join(words[count:])
    return None


def only_own_groups(text: str, names: list[str]) -> str:
    """robots.txt `text` with each group's User-agent line rewritten for the
    parser: a group naming one of `names` (see robots_names; with a version or
    wildcards too) names the first of them, so it applies and such groups are
    combined, as RFC 9309 asks; one naming another crawler is renamed out of
    its reach; "*" stays. The parser matches a group's name as the start of a
    word of what it is asked with: a group for "news" was newscrawl's, and one
    for "newscrawl/1.0" was not, once asked with "newscrawl". Lines are split
    as the parser splits them (any line break Python knows)."""
    lines = []
    # A byte-order mark is no part of the first line's field (RFC 9309: UTF-8).
    for line in text.removeprefix("\ufeff").splitlines():
        value = _user_agent_value(line)
        if value is None or value == "*":
            lines.append(line)
            continue
        token = _GROUP_TOKEN.fullmatch(value.replace("*", ""))
        own = token is not None and token[1].lower() in names
        lines.append(f"User-agent: {names[0] if own else 'other~' + value.replace('*', '')}")
    return "\n".join(lines)


def _ends_agent_lines(line: str) -> bool:
    """Whether `line`, no User-agent line, ends a group's run of User-agent lines
    as the parser reads it: any field but the site-wide Sitemap and Host (also
    as "Sitemap https://...", which it reads so). A line it cannot read as a
    field (no colon) it skips; taken here as ending nothing, a group after it is
    kept with the one before, which changes no verdict (the parser groups them
    itself): where newscrawl and the parser disagreed the other way, a rule of
    newscrawl's group was dropped."""
    content = line.split("#", 1)[0].strip()
    if ":" not in content:
        return False
    field, value = content.split(":", 1)
    if field.strip().lower() in _SITE_WIDE_FIELDS:
        return False
    salvaged = value and not value[0].isspace()  # "Sitemap https://...", as the parser reads it
    return not (salvaged and content.split()[0].lower() in _SITE_WIDE_FIELDS)


def applicable_groups(rules: str, user_agent: str) -> str:
    """robots.txt `rules` (as only_own_groups wrote them) with only the groups
    that may apply to `user_agent`: its own and "*". The parser parses every
    group it is given, whether or not it ever checks its rules: 500 KiB of
    wildcard rules for another crawler took 1.3 s of the event loop to parse,
    and were kept for the run. As the parser reads groups: a User-agent line
    after a line of another field (_ends_agent_lines) begins one; lines before
    the first group apply to none."""
    kept: list[str] = []
    applies, in_agents = False, False
    for line in rules.splitlines():
        if not line.split("#", 1)[0].strip():
            continue
        value = _user_agent_value(line)
        if value is not None:
            applies = (applies and in_agents) or value.lower() in ("*", user_agent)
            in_agents = True
        elif _ends_agent_lines(line):
            in_agents = False
        if applies:
            kept.append(line)
    return "\n".join(kept)


def pattern_rules(rules: str, user_agent: str) -> int:
    """How many rules with a wildcard or an end anchor (see MAX_PATTERN_RULES)
    the groups of robots.txt `rules` (as only_own_groups wrote them) that may
    apply to `user_agent` hold, its own and "*": lines with a "*" or "$" before
    their comment, whatever their field is spelled like (the parser reads
    "Dissallow" too). Other crawlers' groups are not checked against newscrawl's
    URLs, and a site's file may give each of many crawlers hundreds of rules."""
    return sum(
        1
        for line in applicable_groups(rules, user_agent).splitlines()
        if _user_agent_value(line) is None
        and ("*" in (content := line.split("#", 1)[0]) or "$" in content)
    )


def origin_of(url: str) -> str:
    """The origin whose robots.txt governs `url`: scheme, host (one form), port."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{netloc_host(host_key(parts.hostname or ''))}:{url_port(url)}"


class RobotsTxt:
    """Downloader middleware (in place of Scrapy's RobotsTxtMiddleware)."""

    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            logger.warning("robots.txt is not obeyed in this crawl (ROBOTSTXT_OBEY is off)")
            raise NotConfigured
        self.crawler = crawler
        self.names = robots_names(
            crawler.settings.get("ROBOTSTXT_USER_AGENT"), crawler.settings.get("USER_AGENT")
        )
        self.user_agent = self.names[0]  # what the parser is asked with
        self.parser_class = load_object(crawler.settings.get("ROBOTSTXT_PARSER"))
        self.verdicts: dict[str, Verdict] = {}
        self.waiting: dict[str, list[Deferred[Verdict]]] = {}
        self.downloading = 0  # robots.txt downloads in flight
        self.bytes_read: dict[str, int] = {}  # by site: robots.txt rules parsed and kept

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsTxt:
        return cls(crawler)

    def _count(self, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("dont_obey_robotstxt"):
            return
        verdict = await self.verdict(request)
        refusal = verdict.refusal(request.url, self.user_agent)
        if refusal is not None:
            self._count("robotstxt/forbidden")
            logger.debug("%s: %s", refusal, request.url)
            raise IgnoreRequest(refusal)

    async def verdict(self, request: Request) -> Verdict:
        """The verdict of `request`'s origin; the first request fetches it, every
        other one waits for that same verdict."""
        origin = origin_of(request.url)
        if origin in self.verdicts:
            return self.verdicts[origin]
        if origin in self.waiting:
            waiter: Deferred[Verdict] = Deferred()
            self.waiting[origin].append(waiter)
            return await maybe_deferred_to_future(waiter)
        self.waiting[origin] = []
        try:
            verdict = await self._fetch(request)
        except Exception as exc:  # noqa: BLE001 - whatever went wrong, fail closed
            verdict = Verdict(unreachable=type(exc).__name__)
        self.verdicts[origin] = verdict
        for waiter in self.waiting.pop(origin):
            waiter.callback(verdict)
        return verdict

    def _robots_request(self, url: str, page: Request) -> Request:
        meta = {
            "dont_obey_robotstxt": True,
            "dont_redirect": True,  # followed by hand, counted, checked
            "handle_httpstatus_all": True,
            # Not DOWNLOAD_MAXSIZE: past it (by its Content-Length, before a byte
            # came) Scrapy drops the whole response, and a site whose robots.txt
            # is long would be refused. `_bytes_received` ends the download at
            # MAX_ROBOTS_BYTES instead, keeping what came, and puts the cap back
            # for the decompression that follows (HttpCompressionMiddleware reads
            # it there): 300 bytes of brotli can be 200 MB.
            "download_maxsize": 0,
            "download_warnsize": 0,
            _ROBOTS_BYTES: 0,
        }
        for key in ("site", "download_slot", "site_keys"):
            if key in page.meta:
                meta[key] = page.meta[key]
        # Highest priority: every request of the origin waits for this one.
        return Request(url, meta=meta, priority=1000, callback=NO_CALLBACK, dont_filter=True)

    async def _fetch(self, page: Request) -> Verdict:
        parts = urlsplit(page.url)
        url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        seen, first = {url}, url
        self._count("robotstxt/request_count")
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = await self._download(self._robots_request(url, page))
            except Exception as exc:  # noqa: BLE001 - a refusal or a network error
                if ADDRESS_REFUSED in str(exc) and url == first:
                    # The host's own address is refused: so is every page of it.
                    return Verdict(unreachable="address refused", address_refused=str(exc))
                why = f"fetch refused: {exc}" if isinstance(exc, IgnoreRequest) else None
                return self._closed(url, why or type(exc).__name__)
            status = response.status
            if 300 <= status < 400:
                target = self._redirect_target(response)
                if target is None or target in seen:
                    why = "redirect loop" if target in seen else "redirect refused"
                    return self._closed(url, why)
                seen.add(target)
                url = target
                continue
            return self._read(url, page, response)
        logger.info("robots.txt: more than %d redirects from %s: unavailable", MAX_REDIRECTS, url)
        self._count(ROBOTS_UNAVAILABLE)
        return ALLOW_ALL

    async def _download(self, request: Request) -> Response:
        """`request`'s response, its body cut at MAX_ROBOTS_BYTES. The signal is
        heard only while a robots.txt downloads: every chunk of every page sends it."""
        engine = self.crawler.engine
        assert engine is not None  # requests flow: the engine runs
        if not self.downloading:
            self.crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)
        self.downloading += 1
        try:
            return await engine.download_async(request)
        finally:
            self.downloading -= 1
            if not self.downloading:
                self.crawler.signals.disconnect(self._bytes_received, signal=signals.bytes_received)

    @staticmethod
    def _bytes_received(data: bytes, request: Request) -> None:
        received = request.meta.get(_ROBOTS_BYTES)
        if received is None:
            return  # a page, not a robots.txt
        if not received:  # the first bytes: the download's own cap was read
            request.meta.pop("download_maxsize", None)
            request.meta.pop("download_warnsize", None)
        request.meta[_ROBOTS_BYTES] = received + len(data)
        if received + len(data) >= MAX_ROBOTS_BYTES:
            raise StopDownload(fail=False)  # the response keeps what has arrived

    @staticmethod
    def _redirect_target(response: Response) -> str | None:
        """Where a robots.txt redirect leads, if newscrawl may follow it at all
        (an http(s) URL without credentials); the address guard judges the rest
        when the request is made."""
        location = response.headers.get(b"Location")
        if not location:
            return None
        target = urljoin(response.url, location.decode("latin-1").strip())
        try:
            return parse_url(target)
        except InvalidURLError:
            return None

    def _read(self, url: str, page: Request, response: Response) -> Verdict:
        status = response.status
        if status >= 500 or status == 429:
            return self._closed(url, f"HTTP {status}")
        if status >= 400 or not 200 <= status < 300:
            self._count(ROBOTS_UNAVAILABLE)
            return ALLOW_ALL  # no robots.txt: everything allowed
        body = whole_lines(gunzipped(response.body))
        self._count("robotstxt/response_count")
        text = robots_text(body)
        # Only the groups that may apply are parsed and kept (applicable_groups).
        rules = applicable_groups(only_own_groups(text, self.names), self.user_agent)
        patterns = pattern_rules(rules, self.user_agent)
        if patterns > MAX_PATTERN_RULES:
            why = (
                f"{patterns} rules with * or $, more than the {MAX_PATTERN_RULES} newscrawl checks"
            )
            return self._too_costly(url, page, why)
        site = page.meta.get("site") or origin_of(url)
        # What is parsed and kept: another crawler's groups, dropped, cost nothing.
        kept = self.bytes_read.get(site, 0) + len(rules.encode("utf-8"))
        if kept > MAX_SITE_ROBOTS_BYTES:
            why = f"its site's robots.txt files passed {MAX_SITE_ROBOTS_BYTES // 1024} KiB"
            return self._too_costly(url, page, why)
        self.bytes_read[site] = kept
        self.crawler.signals.send_catch_log(
            signal=ROBOTS_TXT_READ, url=response.url, site=page.meta.get("site"), text=text
        )
        parser = build_from_crawler(self.parser_class, self.crawler, rules.encode("utf-8"))
        return Verdict(parser=parser)

    def _too_costly(self, url: str, page: Request, why: str) -> Verdict:
        """A robots.txt newscrawl will not keep: its origin is closed as an
        unreachable one's, and counted for its site, whose crawl lost pages
        through newscrawl's own limit (the run's exit code says so)."""
        count_site(self.crawler, page.meta.get("site"), ROBOTS_TOO_COSTLY)
        return self._closed(url, why)

    def _closed(self, url: str, why: str) -> Verdict:
        logger.warning(
            "robots.txt unreachable (%s): not crawling %s this run (RFC 9309)",
            why,
            without_password(url.removesuffix("/robots.txt")),
        )
        self._count(ROBOTS_UNREACHABLE_STAT)
        return Verdict(unreachable=why)
