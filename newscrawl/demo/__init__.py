"""The demo: an invented news site served locally, crawled with the default settings."""

from __future__ import annotations

from newscrawl.demo.server import PageServer
from newscrawl.demo.site import render_site

__all__ = ["demo_server"]


def demo_server() -> PageServer:
    """A server for the demo site on 127.0.0.1 and a free port."""
    return PageServer(render_site())
