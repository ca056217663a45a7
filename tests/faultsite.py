"""A hostile web site on 127.0.0.1, and a forbidden "internal" one on 127.0.0.2.

Serves the faults of the reliability plan (../shared/reliability-plan.md) by path
and by Host header (names come from tests/stub_resolver.py, all 127.0.0.1), and
records every request: when, which host, which path, and the headers a leak
check needs. The internal listener only counts hits: the crawler must make none.
Every loop that streams or drips is bounded in bytes and seconds.
"""

from __future__ import annotations

import functools
import random
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from functools import cache
from http.server import ThreadingHTTPServer

from newscrawl.demo.server import QuietHandler

MIB = 1024 * 1024
SECRET = "internal-secret-4711"  # what the internal host would reveal
LOCAL_FILE = "/etc/hostname"


def article_html(number: int, title: str | None = None, extra_head: str = "") -> str:
    title = title or f"Harbour report {number}"
    paragraphs = "".join(
        f"<p>Report {number}, part {part}: the harbour committee met again on day {number} "
        f"and discussed item {part} of its agenda, which concerns the repair of berth "
        f"{number + part} and the cost of dredging the channel.</p>"
        for part in range(1, 5)
    )
    return (
        f"<html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta property='og:type' content='article'>{extra_head}</head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


@cache
@functools.cache
def zeros_compressed(encoding: str, size: int = 1024 * MIB) -> bytes:
    """`size` bytes of zeros, compressed (4.5 MB for 1 GiB). Level 1: 1.6 s of CPU
    against 5.4 at level 9 (1 MB), for each encoding in each test process; the
    body stays far under DOWNLOAD_MAXSIZE, the bomb is in what it inflates to.
    Made once a process: made anew for each request, on a busy machine it took
    the server past the crawl's DOWNLOAD_TIMEOUT before its first byte."""
    chunk = bytes(MIB)
    if encoding == "gzip":
        compressor = zlib.compressobj(1, zlib.DEFLATED, 31)
    elif encoding == "deflate":
        compressor = zlib.compressobj(1, zlib.DEFLATED, 15)
    else:
        raise ValueError(encoding)
    parts = [compressor.compress(chunk) for _ in range(size // MIB)]
    return b"".join(parts) + compressor.flush()


@dataclass
class Hit:
    at: float
    host: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)


# Pages whose HTML is hostile to the extractor (F18), by name; `None` means built at
# request time. "cafe" pages check that the text comes out right.
ENCODED = "Le café du port ouvre à six heures, dit la patronne du quai numéro neuf."


def hostile_pages() -> dict[str, tuple[bytes, str]]:
    """name -> (body, Content-Type header)."""
    words = " ".join(["tide"] * 20)

    def cafe_page(number: int) -> str:
        # Each page its own text: pages sharing paragraphs are site boilerplate.
        page = article_html(number, f"Le café du port, épisode {number}")
        return page.replace("</article>", f"<p>{ENCODED} ({number})</p></article>")

    return {
        "deep": ("<html><body>" + "<div>" * 10_000 + words + "</div>" * 10_000 + "</body></html>").encode(),
        "deeper": ("<html><body>" + "<span>" * 200_000 + words + "</body></html>").encode(),
        "million": ("<html><body>" + "<b>x</b>" * 1_000_000 + "</body></html>").encode(),
        # 7 MB of text, within the bounds of what a worker parses of a page; about
        # 400 MB to extract.
        "wordy": ("<html><body><article>" + "".join(
            f"<p>{f'word{n} ' * 100}</p>" for n in range(8_000)) + "</article></body></html>").encode(),
        "png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 400, "text/html"),
        "nul": (article_html(2).replace("committee", "comm\x00it\x07tee").encode(), "text/html"),
        "latin1-as-utf8": (cafe_page(11).replace("charset='utf-8'", "").encode("latin-1"),
                           "text/html; charset=utf-8"),
        "utf8-as-latin1": (cafe_page(12).replace("charset='utf-8'", "").encode("utf-8"),
                           "text/html; charset=iso-8859-1"),
        "bom": (b"\xef\xbb\xbf" + cafe_page(13).replace("charset='utf-8'", "").encode("utf-8"),
                "text/html; charset=windows-1252"),
        "gb18030": (cafe_page(14).replace("utf-8", "gb18030").encode("gb18030"),
                    "text/html; charset=gb18030"),
        "colspan": (article_html(3).replace("<h1>", f"<table><tr><td colspan='{2**53}'>x</td></tr></table><h1>").encode(),
                    "text/html"),
        "bigimg": (article_html(4).replace("<h1>", "<img src='data:image/png;base64," + "A" * 400_000 + "'><h1>").encode(),
                   "text/html"),
    }  # fmt: skip


def _normalise(pages: dict[str, object]) -> dict[str, tuple[bytes, str]]:
    return {
        name: value if isinstance(value, tuple) else (value, "text/html; charset=utf-8")
        for name, value in pages.items()
    }  # type: ignore[misc]


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-answer is what these faults are about


class FaultSite:
    """The two listeners; `url(path, host)` addresses the hostile one."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.internal_hits: list[str] = []
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = {}
        self.drip_abandoned: list[float] = []  # seconds each /drip client held on
        # /held answers (an article) once this is set; a scenario clears it to keep
        # a run's request waiting, so the run is certainly running, until it acts.
        self.held_until = threading.Event()
        self.held_until.set()
        self.max_in_flight: dict[str, int] = {}
        self.pages = _normalise(hostile_pages())  # type: ignore[arg-type]
        site = self

        class Internal(QuietHandler):
            def do_GET(self) -> None:
                site.internal_hits.append(self.path)
                self.send_page(f"<html><body><p>{SECRET}</p></body></html>".encode())

        self.internal = QuietServer(("127.0.0.2", 0), Internal)
        self.internal_port = self.internal.server_address[1]

        class Hostile(_HostileHandler):
            owner = site

        self.server = QuietServer(("127.0.0.1", 0), Hostile)
        self.port = self.server.server_address[1]
        for server in (self.server, self.internal):
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self, host: str | None = None) -> list[str]:
        with self.lock:
            return [h.path for h in self.hits if host is None or h.host == host]

    def close(self) -> None:
        for server in (self.server, self.internal):
            server.shutdown()
            server.server_close()


class _HostileHandler(QuietHandler):
    owner: FaultSite
    protocol_version = "HTTP/1.1"

    # -- helpers ---------------------------------------------------------------

    def _host(self) -> str:
        return (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()

    def _redirect(self, location: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, body: bytes, kind: str = "text/html; charset=utf-8", **headers: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _head(self, length: int) -> None:
        """A 200 with a Content-Length, the body left to the caller."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0) instead of a clean FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True

    # -- dispatch --------------------------------------------------------------

    def do_GET(self) -> None:
        site, host, path = self.owner, self._host(), self.path
        wanted = ("Cookie", "Authorization", "Referer")
        with site.lock:
            site.hits.append(Hit(time.monotonic(), host, path,
                                 {k: v for k in wanted if (v := self.headers.get(k))}))  # fmt: skip
            site.in_flight[host] = site.in_flight.get(host, 0) + 1
            site.max_in_flight[host] = max(site.max_in_flight.get(host, 0), site.in_flight[host])
        try:
            self._answer(host, path)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with site.lock:
                site.in_flight[host] -= 1

    def _answer(self, host: str, path: str) -> None:
        site = self.owner
        if path == "/robots.txt":
            return self._robots(host)
        if host == "storm.test":
            return self.send_error(503)
        if host == "ratelimit.test":
            with site.lock:
                asked = sum(1 for h in site.hits if h.host == host and h.path == path)
            if asked == 1:
                self.send_response(429)
                self.send_header("Retry-After", "3")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
        if host == "rebind.test":
            # No keep-alive: every request makes a new connection, so a new lookup.
            self.close_connection = True
        if host in ("trap.test", "captrap.test"):
            return self._trap(path)
        if path == "/":
            return self._send(_links(["/a/40.html", "/a/41.html", "/private/p.html"]))
        if path.startswith(("/sitemap", "/feed")):
            return self._discovery(path)
        if path.startswith("/a/") and path[3:].split(".")[0].isdigit():  # a good article
            return self._send(article_html(int(path[3:].split(".")[0])).encode())
        if path.startswith("/private/"):
            return self._send(article_html(999).encode())
        if path in ("/bomb/gzip", "/bomb/deflate"):
            encoding = path.rsplit("/", 1)[1]
            return self._send(zeros_compressed(encoding), Content_Encoding=encoding)
        if path == "/huge-length":
            self._head(2 * 1024 * MIB)
            self.wfile.write(b"<html>" + b" " * 1000)
            time.sleep(2)
            return None
        if path == "/endless":  # chunked, no end: stops at 200 MiB or when the client goes
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"<p>" + b"x" * (MIB - 3)
            for _ in range(200):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.close_connection = True
            return None
        if path == "/drip":  # headers, then a byte a second, for at most 60 s
            self._head(100_000)
            started = time.monotonic()
            try:
                for _ in range(60):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError):
                site.drip_abandoned.append(time.monotonic() - started)  # the client gave up
            self.close_connection = True
            return None
        if path == "/held":
            site.held_until.wait(120)
            return self._send(article_html(7).encode())
        if path == "/truncated":
            body = article_html(5).encode()
            self._head(len(body) * 3)  # promises more than it sends
            self.wfile.write(body)
            self.close_connection = True
            return None
        if path == "/reset":
            body = article_html(6).encode()
            self._head(len(body))
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            return self._reset()
        if path == "/unsized":  # no length, the body whole: ended by a clean close
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(article_html(9).encode())
            self.close_connection = True
            return None
        if path == "/reset-unsized":  # no length: the body ends with the connection
            body = article_html(8).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self._reset()
            # At once: the server's own ending would shut the socket's sending side
            # first, a clean end of the body (FIN) before the reset.
            self.connection.close()
            return None
        if path in ("/loop/a", "/loop/b"):
            return self._redirect("/loop/b" if path.endswith("a") else "/loop/a")
        if path.startswith("/chain/"):
            return self._redirect(f"/chain/{int(path[7:]) + 1}")
        if path == "/meta-loop":
            return self._send(b"<html><head><meta http-equiv='refresh' content='0; url=/meta-loop'>"
                              b"</head><body>wait</body></html>")  # fmt: skip
        targets = {
            "/to-file": f"file://{LOCAL_FILE}",
            "/to-data": "data:text/html,<p>from a data url</p>",
            "/to-ftp": f"ftp://127.0.0.1:{site.port}/",
            "/to-internal": f"http://127.0.0.2:{site.internal_port}/secret",
            "/to-mapped": f"http://[::ffff:127.0.0.2]:{site.internal_port}/secret",
            "/to-metadata": "http://169.254.169.254/latest/meta-data/",
        }
        if path in targets:
            return self._redirect(targets[path])
        if path.startswith("/to-rebind/"):
            return self._redirect(f"http://rebind.test:{site.port}/a/{path.rsplit('/', 1)[1]}.html")
        if path == "/leak":  # sets a cookie, sends the crawler to another origin
            return self._redirect(f"http://other.test:{site.port}/echo",
                                  {"Set-Cookie": "session=s3cr3t; Path=/"})  # fmt: skip
        if path == "/echo":
            return self._send(article_html(7).encode())
        if path.startswith("/html/"):
            body, kind = site.pages[path[6:]]
            return self._send(body, kind)
        if path.startswith(("/dup/", "/amp/dup/")):
            canonical = f"<link rel='canonical' href='http://127.0.0.1:{site.port}/dup/1'>"
            return self._send(article_html(8, extra_head=canonical).encode())
        if path == "/gone":
            self.send_error(404)
            return None
        self.send_error(404)
        return None

    def _trap(self, path: str) -> None:
        """Pages that link on for ever: a calendar, session ids, tracking variants,
        ever deeper paths."""
        number = int(path.split("d=")[1].split("&")[0]) if "d=" in path else 0
        token = random.randrange(10**9)
        self._send(_links([f"/cal?d={number + 1}", f"/cal?d={number + 1}&utm_source=x{token}",
                           f"/s/{token}/page?d={number}", f"{path.split('?')[0].rstrip('/')}/deeper/?d={number}"]))  # fmt: skip

    def _discovery(self, path: str) -> None:
        site = self.owner
        base = f"http://{self.headers.get('Host')}"
        sitemap_ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        if path == "/sitemap-bomb.xml":
            lol = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
            body = (f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY lol0 "lol">{lol}'
                    f'<!ENTITY file SYSTEM "file://{LOCAL_FILE}">]>'
                    f"<urlset {sitemap_ns}><url><loc>{base}/a/30.html</loc></url>"
                    f"<url><loc>{base}/a/&lol9;&file;.html</loc></url></urlset>")  # fmt: skip
            return self._send(body.encode(), "application/xml")
        if path == "/sitemap-bomb.xml.gz":
            return self._send(zeros_compressed("gzip"), "application/octet-stream")
        if path == "/sitemap-links.xml":
            locs = [f"http://127.0.0.2:{site.internal_port}/secret", "http://169.254.169.254/latest/",
                    f"http://[::ffff:127.0.0.2]:{site.internal_port}/x", f"{base}/a/31.html"]  # fmt: skip
            entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
            return self._send(
                f"<urlset {sitemap_ns}>{entries}</urlset>".encode(), "application/xml"
            )
        rss = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        if path == "/feed-truncated.xml":
            items = "".join(
                f"<item><title>Report {n}</title><link>{base}/a/{n}.html</link></item>"
                for n in (20, 21)
            )
            return self._send((rss + items + "<item><title>Rep").encode(), "application/rss+xml")
        if path == "/feed-bomb.xml":
            lol = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
            body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">{lol}]>'
                    f'<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title>'
                    f"<link>{base}/a/24.html</link></item></channel></rss>")  # fmt: skip
            return self._send(body.encode(), "application/rss+xml")
        if path == "/feed-badbytes.xml":
            item = (
                f"<item><title>Caf\xe9 \xff\xfe report</title><link>{base}/a/22.html</link></item>"
            )
            return self._send(
                (rss + item + "</channel></rss>").encode("latin-1"), "application/rss+xml"
            )
        if path == "/feed-huge.xml":
            items = "".join(f"<item><title>n{n}</title><link>{base}/a/23.html#{n}</link></item>"
                            for n in range(100_000))  # fmt: skip
            return self._send((rss + items + "</channel></rss>").encode(), "application/rss+xml")
        self.send_error(404)
        return None

    def _robots(self, host: str) -> None:
        if host == "robots503.test":
            self.send_error(503)
        elif host == "robotsreset.test":
            self._reset()
        elif host == "robots404.test":
            self.send_error(404)
        elif host == "robotsbig.test":
            rules = (
                b"User-agent: *\nDisallow: /private/\n" + b"Disallow: /nothing-here/\n" * 500_000
            )
            self._send(rules, "text/plain")
        else:
            self._send(b"User-agent: *\nDisallow: /private/\n", "text/plain")


def _links(paths: list[str]) -> bytes:
    anchors = "".join(f"<li><a href='{p}'>Harbour page {p}</a></li>" for p in paths)
    return f"<html><head><title>Harbour news</title></head><body><ul>{anchors}</ul></body></html>".encode()
