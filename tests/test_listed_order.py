"""A site's budget goes to the newest of the articles its sitemap lists, in
whichever order the sitemap lists them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.demo.server import QuietHandler
from newscrawl.discovery import Entry
from newscrawl.spiders.news import _child_time

from .conftest import FAST, run, serving
from .gatedsite import article

LISTED = 20
BUDGET = 6  # the sitemap and five articles


def _site(newest_first: bool) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            if self.path == "/sitemap.xml":
                now, host = datetime.now(UTC), self.headers["Host"]
                numbers = range(LISTED, 0, -1) if newest_first else range(1, LISTED + 1)
                entries = "".join(
                    f"<url><loc>http://{host}/report-{n}.html</loc><lastmod>"
                    f"{(now - timedelta(hours=LISTED - n)).strftime('%Y-%m-%dT%H:%M:%SZ')}"
                    "</lastmod></url>"
                    for n in numbers  # report-20 is the newest
                )
                body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
                return self.send_page(body.encode(), "application/xml")
            if self.path.startswith("/report-"):
                return self.send_page(article(int(self.path[len("/report-") : -len(".html")])))
            return self.send_error(404)

    return Handler


@pytest.mark.parametrize("newest_first", [True, False], ids=["newest first", "oldest first"])
def test_a_budget_smaller_than_the_sitemap_goes_to_its_newest_articles(
    newest_first: bool, tmp_path: Path
) -> None:
    """Scrapy's scheduler sends the last request of a priority first: a budget of
    five went to the 10th to 14th newest of twenty, the newest five left."""
    db = tmp_path / "a.sqlite"
    with serving(_site(newest_first)) as base:
        result = run("newscrawl", "crawl", "--sitemap", f"{base}/sitemap.xml", "--db", str(db),
                     *FAST, "-s", f"NEWSCRAWL_MAX_PAGES_PER_SITE={BUDGET}")  # fmt: skip
    assert result.returncode == 1, result.stderr.decode()  # URLs left for the next run
    with sqlite3.connect(db) as connection:
        stored = {
            url.rsplit("/", 1)[1] for (url,) in connection.execute("SELECT url FROM articles")
        }
    newest = {f"report-{n}.html" for n in range(LISTED - BUDGET + 2, LISTED + 1)}
    assert stored == newest, result.stderr.decode()


CHILDREN = 3  # child sitemaps of the index, one a day
PER_CHILD = 4  # articles each


def _child_path(c: int, by_month: bool) -> str:
    return f"/news-2026-{c:02}.xml" if by_month else f"/day-{c}.xml"


def _indexed_site(
    newest_first: bool, asked: list[str], by_month: bool = False
) -> type[QuietHandler]:
    """A sitemap index of CHILDREN sitemaps, child 3 the newest (its lastmod and its
    articles' the latest), listed in the order asked for; `by_month`, named by
    their months and with no lastmod."""

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            now, host = datetime.now(UTC), self.headers["Host"]

            def stamp(hours: int) -> str:
                return (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")

            if self.path == "/sitemap.xml":
                numbers = range(CHILDREN, 0, -1) if newest_first else range(1, CHILDREN + 1)
                children = "".join(
                    f"<sitemap><loc>http://{host}{_child_path(c, by_month)}</loc>"
                    + ("" if by_month else f"<lastmod>{stamp(24 * (CHILDREN - c))}</lastmod>")
                    + "</sitemap>"
                    for c in numbers
                )
                body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{children}</sitemapindex>'
                return self.send_page(body.encode(), "application/xml")
            if self.path.startswith(("/day-", "/news-2026-")):
                c = int(self.path.removesuffix(".xml").rsplit("-", 1)[1])
                entries = "".join(
                    f"<url><loc>http://{host}/report-{c * 10 + n}.html</loc>"
                    f"<lastmod>{stamp(24 * (CHILDREN - c) + PER_CHILD - n)}</lastmod></url>"
                    for n in range(1, PER_CHILD + 1)
                )
                body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
                return self.send_page(body.encode(), "application/xml")
            if self.path.startswith("/report-"):
                return self.send_page(article(int(self.path[len("/report-") : -len(".html")])))
            return self.send_error(404)

    return Handler


@pytest.mark.parametrize(
    ("newest_first", "by_month"),
    [(True, False), (False, False), (False, True)],
    ids=["newest first", "oldest first", "oldest first, by month without lastmod"],
)
def test_a_budget_goes_to_the_newest_sitemap_an_index_lists(
    newest_first: bool, by_month: bool, tmp_path: Path
) -> None:
    """A sitemap index lists its children by day or by number, often oldest first
    (post-sitemap1.xml holds the first posts). Its children were read in the order
    listed, and the first one read took the budget: an oldest-first index spent it
    on its oldest articles, the newest left for a next run that did the same. An
    index that states no lastmod (WordPress's own) names its sitemaps' months."""
    db = tmp_path / "a.sqlite"
    budget = 1 + CHILDREN + PER_CHILD  # the index, its children, one child's articles
    asked: list[str] = []
    # One request at a time and one worker: the children are read in the order sent.
    with serving(_indexed_site(newest_first, asked, by_month)) as base:
        result = run("newscrawl", "crawl", "--sitemap", f"{base}/sitemap.xml", "--db", str(db),
                     *FAST, "-s", f"NEWSCRAWL_MAX_PAGES_PER_SITE={budget}",
                     "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "NEWSCRAWL_WORKERS=1")  # fmt: skip
    assert result.returncode == 1, result.stderr.decode()  # URLs left for the next run
    children = [path for path in asked if path.endswith(".xml") and path != "/sitemap.xml"]
    assert children == [_child_path(c, by_month) for c in range(CHILDREN, 0, -1)]
    with sqlite3.connect(db) as connection:
        stored = {
            url.rsplit("/", 1)[1] for (url,) in connection.execute("SELECT url FROM articles")
        }
    newest = {f"report-{CHILDREN * 10 + n}.html" for n in range(1, PER_CHILD + 1)}
    assert stored == newest, result.stderr.decode()


def test_an_index_sitemap_named_by_no_date_is_read_before_those_named_by_months() -> None:
    """Without lastmods, the names order an index's sitemaps: the latest month
    first, but after one whose name has no date (a current news sitemap may be
    newer than any month's); a number alone is no date, its order kept."""
    listed = ["s-2026-09.xml", "news.xml", "s-2026-11.xml", "post-sitemap1.xml", "s-202610.xml"]
    entries = [Entry(f"http://example.test/{name}") for name in listed]
    ordered = sorted(entries, key=_child_time, reverse=True)
    assert [entry.url.rsplit("/", 1)[1] for entry in ordered] == [
        "news.xml", "post-sitemap1.xml", "s-2026-11.xml", "s-202610.xml", "s-2026-09.xml",
    ]  # fmt: skip
