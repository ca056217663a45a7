"""The store's one owner opens it before the first request: while robots.txt is
still being fetched, a reader already sees the tables and a second run on the
same database is refused."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from .conftest import BIN, FAST, REPO, run
from .loopback import serve, stop


class HeldRobots:
    """A site whose robots.txt does not answer until `release` (or 60 s)."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.release = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    site.asked.set()
                    site.release.wait(60)
                    body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
                else:
                    body = (
                        b"<html><head><meta property='og:type' content='article'></head><body>"
                        + b"<p>The ferry committee met on Tuesday and agreed the new summer"
                        b" timetable after a long debate about the early crossings.</p>"
                        * 3
                        + b"</body></html>"
                    )
                    kind = "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server, self.url = serve(Handler)


@pytest.fixture()
def held() -> Iterator[HeldRobots]:
    site = HeldRobots()
    yield site
    site.release.set()
    stop(site.server)


@pytest.mark.parametrize("command", ["scrape", "crawl"])
def test_the_store_is_open_and_locked_before_the_first_request(
    held: HeldRobots, tmp_path: Path, command: str
):
    db = tmp_path / "news.sqlite"
    first = subprocess.Popen(
        [str(BIN / "newscrawl"), command, f"{held.url}story.html", "--db", str(db), *FAST],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert held.asked.wait(60), "robots.txt was never asked for"
        time.sleep(0.2)  # robots.txt is the first request; it is held, nothing else went out
        with sqlite3.connect(db, timeout=1) as reader:
            tables = {name for (name,) in reader.execute("SELECT name FROM sqlite_master")}
        assert {"articles", "urls", "runs"} <= tables
        second = run("newscrawl", "crawl", held.url, "--db", str(db), *FAST)
        err = second.stderr.decode()
        assert second.returncode == 2, err
        assert "is using" in err and "Traceback" not in err
        held.release.set()
        _, stderr = first.communicate(timeout=120)
    finally:
        held.release.set()
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, stderr.decode()[-2000:]
    with sqlite3.connect(db) as reader:
        assert reader.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
