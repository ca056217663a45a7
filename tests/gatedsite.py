"""A site whose articles wait for the test: a crawl that is certainly still running.

A test that stops, kills or races a crawl "once N articles are stored" must not
depend on how fast the machine is: on a loaded one the crawl may have fetched,
stored and finished everything before the test acts, and the test then sees a
normal end instead of the stop it meant to cause. Here the first `open_articles`
articles asked for are served at once and the others are held back until the
test opens the gate, so the crawl cannot finish before the test has acted,
however slow the machine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from newscrawl.demo.server import QuietHandler

from .loopback import serve, stop

__all__ = ["Gate", "GatedSite", "article", "gated_site"]

# How long a held answer waits for the gate at most: a test that fails before it
# opens the gate does not leave the crawl hanging (its fixture opens it too).
HOLD_SECONDS = 120


class Gate:
    """Answers to paths that start with `prefix`: the first `open_count` asked for
    go at once, the others wait in `wait` until the gate is opened."""

    def __init__(self, prefix: str, open_count: int) -> None:
        self.prefix = prefix
        self.open_count = open_count
        self.event = threading.Event()
        self.asked: list[str] = []  # the gated paths asked for, in order
        self.lock = threading.Lock()

    def wait(self, path: str) -> None:
        """Called by the server before it answers `path` (in the request's thread)."""
        if not path.startswith(self.prefix):
            return
        with self.lock:
            self.asked.append(path)
            held = len(self.asked) > self.open_count
        if held:
            self.event.wait(HOLD_SECONDS)

    def open(self) -> None:
        """Answer every request from now on, those waiting included."""
        self.event.set()


def article(number: int) -> bytes:
    paragraphs = "".join(
        f"<p>Report {number}, part {part}: the harbour committee met again on day {number} "
        f"and discussed item {part} of its agenda, which concerns the repair of berth {number + part}.</p>"
        for part in range(1, 4)
    )
    return (
        f"<html lang='en'><head><title>Harbour report {number}</title>"
        f"<meta property='og:type' content='article'></head>"
        f"<body><article><h1>Harbour report {number}</h1>{paragraphs}</article></body></html>"
    ).encode()


class GatedSite:
    """A home page linking to `articles` articles on 127.0.0.1: the first
    `open_articles` asked for are served at once, the others once the test calls
    `open()` (they are not lost: their requests wait)."""

    def __init__(self, articles: int, open_articles: int) -> None:
        self.articles = articles
        self.gate = Gate("/report-", open_articles)
        site = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                if self.path == "/":
                    body = "".join(
                        f"<a href='/report-{n}-harbour-committee-meets.html'>{n}</a>"
                        for n in range(site.articles)
                    )
                    self.send_page(f"<html><body>{body}</body></html>".encode())
                elif self.path.startswith("/report-"):
                    site.gate.wait(self.path)
                    self.send_page(article(int(self.path.split("-")[1])))
                else:
                    self.send_error(404)

        self.server, self.url = serve(Handler)

    def open(self) -> None:
        """Serve every article from now on, those waiting included."""
        self.gate.open()

    def close(self) -> None:
        self.gate.open()
        stop(self.server)


@pytest.fixture()
def gated_site() -> Iterator[Callable[[int, int], GatedSite]]:
    """`gated_site(articles, open_articles)`: a GatedSite, closed after the test."""
    sites: list[GatedSite] = []

    def make(articles: int, open_articles: int) -> GatedSite:
        sites.append(GatedSite(articles, open_articles))
        return sites[-1]

    yield make
    for site in sites:
        site.close()
