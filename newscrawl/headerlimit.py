"""A response's header section has a size limit, as its body has (DOWNLOAD_MAXSIZE).

Twisted's HTTP/1.1 client, under Scrapy's download handler, keeps every header
line a server sends until the blank line that ends them; a line is capped at
16 KiB, but not their number, nor a header continued over lines. A server that
sent header lines for ever grew the crawler's process by gigabytes before
DOWNLOAD_TIMEOUT, and MEMUSAGE_LIMIT_MB then stopped the whole crawl: every
site lost to one. Past MAX_HEADER_BYTES the response fails as a broken one
(Twisted's ParseError, then a ResponseFailed that Scrapy retries and counts),
and the connection is dropped.

Browsers and servers keep header sections to some tens of kilobytes (nginx's
default buffers for a request's headers are 4 x 8 KiB, Apache's 100 lines of
8 KiB): 256 KiB leaves room for the biggest cookie and policy headers.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured
from twisted.web import _newclient

__all__ = ["MAX_HEADER_BYTES", "HeaderLimit", "install"]

MAX_HEADER_BYTES = 256 * 1024

_COUNT = "_newscrawl_header_bytes"
_installed = False


def _limited(original: Any) -> Any:
    def dataReceived(self: Any, data: bytes) -> None:
        # Counted by the bytes that come before the header section ends: the
        # chunk that ends it may bring some of the body too (a read is at most
        # 64 KiB), well within the limit. Not in lineReceived, which Scrapy's
        # own parser (a subclass) replaces.
        if self.state in (_newclient.STATUS, _newclient.HEADER):
            seen = getattr(self, _COUNT, 0) + len(data)
            setattr(self, _COUNT, seen)
            if seen > MAX_HEADER_BYTES:
                raise _newclient.ParseError(  # type: ignore[no-untyped-call]
                    f"response headers past {MAX_HEADER_BYTES} bytes", data[:80]
                )
        original(self, data)

    return dataReceived


def install() -> None:
    """Limit the header section of every response this process receives (once)."""
    global _installed
    if _installed:
        return
    parser = _newclient.HTTPClientParser
    parser.dataReceived = _limited(parser.dataReceived)  # type: ignore[method-assign]
    _installed = True


class HeaderLimit:
    """The extension that installs the limit in the crawler's process."""

    def __init__(self) -> None:
        if not hasattr(_newclient.HTTPClientParser, "dataReceived") or not hasattr(
            _newclient, "ParseError"
        ):
            raise NotConfigured("Twisted's HTTP client changed: no header limit")
        install()

    @classmethod
    def from_crawler(cls, crawler: Any) -> HeaderLimit:
        return cls()
