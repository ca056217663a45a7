"""The two items that flow through the pipelines.

A spider yields a `PageItem` (the raw page); the extraction pipeline turns it
into an `ArticleItem`, which the cleaning pipeline cleans and the storage
stages write. Only `ArticleItem` reaches the feeds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CLEANING_RULES", "ArticleItem", "PageItem"]

# Every rule that can drop a paragraph; an item's `cleaning` record has each as a key.
CLEANING_RULES = ("fragment", "headline", "repeated", "teaser", "contained", "near_identical")


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
    published: str | None  # ISO 8601 date as the page states it
    language: str | None
    description: str | None
    text: str  # paragraphs separated by "\n"
    word_count: int
    fetched_at: str
    cleaning: dict[str, int] = field(default_factory=dict)
