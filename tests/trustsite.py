"""Sites that try to cross the trust boundary between sites (issue 13's cases).

One listener on 127.0.0.1 answers by Host header (names from
tests/stub_resolver.py, all 127.0.0.1); a second on 127.0.0.2, the forbidden
internal host, is an intranet whose own site may crawl it and no other may.
Every request is recorded (host, path, Authorization header). Loops that drip
are bounded in bytes and seconds.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from dataclasses import dataclass

from newscrawl.demo.server import QuietHandler

from .faultsite import QuietServer, article_html

__all__ = [
    "BULK_PAGES",
    "GRIND_PAGES",
    "HUB_LINKS",
    "IDN_HOST",
    "LONG_ARTICLE_PARAGRAPHS",
    "MENU_PAGES",
    "WALL_WORDS",
    "TrustHit",
    "TrustSite",
    "heavy_page",
]

SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
MENU_PAGES = 101  # menu.test: pages /p/0 ... /p/100
MENU_LINKS = 50  # every page links to /p/0 ... /p/49
HEALTHY_PAGES = 40  # healthy.test's articles
SLOW_SUBDOMAINS = 200  # sN.slow.test, each answering a byte every half second
IDN_HOST = "bücher.test"
IDN_ARTICLES = 6
# Pages too big for the crawler's process (issue 15), each under the 32 MiB download cap.
HUB_LINKS = 300_000  # hub.test's home page: this many links
HUGE_PAGE_BYTES = 30_000_000  # huge.test's home page: tiny elements, this many bytes
LONG_ARTICLE_PARAGRAPHS = 50_000  # paras.test/a/1.html: this many short paragraphs
# wall.test/a/1.html: three paragraphs of this many words, 4 MB of text in all.
WALL_WORDS = 200_000
# grind.test: articles under the workers' time bound that each cost seconds of
# CPU (trafilatura is quadratic in the inline elements of a paragraph: 16,000 of
# them, some 2 s on a busy 2-core machine), each 0.9 MB with its script: a few of
# them fill Scrapy's bound on the responses its callbacks hold (5 MB).
GRIND_PAGES = 16
GRIND_SPANS = 16_000
GRIND_SCRIPT_BYTES = 600_000
# bulk.test: grind.test's articles with a script of this many bytes (2.8 MB
# each): two waiting for the workers pass Scrapy's 5 MB bound.
BULK_PAGES = 6
BULK_SCRIPT_BYTES = 2_500_000


@dataclass
class TrustHit:
    at: float
    host: str
    path: str
    authorization: str | None


@functools.cache
def heavy_page(kind: str) -> bytes:
    """hub: HUB_LINKS links; huge: HUGE_PAGE_BYTES of empty inline elements;
    paragraphs: an article of LONG_ARTICLE_PARAGRAPHS short, distinct paragraphs;
    grind: an article of one paragraph of GRIND_SPANS inline elements; bulk: the
    same with a script of BULK_SCRIPT_BYTES;
    wall: an article of three paragraphs of WALL_WORDS words each."""
    if kind == "hub":
        links = "".join(f"<a href='/x/{n}.html'>Story {n}</a>" for n in range(HUB_LINKS))
        return f"<html><body>{links}</body></html>".encode()
    if kind == "huge":
        head = b"<html><body><div>"
        return head + b"<i></i>" * ((HUGE_PAGE_BYTES - len(head)) // 7)
    if kind in ("grind", "bulk"):
        spans = "".join(f"<span>w{n} </span>" for n in range(GRIND_SPANS))
        pad = GRIND_SCRIPT_BYTES if kind == "grind" else BULK_SCRIPT_BYTES
        script = f"<script>var pad = '{'x' * pad}';</script>"
        return (
            "<html lang='en'><head><title>The grind</title>"
            f"<meta property='og:type' content='article'>{script}</head>"
            f"<body><article><h1>The grind</h1><p>{spans}</p></article></body></html>"
        ).encode()
    if kind == "wall":
        words = " ".join(f"word{n % 4999} berth" for n in range(WALL_WORDS // 2))
        paragraphs = "".join(f"<p>Part {part}: {words}</p>" for part in range(3))
    else:
        paragraphs = "".join(
            f"<p>Line {n} of the long read, about berth {n % 97}.</p>"
            for n in range(LONG_ARTICLE_PARAGRAPHS)
        )
    return (
        "<html lang='en'><head><title>The long read</title>"
        "<meta property='og:type' content='article'></head>"
        f"<body><article><h1>The long read</h1>{paragraphs}</article></body></html>"
    ).encode()


class TrustSite:
    def __init__(self) -> None:
        self.hits: list[TrustHit] = []
        self.intranet_hits: list[str] = []
        self.lock = threading.Lock()
        site = self

        class Intranet(QuietHandler):
            def do_GET(self) -> None:
                with site.lock:
                    site.intranet_hits.append(self.path)
                site._intranet(self)

        class Public(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
                with site.lock:
                    site.hits.append(
                        TrustHit(
                            time.monotonic(), host, self.path, self.headers.get("Authorization")
                        )
                    )
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    site._public(self, host, self.path)

        self.intranet = QuietServer(("127.0.0.2", 0), Intranet)
        self.intranet_port = self.intranet.server_address[1]
        self.server = QuietServer(("127.0.0.1", 0), Public)
        self.port = self.server.server_address[1]
        for server in (self.server, self.intranet):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def intranet_url(self, path: str) -> str:
        return f"http://127.0.0.2:{self.intranet_port}{path}"

    def paths(self, host: str) -> list[str]:
        with self.lock:
            return [h.path for h in self.hits if h.host == host]

    def times(self, host: str) -> list[float]:
        with self.lock:
            return [h.at for h in self.hits if h.host == host and h.path != "/robots.txt"]

    def close(self) -> None:
        for server in (self.server, self.intranet):
            server.shutdown()
            server.server_close()

    # -- the intranet (127.0.0.2) ------------------------------------------------------

    def _intranet(self, handler: QuietHandler) -> None:
        path = handler.path
        if path == "/robots.txt":
            handler.send_page(b"User-agent: *\nAllow: /\n", "text/plain")
        elif path == "/intranet/":
            links = "".join(f"<a href='/intranet/a/{n}.html'>Memo {n}</a>" for n in (1, 2))
            handler.send_page(f"<html><body>{links}</body></html>".encode())
        elif path.startswith(("/intranet/a/", "/intranet/secret/")):
            number = int(path.rsplit("/", 1)[1].split(".")[0])
            handler.send_page(article_html(500 + number, f"Internal memo {number}").encode())
        else:
            handler.send_error(404)

    # -- the public listener (127.0.0.1), by host -----------------------------------------

    def _public(self, h: QuietHandler, host: str, path: str) -> None:
        if host.endswith(".slow.test") or host == "slow.test":
            return self._slow(h, host, path)
        if path == "/robots.txt":
            return self._robots(h, host)
        base = f"http://{host}:{self.port}"
        if host == "menu.test" and path.startswith("/p/"):
            number = int(path[3:])
            links = [f"/p/{n}" for n in range(MENU_LINKS)] + [f"/p/{number + 1}"]
            if number + 1 >= MENU_PAGES:
                links.pop()
            anchors = "".join(f"<a href='{link}'>Section {link}</a>" for link in links)
            return h.send_page(f"<html><body><nav>{anchors}</nav></body></html>".encode())
        if host == "fanout.test":
            return self._fanout(h, base, path)
        if host in ("hub.test", "huge.test", "paras.test", "wall.test") and path != "/robots.txt":
            return self._heavy(h, host, path)
        if host == "grind.test" and path == "/sitemap.xml":
            return self._urlset(h, [f"{base}/a/{n}.html" for n in range(1, GRIND_PAGES + 1)])
        if host == "grind.test" and path.startswith("/a/"):
            return h.send_page(heavy_page("grind"))
        if host == "bulk.test" and path == "/sitemap.xml":
            return self._urlset(h, [f"{base}/a/{n}.html" for n in range(1, BULK_PAGES + 1)])
        if host == "bulk.test" and path.startswith("/a/"):
            return h.send_page(heavy_page("bulk"))
        if host == "healthy.test" and path == "/sitemap.xml":
            return self._urlset(h, [f"{base}/a/{n}.html" for n in range(1, HEALTHY_PAGES + 1)])
        if host in ("xn--bcher-kva.test", "buecher.test"):
            return self._idn(h, host, path)
        if host == "poison.test" and path in ("/a/11.html", "/a/12.html"):
            victim = f"http://victim.test:{self.port}/a/10.html"
            tag = (
                f"<link rel='canonical' href='{victim}'>"
                if path.endswith("11.html")
                else f"<meta property='og:url' content='{victim}'>"
            )
            page = article_html(int(path[3:5]), "Forged harbour report", extra_head=tag)
            return h.send_page(page.encode())
        if host == "a.shared.test" and path != "/":
            return self._sibling(h, path)
        if host == "outside.test":
            return self._outside(h, base, path)
        if host == "creds.test":
            return self._creds(h, path)
        if path == "/":
            anchors = "".join(f"<a href='/a/{n}.html'>Report {n}</a>" for n in (1, 2, 3))
            return h.send_page(f"<html><body>{anchors}</body></html>".encode())
        if path.startswith(("/a/", "/private/")):
            number = int(path.rsplit("/", 1)[1].split(".")[0])
            return h.send_page(article_html(number).encode())
        if path.startswith("/r/"):  # a robots.txt redirect chain
            step = int(path[3:])
            return self._redirect(h, f"/r/{step + 1}" if step < 7 else "/rules.txt")
        if path == "/rules.txt":
            return h.send_page(b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path == "/robots-b.txt":
            return self._redirect(h, "/robots.txt")
        return h.send_error(404)

    def _sibling(self, h: QuietHandler, path: str) -> None:
        """a.shared.test, a site of its own beside b.shared.test on the same
        registrable domain: its articles name b's as their canonical URL, and
        /go/N redirects to b's article N."""
        sibling = f"http://b.shared.test:{self.port}/a"
        if path.startswith("/go/"):
            return self._redirect(h, f"{sibling}/{path[4:]}.html")
        if path.startswith("/a/"):
            number = int(path[3:].split(".")[0])
            tag = f"<link rel='canonical' href='{sibling}/{number}.html'>"
            page = article_html(number, "Borrowed harbour report", extra_head=tag)
            return h.send_page(page.encode())
        return h.send_error(404)

    @staticmethod
    def _redirect(h: QuietHandler, location: str) -> None:
        h.send_response(302)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _robots(self, h: QuietHandler, host: str) -> None:
        targets = {
            "robots-internal.test": self.intranet_url("/robots.txt"),
            "robots-file.test": "file:///etc/hostname",
            "robots-numeric.test": f"http://2130706434:{self.intranet_port}/robots.txt",
            "robots-loop.test": "/robots-b.txt",
            "robots-chain.test": "/r/1",
        }
        if host in targets:
            return self._redirect(h, targets[host])
        return h.send_page(b"User-agent: *\nDisallow: /private/\n", "text/plain")

    @staticmethod
    def _urlset(h: QuietHandler, locs: list[str]) -> None:
        entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
        h.send_page(f"<urlset {SITEMAP_NS}>{entries}</urlset>".encode(), "application/xml")

    def _slow(self, h: QuietHandler, host: str, path: str) -> None:
        """slow.test lists 200 sub-domains; each (robots.txt included) drips a byte
        every half second, for at most 20 s."""
        if host == "slow.test" and path == "/robots.txt":
            return h.send_page(b"User-agent: *\nAllow: /\n", "text/plain")
        if host == "slow.test" and path == "/sitemap.xml":
            locs = [f"http://s{n}.slow.test:{self.port}/a/{n}.html" for n in range(SLOW_SUBDOMAINS)]
            return self._urlset(h, locs)
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(40):
            h.wfile.write(b" ")
            h.wfile.flush()
            time.sleep(0.5)
        h.close_connection = True
        return None

    def _heavy(self, h: QuietHandler, host: str, path: str) -> None:
        """Pages whose parse or cleaning would hold a crawler's process for seconds
        and take gigabytes: built once, then served from memory."""
        if (host, path) == ("hub.test", "/"):
            return h.send_page(heavy_page("hub"))
        if (host, path) == ("huge.test", "/"):
            return h.send_page(heavy_page("huge"))
        if host == "paras.test" and path == "/":
            return h.send_page(b"<html><body><a href='/a/1.html'>The long read</a></body></html>")
        if host == "wall.test" and path == "/":
            return h.send_page(b"<html><body><a href='/a/1.html'>The wall</a></body></html>")
        if (host, path) == ("wall.test", "/a/1.html"):
            return h.send_page(heavy_page("wall"))
        if (host, path) == ("paras.test", "/a/1.html"):
            return h.send_page(heavy_page("paragraphs"))
        return h.send_error(404)

    def _fanout(self, h: QuietHandler, base: str, path: str) -> None:
        """A sitemap index of 1,000 indexes of 1,000 sitemaps of 1,000 articles."""
        if path == "/sitemap.xml" or path.startswith("/idx/"):
            children = (
                [f"{base}/idx/{n}.xml" for n in range(1000)]
                if path == "/sitemap.xml"
                else [f"{base}/sm/{path[5:-4]}/{n}.xml" for n in range(1000)]
            )
            entries = "".join(f"<sitemap><loc>{c}</loc></sitemap>" for c in children)
            body = f"<sitemapindex {SITEMAP_NS}>{entries}</sitemapindex>".encode()
            return h.send_page(body, "application/xml")
        if path.startswith("/sm/"):
            stem = path[4:-4].replace("/", "-")
            return self._urlset(h, [f"{base}/a/{stem}-{n}.html" for n in range(1000)])
        if path.startswith("/a/"):
            return h.send_page(article_html(hash(path) % 10_000).encode())
        return h.send_error(404)

    def _idn(self, h: QuietHandler, host: str, path: str) -> None:
        """The same little site under an internationalised name and an ASCII one;
        the IDN site writes its own name in Unicode, as people do."""
        name = IDN_HOST if host.startswith("xn--") else host
        base = f"http://{name}:{self.port}"
        if path == "/":
            anchors = "".join(f"<a href='{base}/a/{n}.html'>Buch {n}</a>" for n in (1, 2, 3))
            return h.send_page(f"<html><body>{anchors}</body></html>".encode())
        if path == "/sitemap.xml":
            return self._urlset(h, [f"{base}/a/{n}.html" for n in range(1, IDN_ARTICLES + 1)])
        if path.startswith("/a/"):
            number = int(path[3:].split(".")[0])
            page = article_html(300 + number, f"Buchbericht {number}")
            return h.send_page(page.encode())
        return h.send_error(404)

    def _outside(self, h: QuietHandler, base: str, path: str) -> None:
        """A public site that points at the intranet: a link, a redirect, a sitemap."""
        if path == "/":
            links = [self.intranet_url("/intranet/secret/1.html"), "/go", "/a/61.html"]
            anchors = "".join(
                f"<a href='{link}'>Outside story {n}</a>" for n, link in enumerate(links)
            )
            return h.send_page(f"<html><body>{anchors}</body></html>".encode())
        if path == "/go":
            return self._redirect(h, self.intranet_url("/intranet/secret/2.html"))
        if path == "/sitemap.xml":
            return self._urlset(h, [self.intranet_url("/intranet/secret/3.html"), f"{base}/go"])
        if path.startswith("/a/"):
            return h.send_page(article_html(int(path[3:5])).encode())
        return h.send_error(404)

    def _creds(self, h: QuietHandler, path: str) -> None:
        """A page linking to and redirecting to URLs with a user and password."""
        secret = f"http://reader:hunter2@creds.test:{self.port}"
        if path == "/":
            anchors = f"<a href='{secret}/a/71.html'>Members story</a><a href='/login'>Log in</a>"
            return h.send_page(
                f"<html><body>{anchors}<a href='/a/73.html'>A story</a></body></html>".encode()
            )
        if path == "/login":
            return self._redirect(h, f"{secret}/a/72.html")
        if path.startswith("/a/"):
            return h.send_page(article_html(int(path[3:5])).encode())
        return h.send_error(404)
