"""Extracting stored articles again from their archived pages: `newscrawl reextract`.

After a better trafilatura or a new extraction rule, the stored rows can be made
as the crawl would make them now, without the network: each row's page is read
from the WARC archive (where `archive_record` says, or, for a row without one,
the latest 2xx response for its URL found in the folder's files), read by the
crawl's own page worker (one parse: the body decoded by its Content-Type,
extracted and cleaned by the page's rules; newscrawl/pageworker.py) with the
same hints (its site, the sitemap's date and title), cleaned of its site's
boilerplate, and written back only if a field changed (its version then goes
up). A row keeps its key, its site and its fetch times whatever the page says
now; a row whose page is missing, or no longer gives an article, is kept as it
is and counted. The run's sites are then
cleaned again against their final site model, as at the end of a crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscrawl.archive import ArchivedPage, ArchiveError, archived_page, scan_archive
from newscrawl.article import apply_cleaning, build_article, drop_reason
from newscrawl.batch import read_articles
from newscrawl.cleaning.cleaner import without_site_boilerplate
from newscrawl.cleaning.fragments import PatternTimeouts
from newscrawl.config import NewscrawlConfig
from newscrawl.frontier import Frontier
from newscrawl.hosts import site_key
from newscrawl.readings import NO_TEXT, PageReading
from newscrawl.reclean import reclean, warn_of_timeouts
from newscrawl.storage import RECLEAN_COMMIT_EVERY, ArticleStore, StoredPage
from newscrawl.workers import ExtractionPool, WorkersFailed

__all__ = ["ReextractReport", "reextract"]

logger = logging.getLogger(__name__)

# Pages handed to the workers at once: enough to keep every worker busy.
CHUNK = 64


@dataclass
class ReextractReport:
    articles: int = 0  # rows looked at
    changed: int = 0  # rows written again
    not_archived: int = 0  # no archived page for the row
    no_article: int = 0  # the page no longer gives an article (the row is kept)
    unreadable: list[str] = field(default_factory=list)  # "url: why"
    # Pages on which a user's fragment pattern ran out of time (their paragraphs
    # kept), and a line per site and pattern to warn of it.
    timeouts: PatternTimeouts = field(default_factory=PatternTimeouts)
    timeout_warnings: list[str] = field(default_factory=list)


class _Locator:
    """Where a row's page is: its own record, else the folder's latest 2xx
    response for its URL (the folder read once, when first needed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.index: dict[str, str] | None = None

    def page(self, row: StoredPage) -> tuple[ArchivedPage, str] | None:
        if row.archive_record:
            page = archived_page(self.folder, row.archive_record)
            if page is not None and page.url == row.url:
                return page, row.archive_record
        if self.index is None:
            self.index = scan_archive(self.folder)
        for url in (row.url, row.canonical_url):
            location = self.index.get(url)
            if location is not None:
                page = archived_page(self.folder, location)
                if page is not None:
                    return page, location
        return None


def _content_type(page: ArchivedPage) -> str | None:
    """The page's Content-Type as the crawl had it (its charset decodes the body)."""
    return next((value for name, value in page.headers if name.lower() == "content-type"), None)


def reextract(
    store: ArticleStore,
    folder: Path,
    config: NewscrawlConfig,
    sites: Iterable[str] | None = None,
) -> ReextractReport:
    """Extract the stored articles of `sites` (all when None) again from the pages
    archived in `folder`, with `config`'s rules and workers; see the module's
    docstring."""
    report = ReextractReport()
    locator = _Locator(folder)
    frontier = Frontier(store)
    workers = config.worker_count
    # One worker is a worker too: only a worker bounds a page's time and memory
    # (`--workers 0` reads in this process).
    pool = (
        ExtractionPool(workers, config.extract_timeout, config.worker_memory_mb)
        if workers >= 1
        else None
    )
    todo = sorted(sites) if sites is not None else store.sites()
    try:
        for site in todo:
            boilerplate = store.site_boilerplate(site)
            patterns = (*config.fragment_patterns, *config.site_fragment_patterns.get(site, ()))
            for chunk in _chunks(store.stored_pages(site), CHUNK):
                found = [(row, page) for row in chunk if (page := _locate(locator, row, report))]
                readings = read_articles(
                    [(page.body, row.url, _content_type(page)) for row, (page, _) in found],
                    pool, patterns, config.min_words,
                )  # fmt: skip
                for (row, (_, location)), reading in zip(found, readings, strict=True):
                    _store_again(store, frontier, row, location, reading, config.min_words,
                                 boilerplate, report)  # fmt: skip
                if store.pending >= RECLEAN_COMMIT_EVERY:
                    store.commit()
                if pool is not None:
                    try:
                        pool.check()
                    except WorkersFailed:
                        store.commit()  # what was read before the pool failed is kept
                        raise
            store.commit()
    finally:
        if pool is not None:
            pool.stop()
    # As at the end of a crawl: clean against the site models as they now are.
    reclean(store, config.cleaners(), todo, stale_only=True,
            timed_out=warn_of_timeouts(report.timeouts, report.timeout_warnings.append))  # fmt: skip
    return report


def _locate(
    locator: _Locator, row: StoredPage, report: ReextractReport
) -> tuple[ArchivedPage, str] | None:
    report.articles += 1
    try:
        found = locator.page(row)
    except ArchiveError as exc:
        report.unreadable.append(f"{row.url}: {exc}")
        return None
    if found is None:
        report.not_archived += 1
    return found


def _store_again(
    store: ArticleStore,
    frontier: Frontier,
    row: StoredPage,
    location: str,
    reading: PageReading,
    min_words: int,
    boilerplate: frozenset[str],
    report: ReextractReport,
) -> None:
    facts = reading.article
    if facts is None:
        logger.info("no article at %s now: %s", row.url, reading.failure or NO_TEXT)
        report.no_article += 1
        return
    report.timeout_warnings.extend(report.timeouts.add(row.site, row.url, facts.timed_out))
    published, title = frontier.discovery_hints(row.url)
    # What the crawl knew of the page: its site, where its canonical URL may point
    # (the row's own key was accepted then), the sitemap's or feed's date and title.
    hints: dict[str, Any] = {
        "site": row.site,
        "site_keys": sorted({site_key(row.url), site_key(row.canonical_url)}),
        "published": published,
        "title": title,
    }
    article = build_article(
        facts.extraction, row.url, row.fetched_at, {k: v for k, v in hints.items() if v}
    )
    article.canonical_url = row.canonical_url  # a row is re-made, never moved
    # The site's part of cleaning, on what the page's rules kept (as `extract` does).
    cleaning = without_site_boilerplate(
        facts.page_cleaning(), facts.kept_fingerprints, boilerplate, min_words
    )
    apply_cleaning(article, cleaning, boilerplate)
    if drop_reason(article, min_words):
        report.no_article += 1
        return
    if store.update_extracted(row.canonical_url, article, location):
        report.changed += 1


def _chunks(rows: Iterator[StoredPage], size: int) -> Iterator[list[StoredPage]]:
    chunk: list[StoredPage] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
