"""A cluster worker stopped while it holds an article page's links back (its site's
sitemap still being read, newscrawl/heldlinks.py) loses none of them: real Redis
and PostgreSQL servers, real worker processes, a local site."""

import signal
import threading
import time
from collections.abc import Iterator

import pytest

from newscrawl.demo.server import QuietHandler
from newscrawl.storage import ArticleStore

from .conftest import serving
from .discovery_site import article_page, hub_page
from .servers import postgres_server, redis_server  # noqa: F401  (fixtures)
from .test_cluster import finish, stored, worker


class SlowSitemapSite:
    """A home page linking one article, which alone links a second; robots.txt
    names a sitemap that is answered only once the test opens its gate."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                base = f"http://127.0.0.1:{self.server.server_address[1]}"
                if self.path == "/robots.txt":
                    rules = f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n"
                    self.send_page(rules.encode(), "text/plain")
                elif self.path == "/sitemap.xml":
                    site.gate.wait(120)
                    entry = f"<url><loc>{base}/news/listed-story.html</loc></url>"
                    xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
                    body = f"<?xml version='1.0'?><urlset xmlns='{xmlns}'>{entry}</urlset>"
                    self.send_page(body.encode(), "application/xml")
                elif self.path == "/":
                    self.send_page(hub_page("Front page", ["/news/first-story.html"]).encode())
                elif self.path == "/news/first-story.html":
                    link = "<p><a href='/news/linked-story.html'>The linked story</a></p>"
                    self.send_page(article_page("Harbour dredging begins", None, link).encode())
                elif self.path.startswith("/news/"):
                    self.send_page(article_page(f"Story {self.path}", None).encode())
                else:
                    self.send_error(404)

        self.handler = Handler
        self.url = ""  # once served


@pytest.fixture()
def slow_sitemap_site() -> Iterator[SlowSitemapSite]:
    site = SlowSitemapSite()
    with serving(site.handler) as base:
        site.url = f"{base}/"
        yield site
        site.gate.set()  # no answer left waiting as the server closes


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
def test_a_worker_stopped_while_it_holds_an_articles_links_loses_none(
    stop: signal.Signals,
    slow_sitemap_site: SlowSitemapSite,
    redis_server,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """The article page was acknowledged in Redis once stored, while its links were
    still in the worker's memory: killed or stopped, the worker took them with it,
    and its restarted successor found nothing to do (found by a cluster attack
    session). The page now stays in flight until its links are queued."""
    database = postgres_server.new_database()
    ArticleStore.open(database).close()  # its tables, for the test to read at once
    site = slow_sitemap_site
    run_id = f"held-{stop.name.lower()}"
    first = worker(redis_server.url, database, run_id, "0/1", [site.url])
    deadline = time.monotonic() + 90
    while not any(url.endswith("/news/first-story.html") for url in stored(database)):
        assert first.poll() is None and time.monotonic() < deadline, finish(first, 30)[1][-2000:]
        time.sleep(0.1)
    first.send_signal(stop)
    site.gate.set()  # a stopping worker waits for its downloads: the sitemap comes
    code, stderr, _ = finish(first, 60)
    assert code == (-9 if stop == signal.SIGKILL else 130), stderr[-2000:]
    code, stderr, _ = finish(worker(redis_server.url, database, run_id, "0/1", [site.url]))
    assert code == 0, stderr[-2000:]
    paths = [url.split("/", 3)[3] for url in stored(database)]
    assert paths == ["news/first-story.html", "news/linked-story.html", "news/listed-story.html"]
