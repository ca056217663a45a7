"""A site whose links carry a new tracking argument or session on every page
(no cookies: a crawl sends none) has each article fetched and stored once."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

from newscrawl.demo.server import QuietHandler

from .conftest import run, serving

ARTICLES = 5


def _flooding_site(fetched: list[str]) -> type[QuietHandler]:
    counter = itertools.count()
    lock = threading.Lock()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            with lock:
                n = next(counter)
                fetched.append(self.path)
            if self.path == "/robots.txt":
                return self.send_page(b"User-agent: *\nAllow: /\n", "text/plain")
            # Every page links to every article under a session and a campaign of its own.
            links = " ".join(
                f"<a href='/a/{i}.html;jsessionid=J{n}?utm_source=s{n}'>Story {i}</a>"
                f" <a href='/b/{i}.html?PHPSESSID=p{n}&amp;utm_medium=m{n}'>Story {i}, again</a>"
                for i in range(ARTICLES)
            )
            number = self.path.split("/")[-1].split(".")[0]
            paragraphs = "".join(
                f"<p>Paragraph {j} of story {number}: the harbour board met on Tuesday to"
                f" weigh the plan for quay {number} and its costs, which the council disputes.</p>"
                for j in range(6)
            )
            page = (
                f"<html lang='en'><head><title>Story {number}</title>"
                "<meta property='og:type' content='article'></head><body><article>"
                f"<h1>Story {number}</h1>{paragraphs}</article><nav>{links}</nav></body></html>"
            )
            return self.send_page(page.encode())

    return Handler


def test_links_with_a_new_session_on_every_page_fetch_each_article_once(tmp_path: Path) -> None:
    fetched: list[str] = []
    out = tmp_path / "out.jsonl"
    with serving(_flooding_site(fetched)) as base:
        result = run("newscrawl", "crawl", f"{base}/a/0.html", "--max-pages", "40",
                     "-o", str(out), "-s", "DOWNLOAD_DELAY=0", "-L", "WARNING", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    pages = [path for path in fetched if path != "/robots.txt"]
    # Each of the 10 addresses (/a/ and /b/) once, as written less the arguments.
    assert sorted(pages) == sorted(
        {f"/{kind}/{i}.html" for kind in "ab" for i in range(ARTICLES)}
    ), pages
    urls = [json.loads(line)["url"] for line in out.read_text().splitlines()]
    assert len(urls) == len(set(urls)) == 2 * ARTICLES, urls
