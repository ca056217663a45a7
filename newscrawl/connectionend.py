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
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import NotConfigured
from twisted.internet.error import ConnectionDone
from twisted.python.failure import Failure
from twisted.web import _newclient, http

__all__ = ["CutConnections", "install"]

_installed = False


def _cut_when_not_clean(original: Any) -> Any:
    def connectionLost(self: Any, reason: Failure | None = None) -> None:
        decoder = self.bodyDecoder
        if (
            isinstance(decoder, http._IdentityTransferDecoder)
            and decoder.contentLength is None  # the body ends with the connection
            and reason is not None
            and not reason.check(ConnectionDone)  # type: ignore[no-untyped-call]
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
            )
        ):
            raise NotConfigured("Twisted's HTTP client changed: a cut connection is a body")
        install()

    @classmethod
    def from_crawler(cls, crawler: Any) -> CutConnections:
        return cls()
