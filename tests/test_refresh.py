"""When a sitemap's lastmod says a stored article changed (newscrawl/refresh.py)."""

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newscrawl.demo.server import QuietHandler
from newscrawl.refresh import listed_as_changed

from .conftest import FAST, run, serving
from .gatedsite import article

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FETCHED = NOW - timedelta(days=1)


def test_a_lastmod_after_the_last_fetch_is_a_change():
    assert listed_as_changed(NOW - timedelta(hours=1), FETCHED, NOW)
    assert not listed_as_changed(FETCHED, FETCHED, NOW)
    assert not listed_as_changed(FETCHED - timedelta(days=3), FETCHED, NOW)


def test_without_a_lastmod_or_a_fetch_time_nothing_changed():
    assert not listed_as_changed(None, FETCHED, NOW)
    assert not listed_as_changed(NOW, None, NOW)


def test_a_lastmod_in_the_future_is_no_change_until_its_time_comes():
    """9999-12-31 had the article fetched again on every run, for ever (found by a
    hostile-site session)."""
    future = NOW + timedelta(hours=3)
    assert not listed_as_changed(future, FETCHED, NOW)
    assert not listed_as_changed(datetime(9999, 12, 31, tzinfo=UTC), FETCHED, NOW)
    assert listed_as_changed(future, FETCHED, future + timedelta(minutes=1))


def test_a_fetch_time_in_the_future_hides_no_change():
    """Stamped by a clock that ran ahead, then put right: compared as it stood,
    every lastmod before it was "no change", and the article's updates were lost
    until that date came."""
    ahead = NOW + timedelta(days=365)
    assert listed_as_changed(NOW - timedelta(hours=1), ahead, NOW)
    assert not listed_as_changed(NOW + timedelta(hours=1), ahead, NOW)  # still no change yet


class _ChangingSite(QuietHandler):
    """A sitemap of one article changed an hour ago; `edition` is its text's."""

    edition = 1

    def do_GET(self) -> None:
        page = "/report-7-harbour-committee-meets.html"
        if self.path == "/sitemap.xml":
            lastmod = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            host = self.headers["Host"]
            self.send_page(
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>http://{host}{page}</loc><lastmod>{lastmod}</lastmod></url>"
                "</urlset>".encode(),
                "application/xml",
            )
        elif self.path == page:
            self.send_page(article(7 + 1000 * (_ChangingSite.edition - 1)))
        else:
            self.send_error(404)


def test_an_article_stored_by_a_clock_that_ran_ahead_is_refreshed_when_its_sitemap_says_so(
    tmp_path: Path,
):
    db = tmp_path / "a.sqlite"
    with serving(_ChangingSite) as base:
        command = ("newscrawl", "crawl", "--sitemap", f"{base}/sitemap.xml", "--db", str(db),
                   "--workers", "0", *FAST)  # fmt: skip
        _ChangingSite.edition = 1
        first = run(*command)
        assert first.returncode == 0, first.stderr.decode()
        # The host's clock ran a year ahead during that run, and was put right since.
        ahead = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with sqlite3.connect(db) as connection:
            connection.execute("UPDATE urls SET fetched_at = ?", (ahead,))
            connection.execute("UPDATE articles SET fetched_at = ?", (ahead,))
        _ChangingSite.edition = 2  # the site changed it an hour ago, as its sitemap says
        second = run(*command)
    assert second.returncode == 0, second.stderr.decode()
    with sqlite3.connect(db) as connection:
        title, version, fetched = connection.execute(
            "SELECT title, version, fetched_at FROM articles"
        ).fetchone()
    assert (title, version) == ("Harbour report 1007", 2)
    assert fetched < ahead  # a true fetch time now


class _BuildTimeSitemap(QuietHandler):
    """A sitemap oldest first whose every lastmod is the time it was built (as many
    CMSs write it), of `listed` articles."""

    listed = 0

    def do_GET(self) -> None:
        if self.path == "/sitemap.xml":
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            host = self.headers["Host"]
            entries = "".join(
                f"<url><loc>http://{host}/report-{n}.html</loc><lastmod>{now}</lastmod></url>"
                for n in range(1, _BuildTimeSitemap.listed + 1)
            )
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
            self.send_page(body.encode(), "application/xml")
        elif self.path.startswith("/report-"):
            self.send_page(article(int(self.path[len("/report-") : -len(".html")])))
        else:
            self.send_error(404)


def test_a_sitemap_s_new_articles_come_before_stored_ones_it_lists_as_changed(tmp_path: Path):
    """With every lastmod "now", each stored article reads as changed; listed
    oldest first, they took the site's whole budget, and the new ones at the end
    of the list were left for a next run that did the same."""
    db = tmp_path / "a.sqlite"
    with serving(_BuildTimeSitemap) as base:
        command = ("newscrawl", "crawl", "--sitemap", f"{base}/sitemap.xml", "--db", str(db),
                   "--workers", "0", *FAST)  # fmt: skip
        _BuildTimeSitemap.listed = 8
        first = run(*command)
        assert first.returncode == 0, first.stderr.decode()
        _BuildTimeSitemap.listed = 12  # four new articles, at the end
        second = run(*command, "-s", "NEWSCRAWL_MAX_PAGES_PER_SITE=6")
    with sqlite3.connect(db) as connection:
        stored = {
            url.rsplit("/", 1)[1] for (url,) in connection.execute("SELECT url FROM articles")
        }
    assert {f"report-{n}.html" for n in range(9, 13)} <= stored, second.stderr.decode()
