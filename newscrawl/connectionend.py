"""A body that ends when its connection ends is whole only if the connection
closed cleanly.

A response with neither a Content-Length nor chunks (HTTP/1.0's way, still
served) ends when the server closes the connection. Twisted's HTTP client makes
no difference between a clean close (FIN) and a connection cut (a reset, a
network failure): both end the body as "potential data loss", which Scrapy
takes as the page, flagged "partial". newscrawl stored the first half of an
article cut by a reset as the whole (and a stored article is not fetched
again). A body cut so is now what one cut short by its Content-Length is: a
_DataLoss, which Scrapy retries and then counts as ResponseDataLossError.

Over TLS, Twisted reports a connection its server ended without TLS's own
closing alert (close_notify) as lost, not done, though the TCP connection closed
cleanly: many servers end so (Python's own among them), browsers and most
clients take the body as whole, and a whole page, or a site's robots.txt (the
site then not crawled at all), was lost as cut. What ends such a body is the TCP
connection's end, which the TLS layer is told first (it is remembered there).
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured
from twisted.internet.error import ConnectionDone
from twisted.protocols import tls
from twisted.python.failure import Failure
from twisted.web import _newclient, http

__all__ = ["CutConnections", "install"]

_installed = False
# Set on a TLS connection: the Failure its TCP connection ended with.
_TCP_END = "_newscrawl_tcp_end"


def _remember_tcp_end(original: Any) -> Any:
    def connectionLost(self: Any, reason: Failure) -> None:
        if getattr(self, _TCP_END, None) is None:
            setattr(self, _TCP_END, reason)
        original(self, reason)

    return connectionLost


def _clean(parser: Any, reason: Failure) -> bool:
    """Whether the connection `parser` read from ended cleanly: with a FIN, over
    TLS with or without its closing alert (see the module's docstring)."""
    if reason.check(ConnectionDone):  # type: ignore[no-untyped-call]
        return True
    # The parser's transport is already detached: its HTTP protocol's is not.
    protocol = getattr(parser.finisher, "__self__", None)
    tcp_end = getattr(getattr(protocol, "transport", None), _TCP_END, None)
    return isinstance(tcp_end, Failure) and bool(tcp_end.check(ConnectionDone))  # type: ignore[no-untyped-call]


def _cut_when_not_clean(original: Any) -> Any:
    def connectionLost(self: Any, reason: Failure | None = None) -> None:
        decoder = self.bodyDecoder
        if (
            isinstance(decoder, http._IdentityTransferDecoder)
            and decoder.contentLength is None  # the body ends with the connection
            and reason is not None
            and not _clean(self, reason)
        ):
            # What Twisted does for a body shorter than its Content-Length.
            decoder.dataCallback = decoder.finishCallback = None
            lost: Any = Failure(http._DataLoss())  # type: ignore[no-untyped-call]
            failed: Any = _newclient.ResponseFailed([reason, lost], self.response)  # type: ignore[no-untyped-call]
            self.response._bodyDataFinished(Failure(failed))  # type: ignore[no-untyped-call]
            return
        original(self, reason)

    return connectionLost


def install() -> None:
    """Take a close-delimited body cut by its connection for a cut one (once)."""
    global _installed
    if _installed:
        return
    parser = _newclient.HTTPClientParser
    parser.connectionLost = _cut_when_not_clean(parser.connectionLost)  # type: ignore[method-assign]
    wrapper = tls.TLSMemoryBIOProtocol
    wrapper.connectionLost = _remember_tcp_end(wrapper.connectionLost)  # type: ignore[method-assign]
    _installed = True


class CutConnections:
    """The extension that installs it in the crawler's process."""

    def __init__(self) -> None:
        if not all(
            hasattr(module, name)
            for module, name in (
                (_newclient.HTTPClientParser, "connectionLost"),
                (_newclient, "ResponseFailed"),
                (http, "_IdentityTransferDecoder"),
                (http, "_DataLoss"),
                (tls.TLSMemoryBIOProtocol, "connectionLost"),
            )
        ):
            raise NotConfigured("Twisted's HTTP client changed: a cut connection is a body")
        install()

    @classmethod
    def from_crawler(cls, crawler: Any) -> CutConnections:
        return cls()
