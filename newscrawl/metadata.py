"""An article's metadata, read with trafilatura's own readers, then corrected.

trafilatura's `extract_metadata` also collects categories, tags, a licence and an
image, which newscrawl does not store; those readers scan the whole page and cost
about a tenth of a page's extraction time. This reads only the fields an article
keeps, with the same readers in the same order of precedence (meta tags, then
JSON-LD, then the page's markup), so title, description and site name are
trafilatura's. Two fields are then put right, as a user of the stored item
expects them:

- authors are people (or, when the page names no person, the organisation),
  never an address or the site's own name: trafilatura's readers return a
  `<meta name=author>` such as "The Washington Times https://..." or a
  publisher ("Condé Nast") beside the person the page's JSON-LD names;
- the date keeps the time and zone the page states ("2024-02-28T11:35:52+00:00",
  not "2024-02-28"), and comes from the page's own statement before any date in
  its URL (htmldate looks at the URL first).
"""

from __future__ import annotations

import hashlib
import html
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from itertools import islice
from typing import Any
from urllib.parse import urlsplit

import htmldate.extractors
import lxml.html
from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import JSON_UNICODE_REPLACE, normalize_authors
from trafilatura.metadata import (
    JSON_MINIFY,
    META_URL,
    examine_meta,
    extract_author,
    extract_meta_json,
    extract_metainfo,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import set_date_params
from trafilatura.utils import trim
from trafilatura.xml import delete_element
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from newscrawl.cleaning.timestamps import DATE_WORDS
from newscrawl.jsonld import json_ld_documents, json_values
from newscrawl.pagetags import tagged
from newscrawl.readings import DATE_GUESSED, DATE_LISTED, DATE_STATED

__all__ = ["PageMetadata", "people", "read_metadata", "stated_published"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageMetadata:
    title: str | None = None
    author: str | None = None  # several names joined by "; ", as trafilatura does
    date: str | None = None  # ISO 8601: a date, or a date and time (with its zone if stated)
    description: str | None = None
    sitename: str | None = None
    # Where the date comes from: DATE_STATED by the page (JSON-LD, meta tags),
    # DATE_LISTED by its sitemap or feed entry (its day), DATE_GUESSED by
    # htmldate from the page's text, where the build number of a script or the
    # folder of an old picture reads as one; None without a date.
    date_from: str | None = None


# trafilatura reads a JSON-LD block that is no JSON (cut short, a stray comma) by
# searching its text for author names, and that search's time grows with the
# square of the names it finds: a broken block naming 4,000 people took 0.5 s of
# CPU, 40,000 a minute (past a worker's bound: the page was lost), 200,000 hours.
# Only the first BROKEN_JSON_LD_CHARS of a page's broken blocks are searched:
# about 500 names, some ms; at worst (20,000 characters of unclosed "<!--",
# which trafilatura's own tag stripping scans in quadratic time) 1.5 s on a busy
# machine, within a worker's bound. A byline opens the block or follows the
# headline, before a long articleBody. No JSON-LD block of the 1,165 dev pages
# is both longer and broken.
BROKEN_JSON_LD_CHARS = 20_000
_META_JSON_TYPES = frozenset({"application/ld+json", "application/settings+json"})


def _meta_json_input(tree: HtmlElement) -> HtmlElement:
    """What trafilatura's extract_meta_json is to read: `tree`, or where its JSON-LD
    blocks that are no JSON hold more than BROKEN_JSON_LD_CHARS together, a page
    of its blocks with those cut to their first BROKEN_JSON_LD_CHARS (`tree`
    itself is not changed: the other readings of the page share it)."""
    scripts = [e for e in tagged(tree, "script") if e.get("type") in _META_JSON_TYPES]
    if sum(len(element.text or "") for element in scripts) <= BROKEN_JSON_LD_CHARS:
        # Nothing to cut, broken or not: judging each block would be a JSON
        # reading as costly as trafilatura's own (0.4 ms a page on the dev pages).
        return tree
    # The bound is the page's, not a block's: six broken blocks just under it
    # took 9 s. The broken blocks share it in page order; those past it are
    # read empty (trafilatura skips a block without text).
    left = BROKEN_JSON_LD_CHARS
    cut: dict[HtmlElement, int] = {}
    for element in scripts:
        if not element.text or _is_json(element.text):
            continue
        kept = min(len(element.text), left)
        left -= kept
        if kept < len(element.text):
            cut[element] = kept
    if not cut:
        return tree
    page = lxml.html.fromstring("<html><head><title></title></head><body></body></html>")
    head = page.find("head")
    for element in scripts:
        script = lxml.html.Element("script", type=element.get("type", ""))
        script.text = element.text[: cut[element]] if element in cut else element.text
        head.append(script)
    return page


def _is_json(text: str) -> bool:
    """Whether trafilatura reads `text` as JSON: once minified and normalized as it
    does (HTML tags and comments out, entities unescaped: `{...}<!-- x -->` is JSON
    to it), and not strict (control characters in strings allowed)."""
    try:
        json.loads(_normalized(JSON_MINIFY.sub(r"\1", text)), strict=False)
    except (ValueError, RecursionError):
        return False
    return True


def _normalized(text: str) -> str:
    """trafilatura's normalize_json(text) (2.3.1), in time linear in its length.
    Its tag stripping, a regular expression, scans to the text's end again for
    every "<" that opens no tag: judging a long broken block of 40,000 "<!--"
    took 30 s of CPU, past a worker's bound. Its steps, in its order: with a
    backslash in the text, its escapes out or resolved and its entities
    unescaped; then tags and comments stripped (_without_tags) and space trimmed."""
    if "\\" in text:
        for escape in ("\\n", "\\r", "\\t"):
            text = text.replace(escape, "")
        text = JSON_UNICODE_REPLACE.sub(lambda found: chr(int(found[1], 16)), text)
        text = "".join(c for c in text if not "\ud800" <= c <= "\udfff")
        text = html.unescape(text)
    return trim(_without_tags(text))


def _without_tags(text: str) -> str:
    """`text` less what trafilatura's HTML_STRIP_TAGS matches: from a "<", a comment
    "<!--...-->" closed on its line, else anything to the next ">"; a "<" that
    opens neither stays. Each search starts past where the last one did, or its
    answer is still good: linear."""
    kept: list[str] = []
    position = 0
    found = {"\n": -2, "-->": -2, ">": -2}  # -2: not searched yet

    def next_at(needle: str, start: int) -> int:
        at = found[needle]
        if at == -1 or at >= start:
            return at  # none after an earlier start, or still the first after this one
        found[needle] = text.find(needle, start)
        return found[needle]

    while (opening := text.find("<", position)) != -1:
        end = -1
        if text.startswith("<!--", opening):
            close = next_at("-->", opening + 4)
            line_end = next_at("\n", opening + 4)
            if close != -1 and (line_end == -1 or line_end > close):
                end = close + 3
        if end == -1:
            close = next_at(">", opening + 1)
            if close != -1:
                end = close + 1
        if end == -1:
            kept.append(text[position : opening + 1])
            position = opening + 1
        else:
            kept.append(text[position:opening])
            position = end
    kept.append(text[position:])
    return "".join(kept)


def read_metadata(
    tree: HtmlElement,
    url: str | None,
    documents: list[Any] | None = None,
    language: str | None = None,
    discovered_date: str | None = None,
) -> PageMetadata:
    """The metadata of the page `tree` (not modified) fetched from `url`, whose
    JSON-LD documents are `documents` (read from it when not given) and which
    declares the language tag `language` (dates written out in words are read in
    it and in the languages used most: `_date_languages`). The date is the one
    the page states, else the day its sitemap or feed entry gave
    (`discovered_date`), else htmldate's search of the page: a stated or listed
    date is more exact than one found in the page's text, and htmldate's search
    cost 6 ms of a page's 32 where it ran (a third of the dev pages state none)."""
    if documents is None:
        documents = json_ld_documents(tree)
    found = examine_meta(tree)
    if found.author and " " not in found.author:
        found.author = None  # a one-word "author" meta is usually a handle or a site
    try:
        found = extract_meta_json(_meta_json_input(tree), found)
    except Exception as exc:  # noqa: BLE001 - as trafilatura guards it: JSON-LD of any shape
        # A block of `[1]` or `"text"` raised AttributeError, and the article was lost.
        logger.debug("JSON-LD metadata not read: %s: %s", type(exc).__name__, exc)
    found.title = found.title or extract_title(tree)
    found.author = found.author or _byline(tree)
    found.url = found.url or extract_url(tree, url)
    statements = _statements(tree)
    stated = _stated_dates(tree, documents, statements)
    found.date, date_from = _most_precise(stated), DATE_STATED
    if not found.date:
        found.date, date_from = _listed_day(discovered_date), DATE_LISTED
    if not found.date and not any(map(_impossible_day, stated)):
        # A page that states an impossible day is not searched: htmldate's loose
        # patterns read its "2026-02-30" as 2026-02-01, a day the page never states.
        found.date, date_from = _found_date(tree, found.url, language), DATE_GUESSED
    found.sitename = found.sitename or extract_sitename(tree)
    if found.sitename:
        found.sitename = found.sitename.lstrip("@")
        if "." not in found.sitename and not found.sitename[:1].isupper():
            found.sitename = found.sitename.title()
    elif found.url:
        match = META_URL.match(found.url)
        found.sitename = match[1] if match else None
    found.clean_and_trim()
    authors = _split(found.author)
    publishers = [*_publishers(documents), found.sitename or ""]
    named = [*_json_ld_names(documents, "author"), *_article_authors(statements)]
    return PageMetadata(
        title=found.title or None,
        author="; ".join(people(authors, named, publishers, _host_name(found.url or url))) or None,
        date=found.date or None,
        description=found.description or None,
        sitename=found.sitename or None,
        date_from=date_from if found.date else None,
    )


# trafilatura's byline search (`extract_author`) copies the page, prunes comments,
# sidebars, dates and figures from the copy (AUTHOR_DISCARD_XPATHS), then takes
# the first element of AUTHOR_XPATHS whose text has 3 to 119 characters: 7 ms a
# page where it ran (348 of the 1,165 dev pages), most of it those five XPath
# searches over the whole page, plus 1.3 ms (on 592 pages) for the check that a
# page may name an author at all. `_byline` gives the same answer from one walk
# over the page's elements with the same tests, and looks for what is pruned only
# around the elements it found: 1.4 ms a page where it runs (the 592), 0.7 ms a
# page of the 1,165 against 3.0 (medians of 3 rounds). Where trafilatura's
# expressions or functions are not the ones these tests were written from,
# trafilatura's own search runs.
_BYLINE_TRAFILATURA = "19cf27b63a8e1913"  # trafilatura 2.3.1: see _byline_tests_hold
_BYLINE_TAGS = (
    frozenset({"a", "address", "div", "link", "p", "span", "strong"}),
    frozenset({"a", "div", "h3", "h4", "p", "span"}),
)
_BYLINE_CLASS = (
    re.compile("author-?name|AuthorName|authorName"),
    re.compile("author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name"),
    re.compile("[Aa]uthor|screenname|writer|[Bb]yline"),
)
_BYLINE_ID = (re.compile("author|zuozhe|bianji|xiaobian"), re.compile("[Aa]uthor"))
# A word of every test of a class or id above: an element whose class and id hold
# none of them is no byline (unless another attribute says so). One test for most
# elements of a page instead of up to five.
_BYLINE_CLASS_OR_ID = re.compile(
    # "Author|author", not "[Aa]uthor": half the time (0.3 against 0.6 µs an element).
    "Author|author|zuozhe|bianji|xiaobian|channel-name|submitted-by|posted-by|journalist-name|"
    "screenname|writer|Byl|byl|BBL|username"
)
_PRUNED_TAGS = frozenset({"a", "div", "section", "span"})
_PRUNED_ID = re.compile("^comments|comment-?list|ProductReviews")
_PRUNED_CLASS = re.compile(
    "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
    "article-(?:share|support)|print|category|meta-date|meta-reviewer"
)
_BYLINE_MIN_CHARS, _BYLINE_MAX_CHARS = 2, 120  # as extract_author: 2 < len < 120


def _byline_tests_hold() -> bool:
    """True if trafilatura's byline search is the one `_byline` does: the same
    expressions, pruning and choice of text (a digest of their source)."""
    try:
        source = "".join(
            inspect.getsource(function)
            for function in (extract_author, extract_metainfo, prune_unwanted_nodes, delete_element)
        )
    except (OSError, TypeError):
        return False
    paths = [expression.path for expression in (*AUTHOR_XPATHS, *AUTHOR_DISCARD_XPATHS)]
    digest = hashlib.sha256("\n".join([source, *paths]).encode()).hexdigest()
    return digest.startswith(_BYLINE_TRAFILATURA)


def _byline(tree: HtmlElement) -> str | None:
    """What trafilatura's `extract_author(tree)` returns, found in one walk."""
    if not BYLINE_IN_ONE_WALK:
        return extract_author(tree)
    found: tuple[list[HtmlElement], ...] = ([], [], [])  # by AUTHOR_XPATHS, in page order
    elements = 0
    for element in tree.iter():
        elements += 1
        tag = element.tag
        if not isinstance(tag, str):
            continue  # a comment or processing instruction: `//*` selects elements only
        if tag == "rel":
            # The first expression's `rel='me'` reads a <rel> child's text, which
            # pruning can change: trafilatura's own search, on the copy it prunes.
            return extract_author(tree)
        if tag == "author":
            found[0].append(element)
        attrib = element.attrib
        if not attrib:
            continue
        get = attrib.get
        kind, ident, itemprop = get("class") or "", get("id") or "", get("itemprop") or ""
        if not (
            itemprop or "rel" in attrib or "data-testid" in attrib or "data-component" in attrib
        ) and not _BYLINE_CLASS_OR_ID.search(f"{kind} {ident}"):
            continue
        if tag in _BYLINE_TAGS[0] and (
            get("rel") == "author"
            or ident == "author"
            or kind == "author"
            or itemprop == "author name"
            or get("data-testid") in ("AuthorCard", "AuthorURL")
            or _BYLINE_CLASS[0].search(kind)
        ):
            found[0].append(element)
        if tag in _BYLINE_TAGS[1] and (
            kind in ("byline", "username", "byl", "BBL")
            or "author" in itemprop
            or _BYLINE_ID[0].search(ident)
            or _BYLINE_CLASS[1].search(kind)
        ):
            found[1].append(element)
        if (
            "Byline" in (get("data-component") or "")
            or "author" in itemprop
            or _BYLINE_ID[1].search(ident)
            or _BYLINE_CLASS[2].search(kind)
        ):
            found[2].append(element)
    # The candidates' inner elements read (and copied), at most the page's own
    # count: candidates nested in one another (60 "author-..." boxes around an
    # article of 40,000 tags) had each read and copied again, 10.3 s of CPU against
    # trafilatura's 1.6 (found by a review). Past that bound, trafilatura's own
    # search: one copy of the page, pruned once.
    budget = elements
    for candidates in found:
        for element in candidates:
            if _pruned(element, tree) or any(
                _pruned(above, tree) for above in _ancestors(element, tree)
            ):
                continue
            holds_pruned = False
            for inner in element.iterdescendants():
                budget -= 1
                if budget < 0:
                    return extract_author(tree)
                holds_pruned = holds_pruned or _pruned(inner, tree)
            if holds_pruned:
                # Its text as in trafilatura's pruned copy (a pruned element's tail stays).
                element = prune_unwanted_nodes(deepcopy(element), AUTHOR_DISCARD_XPATHS)
            content = trim(" ".join(element.itertext()))
            if content and _BYLINE_MIN_CHARS < len(content) < _BYLINE_MAX_CHARS:
                return normalize_authors(None, content)
    return None


def _ancestors(element: HtmlElement, tree: HtmlElement) -> Iterator[HtmlElement]:
    """The ancestors of `element` up to `tree` (what trafilatura's copy of it holds)."""
    if element is tree:
        return
    for above in element.iterancestors():
        yield above
        if above is tree:
            return


def _pruned(element: HtmlElement, tree: HtmlElement) -> bool:
    """True if trafilatura's byline search prunes `element` of `tree` (AUTHOR_DISCARD_XPATHS)."""
    tag = element.tag
    if tag in ("time", "figure"):
        return True
    if tag not in _PRUNED_TAGS or element is tree:  # `.//*`: not the page's root
        return False
    ident, kind = element.get("id") or "", element.get("class") or ""
    return bool(
        ident == "comments"
        or kind in ("comments", "title", "date")
        or _PRUNED_ID.search(ident)
        or _PRUNED_CLASS.search(kind)
        or "Figure" in (element.get("data-component") or "")
    )


BYLINE_IN_ONE_WALK = _byline_tests_hold()


# Elements past which htmldate only reads the page's markup, not its text: its
# extensive search tries every text node against its date patterns, 0.6 s for a page
# of 10,000 paragraphs, 3 s for 40,000. The 99th percentile of the 1,165 dev pages
# has 2,837 elements; the largest 10,106.
EXTENSIVE_DATE_ELEMENTS = 20_000


def _found_date(tree: HtmlElement, url: str | None, language: str | None = None) -> str | None:
    """htmldate's reading of the page, and only if it finds nothing there, of its URL:
    given the URL, htmldate takes a date in it before anything the page says. Dates
    in words that only dateparser reads are read in `language` and in the languages
    used most."""
    elements = sum(1 for _ in islice(tree.iter(), EXTENSIVE_DATE_ELEMENTS + 1))
    params: dict[str, Any] = set_date_params(elements <= EXTENSIVE_DATE_ELEMENTS)
    with _date_languages(language):
        date: str | None = find_date(tree, **{**params, "url": None})
        if not date and url:
            # Given the URL, htmldate reads it, then the whole page once more, where
            # it has just found nothing (8 ms on a page of the dev pages): so it is
            # given the URL with an empty page.
            date = find_date(_empty_page(), **{**params, "url": url})
    return date


def _empty_page() -> HtmlElement:
    return lxml.html.document_fromstring("<html><body></body></html>")


# -- dates in words: dateparser in the page's language ---------------------------------
#
# What htmldate's own patterns cannot read ("miércoles, 4 de mayo de 2022 07:59") it
# hands to dateparser, with no language given. dateparser then tries its locales one
# by one, and for a string that is no date in any of them it loads and compiles all
# 205: 2.9 s of CPU and 39 MB the first time in each worker (a 1,165-page crawl's two
# workers: 5 ms of CPU a page and 14% of the tree's memory), for little. Of 16
# strings the 1,165 dev pages sent it, it read one ("November 20 15:23 2019"). So
# dateparser reads a page's dates in the language the page declares and in its 20
# most used languages (English first): 0.7 s and 11 MB the first time. Pages do
# declare the wrong language ("Viernes, 22 de Abril de 2022" on a page declaring
# "en"), which the most used languages cover; with English and the declared
# language alone, that page lost its date, the only one of the 1,165 to change.
DATE_LANGUAGES_USED_MOST = 20

# As htmldate configures its own dateparser (htmldate/extractors.py).
_DATEPARSER_SETTINGS = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}
_DATE_LANGUAGES: ContextVar[tuple[str, ...]] = ContextVar("date_languages", default=())


@contextmanager
def _date_languages(tag: str | None) -> Iterator[None]:
    """While reading a page that declares the language `tag`: dateparser reads its
    dates in that language (when dateparser knows it) and in the languages it
    knows that are used most."""
    primary = (tag or "").split("-")[0].split("_")[0].lower()
    most = _most_used_date_languages()
    languages = (
        most if primary in most or primary not in _dateparser_languages() else (*most, primary)
    )
    token = _DATE_LANGUAGES.set(languages)
    try:
        yield
    finally:
        _DATE_LANGUAGES.reset(token)


@lru_cache(maxsize=1)
def _dateparser_languages() -> tuple[str, ...]:
    """The languages dateparser knows, the most used first."""
    from dateparser.data import language_order  # type: ignore[import-untyped]

    return tuple(language_order)


def _most_used_date_languages() -> tuple[str, ...]:
    return _dateparser_languages()[:DATE_LANGUAGES_USED_MOST]


@lru_cache(maxsize=32)
def _date_parser(languages: tuple[str, ...]) -> Any:
    from dateparser import DateDataParser  # type: ignore[import-untyped]

    return DateDataParser(languages=list(languages), settings=_DATEPARSER_SETTINGS)


def warm_date_reading() -> None:
    """Load the locales dateparser reads dates in for a page of a most used
    language: done once by the extraction pool's fork server (newscrawl/preload.py),
    every worker shares them, where each loaded them on its first date in words
    (0.5 s of CPU and about 11 MB a worker, and a worker is replaced every 1,000
    pages: newscrawl/workers.py)."""
    _date_parser(_most_used_date_languages()).get_date_data("no date in 20 languages")


def _page_date_parser() -> Any:
    return _date_parser(_DATE_LANGUAGES.get() or _most_used_date_languages())


def _read_dates_in_page_languages() -> bool:
    """Make htmldate use `_page_date_parser`. Returns False, changing nothing, if
    htmldate no longer gets its dateparser where we look for it."""
    if not callable(getattr(htmldate.extractors, "get_external_parser", None)):
        return False
    htmldate.extractors.get_external_parser = _page_date_parser  # type: ignore[assignment]
    return True


DATES_IN_PAGE_LANGUAGES = _read_dates_in_page_languages()


# -- published ---------------------------------------------------------------------

# Where pages state their publication time, most explicit first: the meta tags'
# `content` ("//meta[@property='article:published_time']/@content"), then any
# element's `datetime` ("//*[@itemprop='datePublished']/@datetime"), then the rest.
_PUBLISHED_META: tuple[Callable[[HtmlElement], bool], ...] = (
    lambda meta: meta.get("property") == "article:published_time",
    lambda meta: meta.get("itemprop") == "datePublished",
)
_PUBLISHED_NAMES = ("pubdate", "publishdate", "publish-date")
# The page's meta tags, and its `itemprop` attributes (whose elements state a date
# when the value is "datePublished"): two walks over the page where each statement
# read with an XPath search of its own, `article:author` included, walked it five
# times, 0.85 ms a page on the dev pages against 0.45. (The meta tags now come from
# the worker's one walk for the page's head elements: newscrawl.pagetags.)
_ITEMPROPS = XPath("//@itemprop")


@dataclass(frozen=True)
class _Statements:
    """The elements of a page that state its publication time or its authors."""

    metas: list[HtmlElement]
    published: list[HtmlElement]  # itemprop="datePublished"


def _statements(tree: HtmlElement) -> _Statements:
    return _Statements(
        metas=list(tagged(tree, "meta")),  # "//meta"
        published=[value.getparent() for value in _ITEMPROPS(tree) if value == "datePublished"],
    )


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# A day written year first ("2026-02-30", "2026/2/30"), day or month first
# ("30.02.2026", "02/30/2026"), or as RFC 2822 does ("Mon, 30 Feb 2026").
_YEAR_FIRST = re.compile(r"\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_YEAR_LAST = re.compile(r"\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_MONTH_NAMED = re.compile(
    r"\s*(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"\.?\s+(\d{4})(?!\d)",
    re.IGNORECASE,
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Dates outside these years are placeholders (0001-01-01, 1970-01-01) or typos.
_FIRST_YEAR = 1990


def _parse_stated(value: str) -> str | None:
    """A stated date or date-time in ISO 8601 ("2024-02-28T11:35:52+00:00", or
    "2024-02-28" when only the date is stated), or None if it does not parse."""
    value = value.strip()
    if _DATE_ONLY.fullmatch(value):
        try:
            day = datetime.fromisoformat(value)
        except ValueError:
            return None
        return value if _FIRST_YEAR <= day.year <= datetime.now(UTC).year + 1 else None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)  # RFC 2822: "Thu, 29 Feb 2024 10:00:00 GMT"
        except (TypeError, ValueError, IndexError):
            return None
    if not _FIRST_YEAR <= moment.year <= datetime.now(UTC).year + 1:
        return None
    return moment.isoformat(timespec="seconds")


def stated_published(
    tree: HtmlElement,
    documents: list[Any] | None = None,
    statements: _Statements | None = None,
) -> str | None:
    """When the page says it was published, as precisely as it says it anywhere:
    the meta tags of Open Graph and schema.org, and its JSON-LD `datePublished`
    (`documents`; `statements`, see `_statements`: both read from `tree` when not
    given)."""
    return _most_precise(_stated_dates(tree, documents, statements))


def _stated_dates(
    tree: HtmlElement,
    documents: list[Any] | None = None,
    statements: _Statements | None = None,
) -> list[str]:
    """What the page's meta tags and JSON-LD state as its publication time, as written."""
    if documents is None:
        documents = json_ld_documents(tree)
    if statements is None:
        statements = _statements(tree)
    metas = statements.metas
    stated = [
        value
        for says in _PUBLISHED_META
        for meta in metas
        if says(meta) and (value := meta.get("content")) is not None
    ]
    stated += [
        value for element in statements.published if (value := element.get("datetime")) is not None
    ]
    stated += [
        value
        for meta in metas
        if meta.get("name") in _PUBLISHED_NAMES and (value := meta.get("content")) is not None
    ]
    stated += [
        value
        for document in documents
        for value in json_values(document, "datePublished")
        if isinstance(value, str)
    ]
    return stated


def _most_precise(stated: list[str]) -> str | None:
    parsed = [date for value in stated if (date := _parse_stated(value))]
    # The most precise statement: with a zone, then with a time, then a date.
    return max(parsed, key=_precision, default=None)


def _impossible_day(stated: str) -> bool:
    """True if `stated` begins with a year, month and day that make no date
    ("2026-02-30", "2026-13-45T10:00:00Z", "30.02.2026", "Mon, 30 Feb 2026").
    A zero ("0000-00-00 00:00:00", a database's empty date; "2024-00-00") is a
    placeholder, not a statement: the page's text is still searched for its date."""
    if match := _YEAR_FIRST.match(stated):
        orders = [(match[1], match[2], match[3])]
    elif match := _YEAR_LAST.match(stated):
        orders = [(match[3], match[2], match[1]), (match[3], match[1], match[2])]
    elif match := _MONTH_NAMED.match(stated):
        month = str(_MONTHS.index(match[2].lower()[:3]) + 1)
        orders = [(match[3], month, match[1])]
    else:
        return False
    days = [tuple(map(int, order)) for order in orders]
    if any(0 in day for day in days):
        return False
    return not any(_is_day(*day) for day in days)


def _is_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _listed_day(listed: str | None) -> str | None:
    """The day of a sitemap's or feed's date (its time, when it has one, is often
    the feed's own midnight: the stored item keeps the day, as before)."""
    return _parse_stated(listed[:10]) if listed else None


def _precision(stated: str) -> int:
    """0 for a date, 1 for a date and time, 2 with its zone too (max() keeps the
    first of equals, so among equals the page's first statement wins)."""
    if "T" not in stated:
        return 0
    return 2 if stated[-6] in "+-" else 1


# -- authors -------------------------------------------------------------------------

# An address, or what is left of one after trafilatura's clean-up ("Www Example Com").
_ADDRESS = re.compile(r"\bhttps?\b|www\.|\bwww\b|\b(?:com|org|net)\b", re.IGNORECASE)
# Words that make a name an organisation's (a newsroom, an agency) or a role ("AP
# Sports Writer", "CNN Editor-at-large"), not a person's.
_ORGANISATION_WORDS = frozenset(
    {
        "staff", "reporters", "reporter", "press", "agency", "agencies", "news", "newsroom",
        "desk", "team", "editors", "editorial", "wire", "services", "media", "redaktion",
        "rédaction", "redacción", "redação", "redazione", "writer", "editor", "correspondent",
        "columnist", "contributor", "producer",
    }
)  # fmt: skip
# What bylines wrap around a name: "Analysis by Jane Roe", "Jane Roe is a reporter ...".
_BEFORE_NAME = re.compile(r"^.*?\bby\s+", re.IGNORECASE)
_AFTER_NAME = re.compile(r"\s+(?:is|was)\s+an?\s.*$", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")


def _split(names: str | None) -> list[str]:
    return [name.strip() for name in (names or "").split(";") if name.strip()]


def _key(name: str) -> str:
    """A name as compared: lower case, words only, no leading "the"."""
    words = _WORD.findall(name.casefold())
    return " ".join(words[1:] if words[:1] == ["the"] else words)


def _article_authors(statements: _Statements) -> list[str]:
    """The values of the page's `article:author` meta tags."""
    values = (
        meta.get("content")
        for meta in statements.metas
        if "article:author" in (meta.get("property"), meta.get("name"))
    )
    return [value.strip() for value in values if value is not None and value.strip()]


def _json_ld_names(documents: list[Any], key: str) -> list[str]:
    """The names of the `key` entries ("author", "publisher") of the page's JSON-LD."""
    names = []
    for document in documents:
        for value in json_values(document, key):
            for entry in value if isinstance(value, list) else [value]:
                name = entry.get("name") if isinstance(entry, dict) else entry
                if isinstance(name, str) and name.strip():
                    names.append(name.strip())
    return names


def _publishers(documents: list[Any]) -> list[str]:
    return _json_ld_names(documents, "publisher")


def _bare_name(name: str) -> str:
    """A name without what bylines put around it: an address ("The Washington Times
    https://..." -> "The Washington Times"), "Analysis by", "is a reporter ...", and
    the date trafilatura reads along with it ("Jane Roe Monday, November 18");
    "" if nothing is left."""
    match = _ADDRESS.search(name)
    if match:
        name = name[: match.start()]
    name = _AFTER_NAME.sub("", _BEFORE_NAME.sub("", name)).strip(" ,;|-–")
    # Letters after a name: "Jane Roe, MS, RD".
    parts = name.split(", ")
    while len(parts) > 1 and parts[-1].isupper() and len(parts[-1]) <= 4:
        parts.pop()
    words = ", ".join(parts).split()
    while words and words[-1].strip(",.").casefold() in DATE_WORDS:
        words.pop()
    return " ".join(words)


def _as_written(name: str) -> str:
    """A name shouted in capitals ("MELISSA GOLDIN") in the case names are written in."""
    return name.title() if name.isupper() and len(name) > 3 else name


def _host_name(url: str | None) -> str:
    """The name in a page's host: "businessinsider" for www.businessinsider.de."""
    host = urlsplit(url or "").hostname or ""
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
    return labels[-2] if len(labels) >= 2 else ""


def _is_organisation(name: str, organisations: set[str]) -> bool:
    """True if `name` is an organisation's or a role's: one of `organisations` (the
    site's, the publisher's, the host's name: "Business Insider" is businessinsider),
    or with a word of an organisation in it ("CNN Business", "Guardian staff")."""
    key = _key(name)
    squashed = {org.replace(" ", "") for org in organisations}
    short = {org for org in organisations if " " not in org and len(org) >= 3}
    words = key.split()
    return key.replace(" ", "") in squashed or any(
        w in _ORGANISATION_WORDS or w in short for w in words
    )


def people(
    authors: list[str], named: list[str], publishers: list[str], host: str = ""
) -> list[str]:
    """The authors to keep of those trafilatura found (`authors`): the people, or
    the organisation when no person is named; never an address or the site itself.

    `named` are the names the page's structured data gives (JSON-LD authors,
    `article:author`): when it names authors, only those can be people; other
    names (a `<meta name=author>` naming the publisher) are not authors. `publishers` are
    the publisher's and the site's names, `host` the name in the page's address."""
    orgs = {_key(org) for org in [*publishers, host] if _key(org)}
    found = list(
        {
            _key(name): name for name in map(_bare_name, reversed([*authors, *named])) if _key(name)
        }.values()
    )[::-1]
    confirmed = {_key(name) for name in named}
    persons = [name for name in found if not _is_organisation(name, orgs)]
    if confirmed:
        persons = [name for name in persons if _key(name) in confirmed]
    # Letters after a name that trafilatura split off as names of their own ("MS", "RDN").
    if len(persons) > 1:
        persons = [name for name in persons if not (name.isupper() and len(name) <= 4)] or persons
    if persons:
        return list(dict.fromkeys(_as_written(name) for name in persons))
    # No person: the organisation the page names, unless it only says "staff" or
    # names the site, when the publisher is the clearest name for it.
    site_words = _words(orgs)
    specific = [
        name
        for name in found
        if (not confirmed or _key(name) in confirmed)
        and _key(name) not in orgs
        and any(w not in _ORGANISATION_WORDS and w not in site_words for w in _key(name).split())
    ]
    if specific:
        return [_as_written(specific[0])]
    publisher = next((name.strip() for name in publishers if name.strip()), "")
    return [publisher] if found and publisher else []


def _words(keys: set[str]) -> set[str]:
    return {word for key in keys for word in key.split()}
