"""Extract and clean many saved pages at once: `newscrawl extract` and `newscrawl eval`.

Two passes: every page is read first (extracted and cleaned by its own rules, in
the workers, as a crawl reads it) and the site boilerplate model learns from all
of them; then each page loses its site's boilerplate against the whole model. A
page's result therefore does not depend on which files came before it.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from newscrawl.article import apply_cleaning, build_article, drop_reason
from newscrawl.cleaning import DroppedParagraph
from newscrawl.cleaning.cleaner import without_site_boilerplate
from newscrawl.cleaning.siteboiler import SiteModel
from newscrawl.config import NewscrawlConfig
from newscrawl.items import ArticleItem
from newscrawl.pageworker import read_page
from newscrawl.readings import NO_TEXT, ArticleFacts, Extraction, PageReading
from newscrawl.workers import TASK_FAILURES, ExtractionPool, failure_of, page_in_worker

__all__ = ["PageResult", "SourcePage", "extract_pages", "read_articles"]


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
    """A pool of workers when configured (one page, or one worker, too: only a
    worker bounds a page's time and memory, and a page whose JSON-LD sends
    trafilatura's author search into quadratic time kept `newscrawl extract`
    busy for minutes); None to work in this process (`--workers 0`)."""
    readable = sum(1 for s in sources if s.html is not None)
    workers = min(config.worker_count, readable)
    if workers < 1:
        return None
    return ExtractionPool(workers, config.extract_timeout, config.worker_memory_mb)


class _ReadOptions(TypedDict):
    declared_article: bool
    read_links: bool
    fragment_patterns: tuple[str, ...]
    min_words: int


def read_articles(
    pages: Sequence[tuple[bytes, str | None, str | None]],
    pool: ExtractionPool | None,
    fragment_patterns: tuple[str, ...],
    min_words: int,
) -> list[PageReading]:
    """Read every page (its body, the address it came from, its Content-Type) as an
    article, in the pool's workers if there is a pool: extraction and the page's
    own cleaning rules, one task a page (the same worker function as a crawl's;
    newscrawl/pageworker.py). Also `newscrawl reextract`'s reading."""
    options = _ReadOptions(
        declared_article=True, read_links=False,
        fragment_patterns=fragment_patterns, min_words=min_words,
    )  # fmt: skip
    if pool is None:
        return [read_page(body, url, kind, **options) for body, url, kind in pages]
    futures = [pool.call(page_in_worker, body, url, kind, **options) for body, url, kind in pages]
    return [_outcome(f) for f in futures]


def _read_all(
    sources: list[SourcePage], pool: ExtractionPool | None, config: NewscrawlConfig
) -> list[PageReading | None]:
    """Read every readable source; None for the others."""
    readable = [(s.html, s.url, None) for s in sources if s.html is not None]
    readings = iter(read_articles(readable, pool, config.fragment_patterns, config.min_words))
    return [None if s.html is None else next(readings) for s in sources]


def _outcome(future: concurrent.futures.Future[PageReading]) -> PageReading:
    try:
        return future.result()
    except TASK_FAILURES as exc:
        return PageReading(failure=failure_of(exc))


def extract_pages(
    sources: Iterable[SourcePage], config: NewscrawlConfig, clean: bool = True
) -> list[PageResult]:
    """Extract (and unless `clean` is False, clean) every source, in order.
    WorkersFailed if the workers died or stopped answering on the way."""
    sources = list(sources)
    pool = _start_pool(sources, config)
    try:
        readings = _read_all(sources, pool, config)
        if pool is not None:
            pool.check()  # pages that failed with the pool did not fail on their own
    finally:
        if pool is not None:
            pool.stop()
    return _results(sources, readings, config, clean)


def _results(
    sources: list[SourcePage],
    readings: list[PageReading | None],
    config: NewscrawlConfig,
    clean: bool,
) -> list[PageResult]:
    """Every page's result: the site model learns from all pages first, then each
    page loses its site's boilerplate (a set lookup) from what its rules kept."""
    results: list[PageResult] = []
    todo: list[tuple[PageResult, ArticleFacts]] = []
    sites = SiteModel()
    for source, reading in zip(sources, readings, strict=True):
        if source.html is None or reading is None:
            results.append(PageResult(source.name, None, source.error or "unreadable"))
            continue
        facts = reading.article
        if facts is None:
            empty = build_article(Extraction(), source.url, source.saved_at)
            results.append(PageResult(source.name, empty, reading.failure or NO_TEXT))
            continue
        article = build_article(facts.extraction, source.url, source.saved_at)
        if article.site and article.canonical_url:
            sites.observe(article.site, article.canonical_url, facts.raw_fingerprints)
        result = PageResult(source.name, article, None)
        results.append(result)
        todo.append((result, facts))
    if not clean:
        return results
    for result, facts in todo:
        page = result.article
        assert page is not None
        boilerplate = (
            sites.boilerplate(page.site, among=facts.raw_fingerprints) if page.site else frozenset()
        )
        cleaning = without_site_boilerplate(
            facts.page_cleaning(), facts.kept_fingerprints, boilerplate, config.min_words
        )
        apply_cleaning(page, cleaning, boilerplate)
        result.dropped = cleaning.dropped
        result.reason = drop_reason(page, config.min_words)
    return results
