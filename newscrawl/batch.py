"""Extract and clean many saved pages at once: `newscrawl extract` and `newscrawl eval`.

Two passes: every page is extracted first and the site boilerplate model learns
from all of them; then each page is cleaned against the whole model. A page's
result therefore does not depend on which files came before it. With workers,
both passes run in them, so that the second does not leave all but one core idle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from newscrawl.article import apply_cleaning, build_article, drop_reason, raw_fingerprints
from newscrawl.cleaning import CleaningResult, DroppedParagraph, TextCleaner
from newscrawl.cleaning.siteboiler import SiteModel
from newscrawl.config import NewscrawlConfig
from newscrawl.extract import Extraction, extract_article
from newscrawl.items import ArticleItem
from newscrawl.workers import TASK_FAILURES, ExtractionPool

__all__ = ["PageResult", "SourcePage", "extract_pages"]


@dataclass(frozen=True)
class SourcePage:
    name: str  # as the user gave it
    html: bytes | None  # None when the source could not be read
    saved_at: str  # UTC ISO 8601
    error: str | None = None  # why it could not be read
    url: str | None = None  # the page's original address, when known (`extract --url`)


@dataclass
class PageResult:
    name: str
    article: ArticleItem | None  # None when the source could not be read
    reason: str | None  # why there is no article, or None
    dropped: list[DroppedParagraph] = field(default_factory=list)


def _start_pool(sources: list[SourcePage], config: NewscrawlConfig) -> ExtractionPool | None:
    """A pool of workers when configured, and when there is more than one page to
    share out; None to work in this process."""
    readable = sum(1 for s in sources if s.html is not None)
    workers = min(config.worker_count, readable)
    if workers <= 1:
        return None
    return ExtractionPool(workers, config.extract_timeout, config.worker_memory_mb)


def _extract_all(sources: list[SourcePage], pool: ExtractionPool | None) -> list[Extraction | None]:
    """Extract every readable source, in the pool's workers if there is a pool."""
    if pool is None:
        return [None if s.html is None else extract_article(s.html, s.url) for s in sources]
    futures = [None if s.html is None else pool.submit(s.html, s.url) for s in sources]
    return [None if f is None else ExtractionPool.outcome(f).extraction for f in futures]


def _clean_all(
    pages: list[ArticleItem],
    boilerplates: list[frozenset[str]],
    cleaner: TextCleaner,
    pool: ExtractionPool | None,
) -> list[CleaningResult]:
    """Clean every page against its site boilerplate, in the pool's workers if there
    is a pool: cleaning takes about a tenth of extraction's time, and done in this
    process after all pages are extracted, it would leave the other cores idle. A
    page whose worker fails is cleaned here (the result is the same)."""

    def here(page: ArticleItem, boilerplate: frozenset[str]) -> CleaningResult:
        return cleaner.clean_text(page.raw_text, page.title, page.anchor_texts, boilerplate)

    if pool is None:
        return [here(page, bp) for page, bp in zip(pages, boilerplates, strict=True)]
    futures = [
        pool.submit_cleaning(cleaner, page.raw_text, page.title, page.anchor_texts, bp)
        for page, bp in zip(pages, boilerplates, strict=True)
    ]
    results = []
    for page, boilerplate, future in zip(pages, boilerplates, futures, strict=True):
        try:
            results.append(future.result())
        except TASK_FAILURES:
            results.append(here(page, boilerplate))
    return results


def extract_pages(
    sources: Iterable[SourcePage], config: NewscrawlConfig, clean: bool = True
) -> list[PageResult]:
    """Extract (and unless `clean` is False, clean) every source, in order."""
    sources = list(sources)
    pool = _start_pool(sources, config)
    try:
        return _extract_pages(sources, config, clean, pool)
    finally:
        if pool is not None:
            pool.stop()


def _extract_pages(
    sources: list[SourcePage], config: NewscrawlConfig, clean: bool, pool: ExtractionPool | None
) -> list[PageResult]:
    results: list[PageResult] = []
    prints: list[set[str]] = []  # each result's paragraph fingerprints, for both passes
    sites = SiteModel()
    for source, extraction in zip(sources, _extract_all(sources, pool), strict=True):
        if source.html is None or extraction is None:
            results.append(PageResult(source.name, None, source.error or "unreadable"))
            prints.append(set())
            continue
        article = build_article(extraction, source.url, source.saved_at)
        fingerprints = raw_fingerprints(article)
        if extraction.failure is None and article.site and article.canonical_url:
            sites.observe(article.site, article.canonical_url, fingerprints)
        results.append(PageResult(source.name, article, extraction.failure))
        prints.append(fingerprints)
    if not clean:
        return results
    todo = [
        (result, result.article, fingerprints)
        for result, fingerprints in zip(results, prints, strict=True)
        if result.article is not None and result.reason is None
    ]
    pages = [page for _, page, _ in todo]
    boilerplates = [
        sites.boilerplate(page.site, among=fingerprints) if page.site else frozenset()
        for _, page, fingerprints in todo
    ]
    cleaned = _clean_all(pages, boilerplates, config.make_cleaner(), pool)
    for (result, page, _), boilerplate, cleaning in zip(todo, boilerplates, cleaned, strict=True):
        apply_cleaning(page, cleaning, boilerplate)
        result.dropped = cleaning.dropped
        result.reason = drop_reason(page, config.min_words)
    return results
