"""What a page worker sends back: plain data the crawler's process receives.

A worker (newscrawl/pageworker.py) reads a page with trafilatura, lxml and
htmldate; the crawler's process only receives the result. The types of that
result live here, apart from the code that makes them, so that the crawler's
process can unpickle a reading without importing trafilatura, htmldate, numpy
and the language detector (about 0.5 s of CPU and 20 MB for every crawl;
tests/test_architecture.py keeps it so).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newscrawl.cleaning import CleaningResult, DroppedParagraph, split_paragraphs
from newscrawl.discovery import Entry
from newscrawl.duplicates import SignedText
from newscrawl.pagetype import ARTICLE

__all__ = [
    "DATE_GUESSED",
    "DATE_LISTED",
    "DATE_STATED",
    "DEFAULT_ROUTE",
    "ERROR_PAGE",
    "EXTRACTION_ERROR",
    "EXTRACTION_MEMORY",
    "MAX_AUTHORS",
    "MAX_AUTHOR_CHARS",
    "MAX_ENTRIES",
    "MAX_FEED_ENTRIES",
    "MAX_PAGE_BYTES",
    "MAX_PAGE_LINKS",
    "MAX_PARAGRAPH_CHARS",
    "MAX_TAGS",
    "MAX_TEXT_CHARS",
    "NO_HTML",
    "NO_TEXT",
    "ArticleFacts",
    "DiscoveryReading",
    "Extraction",
    "PageReading",
]

# Reasons a page yields no article; they end up in stats and in `extract` output.
NO_HTML = "no_html"
NO_TEXT = "no_text"
ERROR_PAGE = "error_page"  # a page that says the one asked for is not there (a soft 404)
EXTRACTION_ERROR = "extraction_error"
EXTRACTION_MEMORY = "extraction_memory"  # the page needs more memory than the worker may use

# The route that gave an extraction's text when trafilatura's own text was the
# best one (the other routes: newscrawl/recall.py).
DEFAULT_ROUTE = "trafilatura"

# Links one page may contribute. A real hub has hundreds; a page of 300,000 links is
# an attack or a mistake, and following all of them would cost its site its budget
# anyway. Those past the cap are counted (PageReading.links_cut).
MAX_PAGE_LINKS = 5_000
# How much of a page is parsed: its first MAX_TAGS tags ("<") and MAX_PAGE_BYTES
# bytes. The largest of the 1,165 pages of the dev sets has 19,629 tags and 563 KB.
# A page of millions of tiny elements (30 MB fits under the download cap) would take
# a worker gigabytes, and parsing, trafilatura and htmldate all grow faster than the
# page (trafilatura: 0.4 s for 5,000 paragraphs, 6.4 s for 40,000); 29 MB of text
# in 30,000 paragraphs took a worker 722 MB, 9 MB 410 MB. A page past either bound
# is read up to it, and counted.
MAX_TAGS = 50_000
MAX_PAGE_BYTES = 8_000_000
# Entries one sitemap or feed may give: a sitemap holds 50,000 URLs at most
# (sitemaps.org); more are cut and counted.
MAX_ENTRIES = 50_000
# Entries one feed may give. No protocol bounds a feed, and feedparser, which reads
# it, costs about 0.18 ms of CPU an item whatever the item holds (50,000 items of
# a title, link, guid, date and summary: 9.0 s; 2,000 items of 8 KB of full text
# each: 0.6 s), so at the cap of a sitemap a feed went past a worker's default
# 8 s and was lost whole. 10,000 items take about 1.8 s; a feed is cut after
# them (discovery.feed_head) and the rest counted, as a sitemap's are. News feeds
# list tens to hundreds of items; a site's full archive is its sitemaps' job.
MAX_FEED_ENTRIES = 10_000
# Characters of an article's text that are kept. The longest text extracted from
# the 1,165 dev pages has 104,534 characters (none is cut; the longest news
# article's ground truth, 53,372), a long magazine read of 25,000 words about
# 160,000. What the crawler's process does with a text (its
# story signature, the store's row and full-text index) runs on the one event loop
# that downloads for every site, at about 3 microseconds a word: 8 MB of text in
# three paragraphs (a page under MAX_PAGE_BYTES) held it 3.8 s. Past the bound a
# text is cut at a paragraph break (a space inside one huge paragraph), and counted
# (PageReading.text_cut), in the worker, before any of that work.
MAX_TEXT_CHARS = 200_000
# Characters one paragraph of it may keep: a quarter of the text's bound. Cut
# at the text's bound alone, a page whose headline was 1,000,000 characters kept
# that headline and lost the four paragraphs of its story ("too_short (1
# words)"). A paragraph past it is cut the same way (at a space), and counted.
# The longest paragraph of the 1,165 dev pages' texts has 21,733 characters.
MAX_PARAGRAPH_CHARS = MAX_TEXT_CHARS // 4
# Authors an article keeps, and characters of each name. A byline names a few; a
# page whose JSON-LD named 150,000 authors stored 2.7 MB of names a row and in
# its JSON Lines record (13 times the text's bound). Past the bounds names are
# dropped, or cut, and counted (PageReading.authors_cut), in the worker.
MAX_AUTHORS = 100
MAX_AUTHOR_CHARS = 200


# Where an article's date comes from (Extraction.published_from).
DATE_STATED = "stated"  # the page states it: JSON-LD, meta tags
DATE_LISTED = "listed"  # its sitemap or feed entry gives it (its day)
DATE_GUESSED = "guessed"  # htmldate found it in the page's text


@dataclass(frozen=True)
class Extraction:
    """What trafilatura found on one page; `failure` is set when there is no text."""

    text: str = ""
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    published_from: str | None = None  # stated, listed or guessed (metadata.PageMetadata)
    # The page's language, as a BCP 47 tag ("en-GB"): the one it declares, else the
    # detector's reading of its text (`language_source` says which); None if neither.
    # Read in the worker: the workers share the detector's model (68 MB), loaded
    # once by their fork server (newscrawl/preload.py); the crawler's process never
    # loads it.
    language: str | None = None
    # DECLARED or DETECTED (newscrawl/language.py); "" when read and neither found,
    # None when not read (an Extraction made elsewhere: newscrawl.article reads it).
    language_source: str | None = None
    description: str | None = None
    canonical_url: str | None = None
    sitename: str | None = None
    # Link texts found in `text`, and the summaries of teaser cards whose linked
    # headline it lacks (newscrawl.extract._teaser_summaries).
    anchor_texts: list[str] = field(default_factory=list)
    route: str = DEFAULT_ROUTE  # how the text was found (see newscrawl.recall)
    failure: str | None = None


@dataclass(frozen=True)
class ArticleFacts:
    """An article as a worker leaves it: extracted, and cleaned by its own rules."""

    extraction: Extraction
    text: str  # kept by the page's rules, paragraphs separated by "\n"
    word_count: int
    counts: dict[str, int]  # paragraphs each page rule dropped
    kept_fingerprints: list[str]  # of the paragraphs of `text`, in order
    raw_fingerprints: list[str]  # of every extracted paragraph (the site model's input)
    kept: list[int] = field(default_factory=list)  # positions of `text`'s paragraphs
    dropped: list[DroppedParagraph] = field(default_factory=list)  # and why the others went
    # `text` and its story signature, when the worker was asked to sign it.
    signed: SignedText | None = None
    # The user's fragment patterns that ran out of time on the page (its text kept).
    timed_out: tuple[str, ...] = ()

    def page_cleaning(self) -> CleaningResult:
        """The page rules' result, as the cleaner gave it (for `extract --explain`)."""
        return CleaningResult(
            split_paragraphs(self.text), list(self.dropped), list(self.kept),
            timed_out=self.timed_out,
        )  # fmt: skip


@dataclass(frozen=True)
class PageReading:
    """What a page is and holds."""

    kind: str = ARTICLE  # ARTICLE or HUB (newscrawl/pagetype.py)
    links: list[str] = field(default_factory=list)  # absolute http(s), in page order, once each
    links_cut: int = 0  # links past MAX_PAGE_LINKS (about, on a truncated page)
    feeds: list[str] = field(default_factory=list)
    article: ArticleFacts | None = None  # for an article, unless it failed
    failure: str | None = None  # why an article gave no text (no_html, no_text, ...)
    cpu_seconds: float = 0.0
    tags_cut: int = 0  # tags past MAX_TAGS, not read
    text_cut: int = 0  # characters of the article's text past MAX_TEXT_CHARS, not kept
    authors_cut: int = 0  # names past MAX_AUTHORS dropped, or past MAX_AUTHOR_CHARS cut


@dataclass(frozen=True)
class DiscoveryReading:
    """The entries of a sitemap ("index" or "urlset") or a feed ("feed")."""

    kind: str
    entries: list[Entry] = field(default_factory=list)
    cut: int = 0  # entries past MAX_ENTRIES (a feed's: MAX_FEED_ENTRIES)
    failure: str | None = None  # why none could be read
    cpu_seconds: float = 0.0
    # The document ended before its root element did (discovery.ends_whole): the
    # entries before the cut were read, the rest lost.
    cut_short: bool = False
