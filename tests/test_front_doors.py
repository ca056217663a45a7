"""The two front doors crawl alike: `newscrawl crawl --sites FILE` and `scrapy crawl
news -a sites=FILE` (what scrapyd runs) honour a site's `delay`, `concurrency` and
`boilerplate`, and give the same articles."""

from __future__ import annotations

import itertools
import json
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from .conftest import run
from .loopback import serve, stop

DELAY = 0.8  # the site's delay; Scrapy waits 0.5 to 1.5 times it between requests
FURNITURE = "Read the Harbour Gazette in print every Friday morning."


def article(number: int, furnished: bool) -> bytes:
    body = "".join(
        f"<p>Gazette report {number}, part {part}: the ferry committee met again and"
        f" discussed item {part} of its agenda, the repair of slipway {number + part}.</p>"
        for part in range(1, 4)
    )
    # On two pages of four: too few for the site model, only the pattern knows it.
    extra = f"<p>{FURNITURE}</p>" if furnished else ""
    return (
        f"<html lang='en'><head><title>Gazette report {number}</title>"
        f"<meta property='og:type' content='article'></head><body><article>"
        f"<h1>Gazette report {number}</h1>{body}{extra}</article></body></html>"
    ).encode()


class Gazette:
    """Four articles and an index on 127.0.0.1, recording when each request came."""

    def __init__(self) -> None:
        self.hits: list[tuple[float, str]] = []
        self.in_flight = self.max_in_flight = 0
        pages = {f"/a/{n}.html": article(n, n <= 2) for n in range(1, 5)}
        links = "".join(f"<a href='/a/{n}.html'>Gazette report {n}</a>" for n in range(1, 5))
        pages["/"] = f"<html><body>{links}</body></html>".encode()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.hits.append((time.monotonic(), self.path))
                site.in_flight += 1
                site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    body = pages.get(self.path)
                    if body is None:
                        self.send_error(404)
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    site.in_flight -= 1

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server, self.url = serve(Handler)

    def gaps(self) -> list[float]:
        times = sorted(at for at, _ in self.hits)
        return [later - earlier for earlier, later in itertools.pairwise(times)]


@pytest.fixture()
def gazette() -> Gazette:
    site = Gazette()
    yield site
    stop(site.server)


def items(path: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return sorted((row["url"], row["text"]) for row in rows)


def test_both_doors_honour_delay_concurrency_and_boilerplate(gazette: Gazette, tmp_path: Path):
    sites = tmp_path / "sites.toml"
    sites.write_text(
        f'[[site]]\nname = "gazette"\nstart_urls = ["{gazette.url}"]\n'
        f'boilerplate = ["read the harbour gazette in print every friday morning"]\n'
        f"delay = {DELAY}\nconcurrency = 1\n"
    )
    # The crawl-wide delay is tiny: only the site's own delay can space the requests.
    common = ["-s", "DOWNLOAD_DELAY=0.01", "-s", "AUTOTHROTTLE_ENABLED=False"]
    ours = run("newscrawl", "crawl", "--sites", str(sites), "-o", str(tmp_path / "ours.jsonl"),
               "--db", str(tmp_path / "ours.sqlite"), *common)  # fmt: skip
    assert ours.returncode == 0, ours.stderr.decode()[-2000:]
    ours_gaps, ours_most = gazette.gaps(), gazette.max_in_flight
    gazette.hits.clear()
    gazette.max_in_flight = 0
    scrapy = run("scrapy", "crawl", "news", "-a", f"sites={sites}", "-O",
                 str(tmp_path / "scrapy.jsonl"), "-s",
                 f"NEWSCRAWL_SQLITE_PATH={tmp_path / 'scrapy.sqlite'}", *common)  # fmt: skip
    assert scrapy.returncode == 0, scrapy.stderr.decode()[-2000:]
    scrapy_gaps, scrapy_most = gazette.gaps(), gazette.max_in_flight

    assert len(ours_gaps) >= 4 and len(scrapy_gaps) >= 4
    for gaps in (ours_gaps, scrapy_gaps):
        assert min(gaps) >= 0.45 * DELAY, gaps  # Scrapy's jitter: 0.5 to 1.5 times the delay
    assert ours_most == scrapy_most == 1
    ours_items, scrapy_items = items(tmp_path / "ours.jsonl"), items(tmp_path / "scrapy.jsonl")
    assert len(ours_items) == 4
    assert ours_items == scrapy_items
    assert not any(FURNITURE in text for _, text in ours_items)
