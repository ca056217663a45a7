"""Whether an answer that names no Content-Type is an HTML page, as a browser
would decide it.

Scrapy picks a response's class from its Content-Type, else from the URL's
extension, else from its body, where it looks for "<html>" or "<!doctype html>"
exactly: a page served without a Content-Type that opens with `<html lang="en">`
became a plain text response, and was skipped as `not_html` although a browser
shows it (found by an attack session). Browsers go by the body's first tag
(the WHATWG MIME Sniffing standard's rules for an unknown type): that rule,
written for this project, is `looks_like_html`.
"""

from __future__ import annotations

__all__ = ["looks_like_html"]

# The tags whose opening marks a body as HTML when nothing says its type, each
# followed by a space or ">" ("<a" must not match "<abbr"... or "<address").
_OPENINGS = (
    b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div",
    b"<font", b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p",
    b"<!--",
)  # fmt: skip
_WHITESPACE = b"\t\n\x0c\r "
_BYTE_ORDER_MARK = b"\xef\xbb\xbf"


def looks_like_html(body: bytes) -> bool:
    """True if `body`, whose type its answer does not name, opens as an HTML page
    (after a UTF-8 byte order mark and white space)."""
    head = body[:1024].removeprefix(_BYTE_ORDER_MARK).lstrip(_WHITESPACE).lower()
    for opening in _OPENINGS:
        if head.startswith(opening) and head[len(opening) : len(opening) + 1] in (b" ", b">"):
            return True
    return False
