"""A small HTTP server for a fixed set of pages, on 127.0.0.1 and a free port.

Runs in a background thread of the calling process; used by `newscrawl demo`.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import ClassVar, Self

__all__ = ["PageServer", "QuietHandler"]

Page = tuple[str, bytes]


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler with no access log (the crawler logs what it fetches) and
    one way to answer with a page; the demo, the tests and the benchmark use it."""

    def send_page(self, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Handler(QuietHandler):
    pages: ClassVar[dict[str, Page]] = {}

    def do_GET(self) -> None:
        page = self.pages.get(self.path.split("?", 1)[0])
        if page is None:
            self.send_error(404)
            return
        content_type, body = page
        self.send_page(body, content_type)


class PageServer:
    """Serves `pages` (path -> (content type, body)) until closed; `url` is its root."""

    def __init__(self, pages: dict[str, Page], host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("PageHandler", (_Handler,), {"pages": dict(pages)})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        bound_host, bound_port = self.httpd.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, name="page-server", daemon=True
        )

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
