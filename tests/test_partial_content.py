"""A 206 Partial Content answer to a request that asked for no range is a part of
the page, not the page: retried, then counted as failed, never stored or obeyed
as if whole (newscrawl/partial.py)."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from newscrawl.demo.server import QuietHandler
from newscrawl.partial import part_of_the_whole
from newscrawl.settings import RETRY_TIMES

from .conftest import FAST, run, serving

STORY = (
    "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Lock gates"
    "</title><meta property='og:type' content='article'></head><body><article>"
    "<h1>Lock gates</h1>"
    + "".join(
        f"<p>Step {n}: the canal trust replaces the upper lock gates this winter, and"
        f" boats wait at the basin for {n} days while the new oak beams are fitted.</p>"
        for n in range(40)
    )
    + "</article></body></html>"
).encode()
ROBOTS = (
    b"User-agent: *\nAllow: /news/\n"
    + b"# the rules of the archive\n" * 20
    + (b"Disallow: /private/\n")
)


@pytest.mark.parametrize(
    ("content_range", "part"),
    [
        ("bytes 0-99/300", True),  # the first third
        ("bytes 100-299/300", True),  # the rest
        ("bytes 0-299/*", True),  # a whole it does not know the length of
        (None, True),  # no range named: nothing vouches for the body
        ("items 0-9/10", True),
        ("bytes 0-299/300", False),  # all of it, as some servers answer every request
        ("Bytes  0-299/300", False),
    ],
)
def test_a_206_is_whole_only_when_its_range_is_all_of_it(
    content_range: str | None, part: bool
) -> None:
    assert part_of_the_whole(content_range) is part


class _PartialHandler(QuietHandler):
    """/part: the story's first third, 206; /all: the story whole, 206 with a range
    of all of it; /private/x.html: an article robots.txt forbids. robots.txt
    answers 206 with its first line only when the server's `robots` is "part"."""

    hits: ClassVar[list[str]] = []
    robots: ClassVar[str] = "whole"

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        if self.path == "/robots.txt":
            body, status = ROBOTS, 200
            if type(self).robots == "part":
                body, status = ROBOTS[: ROBOTS.index(b"\n") + 1], 206
            return self._send(status, body, "text/plain", len(ROBOTS))
        if self.path == "/part":
            return self._send(206, STORY[: len(STORY) // 3], "text/html", len(STORY))
        if self.path == "/all":
            return self._send(206, STORY.replace(b"Lock", b"Weir"), "text/html", len(STORY))
        return self._send(200, STORY.replace(b"Lock", b"Sluice"), "text/html", None)

    def _send(self, status: int, body: bytes, kind: str, whole: int | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        if whole is not None:
            self.send_header("Content-Range", f"bytes 0-{len(body) - 1}/{whole}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_page_answered_in_part_is_retried_and_not_stored() -> None:
    """Before: the 206's first third was stored as the article, 320 words of about
    1,000, cut mid-sentence, exit code 0; and a stored article is not fetched
    again."""
    _PartialHandler.hits.clear()
    _PartialHandler.robots = "whole"
    with serving(_PartialHandler) as base:
        result = run("newscrawl", "scrape", f"{base}/part", f"{base}/all", f"{base}/news/x",
                     *FAST, "-L", "WARNING", timeout=60)  # fmt: skip
    err = result.stderr.decode()
    stored = {item["url"]: item for item in map(json.loads, result.stdout.decode().splitlines())}
    assert set(stored) == {f"{base}/all", f"{base}/news/x"}, err
    assert all(item["word_count"] > 900 for item in stored.values())
    assert f"no article from {base}/part: ResponseDataLossError" in err
    # Retried as a body cut short by its Content-Length is.
    assert _PartialHandler.hits.count("/part") == 1 + RETRY_TIMES
    assert result.returncode == 1


def test_a_robots_txt_answered_in_part_keeps_the_crawl_off_its_host(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Before: the first line of the robots.txt ("User-agent: *") was obeyed as all
    of it, and the page its missing "Disallow: /private/" forbids was fetched
    and stored. What a robots.txt says past its part is not known: RFC 9309's
    unreachable robots.txt, the host is not crawled."""
    _PartialHandler.hits.clear()
    _PartialHandler.robots = "part"
    try:
        with serving(_PartialHandler) as base:
            out = tmp_path / "out.jsonl"
            result = run("newscrawl", "crawl", f"{base}/private/x.html", "-o", str(out),
                         *FAST, timeout=60)  # fmt: skip
    finally:
        _PartialHandler.robots = "whole"
    err = result.stderr.decode()
    assert "/private/x.html" not in _PartialHandler.hits, err
    assert not out.exists() or out.read_text() == "", err
    assert "unreachable" in err
    assert result.returncode == 1
