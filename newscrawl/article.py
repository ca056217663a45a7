"""From an extraction to a stored article: the glue shared by the pipelines and
`newscrawl extract`, so both produce the very same item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from newscrawl.cleaning import CleaningResult, TextCleaner, split_paragraphs
from newscrawl.cleaning.normalize import word_count
from newscrawl.cleaning.siteboiler import page_fingerprints
from newscrawl.hosts import site_key
from newscrawl.items import CLEANING_RULES, ArticleItem
from newscrawl.jsonld import storable
from newscrawl.language import article_language
from newscrawl.pagetype import INDEX_FILE, is_front_page
from newscrawl.readings import DATE_LISTED, Extraction
from newscrawl.urls import canonicalize, site_of

__all__ = [
    "CLEANED_AWAY",
    "MAX_CANONICAL_CHARS",
    "TOO_SHORT",
    "apply_cleaning",
    "boilerplate_used",
    "build_article",
    "clean_article",
    "clean_article_explained",
    "drop_reason",
    "raw_fingerprints",
    "rule_counts",
    "trusted_canonical",
]

TOO_SHORT = "too_short"
# The longest canonical URL a page may declare: Scrapy's URLLENGTH_LIMIT, past
# which the crawl requests no URL. The key is repeated in every row of the site
# model (site_paragraphs, one a paragraph): three pages naming canonical URLs of
# 1,000,000 characters made an 8.5 GB store and held the crawl for minutes.
MAX_CANONICAL_CHARS = 2083
# Every paragraph was dropped by cleaning: the page had only furniture (or repeats).
CLEANED_AWAY = "cleaned_away"


def build_article(
    extraction: Extraction,
    url: str | None,
    fetched_at: str,
    hints: dict[str, Any] | None = None,
    foreign: Callable[[str], bool] | None = None,
    words: int | None = None,
) -> ArticleItem:
    """An uncleaned ArticleItem from what extraction found on the page at `url`
    (None for a saved file whose address is unknown). `hints` are what discovery
    knew: the site's name, and a sitemap's or feed's date and title, used where
    the page itself says nothing. `foreign` says whether a URL is another site's
    of the crawl (see trusted_canonical). `words`: its word_count, where the
    caller knows it (a crawl's worker counted the cleaned text the spider puts
    in place of the extracted one); counting the text again cost the crawler's
    process 0.3 ms a page."""
    hints = hints or {}
    canonical_url = extraction.canonical_url
    if (
        url is not None
        and canonical_url
        and not trusted_canonical(canonical_url, url, hints, foreign)
    ):
        # Another site's address: a page may not speak for another site's rows.
        hints = {**hints, "canonical_refused": canonical_url}
        canonical_url = None
    canonical_url = canonical_url or (canonicalize(url) if url else None)
    address = url or canonical_url
    if extraction.language_source is not None:
        language, language_source = extraction.language, extraction.language_source or None
    else:
        language, language_source = article_language(extraction.language, extraction.text)
    published = extraction.published or (
        str(hints["published"])[:10] if hints.get("published") else None
    )
    if published:  # where its date comes from (what leaves it out of --since)
        hints = {**hints, "published_from": extraction.published_from or DATE_LISTED}
    # What the page's JSON says (trafilatura reads its JSON-LD too) may hold a lone
    # surrogate, which no store takes: the article was lost at its write.
    text = storable(extraction.text)
    title = extraction.title or hints.get("title")
    return ArticleItem(
        url=url,
        canonical_url=canonical_url,
        site=hints.get("site") or (site_of(address) if address else None),
        title=_encodable(title),
        authors=[storable(author) for author in extraction.authors],
        published=published,
        language=language,
        language_source=language_source,
        description=_encodable(extraction.description),
        text=text,
        word_count=word_count(text) if words is None else words,
        fetched_at=fetched_at,
        raw_text=text,
        anchor_texts=list(extraction.anchor_texts),
        hints=dict(hints),
    )


def _encodable(text: str | None) -> str | None:
    return None if text is None else storable(text)


def trusted_canonical(
    canonical_url: str,
    url: str,
    hints: dict[str, Any],
    foreign: Callable[[str], bool] | None = None,
) -> bool:
    """Whether the page at `url` may declare `canonical_url` as its key: only
    within MAX_CANONICAL_CHARS, inside its own site (the site's keys from `hints["site_keys"]`, else the
    registrable domain of `url`), and not at an address of another site of the
    crawl (`foreign`): two sites of a sites file may share a registrable domain
    (a.example.net and b.example.net), and one's pages must not take the
    other's rows."""
    if len(canonical_url) > MAX_CANONICAL_CHARS:
        return False
    keys = hints.get("site_keys") or [site_key(url)]
    if site_key(canonical_url) not in keys:
        return False
    if _home_above(canonical_url, url):
        return False
    return foreign is None or not foreign(canonical_url)


def _home_above(canonical_url: str, url: str) -> bool:
    """Whether `canonical_url` is the site's front page ("/", "/index.php",
    "/?lang=en", "/?utm_source=x") and the page at `url` is another page.
    Templates with a canonical link wired to the front page (a common CMS fault)
    made every article one row, each overwriting the one before. (Only the
    front page: an article's permalink ends in "/" too, "/story/123/", and its
    AMP, print and comment pages below it name it rightly.)"""
    if not is_front_page(canonical_url):  # "/?p=123": an article's own address
        return False
    home, page = urlsplit(canonical_url), urlsplit(url)
    keys = {key.lower() for key, _ in parse_qsl(home.query, keep_blank_values=True)}
    own = {key.lower() for key, _ in parse_qsl(page.query, keep_blank_values=True)}
    page_is_front = INDEX_FILE.sub("", page.path or "/") == "/" and own <= keys | {""}
    return not page_is_front


def clean_article(
    item: ArticleItem,
    cleaner: TextCleaner,
    min_words: int,
    site_boilerplate: frozenset[str] = frozenset(),
) -> str | None:
    """Clean `item` in place from its extracted text; return the reason to drop it,
    or None to keep it. Cleaning again gives the same result (it starts from
    `raw_text` each time)."""
    clean_article_explained(item, cleaner, site_boilerplate)
    return drop_reason(item, min_words)


def drop_reason(item: ArticleItem, min_words: int) -> str | None:
    """Why a cleaned item is not an article, or None if it is one."""
    if not item.text:
        return CLEANED_AWAY
    return TOO_SHORT if item.word_count < min_words else None


def clean_article_explained(
    item: ArticleItem, cleaner: TextCleaner, site_boilerplate: frozenset[str] = frozenset()
) -> CleaningResult:
    """Clean `item` in place; return the cleaner's full result (what it dropped, and why)."""
    if not item.raw_text:
        item.raw_text = item.text
    result = cleaner.clean_text(
        item.raw_text,
        item.title,
        item.anchor_texts,
        site_boilerplate=site_boilerplate,
        authors=item.authors,
    )
    apply_cleaning(item, result, site_boilerplate)
    return result


def apply_cleaning(
    item: ArticleItem, result: CleaningResult, site_boilerplate: frozenset[str]
) -> None:
    """Set `item`'s text and cleaning record from `result`, its cleaner's result
    (with `site_boilerplate`) on `item.raw_text`, wherever that ran."""
    item.text = result.text
    item.word_count = result.word_count
    item.boilerplate_used = boilerplate_used(item.raw_text, site_boilerplate)
    item.cleaning = rule_counts(result)


def rule_counts(result: CleaningResult) -> dict[str, int]:
    """Paragraphs `result` dropped, per rule; every rule present (0 if it dropped none)."""
    counts = result.counts()
    return {rule: counts.get(rule, 0) for rule in CLEANING_RULES}


def boilerplate_used(raw_text: str, site_boilerplate: frozenset[str]) -> list[str]:
    """The fingerprints of `raw_text`'s paragraphs that are in `site_boilerplate`,
    sorted: all a page's cleaning takes from the other pages of its site."""
    if not site_boilerplate:
        return []
    return sorted(page_fingerprints(split_paragraphs(raw_text)) & site_boilerplate)


def raw_fingerprints(item: ArticleItem) -> set[str]:
    """Fingerprints of the item's extracted paragraphs, for the site model."""
    return page_fingerprints(split_paragraphs(item.raw_text or item.text))
