"""Finding article URLs: robots.txt Sitemap lines, sitemaps, news sitemaps, feeds.

Pure functions over bytes and strings; the spider does the fetching. Parsers
never expand XML entities or fetch anything (no DTDs, no network), and cap how
much a compressed sitemap may expand to.
"""

from __future__ import annotations

import io
import itertools
import re
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
from lxml import etree
from lxml import html as lxml_html

from newscrawl.jsonld import loads_text, storable
from newscrawl.urls import resolve_http_url

__all__ = [
    "MAX_SITEMAP_BYTES",
    "Entry",
    "discovery_kind",
    "ends_whole",
    "feed_head",
    "feed_links",
    "is_json_feed",
    "iter_sitemap",
    "maybe_gunzip",
    "parse_date",
    "parse_feed",
    "parse_sitemap",
    "read_sitemap_entries",
    "robots_sitemaps",
]

# A sitemap may hold 50,000 URLs in 50 MB uncompressed (sitemaps.org); more is refused.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024

_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
)


@dataclass(frozen=True)
class Entry:
    """A URL found by discovery, with what the sitemap or feed said about it."""

    url: str
    published: datetime | None = None  # news:publication_date, a feed's date
    lastmod: datetime | None = None  # a sitemap's lastmod, a feed's updated or date_modified
    title: str | None = None

    def __post_init__(self) -> None:
        # A lone surrogate ("&#55296;" in an RSS title, "\ud800" in a JSON Feed) is
        # no text a store or a URL takes: one lost the whole feed or sitemap.
        object.__setattr__(self, "url", storable(self.url))
        title = self.title if isinstance(self.title, str) else None
        object.__setattr__(self, "title", storable(title) if title else title)


def parse_date(text: object) -> datetime | None:
    """A W3C/ISO 8601 or RFC 822 date as an aware datetime, in the zone it names
    (UTC if none); None if unreadable: not a string (a JSON Feed's
    `"date_published": 20261130`), or past the ends of the calendar once in UTC
    (`9999-12-31T23:59:59-12:00` raised OverflowError, and the whole sitemap or
    feed it was in was lost). Its own zone, not UTC: the day an article is stored
    under is the day its feed says ("Tue, 01 Dec 2026 23:30:00 -0500" was stored
    as published 2026-12-02)."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)  # comparisons with other dates go through UTC
    except OverflowError:
        return None
    return moment


def robots_sitemaps(robots_txt: str, base: str) -> list[str]:
    """The URLs of robots.txt's `Sitemap:` lines."""
    found = []
    for line in robots_txt.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and (url := resolve_http_url(value.strip(), base)):
            found.append(url)
    return found


def maybe_gunzip(body: bytes, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """Decompress a gzipped body (sitemap.xml.gz), refusing more than `limit` bytes."""
    if not body.startswith(b"\x1f\x8b"):
        return body
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = decompressor.decompress(body, limit + 1)
    if len(data) > limit:
        raise ValueError(f"compressed sitemap expands past {limit} bytes")
    return data


def _xml_root(body: bytes) -> etree._Element | None:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    try:
        return etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element: etree._Element, *path: str) -> str | None:
    current: etree._Element | None = element
    for name in path:
        current = (
            next((c for c in current if _local(c.tag) == name), None)
            if current is not None
            else None
        )
    return current.text.strip() if current is not None and current.text else None


def _entry(node: etree._Element, base: str) -> Entry | None:
    url = resolve_http_url(_child_text(node, "loc") or "", base)
    if url is None:
        return None
    return Entry(
        url,
        published=parse_date(_child_text(node, "news", "publication_date")),
        lastmod=parse_date(_child_text(node, "lastmod")),
        title=_child_text(node, "news", "title"),
    )


# Root elements of sitemaps and feeds ("rdf:RDF" for RSS 1.0), and what may come
# before one: an XML declaration, processing instructions, comments, a DOCTYPE.
_DISCOVERY_ROOTS = {b"urlset": "sitemap", b"sitemapindex": "sitemap", b"rss": "feed",
                    b"feed": "feed", b"rdf": "feed"}  # fmt: skip
_PROLOG_ENDS = ((b"<?", b"?>"), (b"<!--", b"-->"), (b"<!doctype", b">"))
_ROOT_NAME = re.compile(rb"<(?:[\w.-]+:)?([\w.-]+)")


def discovery_kind(body: bytes) -> str | None:
    """ "sitemap" or "feed" if `body` (a page that is not HTML) is one, by its root
    element; else None. People give a sitemap's or a feed's URL as a start URL;
    it was skipped as "not an HTML page". The prolog is stepped over, not matched
    by one expression: a pattern for "comments, then the root" backtracked
    exponentially over a body of many comments, in the crawler's process."""
    head = body[:4096].removeprefix(b"\xef\xbb\xbf")
    if head[:2] == b"\x1f\x8b":
        return "sitemap"  # gzipped: sitemaps are served so (sitemap.xml.gz), feeds are not
    if is_json_feed(head):
        return "feed" if b"jsonfeed.org/version" in head else None
    at = 0
    while True:
        while at < len(head) and head[at : at + 1].isspace():
            at += 1
        for opening, closing in _PROLOG_ENDS:
            if head[at : at + len(opening)].lower() == opening:
                end = head.find(closing, at + len(opening))
                if end < 0:
                    return None
                at = end + len(closing)
                break
        else:
            break
    found = _ROOT_NAME.match(head, at)
    return _DISCOVERY_ROOTS.get(found[1].lower()) if found else None


_ROOT_END = re.compile(rb"</(?:[\w.-]+:)?(?:urlset|sitemapindex)\s*>\s*$")
_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:url|sitemap)\s*>")


def _whole_entries(data: bytes) -> bytes:
    """`data` up to its last whole entry when it is cut short (a gzip stream that
    ends early, a download that lost its end): the recovering parser closed the
    entry the cut went through, and its half-written URL was requested."""
    if _ROOT_END.search(data[-200:]):
        return data
    for start in (max(0, len(data) - 65536), 0):  # the end first: entries are small
        last = deque(_ENTRY_END.finditer(data, start), maxlen=1)  # (not a list of all)
        if last:
            return data[: last[0].end()]
    return data


def _readable(data: bytes) -> bytes:
    """A sitemap's bytes as the parser should read them: up to its last whole
    entry, and no character reference to a UTF-16 surrogate (lxml raised
    UnicodeDecodeError on the title holding one, and the sitemap was lost)."""
    return _without_surrogate_references(_whole_entries(data))


def iter_sitemap(body: bytes, base: str) -> tuple[str, Iterator[Entry]]:
    """("index", sitemap URLs) or ("urlset", page URLs) from a sitemap, read as
    they are needed: a caller that stops early (its site's budget is spent)
    leaves the rest of a 50 MB sitemap unparsed. ("", nothing) if not a sitemap.
    Raises ValueError for a gzipped body that expands too far."""
    kind, entries, _ = _sitemap_entries(_readable(maybe_gunzip(body)), base)
    return kind, entries


# The end of a sitemap's or an RSS, Atom or RDF feed's root element.
_DOCUMENT_END = re.compile(rb"</(?:[\w.-]+:)?(?:urlset|sitemapindex|rss|feed|RDF)\s*>")


def ends_whole(data: bytes) -> bool:
    """Whether an XML sitemap or feed (not gzipped) holds the end of its root
    element, in its last 4 KiB: False for one cut short (a gzip stream that
    ends early, a server that stopped writing), whose entries before the cut
    are read and the rest lost, said and counted (the next run meets the same
    cut, and read half of a list each run without a word)."""
    return _DOCUMENT_END.search(data[-4096:]) is not None


def read_sitemap_entries(body: bytes, base: str, limit: int) -> tuple[str, list[Entry], int, bool]:
    """(kind, the first `limit` entries, how many more it lists, whether it is
    whole: ends_whole) of a sitemap. The
    entries past `limit` are counted on the bytes, not parsed: a 26 MB sitemap of
    500,000 URLs (ten times the protocol's 50,000) took 12.4 s of CPU to read
    whole, past the worker's limit, and lost even its first 50,000 URLs; its first
    50,000 take 1.1 s and counting the rest 0.13 s.
    Raises ValueError for a gzipped body that expands too far."""
    inflated = maybe_gunzip(body)
    whole = ends_whole(inflated)
    data = _readable(inflated)
    kind, entries, seen = _sitemap_entries(data, base)
    kept = list(itertools.islice(entries, limit))
    if len(kept) < limit:
        return kind, kept, 0, whole
    return kind, kept, max(0, sum(1 for _ in _ENTRY_END.finditer(data)) - seen[0]), whole


def _sitemap_entries(data: bytes, base: str) -> tuple[str, Iterator[Entry], list[int]]:
    """As iter_sitemap, and a counter of the root's <url> and <sitemap> children
    read so far (each entry, whether or not it gave a URL)."""
    seen = [0]
    events = etree.iterparse(
        io.BytesIO(data), events=("start", "end"), resolve_entities=False,
        no_network=True, load_dtd=False, huge_tree=False, recover=True,
    )  # fmt: skip
    try:
        _, root = next(events)
    except (StopIteration, etree.XMLSyntaxError):
        return "", iter(()), seen
    kind = _local(root.tag)
    if kind not in ("sitemapindex", "urlset"):
        return "", iter(()), seen

    def entries() -> Iterator[Entry]:
        depth = 0
        try:
            for event, node in events:
                depth += 1 if event == "start" else -1
                # Entries are the root's children: <url> or <sitemap>, once complete.
                if event != "end" or depth != 0:
                    continue
                if _local(node.tag) in ("sitemap", "url"):
                    seen[0] += 1
                    if entry := _entry(node, base):
                        yield entry
                node.clear()
                while node.getprevious() is not None:
                    del root[0]
        except etree.XMLSyntaxError:
            return  # a truncated sitemap: what came before the damage counts

    return ("index" if kind == "sitemapindex" else "urlset"), entries(), seen


def parse_sitemap(body: bytes, base: str) -> tuple[str, list[Entry]]:
    """("index", sitemap URLs) or ("urlset", page URLs) from a sitemap; ("", []) if not one."""
    kind, entries = iter_sitemap(body, base)
    return kind, list(entries)


def _json_feed(body: bytes, base: str) -> Iterator[Entry]:
    data = loads_text(body)  # a lone surrogate in a title lost the whole feed
    items = data.get("items")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        # Only strings: `"url": 5` was requested as the relative URL /5.
        link, published, modified, title = (
            value if isinstance(value, str) else None
            for value in (
                item.get("url"),
                item.get("date_published"),
                item.get("date_modified"),
                item.get("title"),
            )
        )
        if link and (url := resolve_http_url(link, base)):
            modified_at = parse_date(modified)
            yield Entry(
                url, published=parse_date(published) or modified_at, lastmod=modified_at,
                title=title,
            )  # fmt: skip


_CHARACTER_REFERENCE = re.compile(rb"&#([xX]0*[0-9a-fA-F]{1,8}|0*[0-9]{1,10});")
# One to a surrogate, or a superset (55200 to 57399): the rewrite runs only then,
# so that a big document of other references is not rewritten for nothing.
_SURROGATE_REFERENCE = re.compile(rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*5[5-7][0-9]{3});")


def _without_surrogate_references(data: bytes) -> bytes:
    if not _SURROGATE_REFERENCE.search(data):
        return data
    return _CHARACTER_REFERENCE.sub(_no_surrogate_reference, data)


def _no_surrogate_reference(found: re.Match[bytes]) -> bytes:
    """A character reference to a UTF-16 surrogate ("&#55296;") as U+FFFD's:
    feedparser raised UnicodeEncodeError on one, and the whole feed was lost."""
    number = found[1]
    code = int(number[1:], 16) if number[:1] in b"xX" else int(number)
    return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF else found[0]


_ITEM_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>")


# A JSON Feed's first character, after any white space.
_JSON_START = re.compile(rb"\s*\{")


def is_json_feed(body: bytes) -> bool:
    """Whether a feed's `body` is a JSON Feed (not RSS or Atom): it opens with an
    object. (Matched in place: `body.lstrip()` copied the whole body to look.)"""
    return _JSON_START.match(body) is not None


def feed_head(body: bytes, limit: int) -> tuple[bytes, int]:
    """An RSS or Atom `body` cut after its `limit`-th item, and how many items
    follow the cut (counted on the bytes). feedparser reads a feed whole: one of
    100,000 items took 10 s of CPU, past the worker's limit, and lost even its
    first 50,000. A JSON Feed is given whole (json reads 30 MB in a fraction
    of a second)."""
    if is_json_feed(body):
        return body, 0
    ends = _ITEM_END.finditer(body)
    head = deque(itertools.islice(ends, limit), maxlen=1)  # (not a list of all)
    following, final = 0, None
    for found in ends:
        following, final = following + 1, found
    if not head or final is None:
        return body, 0
    # With what closes the document after its last item: a feed left open made
    # feedparser's strict parser fail and its loose one read the rest again.
    return body[: head[0].end()] + body[final.end() :], following


def parse_feed(body: bytes, base: str) -> list[Entry]:
    """The entries of an RSS 2.0, Atom or JSON Feed document."""
    if is_json_feed(body):
        try:
            return list(_json_feed(body, base))
        except (ValueError, AttributeError, RecursionError):  # not JSON, not an object, too deep
            return []
    # feedparser reads what it is given: bytes, never a URL it would fetch itself.
    body = _without_surrogate_references(body)
    parsed = feedparser.parse(io.BytesIO(body), resolve_relative_uris=False, sanitize_html=False)
    entries = []
    for entry in parsed.entries:
        url = resolve_http_url(entry.get("link") or "", base)
        if url is None:
            continue
        # The entry's own updated time: feedparser's get() would give an RSS item's
        # pubDate for it (with a DeprecationWarning).
        own_update = dict.get(entry, "updated_parsed")
        published, updated = (
            datetime(*stamp[:6]).replace(tzinfo=UTC) if stamp else None
            for stamp in (entry.get("published_parsed"), own_update)
        )
        # An entry's updated time is its lastmod, as a sitemap's is: a site listing
        # its articles only in an Atom feed announces a correction there, and the
        # stored text stayed the first version for good.
        entries.append(
            Entry(url, published=published or updated, lastmod=updated, title=entry.get("title"))
        )
    return entries


def feed_links(html: str, base: str) -> list[str]:
    """Feeds a page announces with <link rel="alternate" type="application/rss+xml" ...>."""
    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    found = []
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if (
            "alternate" in rel
            and kind in _FEED_TYPES
            and (url := resolve_http_url(link.get("href"), base))
        ):
            found.append(url)
    return found
