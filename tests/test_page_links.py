"""A page's links, made absolute by the page worker without urljoin where that is
plain: the same addresses urljoin gives, for every form an href takes."""

from __future__ import annotations

import itertools
from urllib.parse import urljoin, urlsplit

import pytest

from newscrawl.pageworker import _path_of, read_page, resolve_link

BASES = [
    "http://news.test/section/story.html",
    "https://news.test:8443/a/b/",
    "http://user@news.test/deep/er/page?x=1",
    "http://127.0.0.1:8765/p/3.html",
]
PATHS = [
    "", "/", "/a", "/a/b.html", "/a//b", "//other.test/x", "///x", "/a/./b", "/a/../b",
    "/.hidden", "/a/..", "/a;params", "/a b", "/a\tb", "/ä/ü", "/a\\b", "/%2e%2e/x",
    "/x.JPG", "/a:b@c", "/a'(b)*+,=!$&~", "/x.pdf/", "/-_.",
]  # fmt: skip
QUERIES = ["", "?", "?q=1", "?q=1&r=/s?t", "?a;b", "?ä", "??"]
FRAGMENTS = ["", "#", "#top", "#a?b"]
PREFIXES = [
    "", "http://other.test", "https://other.test:8080", "HTTP://other.test", "http://o.test.",
    "http://user@o.test", "http://[::1]:80", "ftp://o.test", "  ", "\n", "x", "../", "./",
]  # fmt: skip


def _hrefs() -> list[str]:
    combined = itertools.product(PREFIXES, PATHS, QUERIES, FRAGMENTS)
    return ["".join(parts) for parts in combined]


@pytest.mark.parametrize("base", BASES)
def test_every_href_resolves_as_urljoin_resolves_it(base: str) -> None:
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    differ = []
    for href in _hrefs():
        try:
            expected: str | None = urljoin(base, href.strip()).partition("#")[0]
        except ValueError:
            expected = None
        if resolve_link(href, base, origin) != expected:
            differ.append((href, resolve_link(href, base, origin), expected))
    assert differ == []


def test_the_path_ends_as_urlsplit_s_path_ends() -> None:
    """What the file-type check reads: the URL up to its query stands for its path
    only when it has one; a host that looks like a file ("files.pdf") is no file."""
    urls = [
        "http://files.pdf", "http://files.pdf?x=1.jpg", "http://h.test/a.jpg?x", "http://h.test/",
        "http://h.test/a.JPG", "https://u:p@h.test:81/x.mp4#f", "http://[::1]/x.png",
        "http://h.test/a;b.css", "http://h.test?q=/x.png", "http://h.test#/x.png",
    ]  # fmt: skip
    for url in urls:
        assert _path_of(url).endswith(urlsplit(url).path), url
        assert _path_of(url).lower().endswith(".png") == urlsplit(url).path.lower().endswith(
            ".png"
        ), url


def test_a_page_s_links_are_its_hrefs_made_absolute_once_each() -> None:
    page = (
        b"<html><body>"
        b"<a href='/a/1.html'>1</a><a href='/a/1.html#c'>1 again</a><a href='2.html'>2</a>"
        b"<a href='/x/../a/3.html'>3</a><a href='//cdn.test/p.html'>cdn</a>"
        b"<a href='/img/a.JPG'>image</a><a href='http://files.pdf/'>host</a>"
        b"<a href='mailto:x@y.test'>mail</a><a href='/a//4.html'>4</a>"
        b"</body></html>"
    )
    reading = read_page(page, "http://news.test/a/0.html", "text/html")
    assert reading.links == [
        "http://news.test/a/1.html",
        "http://news.test/a/2.html",
        "http://news.test/a/3.html",
        "http://cdn.test/p.html",
        "http://files.pdf/",
        "http://news.test/a//4.html",  # as urljoin leaves it
    ]


def test_files_are_told_by_the_extension_after_the_last_dot() -> None:
    """The extension lookup skips what the 113 endswith tests skipped: a file's
    extension in any case, after several dots; not a segment named like one."""
    page = (
        b"<html><body>"
        b"<a href='/a/x.PDF'>pdf</a><a href='/a/x.tar.gz'>gz</a><a href='/mp3'>no dot</a>"
        b"<a href='/a.mp3/story'>dot in a folder</a><a href='/a/xmp3'>no dot either</a>"
        b"<a href='/a/x.'>bare dot</a><a href='/a/story.html?f=x.mp3'>query</a>"
        b"</body></html>"
    )
    reading = read_page(page, "http://news.test/", "text/html")
    assert reading.links == [
        "http://news.test/mp3",
        "http://news.test/a.mp3/story",
        "http://news.test/a/xmp3",
        "http://news.test/a/x.",
        "http://news.test/a/story.html?f=x.mp3",
    ]


def test_a_link_s_tracking_and_session_arguments_are_not_part_of_its_address() -> None:
    """A site that gives every link a new ?utm_source= or session had each article
    fetched once a link; the other arguments stay as written."""
    page = (
        b"<html><body>"
        b"<a href='/a/1.html?utm_source=home&id=7&fbclid=x'>1</a>"
        b"<a href='/a/1.html?id=7&utm_source=side'>1 again</a>"
        b"<a href='/a/2.html?PHPSESSID=f00'>2</a><a href='/a/2.html?PHPSESSID=ba4'>2 again</a>"
        b"<a href='/a/3.html;jsessionid=0A1B?page=2'>3</a>"
        b"<a href='/a/4.html?sid=12'>4: a story's id on some sites</a>"
        b"<a href='/a/5.html?b=2&a=1'>5</a>"
        b"</body></html>"
    )
    reading = read_page(page, "http://news.test/a/0.html", "text/html")
    assert reading.links == [
        "http://news.test/a/1.html?id=7",
        "http://news.test/a/2.html",
        "http://news.test/a/3.html?page=2",
        "http://news.test/a/4.html?sid=12",
        "http://news.test/a/5.html?b=2&a=1",
    ]
