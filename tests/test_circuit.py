"""A site that fails again and again is dropped for the run, not hammered."""

from collections.abc import Iterator

import pytest

from newscrawl.demo.server import QuietHandler

from .conftest import FAST, run
from .loopback import serve, stop

PAGES = 100


class Failing(QuietHandler):
    """A news sitemap of PAGES articles, each of which answers 500."""

    hits: list[str] = []  # noqa: RUF012 - one list per test, set by the fixture
    pages = PAGES

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        if self.path == "/sitemap.xml":
            entries = "".join(
                f"<url><loc>http://{self.headers['Host']}/news/{n}.html</loc><news:news>"
                "<news:publication_date>2026-11-20</news:publication_date></news:news></url>"
                for n in range(self.pages)
            )
            self.send_page(
                b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
                + entries.encode() + b"</urlset>",
                "application/xml",
            )  # fmt: skip
            return
        self.send_error(404 if self.path == "/robots.txt" else 500)


@pytest.fixture()
def failing() -> Iterator[str]:
    handler = type("Handler", (Failing,), {"hits": []})
    server, url = serve(handler)
    yield url, handler
    stop(server)


def test_a_site_failing_in_a_row_gets_no_more_requests(failing):
    url, handler = failing
    result = run("newscrawl", "crawl", "--sitemap", url + "sitemap.xml",
                 "-s", "NEWSCRAWL_SITE_FAILURE_LIMIT=5", "-s", "RETRY_TIMES=0", *FAST)  # fmt: skip
    err = result.stderr.decode()
    page_hits = [p for p in handler.hits if p.startswith("/news/")]
    # Five failures open the circuit; only requests already handed to the downloader
    # (CONCURRENT_REQUESTS, 16) still go out. Without the breaker: all 100.
    assert 5 <= len(page_hits) <= 5 + 16, page_hits
    assert "failed 5 times in a row (last: HTTP 500): no more requests to it this run" in err
    assert f"circuit_open {PAGES - len(page_hits)}" in err  # the rest, counted, not fetched
    assert "Traceback" not in err


class GoingDown(Failing):
    """A sitemap of 20 articles; the first 12 pages asked for answer, every later one 500."""

    pages, UP = 20, 12

    def do_GET(self) -> None:
        if self.path.startswith("/news/"):
            type(self).hits.append(self.path)
            if sum(p.startswith("/news/") for p in type(self).hits) <= self.UP:
                n = self.path.rpartition("/")[2].partition(".")[0]
                self.send_page(
                    f"<html><head><title>Story {n}</title></head><body><article><h1>Story {n}"
                    f"</h1><p>The ferry to the island ran late on day {n} of the storm.</p>"
                    "</article></body></html>".encode()
                )
                return
        super().do_GET()


def test_a_breaker_that_opens_at_the_sites_last_request_still_fails_the_run(tmp_path):
    """A site that went down for the last eight of its twenty articles: the
    breaker (limit 8) opened at the last one, so it dropped no request, and the
    crawl exited 0 with no word of the site (fewer pages failed than were
    fetched, so the site was not `failing` either)."""
    handler = type("Handler", (GoingDown,), {"hits": []})
    server, url = serve(handler)
    try:
        db = str(tmp_path / "s.sqlite")
        result = run("newscrawl", "crawl", "--sitemap", url + "sitemap.xml", "--db", db,
                     "-s", "NEWSCRAWL_SITE_FAILURE_LIMIT=8", "-s", "RETRY_TIMES=0",
                     *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                     "-s", "CONCURRENT_REQUESTS=1")  # fmt: skip
    finally:
        stop(server)
    err = result.stderr.decode()
    assert result.returncode == 1, err
    assert "failed 8 times in a row" in err
    assert "kept failing until its circuit breaker opened (8 pages not fetched, 12 fetched)" in err
    assert "Traceback" not in err
    stats = run("newscrawl", "stats", "--db", db).stderr.decode()
    assert "(run 1): kept failing: its circuit breaker opened" in stats, stats
