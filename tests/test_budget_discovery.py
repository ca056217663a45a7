"""The page budget and discovery across runs: sitemaps and feeds a budget had no
room for are read by a later run, and a listed address that is no HTML page is
settled, not fetched again every run. Real crawls (`newscrawl crawl`) of a folder
served on 127.0.0.1, with a real SQLite store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .conftest import FAST, FolderSite, run
from .discovery_site import article_page, hub_page

URLSET = '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return list(connection.execute(sql).fetchall())


def _story(root: Path, slug: str) -> None:
    (root / "news" / f"{slug}.html").write_text(
        article_page(f"Harbour council story {slug} on the new ferry pier", None), "utf-8"
    )


def test_a_listed_pdf_is_skipped_and_not_fetched_again(tmp_path: Path) -> None:
    """Found by an attack (F5): a sitemap entry that is a PDF stayed pending with no
    attempt counted, fetched (and charged to the budget) on every run. The README:
    a listed page that gave no article is `skipped`."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    site = FolderSite(root)
    try:
        _story(root, "story")
        (root / "news" / "report.pdf").write_bytes(b"%PDF-1.4\n% a report\n%%EOF\n")
        (root / "index.html").write_text(hub_page("Home", []), "utf-8")
        (root / "sitemap.xml").write_text(
            f"{URLSET}<url><loc>{site.url}news/story.html</loc></url>"
            f"<url><loc>{site.url}news/report.pdf</loc></url></urlset>",
            "utf-8",
        )
        (root / "robots.txt").write_text(f"User-agent: *\nSitemap: {site.url}sitemap.xml\n")
        db = tmp_path / "news.sqlite"
        for _ in range(2):
            result = run("newscrawl", "crawl", site.url, "--db", str(db), *FAST)
            assert result.returncode == 0, result.stderr.decode()
        assert site.hits.count("/news/report.pdf") == 1, site.hits
        state = _rows(db, "SELECT state, last_error FROM urls WHERE url LIKE '%report.pdf'")
        assert state == [("skipped", "not_html")], state
    finally:
        site.close()
