"""The demo: an invented news site served locally, crawled with the default settings."""

from __future__ import annotations

from newscrawl.demo.server import PageServer
from newscrawl.demo.site import render_site

__all__ = ["demo_server"]


# A fixed port keeps the demo's URLs, and so its SQLite keys, the same from run to
# run; if it is taken, any free port will do.
DEMO_PORT = 8765


def demo_server(port: int = DEMO_PORT) -> PageServer:
    """A server for the demo site on 127.0.0.1, on `port` if free, else on any free port."""
    try:
        return PageServer(render_site(), port=port)
    except OSError:
        return PageServer(render_site(), port=0)
