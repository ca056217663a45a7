"""The two items that flow through the pipelines.

A spider yields a `PageItem` (the raw page); the extraction pipeline turns it
into an `ArticleItem`, which the cleaning pipeline cleans and the storage
stages write. Only `ArticleItem` reaches the feeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ARTICLE_FIELDS", "CLEANING_RULES", "ArticleItem", "PageItem", "article_record"]

# Every rule that can drop a paragraph; an item's `cleaning` record has each as a key.
CLEANING_RULES = (
    "fragment", "headline", "site_boilerplate", "link_list", "repeated", "teaser", "contained",
    "near_identical", "paragraph_limit",
)  # fmt: skip


@dataclass
class PageItem:
    url: str  # as fetched, after redirects
    html: str = field(repr=False)  # kept out of logs and reprs: it can be megabytes
    fetched_at: str  # UTC, ISO 8601
    status: int = 200
    # What discovery knew before fetching (a feed's title, a sitemap's date, ...).
    hints: dict[str, Any] = field(default_factory=dict)


@dataclass
class ArticleItem:
    # A crawled article always has all three; a saved file given to `newscrawl
    # extract` may have none.
    url: str | None
    canonical_url: str | None
    site: str | None
    title: str | None
    authors: list[str]
    published: str | None  # ISO 8601, as the page states it (a date, or date, time and zone)
    language: str | None  # BCP 47, e.g. "en-GB"
    # "declared" (by the page) or "detected" (from the text); None with no language.
    language_source: str | None = field(default=None, kw_only=True)
    description: str | None
    text: str  # paragraphs separated by "\n"
    word_count: int
    fetched_at: str
    cleaning: dict[str, int] = field(default_factory=dict)
    # What the cleaner works from, kept (in SQLite) so that cleaning can be re-run;
    # not part of the output: the text as extracted, and the link texts found in it.
    raw_text: str = field(default="", repr=False)
    anchor_texts: list[str] = field(default_factory=list, repr=False)
    # What the crawl knew of the page (the PageItem's hints): for storage, not output.
    hints: dict[str, Any] = field(default_factory=dict, repr=False)
    # Fingerprints of the page's paragraphs that its site's boilerplate model held
    # when it was cleaned: the only input of cleaning that other pages change.
    boilerplate_used: list[str] = field(default_factory=list, repr=False)


_CLEANER_INPUTS = {"raw_text", "anchor_texts", "hints", "boilerplate_used"}
# The fields an article is written out with (feeds, SQLite, `newscrawl extract`).
ARTICLE_FIELDS = tuple(
    name for name in ArticleItem.__dataclass_fields__ if name not in _CLEANER_INPUTS
)


def article_record(item: ArticleItem) -> dict[str, Any]:
    """The item's output fields as plain data."""
    return {name: getattr(item, name) for name in ARTICLE_FIELDS}
