"""A site that fails again and again is dropped for the run, not hammered."""

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest

from newscrawl.demo.server import QuietHandler

from .conftest import FAST, run

PAGES = 100


class Failing(QuietHandler):
    """A news sitemap of PAGES articles, each of which answers 500."""

    hits: list[str] = []  # noqa: RUF012 - one list per test, set by the fixture

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        if self.path == "/sitemap.xml":
            entries = "".join(
                f"<url><loc>http://{self.headers['Host']}/news/{n}.html</loc><news:news>"
                "<news:publication_date>2026-11-20</news:publication_date></news:news></url>"
                for n in range(PAGES)
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
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", handler
    server.shutdown()
    server.server_close()


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
