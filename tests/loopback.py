"""A test's HTTP handler served on 127.0.0.1: the one way the tests' own sites
start and stop (a free port, a daemon thread, a thread per request)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def serve(handler: type[BaseHTTPRequestHandler] | Any) -> tuple[ThreadingHTTPServer, str]:
    """`handler` (a handler class, or a partial of one) served on 127.0.0.1 and a
    free port from a daemon thread: the server, to `stop`, and its URL ending "/".
    Its request threads are daemons: a test's crawl left hanging on an answer
    the site holds back does not keep pytest from exiting."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def stop(server: ThreadingHTTPServer) -> None:
    """Stop serving and close the listening socket."""
    server.shutdown()
    server.server_close()
