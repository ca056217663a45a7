"""Several small news sites, each on its own loopback port, that count what they serve.

Each site: a home page linking to section pages, which link to its articles.
The counts (fetches per path, requests in flight at once) are what the cluster
tests judge: every URL fetched once, per-site concurrency within its limit.
Pages are invented for these tests.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .discovery_site import article_page, hub_page
from .gatedsite import Gate

__all__ = ["MultiSite", "NewsSite"]

SECTIONS = 3


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a worker killed mid-download hangs up: expected here


class NewsSite:
    """One site: `articles` article pages under /news/, SECTIONS sections, a home page."""

    def __init__(self, number: int, articles: int, delay: float) -> None:
        self.number = number
        self.delay = delay
        # Paths answered "503, Retry-After: 1" the first time they are asked for.
        self.busy_once: set[str] = set()
        # Answers held back until a test opens the gate (tests/gatedsite.py).
        self.gate: Gate | None = None
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.pages: dict[str, bytes] = {"/robots.txt": b"User-agent: *\nAllow: /\n"}
        by_section: dict[int, list[str]] = {s: [] for s in range(SECTIONS)}
        for n in range(articles):
            path = f"/news/{n}.html"
            by_section[n % SECTIONS].append(path)
            # Unique last words: no paragraph repeats across pages (not site boilerplate).
            title = f"Harbour council report {n} from town{number}"
            self.pages[path] = article_page(title, "2026-11-20T08:00:00+00:00").encode()
        for section, links in by_section.items():
            self.pages[f"/section/{section}.html"] = hub_page(f"Section {section}", links).encode()
        sections = [f"/section/{s}.html" for s in range(SECTIONS)]
        self.pages["/"] = hub_page(f"Town {number} news", sections).encode()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with site.lock:
                    site.hits[self.path] += 1
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    time.sleep(site.delay)
                    if site.gate is not None:
                        site.gate.wait(self.path)
                    if self.path in site.busy_once:
                        site.busy_once.discard(self.path)
                        self.send_response(503)
                        self.send_header("Retry-After", "1")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    body = site.pages.get(self.path)
                    kind = (
                        "text/plain"
                        if self.path == "/robots.txt"
                        else "application/xml"
                        if self.path.endswith(".xml")
                        else "text/html; charset=utf-8"
                    )
                    self.send_response(200 if body is not None else 404)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body or b"")))
                    self.end_headers()
                    self.wfile.write(body or b"")
                finally:
                    with site.lock:
                        site.in_flight -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.name = self.url.split("//")[1].rstrip("/")  # newscrawl's site name: host:port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def articles(self) -> list[str]:
        return [self.url + path.lstrip("/") for path in self.pages if path.startswith("/news/")]

    def close(self) -> None:
        if self.gate is not None:
            self.gate.open()
        self.server.shutdown()
        self.server.server_close()


class MultiSite:
    """`count` sites, served until `close()`."""

    def __init__(self, count: int, articles: int, delay: float = 0.02) -> None:
        self.sites = [NewsSite(n, articles, delay) for n in range(count)]

    def add(self, articles: int, delay: float = 0.02) -> NewsSite:
        site = NewsSite(len(self.sites), articles, delay)
        self.sites.append(site)
        return site

    @property
    def urls(self) -> list[str]:
        return [site.url for site in self.sites]

    @property
    def articles(self) -> list[str]:
        return sorted(url for site in self.sites for url in site.articles)

    def close(self) -> None:
        for site in self.sites:
            site.close()
