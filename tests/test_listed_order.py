"""A site's budget goes to the newest of the articles its sitemap lists, in
whichever order the sitemap lists them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.demo.server import QuietHandler

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
