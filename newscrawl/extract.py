"""Extraction: HTML in, plain data out. trafilatura does the work.

A function of its inputs returning only str/list/None values (no lxml
objects), so it can run in another process. The one state it keeps is
per thread and per run: the page text trafilatura's run has read
(_page_text), so that it is not read twice.
"""

from __future__ import annotations

import logging
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from copy import copy
from dataclasses import dataclass, field
from typing import Any, overload
from unicodedata import normalize

import lxml.html
import regex
import trafilatura
import trafilatura.core
import trafilatura.main_extractor
import trafilatura.utils
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.external import compare_extraction
from trafilatura.htmlprocessing import convert_tags
from trafilatura.main_extractor import extract_content
from trafilatura.settings import Document, Extractor, use_config
from trafilatura.xml import xmltotxt

from newscrawl.cleaning.normalize import word_count, words
from newscrawl.cleaning.structure import (
    MIN_ANCHOR_WORDS,
    SUMMARY_MAX_WORDS,
    WHOLLY_LINKED_MIN_WORDS,
)
from newscrawl.jsonld import json_ld_documents
from newscrawl.language import article_language, normalize_tag
from newscrawl.metadata import PageMetadata, read_metadata
from newscrawl.pagetags import HEADINGS, below, inner_text, tagged
from newscrawl.pagetype import ERROR_PAGE_MAX_WORDS, says_not_found
from newscrawl.readings import (
    ERROR_PAGE,
    EXTRACTION_ERROR,
    EXTRACTION_MEMORY,
    NO_HTML,
    NO_TEXT,
    Extraction,
)
from newscrawl.recall import take_better_route
from newscrawl.urls import canonicalize, resolve_http_url, same_site, site_of

__all__ = ["Extraction", "base_url", "extract_article", "extract_tree", "load_page"]

logger = logging.getLogger(__name__)

# Pages at least this big that lxml cannot parse are parsed again to learn why.
_BIG_PAGE = 1024 * 1024


def _use_plain_html_elements() -> bool:
    """Make trafilatura's parser give every element the plain HtmlElement class.

    lxml.html's default class lookup runs a Python method for every element
    object lxml creates, to give <form>, <input> and the like their own classes;
    trafilatura walks and copies whole trees several times per page, so that
    lookup alone took about 5% of extraction time (measured on the shared pages:
    19.9 against 18.8 ms a page). Nothing newscrawl, trafilatura or htmldate uses
    needs the form classes, and extraction gives the same results either way (a
    test compares them). Returns False, changing nothing, if trafilatura no
    longer has the parser where we look for it."""
    parser = getattr(trafilatura.utils, "HTML_PARSER", None)
    if not isinstance(parser, etree.HTMLParser):
        return False
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return True


_use_plain_html_elements()


# trafilatura drops every character Python does not call printable, the zero-width
# non-joiner and joiner (U+200C, U+200D) among them. In Persian the non-joiner is
# spelling: "می‌گویند" ("they say") came out as "میگویند", its two parts run
# together, on every page; Indic scripts and Kurdish use both to shape a word.
# Within a word (between letters or marks) they are kept; elsewhere (a joiner
# set around a word to tag it, "\u200ciPhone 11\u200c") they go, as before.
_JOINER_IN_WORD = regex.compile(r"(?<=[\p{L}\p{M}])[\u200c\u200d](?=[\p{L}\p{M}])")


def _keep_joiners_in_words() -> bool:
    """Make trafilatura's text cleaning keep the joiners within words (see
    _JOINER_IN_WORD). Returns False, changing nothing, if trafilatura no longer
    has the function where we look for it."""
    utils = trafilatura.utils
    dropping = getattr(utils, "remove_control_characters", None)
    if dropping is None or getattr(dropping, "keeps_joiners", False):
        return dropping is not None

    def keeping_joiners(string: str) -> str:
        if string.isprintable() or ("\u200c" not in string and "\u200d" not in string):
            return str(dropping(string))
        pieces, last = [], 0
        for joiner in _JOINER_IN_WORD.finditer(string):
            pieces += [dropping(string[last : joiner.start()]), joiner.group()]
            last = joiner.end()
        pieces.append(dropping(string[last:]))
        return "".join(pieces)

    keeping_joiners.keeps_joiners = True  # type: ignore[attr-defined]
    # line_processing reads it from utils when called; the baseline imported it.
    utils.remove_control_characters = keeping_joiners
    baseline = sys.modules.get("trafilatura.baseline")  # (trafilatura.baseline is a function)
    if baseline is not None and getattr(baseline, "remove_control_characters", None) is dropping:
        baseline.remove_control_characters = keeping_joiners  # type: ignore[attr-defined]
    return True


_keep_joiners_in_words()


@overload
def _nfc(text: str) -> str: ...
@overload
def _nfc(text: None) -> None: ...
def _nfc(text: str | None) -> str | None:
    """`text` in Unicode's composed form (NFC), as `trafilatura.extract` gives it and
    `bare_extraction` does not: "e" + a combining accent becomes "é", so that a
    search for the word, typed as people type it, finds it (Bengali and German
    pages write some letters decomposed)."""
    return unicodedata.normalize("NFC", text) if text else text


def _split_authors(author: str | None) -> list[str]:
    # trafilatura joins several authors with "; ".
    if not author:
        return []
    return [name.strip() for name in author.split(";") if name.strip()]


# The letters of "content-language" in upper case, made lower: what the
# http-equiv test reads.
_CONTENT_LANGUAGE_CASE = str.maketrans("CONTENTLAGU", "contentlagu")


def _declared_language(tree: etree._Element) -> str | None:
    """The language the page declares, as written: <html lang>, else its
    content-language meta or og:locale."""
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        # The first <meta> in page order that says either; a walk of the page's
        # <meta>, not an XPath union over the page.
        lang = next(
            (
                content
                for meta in tagged(tree, "meta")
                if (
                    (meta.get("http-equiv") or "").translate(_CONTENT_LANGUAGE_CASE)
                    == "content-language"
                    or meta.get("property") == "og:locale"
                )
                and (content := meta.get("content")) is not None
            ),
            None,
        )
    if not lang:
        return None
    return lang.strip() or None


def _same_page(address: str) -> str:
    """An address in the form two links to one page share (no scheme, no fragment)."""
    return canonicalize(address).split("://", 1)[-1]


@dataclass(frozen=True)
class _Page:
    """Where a page is: to tell which of its links lead to other pages of its site."""

    base: str | None  # what relative links are resolved against
    addresses: frozenset[str]  # its own addresses, in `_same_page` form
    sites: frozenset[str]  # the sites of those addresses
    # `_is_teaser_link`'s answers for the hrefs (stripped) of the page's links.
    teaser_hrefs: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)


def _is_teaser_link(href: str | None, page: _Page) -> bool:
    """True if a link to `href` on `page` may be a teaser: a link to another page of
    the same site, which is what lists of related stories are made of.

    An anchor without href (a heading's target), a "#section" link (a table of
    contents) and a link to the page itself (a post title linking to its own
    post) lead nowhere else. A link to another site is a source, a citation or a
    product the text is about; in a roundup post or a list of results it is the
    content. On the dev sets, links to other sites counted as teasers: aeb, 92 of
    the 283 words dropped as wholly linked paragraphs were wanted, against 20 of
    202 without them; trafilatura's set, link_list lost 14 wanted snippets against 4.
    """
    if href is None:
        return False
    href = href.strip()
    if not href or href.startswith("#"):
        return False
    # A page's teaser headings and link texts often share an href (a card's picture,
    # headline and "more" link): each resolved once.
    known = page.teaser_hrefs.get(href)
    if known is None:
        known = page.teaser_hrefs[href] = _leads_to_site_page(href, page)
    return known


def _leads_to_site_page(href: str, page: _Page) -> bool:
    """`_is_teaser_link` for a stripped `href` that is no "#section" link."""
    resolved = resolve_http_url(href, base=page.base)
    if resolved is None:
        return True  # relative with no base known, or javascript: (as before: a link)
    target = site_of(resolved)
    if page.sites and not any(same_site(target, site) for site in page.sites):
        return False  # another site's: whether it is this page needs no canonical form
    return not page.addresses or _same_page(resolved) not in page.addresses


def _word_key(text: str) -> str:
    """`text`'s words, space-separated with a space at each end: a phrase's own key
    is in it exactly when the phrase occurs in the text, word for word."""
    return " " + " ".join(words(text)) + " "


def _element_text(element: etree._Element) -> str:
    """An element's text (NFC), its descendants' included, whitespace collapsed."""
    return _nfc(" ".join(inner_text(element).split()))


def _anchor_texts(tree: etree._Element, page: _Page, key: str) -> list[str]:
    """Distinct texts (NFC) of the page's teaser links (see `_is_teaser_link`) that
    have at least two words and occur in the extracted text (`key`, its
    `_word_key`): all the cleaner can use. Read after the extraction: most of a page's links are menus and lists the
    text does not hold, and a link's text is cheaper to look for than its address
    to resolve (5 against 0.5 ms a page on the dev pages)."""
    in_text: dict[str, bool] = {}
    found: dict[str, None] = {}
    for anchor in below(tree, "a"):
        # itertext, not text_content: "<a><h3>Title</h3><p>Dek</p></a>" is "Title Dek".
        # (_element_text, written out: a page has hundreds of links.)
        anchor_text = " ".join(inner_text(anchor).split())
        if " " not in anchor_text:
            continue  # one word or none, in any normal form
        anchor_text = normalize("NFC", anchor_text)
        if anchor_text in found:
            continue
        present = in_text.get(anchor_text)
        if present is None:
            present = in_text[anchor_text] = _word_key(anchor_text) in key
        if present and _is_teaser_link(anchor.get("href"), page):
            found[anchor_text] = None
    return list(found)


# A teaser card: a box of its own around a heading that is wholly a link to
# another page of the site (a related story set into the article, a sidebar's
# item), with that story's summary under it. trafilatura often drops the linked
# heading and keeps the summary, which then reads as a paragraph of the article.
# The card holds no more words than this: a headline, a summary of up to
# SUMMARY_MAX_WORDS, a section label and a date. A box with more is a part of the
# page (a section of the article under a linked heading), not a card.
TEASER_CARD_MAX_WORDS = 80
# Summaries are taken for link texts only while the text has less than this share
# of its words under linked headings it lacks: more, and those headings are the
# article's own (a list of costume ideas, each item a linked heading and its
# paragraphs, whose headings trafilatura dropped).
TEASER_CARDS_MAX_SHARE = 0.5


def _has_more(items: Iterable[int], limit: int) -> bool:
    """True if the numbers of `items` add up to more than `limit` (read no further)."""
    total = 0
    for item in items:
        total += item
        if total > limit:
            return True
    return False


def _heading_box(heading: etree._Element) -> tuple[etree._Element | None, etree._Element]:
    """The boxes around `heading`: the largest of at most TEASER_CARD_MAX_WORDS words
    (its card; None if its parent is already bigger), and the largest that holds no
    other heading (its section of the page)."""
    card = None
    node = heading
    while (parent := node.getparent()) is not None:
        if _has_more((1 for _ in parent.iter(*HEADINGS)), 1):
            break
        if card is node or node is heading:
            many = _has_more(
                (len(words(piece)) for piece in parent.itertext()), TEASER_CARD_MAX_WORDS
            )
            if not many:
                card = parent
        node = parent
    return card, node


def _text_lines(box: etree._Element, lines: set[str]) -> Iterator[tuple[str, int]]:
    """The <p> of `box` that are lines of the text (NFC, and their words)."""
    for paragraph in box.iter("p"):
        line = _element_text(paragraph)
        tokens = words(line)
        if tokens and " ".join(tokens) in lines:
            yield line, len(tokens)


def _teaser_summaries(tree: etree._Element, page: _Page, text: str, key: str) -> list[str]:
    """The summaries (NFC) of teaser cards whose linked headline is not in `text` but
    whose summary is a paragraph of it, as link texts for the cleaner: the summary
    stands for the link the card is. A heading counts when it is, as a whole, one
    link to another page of the site (`_is_teaser_link`) that `text` lacks; its
    card's summaries are taken when the link has at least WHOLLY_LINKED_MIN_WORDS
    words, the length at which the cleaner takes a linked paragraph alone for a
    teaser; a summary is a <p> of the card of at most SUMMARY_MAX_WORDS words.
    None are taken when the sections of the page under such headings hold
    TEASER_CARDS_MAX_SHARE of the text or more. `key` is the text's `_word_key`."""
    lines = {" ".join(tokens) for line in text.split("\n") if (tokens := words(line))}
    found: dict[str, None] = {}
    under_links = 0  # words of the text in the sections under such headings
    for heading in below(tree, *HEADINGS):
        links = list(heading.iter("a"))  # ".//a" (a heading is no <a>), without ElementPath
        if len(links) != 1:
            continue
        title = words(_element_text(heading))
        if (
            len(title) < MIN_ANCHOR_WORDS
            or words(_element_text(links[0])) != title
            or _word_key(" ".join(title)) in key
            or not _is_teaser_link(links[0].get("href"), page)
        ):
            continue
        card, section = _heading_box(heading)
        under_links += sum(count for _, count in _text_lines(section, lines))
        if card is None or len(title) < WHOLLY_LINKED_MIN_WORDS:
            continue
        for summary, count in _text_lines(card, lines):
            if count <= SUMMARY_MAX_WORDS:
                found[summary] = None
    if under_links >= TEASER_CARDS_MAX_SHARE * len(key.split()):
        return []
    return list(found)


def base_url(tree: etree._Element, url: str) -> str:
    """What the page's relative links are relative to: its <base href>, or its URL."""
    for element in tagged(tree, "base"):
        if (href := element.get("href")) is None:
            continue
        resolved = resolve_http_url(href.strip(), base=url)
        if resolved:
            return resolved
    return url


# The letters of "canonical" in upper case, made lower: what the rel test reads.
_CANONICAL_CASE = str.maketrans("CANONIL", "canonil")


def _declared_canonical(tree: etree._Element, base: str | None) -> str | None:
    """The page's own canonical address (<link rel=canonical>, else og:url), made absolute:
    the first in page order of the <link> whose rel has the word "canonical" (in
    any case) and of the <meta property="og:url">. (An element walk in place of an
    XPath union over the page: 0.19 against 0.42 ms a page on the dev pages.)"""
    for element in tagged(tree, "link", "meta"):
        if element.tag == "link":
            rel = element.get("rel")
            if rel is None or " canonical " not in f" {rel.translate(_CANONICAL_CASE)} ":
                continue
            href = element.get("href")
        elif element.get("property") == "og:url":
            href = element.get("content")
        else:
            continue
        if href is None:
            continue
        resolved = resolve_http_url(href.strip(), base=base)
        if resolved:
            return resolved
    return None


def _unparsable(html: str | bytes) -> str:
    """Why trafilatura could not parse `html`: not HTML, or (for a big page, in a
    worker whose address space is limited) not enough memory, which libxml2
    reports as an "unknown error" or a failed allocation."""
    if len(html) < _BIG_PAGE:
        return NO_HTML
    try:
        lxml.html.document_fromstring(html)
    except MemoryError:
        return EXTRACTION_MEMORY
    except (etree.LxmlError, ValueError) as exc:
        message = str(exc).lower()
        if "unknown error" in message or "memory" in message:
            return EXTRACTION_MEMORY
    return NO_HTML


def load_page(html: str | bytes) -> tuple[HtmlElement | None, str | None]:
    """The page's tree, parsed once (trafilatura's parser), or None and why not."""
    if not html or not html.strip():
        return None, NO_HTML
    tree = trafilatura.load_html(html)
    if tree is None:
        return None, _unparsable(html)
    return tree, None


def extract_article(html: str | bytes, url: str | None = None) -> Extraction:
    """Extract the main text and metadata of the page `html` fetched from `url`."""
    tree, failure = load_page(html)
    if tree is None:
        return Extraction(failure=failure)
    return extract_tree(tree, url)


# trafilatura's fast mode skips its fallback extractors (readability, jusText): 24 ms
# a page instead of 58 on the 1,165 dev pages (one run, a busy machine), and it loses
# text only where its result is short or comes in few paragraphs. There the full
# cascade runs too: on those pages (240 of 1,165) plain trafilatura's figures were
# aeb 0.9636, fundus 0.9386 and trafilatura-eval 0.926 against 0.9606, 0.9386 and
# 0.9255 in full mode alone, at 34 ms a page.
FULL_MODE_BELOW_WORDS = 200
FULL_MODE_MAX_PARAGRAPHS = 3


class _FastFirst(Extractor):
    """trafilatura's options for a run in fast mode that turns to full mode at
    once where fast mode's result is known to look incomplete (see
    _extract_then_compare); `recovered`: whether its stage 1 recovered wild
    text (_recover_wild_text)."""

    __slots__ = ("recovered",)
    recovered: bool


def _looks_incomplete(body: etree._Element, text: str) -> bool:
    """Whether trafilatura's result (`body`, its `text`) may lack text its
    fallback extractors would find: it is short or comes in few paragraphs."""
    if len(text.split()) < FULL_MODE_BELOW_WORDS:
        return True
    return sum(1 for _ in body.iter("p")) <= FULL_MODE_MAX_PARAGRAPHS


def _may_be_rescued(text: str, tree: HtmlElement, options: Extractor) -> bool:
    """Whether trafilatura's rescues after its stages 1-2 may change their result
    `text` of the page `tree`: its baseline where the text is under its minimum
    size, its recall retry where the text is short and covers under a fifth of
    the page's (trafilatura.core.ESCALATION_*)."""
    if len(text) < options.min_extracted_size:
        return True
    if len(text) >= trafilatura.core.ESCALATION_MAX_LENGTH:
        return False
    page_text = _html2txt(tree)
    _this_run.page_text = (tree, page_text)
    return len(text) < trafilatura.core.ESCALATION_PAGE_SHARE * len(page_text)


# The page text _may_be_rescued read for a run, given again to trafilatura's
# own check in the same run (_page_text) rather than read twice. Per thread:
# trafilatura's sequence reads it through a module-level name, so a run in
# another thread must not see this one's page.
_this_run = threading.local()


def _page_text(content: Any, clean: bool = True) -> str:
    """trafilatura's html2txt of `content`: the text _may_be_rescued read, where
    it read this page's in this thread's run."""
    read: tuple[HtmlElement, str] | None = getattr(_this_run, "page_text", None)
    if clean and read is not None and content is read[0]:
        return read[1]
    return _html2txt(content, clean)


def _extract_then_compare(
    cleaned_tree: HtmlElement, backup: HtmlElement, tree: HtmlElement, options: Extractor
) -> tuple[etree._Element, str]:
    """trafilatura's stages 1-2 (its own extractor, then the comparison with its
    fallbacks) for a _FastFirst run. Stage 1 runs in fast mode. Where its result
    looks incomplete and no rescue of trafilatura's can change it, fast mode's
    whole result would look incomplete and be run again in full mode: so stage
    2 runs here, and the rest of the run follows in full mode, as a run in full
    mode would. Other runs, and recall retries, go through trafilatura's own."""
    if type(options) is not _FastFirst or options.focus == "recall":
        return _stages_1_2(cleaned_tree, backup, tree, options)
    options.fast, options.recovered = True, False
    body, text = extract_content(cleaned_tree, options)
    # The words of its text as the run gives it, where that decides: the test
    # the run's result gets in _trafilatura_text.
    if not _looks_incomplete(body, text) or not _looks_incomplete(
        body, xmltotxt(body, options.formatting)
    ):
        return body, text
    if len(body) == 0 or _may_be_rescued(text, tree, options):
        return body, text
    options.fast = False
    if options.recovered:
        # Fast mode's stage 1 differs from full mode's only in its recovery of
        # wild text (it keeps teaser blocks): stage 1 again, in full mode.
        converted = convert_tags(copy(backup), options, options.url)
        return _stages_1_2(converted, backup, tree, options)
    return compare_extraction(backup, copy(tree), body, text, options)


def _recover_wild_text(
    tree: HtmlElement, body: etree._Element, options: Extractor, *args: Any, **kwargs: Any
) -> etree._Element:
    """trafilatura's recovery of wild text, noted in a _FastFirst run's options."""
    if type(options) is _FastFirst:
        options.recovered = True
    return _recover(tree, body, options, *args, **kwargs)


# The trafilatura releases whose sequence _extract_then_compare was checked
# against (the same text on all 1,165 dev pages as two runs): its steps, what
# fast mode skips, and that a run with comments=False and the default balanced
# focus takes no other path. Any other release, a patch release included, keeps
# the two runs until it is checked and added here.
FAST_FIRST_RELEASES = frozenset({"2.3.1"})


def fast_first_checked(version: str) -> bool:
    """Whether trafilatura `version` is one _extract_then_compare was checked on."""
    return version in FAST_FIRST_RELEASES


def _install_fast_first() -> bool:
    """Put _extract_then_compare where trafilatura's sequence calls its stages
    1-2, _page_text where it reads a page's text and _recover_wild_text where
    it recovers wild text, keeping trafilatura's own for other runs (once: a
    module imported again finds them kept). Returns False, changing nothing,
    where trafilatura is a release not checked or has no such steps."""
    global _stages_1_2, _html2txt, _recover
    # Not typed as replaceable steps: Any.
    core: Any = trafilatura.core
    main: Any = trafilatura.main_extractor
    if not fast_first_checked(getattr(trafilatura, "__version__", "")):
        return False
    kept = getattr(core, "_newscrawl_kept", None)
    if kept is None:
        names = (
            "_extract_and_compare",
            "html2txt",
            "ESCALATION_MAX_LENGTH",
            "ESCALATION_PAGE_SHARE",
        )
        if not all(hasattr(core, name) for name in names) or not hasattr(main, "recover_wild_text"):
            return False
        kept = (core._extract_and_compare, core.html2txt, main.recover_wild_text)
        core._newscrawl_kept = kept
    _stages_1_2, _html2txt, _recover = kept
    core._extract_and_compare = _extract_then_compare
    core.html2txt = _page_text
    main.recover_wild_text = _recover_wild_text
    return True


_stages_1_2: Callable[..., tuple[etree._Element, str]]
_html2txt: Callable[..., str] = trafilatura.html2txt
_recover: Callable[..., etree._Element]
_install_fast_first()


def _trafilatura_text(tree: HtmlElement, url: str | None) -> str:
    """trafilatura's text of `tree` (which it copies, not prunes): fast mode, and
    the full cascade where the fast result looks incomplete (at once, where
    _extract_then_compare knows it will)."""
    options = _FastFirst(output_format="python", fast=True, comments=False, url=url)
    try:
        found = trafilatura.bare_extraction(tree, url=url, options=options)
    finally:
        _this_run.page_text = None
    if options.fast:
        if (
            isinstance(found, Document)
            and found.text
            and found.body is not None
            and not _looks_incomplete(found.body, found.text)
        ):
            # Complete in fast mode: as it is. The one-line pass below is for
            # trafilatura's baseline, which gives one paragraph, never more
            # than FULL_MODE_MAX_PARAGRAPHS.
            return str(found.text)
        found = trafilatura.bare_extraction(tree, url=url, include_comments=False)
    text = (found.text or "") if isinstance(found, Document) else ""
    if text and "\n" not in text.strip():
        return _paragraphs_of_one_line(tree, url, text)
    return text


# trafilatura takes a result under its MIN_EXTRACTED_SIZE (250 characters) for a
# failure, and gives the whole article element's text instead, on one line: a
# short brief, and every short Chinese or Japanese article (250 characters are
# some 150 words there), came out as headline, byline, date and paragraphs run
# together, which no cleaning rule can take apart. Without that floor it gives
# its own paragraphs, taken when they stand in the line in order and hold at
# least this share of its words (the rest: the headline, the byline, the date
# before them). What stands between or after them is kept as paragraphs of its
# own: they pass over the text of a bare <div>, a brief's sentence (pages
# written for the purpose). Of the 15 dev pages that come out as one line, one
# takes its paragraphs (8, with the same judged snippets); on four the
# paragraphs hold 14-48% of the line (one of them lacks a wanted snippet), and
# they keep it; the others find one or none.
ONE_LINE_MIN_SHARE = 0.5
_NO_SIZE_FLOOR = use_config()
_NO_SIZE_FLOOR.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")


def _paragraphs_of_one_line(tree: HtmlElement, url: str | None, line: str) -> str:
    """trafilatura's own paragraphs for `line`, the one line of text it gave for
    `tree` (see ONE_LINE_MIN_SHARE), or `line` itself."""
    found = trafilatura.bare_extraction(
        tree, url=url, include_comments=False, config=_NO_SIZE_FLOOR
    )
    if not isinstance(found, Document) or not found.text:
        return line
    # Spaced as the line is: trafilatura pads some paragraphs with the page's layout.
    paragraphs = [" ".join(p.split()) for p in found.text.split("\n") if words(p)]
    if len(paragraphs) < 2:
        return line
    share = sum(len(words(p)) for p in paragraphs) / len(words(line))
    if share < ONE_LINE_MIN_SHARE:
        return line
    flat = " ".join(line.split())
    pieces: list[str] = []
    cursor = 0
    for paragraph in paragraphs:
        at = flat.find(paragraph, cursor)
        if at < 0:
            return line
        if pieces:  # not before the first: the headline, the byline, the date
            pieces.append(flat[cursor:at])
        pieces.append(paragraph)
        cursor = at + len(paragraph)
    pieces.append(flat[cursor:])
    return "\n".join(piece.strip() for piece in pieces if words(piece))


def _page_metadata(
    tree: HtmlElement,
    url: str | None,
    documents: list[Any],
    declared: str | None,
    discovered_date: str | None,
) -> PageMetadata:
    """read_metadata, or none at all where it fails on an odd page: the article's
    text is worth more than its byline, and was lost with it (a JSON-LD block of
    `[1]` raised in trafilatura's metadata code)."""
    try:
        return read_metadata(tree, url, documents, declared, discovered_date)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - trafilatura, htmldate and lxml raise many types
        logger.warning("metadata not read for %s: %s: %s", url, type(exc).__name__, exc)
        return PageMetadata()


def _says_not_found(tree: HtmlElement, text: str) -> bool:
    """Whether the page is a site's answer for a page it does not have, served
    as a page (see pagetype.says_not_found): short, and its title or first
    heading says so."""
    if word_count(text) >= ERROR_PAGE_MAX_WORDS:
        return False
    title = tree.find(".//title")
    heading = next(iter(tagged(tree, "h1")), None)
    return says_not_found(
        inner_text(title) if title is not None else None,
        inner_text(heading) if heading is not None else None,
    )


def extract_tree(
    tree: HtmlElement,
    url: str | None = None,
    documents: list[Any] | None = None,
    discovered_date: str | None = None,
    base: str | None = None,
) -> Extraction:
    """Extract the main text and metadata of the parsed page `tree` fetched from
    `url` (`documents`: its JSON-LD, when the caller has read it already;
    `discovered_date`: the date its sitemap or feed entry gave, see
    read_metadata; `base`: its `base_url`, when the caller has read it already).
    The tree is left whole: trafilatura works on its own copy."""
    if documents is None:
        documents = json_ld_documents(tree)
    declared = _declared_language(tree)
    # Relative to its <base href>, as its links are: against its URL, the canonical
    # link of one article was another for each of its addresses.
    if base is None and url:
        base = base_url(tree, url)
    stated_canonical = _declared_canonical(tree, base)
    canonical = stated_canonical or url
    addresses = [address for address in (url, stated_canonical) if address]
    page = _Page(
        base=base or stated_canonical,
        addresses=frozenset(_same_page(address) for address in addresses),
        sites=frozenset(site_of(address) for address in addresses),
    )
    try:
        metadata = _page_metadata(tree, url, documents, declared, discovered_date)
        found = _trafilatura_text(tree, url)
        found, route = take_better_route(tree, url, found, documents)
    except MemoryError:  # past the worker's address-space limit (newscrawl/workers.py)
        return Extraction(failure=EXTRACTION_MEMORY)
    except Exception as exc:  # noqa: BLE001 - trafilatura and lxml raise many types on odd pages
        logger.warning("extraction failed for %s: %s: %s", url, type(exc).__name__, exc)
        return Extraction(failure=EXTRACTION_ERROR)
    if not found.strip():
        return Extraction(failure=NO_TEXT, language=normalize_tag(declared))
    if _says_not_found(tree, found):
        return Extraction(failure=ERROR_PAGE, language=normalize_tag(declared))
    text = _nfc(found)
    language, language_source = article_language(declared, text)
    key = _word_key(text)  # what the link texts and the teaser cards are looked up in
    return Extraction(
        text=text,
        title=_nfc(metadata.title),
        authors=_split_authors(_nfc(metadata.author)),
        published=metadata.date,
        published_from=metadata.date_from,
        language=language,
        language_source=language_source or "",
        description=_nfc(metadata.description),
        canonical_url=canonicalize(canonical) if canonical else None,
        sitename=_nfc(metadata.sitename),
        # After trafilatura, which copies the tree it is given and leaves it whole.
        anchor_texts=_anchor_texts(tree, page, key) + _teaser_summaries(tree, page, text, key),
        route=route,
    )
