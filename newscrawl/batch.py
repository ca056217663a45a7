"""Extract and clean many saved pages at once: `newscrawl extract` and `newscrawl eval`.

Two passes: every page is extracted first and the site boilerplate model learns
from all of them; then each page is cleaned against the whole model. A page's
result therefore does not depend on which files came before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from newscrawl.article import build_article, clean_article_explained, drop_reason, raw_fingerprints
from newscrawl.cleaning import DroppedParagraph
from newscrawl.cleaning.siteboiler import SiteModel
from newscrawl.config import NewscrawlConfig
from newscrawl.extract import Extraction, extract_article
from newscrawl.items import ArticleItem
from newscrawl.workers import ExtractionPool

__all__ = ["PageResult", "SourcePage", "extract_pages"]


@dataclass(frozen=True)
class SourcePage:
    name: str  # as the user gave it
    html: bytes | None  # None when the source could not be read
    saved_at: str  # UTC ISO 8601
    error: str | None = None  # why it could not be read


@dataclass
class PageResult:
    name: str
    article: ArticleItem | None  # None when the source could not be read
    reason: str | None  # why there is no article, or None
    dropped: list[DroppedParagraph] = field(default_factory=list)


def _extract_all(sources: list[SourcePage], config: NewscrawlConfig) -> list[Extraction | None]:
    """Extract every readable source, in worker processes when configured (and
    when there is more than one page to share out)."""
    readable = [s.html for s in sources if s.html is not None]
    workers = min(config.worker_count, len(readable))
    if workers <= 1:
        return [None if s.html is None else extract_article(s.html) for s in sources]
    pool = ExtractionPool(workers, config.extract_timeout, config.worker_memory_mb)
    try:
        futures = [None if s.html is None else pool.submit(s.html, None) for s in sources]
        return [None if f is None else ExtractionPool.outcome(f).extraction for f in futures]
    finally:
        pool.stop()


def extract_pages(
    sources: Iterable[SourcePage], config: NewscrawlConfig, clean: bool = True
) -> list[PageResult]:
    """Extract (and unless `clean` is False, clean) every source, in order."""
    results: list[PageResult] = []
    sites = SiteModel()
    sources = list(sources)
    for source, extraction in zip(sources, _extract_all(sources, config), strict=True):
        if source.html is None or extraction is None:
            results.append(PageResult(source.name, None, source.error or "unreadable"))
            continue
        article = build_article(extraction, None, source.saved_at)
        if extraction.failure is None and article.site and article.canonical_url:
            sites.observe(article.site, article.canonical_url, raw_fingerprints(article))
        results.append(PageResult(source.name, article, extraction.failure))
    if not clean:
        return results
    cleaner = config.make_cleaner()
    for result in results:
        page = result.article
        if page is None or result.reason is not None:
            continue
        boilerplate = (
            sites.boilerplate(page.site, among=raw_fingerprints(page)) if page.site else frozenset()
        )
        result.dropped = clean_article_explained(page, cleaner, boilerplate).dropped
        result.reason = drop_reason(page, config.min_words)
    return results
