"""The item that flows through the pipelines.

A spider yields an `ArticleItem` read by a worker (extracted, and cleaned by the
page's own rules); the cleaning pipeline applies its site's boilerplate and the
minimum length, and the store writes it. The feeds get what comes through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from newscrawl.duplicates import SignedText

__all__ = ["ARTICLE_FIELDS", "CLEANING_RULES", "ArticleItem", "article_record"]

# Every rule that can drop a paragraph; an item's `cleaning` record has each as a key.
CLEANING_RULES = (
    "fragment", "headline", "site_boilerplate", "link_list", "repeated", "teaser", "contained",
    "near_identical", "paragraph_limit",
)  # fmt: skip


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
    # From the worker that read the page: the fingerprints of every extracted
    # paragraph (the site model's input), and of those its own rules kept (what the
    # site's boilerplate is looked up for). None: not read by a worker.
    raw_fingerprints: list[str] | None = field(default=None, repr=False)
    kept_fingerprints: list[str] | None = field(default=None, repr=False)
    # The worker's text and its story signature (duplicates.SignedText): the store
    # signs the text itself if the site's boilerplate changed it since.
    signed: SignedText | None = field(default=None, repr=False)


_CLEANER_INPUTS = {
    "raw_text", "anchor_texts", "hints", "boilerplate_used", "raw_fingerprints",
    "kept_fingerprints", "signed",
}  # fmt: skip
# The fields an article is written out with (feeds, SQLite, `newscrawl extract`).
ARTICLE_FIELDS = tuple(
    name for name in ArticleItem.__dataclass_fields__ if name not in _CLEANER_INPUTS
)


def article_record(item: ArticleItem) -> dict[str, Any]:
    """The item's output fields as plain data."""
    return {name: getattr(item, name) for name in ARTICLE_FIELDS}
