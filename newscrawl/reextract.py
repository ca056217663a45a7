"""Extracting stored articles again from their archived pages: `newscrawl reextract`.

After a better trafilatura or a new extraction rule, the stored rows can be made
as the crawl would make them now, without the network: each row's page is read
from the WARC archive (where `archive_record` says, or, for a row without one,
the latest 2xx response for its URL found in the folder's files), decoded as the
crawl decoded it, extracted with the same hints (its site, the sitemap's date
and title), cleaned against its site's boilerplate, and written back only if a
field changed (its version then goes up). A row keeps its key, its site and
its fetch times whatever the page says now; a row whose page is missing, or no
longer gives an article, is kept as it is and counted. The run's sites are then
cleaned again against their final site model, as at the end of a crawl.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse
from scrapy.http.headers import Headers
from scrapy.responsetypes import responsetypes

from newscrawl.archive import ArchivedPage, ArchiveError, read_page, scan_archive
from newscrawl.article import build_article, clean_article
from newscrawl.cleaning import TextCleaner
from newscrawl.extract import Extraction, extract_article
from newscrawl.frontier import Frontier
from newscrawl.hosts import site_key
from newscrawl.reclean import reclean
from newscrawl.spiders._base import page_text
from newscrawl.storage import RECLEAN_COMMIT_EVERY, ArticleStore, StoredPage
from newscrawl.workers import ExtractionPool

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


class _Locator:
    """Where a row's page is: its own record, else the folder's latest 2xx
    response for its URL (the folder read once, when first needed)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.index: dict[str, str] | None = None

    def page(self, row: StoredPage) -> tuple[ArchivedPage, str] | None:
        if row.archive_record:
            page = read_page(self.folder, row.archive_record)
            if page is not None and page.url == row.url:
                return page, row.archive_record
        if self.index is None:
            self.index = scan_archive(self.folder)
        for url in (row.url, row.canonical_url):
            location = self.index.get(url)
            if location is not None:
                page = read_page(self.folder, location)
                if page is not None:
                    return page, location
        return None


def _html(page: ArchivedPage) -> str | None:
    """The page's text as the crawl read it, or None if it is not HTML."""
    headers = Headers(page.headers)
    cls = responsetypes.from_args(headers=headers, url=page.url, body=page.body)
    if not issubclass(cls, HtmlResponse):
        return None
    response = HtmlResponse(url=page.url, status=page.status, headers=headers, body=page.body)
    return page_text(response)


def reextract(
    store: ArticleStore,
    folder: Path,
    cleaner_for: Callable[[str | None], TextCleaner],
    min_words: int,
    sites: Iterable[str] | None = None,
    workers: int = 0,
    extract_timeout: float = 8.0,
) -> ReextractReport:
    """Extract the stored articles of `sites` (all when None) again from the pages
    archived in `folder`; see the module's docstring."""
    report = ReextractReport()
    locator = _Locator(folder)
    frontier = Frontier(store)
    pool = ExtractionPool(workers, extract_timeout) if workers > 0 else None
    todo = sorted(sites) if sites is not None else store.sites()
    try:
        for site in todo:
            boilerplate = store.site_boilerplate(site)
            cleaner = cleaner_for(site)
            for chunk in _chunks(store.stored_pages(site), CHUNK):
                pages = []
                for row in chunk:
                    report.articles += 1
                    found = _locate(locator, row, report)
                    if found is not None:
                        pages.append((row, *found))
                for (row, html, location), extraction in zip(
                    pages, _extract_all([(h, r.url) for r, h, _ in pages], pool), strict=True
                ):
                    _store_again(store, frontier, row, html, location, extraction,
                                 cleaner, min_words, boilerplate, report)  # fmt: skip
                if store.pending >= RECLEAN_COMMIT_EVERY:
                    store.commit()
            store.commit()
    finally:
        if pool is not None:
            pool.stop()
    # As at the end of a crawl: clean against the site models as they now are.
    reclean(store, cleaner_for, todo, stale_only=True)
    return report


def _locate(locator: _Locator, row: StoredPage, report: ReextractReport) -> tuple[str, str] | None:
    try:
        found = locator.page(row)
    except ArchiveError as exc:
        report.unreadable.append(f"{row.url}: {exc}")
        return None
    if found is None:
        report.not_archived += 1
        return None
    page, location = found
    html = _html(page)
    if html is None:
        report.unreadable.append(f"{row.url}: not an HTML page in the archive")
        return None
    return html, location


def _extract_all(pages: list[tuple[str, str]], pool: ExtractionPool | None) -> list[Extraction]:
    if pool is None:
        return [extract_article(html, url) for html, url in pages]
    futures = [pool.submit(html, url) for html, url in pages]
    return [ExtractionPool.outcome(future).extraction for future in futures]


def _store_again(
    store: ArticleStore,
    frontier: Frontier,
    row: StoredPage,
    html: str,
    location: str,
    extraction: Extraction,
    cleaner: TextCleaner,
    min_words: int,
    boilerplate: frozenset[str],
    report: ReextractReport,
) -> None:
    if extraction.failure:
        report.no_article += 1
        return
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
        extraction, row.url, row.fetched_at, {k: v for k, v in hints.items() if v}
    )
    article.canonical_url = row.canonical_url  # a row is re-made, never moved
    if clean_article(article, cleaner, min_words, boilerplate):
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
