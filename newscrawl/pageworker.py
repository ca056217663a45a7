"""What a worker makes of a fetched document: one parse, plain data back.

The crawler's process downloads and schedules for every site at once, on one
event loop; it never builds a tree of a page. A worker process (newscrawl/
workers.py) gets the bytes of a page, a sitemap or a feed and returns what the
crawl needs of it, from a single parse:

- a page (`read_page`): whether it is an article or a hub, the links to follow
  and the feeds it announces, and, for an article, trafilatura's text and
  metadata cleaned by the page's own rules (everything but its site's
  boilerplate, which the crawler's process applies: a set lookup), with the
  fingerprints of its paragraphs for the site model and the store;
- a sitemap or a feed (`read_sitemap`, `read_feed`): its entries.

Every function here is pure and bounded: the pool's time and memory limits cover
the whole document, and what a document may contribute is capped (links,
entries), what is cut counted.
"""

from __future__ import annotations

import codecs
import itertools
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement
from w3lib.encoding import html_to_unicode

from newscrawl.cleaning import TextCleaner, split_paragraphs
from newscrawl.cleaning.normalize import fingerprint_key_of_words, word_count, words
from newscrawl.cleaning.siteboiler import fingerprint, key_fingerprint
from newscrawl.discovery import (
    Entry,
    ends_whole,
    feed_head,
    is_json_feed,
    parse_feed,
    read_sitemap_entries,
)
from newscrawl.duplicates import sign_text
from newscrawl.extract import base_url, extract_tree, load_page
from newscrawl.jsonld import json_ld_documents
from newscrawl.pagetags import HEADINGS, below, inner_text, reading, tagged
from newscrawl.pagetype import ARTICLE, PROSE_RUN, classify_page
from newscrawl.readings import (
    MAX_AUTHOR_CHARS,
    MAX_AUTHORS,
    MAX_ENTRIES,
    MAX_FEED_ENTRIES,
    MAX_PAGE_BYTES,
    MAX_PAGE_LINKS,
    MAX_PARAGRAPH_CHARS,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    ArticleFacts,
    DiscoveryReading,
    Extraction,
    PageReading,
)
from newscrawl.urls import resolve_http_url, same_site, site_of, without_tracking

__all__ = [
    "MAX_AUTHORS",
    "MAX_AUTHOR_CHARS",
    "MAX_ENTRIES",
    "MAX_PAGE_BYTES",
    "MAX_PAGE_LINKS",
    "MAX_PARAGRAPH_CHARS",
    "MAX_TAGS",
    "MAX_TEXT_CHARS",
    "ArticleFacts",
    "DiscoveryReading",
    "PageReading",
    "bounded_authors",
    "bounded_markup",
    "bounded_text",
    "decode_body",
    "read_feed",
    "read_page",
    "read_sitemap",
]

_TAG = re.compile(rb"<[a-zA-Z/!]")
_LINK_OPENINGS = (b"<a ", b"<a\n", b"<a\t", b"<a\r", b"<area")
# Feeds one page may announce.
MAX_PAGE_FEEDS = 20

_FEED_TYPES = frozenset(
    {"application/rss+xml", "application/atom+xml", "application/feed+json", "application/json"}
)
# Links to files that are no page a crawl reads, by their path's extension (the
# categories Scrapy's link extractor skips; kept here because importing Scrapy
# in the workers' fork server cost every crawl 0.2 s of CPU and 15 MB).
_NOT_PAGES = {
    "image": "ai avif bmp cdr drw dxf eps gif heic ico jpeg jpg mng pct png ps psd psp svg tif tiff webp",
    "audio": "aac aiff au flac m4a mid midi mp3 oga ogg opus ra wav wma",
    "video": "3gp asf asx avi flv m3u8 m4v mkv mov mp4 mpeg mpg qt rm swf webm wmv",
    "document": "csv doc docb docm docx dotm dotx epub ics odg odp ods odt pdf potm potx pps ppt pptm pptx"
    " pst rtf xls xlsm xlsx xltm xltx",
    "program": "7z 7zip apk bat bin bz2 cpl deb dmg exe gz hta iso jar msi msp py rar rb rpm sh"
    " tar tgz xz zip",
    "asset": "css eot js otf rss ttf woff woff2",
}
# None of them holds a ".": a path ends with "." and one of them exactly when the
# text after its last "." is one (a set lookup, not 113 endswith tests: 0.23
# against 0.89 us a link).
_IGNORED = frozenset(extension for group in _NOT_PAGES.values() for extension in group.split())


def decode_body(body: bytes, content_type: str | None) -> str:
    """The page as text, as Scrapy would decode it (the Content-Type's charset, a
    BOM, the page's meta, then a guess). A page said to be UTF-8 whose bytes are
    not UTF-8 at all (a Latin-1 site behind a server that labels everything
    UTF-8) is read as Windows-1252, instead of with a replacement character for
    every accented letter; a UTF-8 page with a few broken bytes stays UTF-8. A
    UTF-16 page without a byte order mark is read in the order its bytes are in
    (_utf_16_order). A page said to be Latin-1 whose bytes are UTF-8 (a server
    that labels everything ISO-8859-1, as Apache's AddDefaultCharset did) is
    read as UTF-8, instead of with two letters for every accented one ("FÃ¤hre"):
    a Latin-1 text with letters past ASCII is almost never valid UTF-8."""
    encoding, text = html_to_unicode(content_type, body)
    name = codecs.lookup(encoding).name  # (once: every page passes here)
    if name in _WIDE and not body.startswith(_WIDE_MARKS):
        # Labelled UTF-16 or UTF-32, without a byte order mark. The ASCII of a
        # page's markup takes a zero byte a character in UTF-16 (half its bytes),
        # three in UTF-32 (three in four): bytes with none are no such text (a
        # UTF-8 page under a wrong label, read as UTF-8, as browsers read a
        # meta "utf-16"), and a "UTF-32" page with fewer is UTF-16. Decoded as
        # labelled, each came out in another script, and the page had "no_html".
        sample = body[:_ORDER_SAMPLE]
        zeros = sample.count(0)
        if not zeros:
            name, text = "utf-8", body.decode("utf-8", errors="replace")
        elif name in _UTF_32 and zeros * 2 <= len(sample):
            name = _utf_16_order(body) or "utf-16-le"
            text = body.decode(name, errors="replace")
    if name in _UTF_16:
        in_order = _utf_16_order(body)
        if in_order is not None and in_order != name:
            return body.decode(in_order, errors="replace")
    if name in _LATIN and not body.isascii():
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return text  # Latin-1 indeed
    if "\ufffd" not in text or name != "utf-8":
        return text
    broken = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))  # counted in C
    if non_ascii > broken:
        return text  # real UTF-8 characters too: keep them
    return body.decode("cp1252", errors="replace")


_UTF_16 = ("utf-16-le", "utf-16-be")
_UTF_32 = ("utf-32", "utf-32-le", "utf-32-be")
_WIDE = ("utf-16", *_UTF_16, *_UTF_32)
_WIDE_MARKS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# The one-byte encodings of Western pages, as w3lib names them (it reads the
# labels "iso-8859-1" and "latin1" as Windows-1252, as browsers do).
_LATIN = ("cp1252", "iso8859-1", "iso8859-15")
# What _utf_16_order looks at: a page's markup starts long before.
_ORDER_SAMPLE = 1024


def _utf_16_order(body: bytes) -> str | None:
    """The byte order of a UTF-16 `body` without a byte order mark ("utf-16-le" or
    "utf-16-be"), by where the zero bytes of its ASCII markup fall; None for a
    body with a mark (which w3lib reads) or with no such zeros. w3lib reads the
    label "utf-16" as big-endian (RFC 2781), browsers as little-endian (the
    WHATWG Encoding Standard), which is what Windows saves: every letter was read
    as one of another script, and the page had no article ("no_html")."""
    if body[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return None
    sample = body[:_ORDER_SAMPLE]
    high_first, low_first = sample[0::2].count(0), sample[1::2].count(0)
    if high_first == low_first:
        return None
    return "utf-16-be" if high_first > low_first else "utf-16-le"


@lru_cache(maxsize=16)
def _cleaner(fragment_patterns: tuple[str, ...], min_words: int) -> TextCleaner:
    return TextCleaner(fragment_patterns, min_words)


def read_page(
    body: bytes,
    url: str | None,
    content_type: str | None = None,
    *,
    declared_article: bool = False,
    read_links: bool = True,
    fragment_patterns: tuple[str, ...] = (),
    min_words: int = 15,
    explain: bool = True,
    discovered_date: str | None = None,
    sign_story: bool = False,
) -> PageReading:
    """Read the page `body` fetched from `url` (None: a saved file). A
    `declared_article` (a sitemap or feed said so) is not classified; without
    `read_links` its links are not read. Without a `content_type` (a saved file)
    trafilatura finds the page's encoding itself. Without `explain`, what the
    page's rules dropped is counted, not kept. `discovered_date`: the date a
    sitemap or feed gave the page (see extract_tree). With `sign_story`, the
    article's text is signed for the store's story index (a crawl's worker does
    it, not the crawler's process: duplicates.SignedText)."""
    try:
        return _read_page(body, url, content_type, declared_article, read_links,
                          fragment_patterns, min_words, explain, discovered_date,
                          sign_story)  # fmt: skip
    finally:
        forget_paragraphs()


def forget_paragraphs() -> None:
    """Empty the caches of paragraphs' words and fingerprints. They serve the
    rules that read one page's paragraphs many times; kept across pages, a worker
    held some 14 MiB of other pages' paragraphs after a few hundred pages (a
    tenth of its memory), for almost no hits."""
    words.cache_clear()
    fingerprint.cache_clear()


def _read_page(
    body: bytes,
    url: str | None,
    content_type: str | None,
    declared_article: bool,
    read_links: bool,
    fragment_patterns: tuple[str, ...],
    min_words: int,
    explain: bool,
    discovered_date: str | None,
    sign_story: bool,
) -> PageReading:
    started = time.process_time()
    body, tags_cut, links_unread = bounded_markup(body)
    page = decode_body(body, content_type) if body and content_type is not None else body
    tree, failure = load_page(page)
    if tree is None:
        return PageReading(
            failure=failure, cpu_seconds=time.process_time() - started, tags_cut=tags_cut
        )
    with reading(tree):  # nothing in it changes the tree: trafilatura works on copies
        base = base_url(tree, url) if url else None
        documents = json_ld_documents(tree)  # read once: the kind, the metadata, the recall
        kind = ARTICLE if declared_article or not url else _kind(tree, url, documents)
        links, cut = _links(tree, base) if read_links and base else ([], 0)
        cut += links_unread if read_links and base else 0
        feeds = _feeds(tree, base) if read_links and base else []
        extraction = (
            extract_tree(tree, url, documents, discovered_date, base) if kind == ARTICLE else None
        )
    article, failure, text_cut, authors_cut = None, None, 0, 0
    if extraction is not None:
        if extraction.failure:
            failure = extraction.failure
        else:
            text, text_cut = bounded_text(extraction.text)
            if text_cut:
                extraction = replace(extraction, text=text)
            authors, authors_cut = bounded_authors(extraction.authors)
            if authors_cut:
                extraction = replace(extraction, authors=authors)
            cleaner = _cleaner(fragment_patterns, min_words)
            article = _clean(extraction, cleaner, explain, sign_story)
    return PageReading(
        kind, links, cut, feeds, article, failure, time.process_time() - started, tags_cut,
        text_cut, authors_cut,
    )  # fmt: skip


def bounded_text(
    text: str, limit: int = MAX_TEXT_CHARS, paragraph_limit: int = MAX_PARAGRAPH_CHARS
) -> tuple[str, int]:
    """`text` with each paragraph up to `paragraph_limit` characters, the whole up
    to `limit`, and how many characters were cut. The whole is cut at the last
    paragraph break in the bound's second half; a paragraph (or the whole, past
    a paragraph longer than half its bound) at its last space there, else (a
    script without spaces, a run of code) at the bound itself."""
    cut = 0
    if len(text) > paragraph_limit:
        lines = text.split("\n")
        if any(len(line) > paragraph_limit for line in lines):
            kept_lines = [_cut_at_space(line, paragraph_limit) for line in lines]
            cut = len(text) - sum(map(len, kept_lines)) - (len(lines) - 1)
            text = "\n".join(kept_lines)
    if len(text) <= limit:
        return text, cut
    end = text.rfind("\n", limit // 2, limit + 1)
    kept = text[:end].rstrip() if end > 0 else _cut_at_space(text, limit)
    return kept, cut + len(text) - len(kept)


def bounded_authors(authors: list[str]) -> tuple[list[str], int]:
    """The first MAX_AUTHORS of `authors`, each cut to MAX_AUTHOR_CHARS, and how
    many names were dropped or cut."""
    kept = [name[:MAX_AUTHOR_CHARS] for name in authors[:MAX_AUTHORS]]
    shortened = sum(len(name) > MAX_AUTHOR_CHARS for name in authors[:MAX_AUTHORS])
    return kept, len(authors) - len(kept) + shortened


def _cut_at_space(text: str, limit: int) -> str:
    """`text` up to `limit` characters: cut at its last space in the bound's second
    half, else at the bound."""
    if len(text) <= limit:
        return text
    end = text.rfind(" ", limit // 2, limit + 1)
    return text[: end if end > 0 else limit].rstrip()


def bounded_markup(body: bytes) -> tuple[bytes, int, int]:
    """`body` up to its MAX_TAGS-th tag and within MAX_PAGE_BYTES; about how many tags
    were cut, and how many links they held (counted, not parsed). A tag is a "<"
    that opens one ("<p", "</p", "<!--"): the "<" of a script's JSON or of another
    encoding's bytes is not. Cut before a tag, or at the byte bound itself (never
    inside a UTF-8 character) when the last tag before it is far back: a page of
    9 MB of text in one paragraph keeps its first 8 MB."""
    if len(body) <= MAX_PAGE_BYTES and body.count(b"<") <= MAX_TAGS:
        return body, 0, 0  # every tag opens with a "<": nothing to cut (counted in C)
    end = len(body)
    if len(body) > MAX_PAGE_BYTES:
        end = MAX_PAGE_BYTES
        while end > 0 and 0x80 <= body[end] < 0xC0:  # a UTF-8 continuation byte
            end -= 1
    for number, tag in enumerate(_TAG.finditer(body, 0, end), 1):
        if number > MAX_TAGS:
            end = tag.start()
            break
    if end == len(body):
        return body, 0, 0
    rest = body[end:].lower()
    links = sum(rest.count(opening) for opening in _LINK_OPENINGS)
    return body[:end], max(rest.count(b"<"), 1), links


def _clean(
    extraction: Extraction, cleaner: TextCleaner, explain: bool, sign_story: bool
) -> ArticleFacts:
    paragraphs = split_paragraphs(extraction.text)
    result = cleaner.clean_page(
        paragraphs, extraction.title, extraction.anchor_texts, extraction.authors
    )
    keys = [fingerprint_key_of_words(p) for p in paragraphs]
    fingerprints = [key_fingerprint(key) for key in keys]
    text = result.text  # a property that joins the paragraphs: once, one object
    signed = None
    if sign_story:
        # The words of the kept paragraphs' keys are the text's shingle words (both
        # \w+ runs of NFKC case-folded text, duplicates.shingle_words): the story's
        # signature need not fold and split the whole text again (sign_text 0.47
        # against 0.34 ms a page on the shared pages).
        signed = sign_text(text, " ".join([keys[index] for index in result.kept]).split())
    return ArticleFacts(
        extraction=extraction,
        text=text,
        word_count=result.word_count,
        counts=result.counts(),
        kept_fingerprints=[fingerprints[index] for index in result.kept],
        raw_fingerprints=fingerprints,
        kept=list(result.kept),
        # What `extract --explain` shows; a crawl does not want it back (on a page
        # of 25,000 paragraphs, 6 MB of pickle).
        dropped=list(result.dropped) if explain else [],
        signed=signed,
        timed_out=result.timed_out,
    )


def _kind(tree: HtmlElement, url: str, documents: list[Any]) -> str:
    og_type = next(
        (
            content
            for meta in tagged(tree, "meta")
            if meta.get("property") == "og:type" and (content := meta.get("content")) is not None
        ),
        None,
    )  # what "//meta[@property='og:type']/@content" selects first
    return classify_page(
        url,
        str(og_type) if og_type is not None else None,
        _ld_types(documents),
        prose_run=lambda: prose_run(tree, url),
    )


# A paragraph of prose: this many words outside its links (a teaser is one or two
# sentences, often shorter; an article's paragraphs are mostly longer).
PROSE_MIN_WORDS = 20
# On a page that links few other pages by a headline (fewer than HUB_MIN_HEADLINE_LINKS
# links of HEADLINE_MIN_WORDS words or more; a menu's, a footer's, a share bar's
# and a tag list's links are shorter), a paragraph of this many words is prose: a
# hub is made of such links, and a small site's article written in short
# paragraphs ("The ferry resumed on Monday after the storm.") was read as one.
SHORT_PROSE_MIN_WORDS = 8
HUB_MIN_HEADLINE_LINKS = 5
HEADLINE_MIN_WORDS = 4
# A paragraph's holder is looked for up to this many wrappers up: a <div>,
# <span> or <section> that holds nothing but the paragraph (or the wrapper below
# it) stands for the paragraph, as where a site puts every paragraph in a
# component of its own (<div class="component"><div class="text"><p>..</p></div>).
# Not an item of a list (<li>, <dd>, <td>): a hub's teasers stand in those.
WRAPPER_LEVELS = 4
_WRAPPERS = frozenset({"div", "span", "section", "font"})
# Text inside these is no article's: a link (a card), the page's furniture.
_NOT_PROSE = frozenset({"a", "footer", "nav", "aside", "button", "select"})
# Elements a body of text without <p> stands in, and those that run on in a line.
_TEXT_BLOCKS = frozenset(
    {"div", "td", "section", "article", "main", "blockquote", "font", "center"}
)
_INLINE = frozenset({
    "a", "abbr", "b", "cite", "code", "em", "font", "i", "mark", "q", "small", "span",
    "strong", "sub", "sup", "time", "u",
})  # fmt: skip
# How much of a child _teaser_marks looks at: a teaser's headline comes first in
# it, and a link standing alone is a small element.
_MARK_LOOK = 8
# A headline and its teaser in one line: "Harbour fees rise in April — The board..."
_HEADLINE_SEPARATOR = re.compile(r"\s*[—–\-:|·]")
# An href's scheme: a link by "javascript:", "mailto:", "tel:" leads to no page.
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
# Where a link leads to a picture, not a page (a photo opened large).
_PICTURE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif|svg)(?:[?#]|$)", re.IGNORECASE)


def prose_run(tree: HtmlElement, url: str | None = None) -> int:
    """The most paragraphs of prose (PROSE_MIN_WORDS) one element of the page holds
    as its own, directly or each in its own wrappers (WRAPPER_LEVELS): an
    article's body. <p> are counted; where they give no run of PROSE_RUN, the
    <div> paragraphs and the lines set apart by <br> too. Not counted: text in a
    link or the page's furniture (_NOT_PROSE), a paragraph ending in a link (a
    teaser's "Read more") or led by a headline's link, nor an element where the
    marks of a hub's teasers stand beside the paragraphs (_teaser_marks). On a
    page with few headline links, shorter paragraphs count (SHORT_PROSE_MIN_WORDS).
    Given the page's `url`, only links to its own site are headlines (a hub's
    teasers lead to its stories; an embedded post, a source, to other sites).
    One walk of the page, and work bounded for each element: linear in its size."""
    try:
        site = site_of(url) if url else None
    except ValueError:
        site = None  # (an address no crawl fetches: a port past 65535)
    min_words = PROSE_MIN_WORDS if _links_by_headline(tree, site) else SHORT_PROSE_MIN_WORDS
    runs: Counter[HtmlElement] = Counter()
    blocks: list[HtmlElement] = []  # outside <p>: the second count's
    skipped = 0  # open elements whose text is no prose (and <p>, counted whole)
    open_skips: list[bool] = []  # for each open element, whether it is one
    for event, element in etree.iterwalk(tree.getroottree().getroot(), events=("start", "end")):
        tag = element.tag
        if not isinstance(tag, str):
            continue  # a comment
        if event == "end":
            skipped -= open_skips.pop()
            continue
        # (an <a> without href is a bookmark: a legacy page wraps its body in one)
        skips = (tag in _NOT_PROSE and (tag != "a" or _link_card(element))) or tag == "p"
        open_skips.append(skips)
        if not skipped:
            if tag == "p":
                _count_paragraph(element, min_words, runs, site)
            elif tag in _TEXT_BLOCKS:
                blocks.append(element)
        skipped += skips
    marks: dict[HtmlElement, int] = {}
    longest = _longest(runs, marks, site)
    if longest >= PROSE_RUN:
        return longest
    # No body of <p>: one of <div> paragraphs, or of lines set apart by <br>.
    for element in blocks:
        lines = [words for words in _text_lines(element, site) if words >= min_words]
        if len(lines) == 1 and _one_line(element):
            if not _teaser_marks(element, marks, site):  # (a teaser's cell: its headline and text)
                holder = _holder(element)
                if holder is not None:
                    runs[holder] += 1
        elif lines:
            runs[element] += len(lines)
    return _longest(runs, marks, site)


def _count_paragraph(
    paragraph: HtmlElement, min_words: int, runs: Counter[HtmlElement], site: str | None
) -> None:
    """Count `paragraph` (its lines set apart by <br>, each) in `runs`, under its
    holder, if it is prose."""
    if _ends_in_link(paragraph) or _led_by_headline(paragraph, site):
        return
    text = inner_text(paragraph)
    linked = " ".join(inner_text(link) for link in paragraph.iter("a"))
    prose = int(word_count(text) - word_count(linked) >= min_words)
    if next(paragraph.iterchildren("br"), None) is not None:
        # Lines set apart by <br>, each a paragraph; or one broken by a soft <br>.
        prose = max(prose, sum(1 for words in _text_lines(paragraph, site) if words >= min_words))
    if prose:
        holder = _holder(paragraph)
        if holder is not None:
            runs[holder] += prose


def _longest(runs: Counter[HtmlElement], marks: dict[HtmlElement, int], site: str | None) -> int:
    """The most paragraphs one holder in `runs` has, of those that are not a hub's
    list: teaser marks for two of every three paragraphs or more; an article's body
    may hold a related box or a linked photo between every two of its paragraphs)."""
    return max((count for holder, count in runs.items() if 3 * _teaser_marks(holder, marks, site) < 2 * count),
               default=0)  # fmt: skip


def _holder(paragraph: HtmlElement) -> HtmlElement | None:
    """The element that holds `paragraph` as one of its own: its parent, or above
    the wrappers that hold nothing else (see WRAPPER_LEVELS)."""
    holder = paragraph.getparent()
    for _ in range(WRAPPER_LEVELS):
        if holder is None or holder.tag not in _WRAPPERS or not _one_child(holder):
            break
        if (holder.text or "").strip():
            break
        above = holder.getparent()
        if above is None:
            break
        holder = above
    return holder


def _link_card(link: HtmlElement) -> bool:
    """Whether the <a> `link` is one whose text is no prose: a link (with an href)
    holding at most one block, as a card does. An <a> left open wraps the rest of
    the page (libxml2 does not close it at a block): its body is the page's."""
    if link.get("href") is None:
        return False  # a bookmark
    return len(list(itertools.islice(link.iter("p", "div", "section", "article"), 2))) < 2


def _one_child(element: HtmlElement) -> bool:
    """Whether `element` has exactly one child (lxml's len() counts them all: a
    body of 50,000 paragraphs, asked once for each, took 29 s)."""
    children = element.iterchildren()
    return next(children, None) is not None and next(children, None) is None


def _one_line(element: HtmlElement) -> bool:
    """Whether `element` is a paragraph: no block inside it ends a line."""
    return all(
        not isinstance(child.tag, str) or child.tag in _INLINE for child in element.iterchildren()
    )


def _links_by_headline(tree: HtmlElement, site: str | None) -> bool:
    """Whether the page links other pages by their headlines as a hub does: at least
    HUB_MIN_HEADLINE_LINKS links of HEADLINE_MIN_WORDS words or more leading off the
    page (not to a part of it)."""
    found = 0
    for link in tagged(tree, "a"):
        if _headline_link(link, site):
            found += 1
            if found >= HUB_MIN_HEADLINE_LINKS:
                return True
    return False


def _headline_link(link: HtmlElement, site: str | None) -> bool:
    """Whether `link` leads to another page of the `site` (None: any) by a headline
    (HEADLINE_MIN_WORDS)."""
    return _to_story(link, site) and word_count(_shallow_text(link)) >= HEADLINE_MIN_WORDS


def _to_story(link: HtmlElement, site: str | None) -> bool:
    """Whether `link` leads to another page of the `site` (None: of any site)."""
    if not _leads_off(link):
        return False
    href = (link.get("href") or "").strip()
    if site is None or "//" not in href[:12]:
        return True  # (a path: this site's)
    try:
        other = site_of(href)
    except ValueError:
        return False  # no address a browser would follow
    return same_site(other, site)


def _ends_in_link(paragraph: HtmlElement) -> bool:
    """Whether the last thing in `paragraph` is a link (but for an arrow: "Read
    more »"; a sentence ending in a link ends in its full stop)."""
    last = next(paragraph.iterchildren(reversed=True), None)
    return last is not None and _ends_with(last)


def _ends_with(link: HtmlElement) -> bool:
    """Whether `link` (an element) is a link to another page with nothing after it
    in its line but an arrow: not a note's "#fn1", nor an empty bookmark."""
    return link.tag == "a" and _leads_off(link) and not (link.tail or "").strip(" …»›→\n\t\xa0")


def _led_by_headline(paragraph: HtmlElement, site: str | None) -> bool:
    """Whether `paragraph` starts with a headline's link set apart from what follows
    ("<a>Harbour fees rise in April</a> — The board..."): a teaser."""
    first = next(paragraph.iterchildren(), None)
    if first is None or (paragraph.text or "").strip():
        return False
    if first.tag in ("b", "strong") and next(first.iterchildren(), None) is not None:
        first = next(first.iterchildren())  # <b><a>headline</a></b>
    if first.tag != "a" or not _headline_link(first, site):
        return False
    after = first.tail or ""
    return not after.strip() or bool(_HEADLINE_SEPARATOR.match(after))


def _teaser_marks(element: HtmlElement, known: dict[HtmlElement, int], site: str | None) -> int:
    """How many children of `element` are what a hub's teasers come with: a
    headline linking to its story (<h3><a>, <a><h3>, or one first in a wrapper),
    or a link by a headline standing on its own. A hub has one a teaser; an
    article's body at most a few among its paragraphs (its own linked title, a
    "Related" box); a share bar's or a tag list's links are no headlines. Each
    child is looked at to _MARK_LOOK elements deep in page order."""
    if element in known:
        return known[element]
    marks = 0
    for child in element.iterchildren("*"):
        first = list(itertools.islice(child.iter(), _MARK_LOOK))
        if child.tag == "a":  # a card's link holding its headline, or a headline's
            marks += _alone(child, element) and (
                _headline_link(child, site)
                or (_to_story(child, site) and any(found.tag in HEADINGS for found in first))
            )
            continue
        headings = [found for found in first if found.tag in HEADINGS]
        links = [found for found in first if found.tag == "a" and _to_story(found, site)]
        if any(
            next(heading.iter("a"), None) in links or next(link.iter(*HEADINGS), None) is not None
            for heading in headings
            for link in links
        ):
            marks += 1  # a linked headline
        elif len(first) < _MARK_LOOK and any(_headline_link(link, site) for link in links):
            own = word_count(_shallow_text(child))
            marks += own <= sum(word_count(_shallow_text(link)) for link in links)
    known[element] = marks
    return marks


def _alone(link: HtmlElement, parent: HtmlElement) -> bool:
    """Whether `link`, a child of `parent`, stands on its own, not in a line of text."""
    before = link.getprevious()
    text_before = parent.text if before is None else before.tail
    return not (text_before or "").strip() and not (link.tail or "").strip()


def _shallow_text(element: HtmlElement) -> str:
    """The text of `element` and of its children (not deeper): what a line of text
    or a headline's link holds, read in bounded time however the page nests."""
    parts = [element.text or ""]
    for child in element.iterchildren():
        parts += [child.text or "", child.tail or ""]
    return " ".join(parts)


def _text_lines(element: HtmlElement, site: str | None) -> list[int]:
    """The words outside links of each line of text `element` holds as its own (its
    text and its inline children's, up to a <br> or a child block), but for
    empty lines and lines that are teasers (ending in a link, or led by a
    headline's link set apart)."""
    lines: list[int] = []
    text: list[str] = [element.text or ""]
    linked: list[str] = []
    blank = not text[0].strip()  # nothing written in the line yet
    led = ends = False  # the line is led by a headline's link / ends in a link
    for child in element.iterchildren():
        tag = child.tag
        if not isinstance(tag, str):
            pass  # a comment: no text of the page
        elif tag in _INLINE:
            inner = _shallow_text(child)
            if tag == "a":
                linked.append(inner)
                led = led or (blank and _headline_link(child, site))
            else:
                linked.extend(_shallow_text(a) for a in child.iterchildren("a"))
            text.append(inner)
            blank = blank and not inner.strip()
            ends = _ends_with(child)
        else:  # a <br>, or a block: the line ends
            if not (led or ends):
                lines.append(word_count(" ".join(text)) - word_count(" ".join(linked)))
            text, linked, blank, led, ends = [], [], True, False, False
        tail = child.tail or ""
        text.append(tail)
        blank = blank and not tail.strip()
    if not (led or ends):
        lines.append(word_count(" ".join(text)) - word_count(" ".join(linked)))
    return [words for words in lines if words > 0]


def _leads_off(link: HtmlElement) -> bool:
    """Whether `link` leads to another page: has an href, not "#part" (a table of
    contents) and not a picture's file."""
    href = (link.get("href") or "").strip()
    if not href or href.startswith("#") or _PICTURE.search(href):
        return False
    scheme = _SCHEME.match(href)
    return scheme is None or scheme.group(1).lower() in ("http", "https")


def _ld_types(documents: list[Any]) -> list[str]:
    """The @type values of the page's JSON-LD nodes: top level and @graph (not the
    nested ones: a hub's list of NewsArticle teasers is not an article)."""
    types: list[str] = []
    for document in documents:
        nodes = list(document) if isinstance(document, list) else [document]
        for node in list(nodes):
            if isinstance(node, dict) and isinstance(node.get("@graph"), list):
                nodes.extend(node["@graph"])
        for node in nodes:
            if isinstance(node, dict):
                value = node.get("@type")
                types.extend(v for v in (value if isinstance(value, list) else [value])
                             if isinstance(v, str))  # fmt: skip
    return types


# An href whose absolute form is plain to write: an http(s) address, or a path
# from the site's root, made of characters that urljoin leaves as they are (no
# parameters, fragment, backslash, white space or control character). Dot
# segments ("/./", "/../"), and in a path from the root the empty segments that
# urljoin drops ("/a//b"), are checked apart. Most of a page's links are of this
# form, and urljoin, written in Python, took 1-2 ms of a page's CPU.
_PLAIN_HREF = re.compile(
    r"(?P<origin>https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?)?"
    r"/[A-Za-z0-9._~%!$&'()*+,=:@/-]*"
    r"(?:\?[A-Za-z0-9._~%!$&'()*+,;=:@/?-]+)?"
)


def resolve_link(href: str, base: str, origin: str) -> str | None:
    """The absolute address of the link `href` on a page whose links are relative to
    `base` (whose scheme and host are `origin`), without its fragment: what
    `urljoin(base, href)` gives, computed without it where that is plain. None
    for an href no browser could follow ("//[not-an-address]")."""
    href = href.strip()
    plain = _PLAIN_HREF.fullmatch(href)
    if plain and "/." not in href and (plain["origin"] or "//" not in href):
        return href if plain["origin"] else origin + href
    try:
        return urljoin(base, href).partition("#")[0]
    except ValueError:
        return None


def _links(tree: HtmlElement, base: str) -> tuple[list[str], int]:
    """The http(s) links of <a> and <area> elements, absolute, without fragment,
    tracking or session arguments (urls.without_tracking), once each in page order; not those to files a crawl does not want (images,
    documents, archives: _NOT_PAGES). Capped at MAX_PAGE_LINKS."""
    found: dict[str, None] = {}
    seen: set[str] = set()  # hrefs already read: menus repeat the same links
    cut = 0
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    for element in below(tree, "a", "area"):
        href = element.get("href")
        if not href or href in seen or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        seen.add(href)
        url = resolve_link(href, base, origin)
        if url is None or not url.startswith(("http://", "https://")):
            continue
        url = without_tracking(url)
        if url in found:
            continue
        _, dot, extension = _path_of(url).rpartition(".")
        if dot and extension.lower() in _IGNORED:
            continue
        if len(found) >= MAX_PAGE_LINKS:
            cut += 1
            continue
        found[url] = None
    return list(found), cut


def _path_of(url: str) -> str:
    """The path of the absolute http(s) `url`, with what comes before it when that
    is quicker and cannot change how the path ends: `url` up to its query, when
    the address has a path at all (a "/" after its host)."""
    head = url.split("?", 1)[0].split("#", 1)[0]
    if head.find("/", head.find("//") + 2) > 0:
        return head
    return urlsplit(url).path


def _feeds(tree: HtmlElement, base: str) -> list[str]:
    """Feeds the page announces with <link rel="alternate" type="application/rss+xml">."""
    feeds: list[str] = []
    for link in below(tree, "link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in _FEED_TYPES:
            url = resolve_http_url((link.get("href") or "").strip(), base)
            if url and url not in feeds:
                feeds.append(url)
        if len(feeds) >= MAX_PAGE_FEEDS:
            break
    return feeds


def read_sitemap(body: bytes, url: str) -> DiscoveryReading:
    """The entries of the sitemap `body` fetched from `url` (gzipped or not)."""
    started = time.process_time()
    try:
        kind, kept, cut, whole = read_sitemap_entries(body, url, MAX_ENTRIES)
    except ValueError as exc:  # a gzipped sitemap that expands too far
        return DiscoveryReading("", failure=str(exc), cpu_seconds=time.process_time() - started)
    cut_short = bool(kind) and not whole
    return DiscoveryReading(kind, kept, cut, None, time.process_time() - started, cut_short)


def read_feed(body: bytes, url: str) -> DiscoveryReading:
    """The entries of the RSS, Atom or JSON Feed `body` fetched from `url`."""
    started = time.process_time()
    whole = is_json_feed(body) or ends_whole(body)  # (a JSON Feed: read whole or not)
    body, past = feed_head(body, MAX_FEED_ENTRIES)
    kept, cut = _capped(parse_feed(body, url))
    cut += past
    # Entries read, and no end: a feed cut short. Bytes with no entry and no end are
    # no feed (a bot challenge's page), said and counted as such by the spider.
    cut_short = bool(kept) and not whole
    return DiscoveryReading("feed", kept, cut, None, time.process_time() - started, cut_short)


def _capped(entries: Iterable[Entry]) -> tuple[list[Entry], int]:
    kept: list[Entry] = []
    cut = 0
    for entry in entries:
        if len(kept) < MAX_FEED_ENTRIES:
            kept.append(entry)
        else:
            cut += 1
    return kept, cut
