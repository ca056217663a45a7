"""An answer that names no Content-Type: an HTML page by its first tag, as a
browser judges it (newscrawl/sniff.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from newscrawl.sniff import looks_like_html

from .conftest import FAST, run, serving

ARTICLE = (
    '<html lang="en"><head><title>Lock gates replaced</title></head><body><article>'
    "<h1>Lock gates replaced</h1>"
    + "".join(
        f"<p>Paragraph {n}: the canal trust lifted the old oak gates out of the lock on"
        " Monday and set the new ones in place by the evening, to the cheers of boaters.</p>"
        for n in range(6)
    )
    + "</article></body></html>"
)


@pytest.mark.parametrize(
    ("body", "html"),
    [
        (b'<html lang="en"><head>', True),
        (b"\xef\xbb\xbf\n  <!DOCTYPE html>\n<html>", True),
        (b"<HEAD><title>x</title>", True),
        (b"<!-- built at 12:00 --><html>", True),
        (b"<p>one line</p>", True),
        (b"<abbr>no</abbr>", False),  # "<a" must be a whole tag name
        (b"Dear reader, <html> is a tag.", False),
        (b'{"items": []}', False),
        (b"%PDF-1.7", False),
        (b"", False),
    ],
)
def test_an_untyped_body_is_html_by_its_first_tag(body: bytes, html: bool) -> None:
    assert looks_like_html(body) is html


def _untyped(answer: Callable[[str], bytes]) -> type[BaseHTTPRequestHandler]:
    """A request handler that answers each path with `answer(path)` and no
    Content-Type (404 for an empty answer)."""

    class Untyped(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = answer(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Untyped


def test_an_article_served_without_a_content_type_is_read():
    """Before: Scrapy made it a text response (it looks for "<html>" exactly), and
    the article was skipped as not_html."""

    NoType = _untyped(lambda path: ARTICLE.encode() if path == "/news/lock-gates" else b"")

    with serving(NoType) as base:
        result = run("newscrawl", "scrape", f"{base}/news/lock-gates", *FAST)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["title"] == "Lock gates replaced"
    assert "the canal trust lifted the old oak gates" in row["text"]


def test_the_meta_refresh_of_a_page_served_without_a_content_type_is_followed():
    """Read as a page since 35f9294, but Scrapy's meta refresh handles only what it
    made an HTML response: the moved page's stub was read (no article:
    too_short, exit 1) where the same page named text/html led to the article."""

    moved = (
        b'<html lang="en"><head><meta http-equiv="refresh"'
        b' content="0;url=/news/lock-gates"></head><body>Moved.</body></html>'
    )
    Moved = _untyped(lambda path: ARTICLE.encode() if path == "/news/lock-gates" else moved)

    with serving(Moved) as base:
        result = run("newscrawl", "scrape", f"{base}/news/old-address", *FAST)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["title"] == "Lock gates replaced"
