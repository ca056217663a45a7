"""Ctrl-C during a crawl: the run stops early and keeps everything it stored."""

import json
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from newscrawl.demo.server import QuietHandler

from .conftest import BIN, FAST, REPO

PAGES = 60


def article(number: int) -> bytes:
    paragraphs = "".join(
        f"<p>Report {number}, part {part}: the harbour committee met again on day {number} "
        f"and discussed item {part} of its agenda, which concerns the repair of berth {number + part}.</p>"
        for part in range(1, 4)
    )
    return (
        f"<html lang='en'><head><title>Harbour report {number}</title>"
        f"<meta property='og:type' content='article'></head>"
        f"<body><article><h1>Harbour report {number}</h1>{paragraphs}</article></body></html>"
    ).encode()


class SlowSite(QuietHandler):
    """A home page linking to PAGES articles, each served after a short delay."""

    def do_GET(self) -> None:
        if self.path == "/":
            links = "".join(
                f"<a href='/report-{n}-harbour-committee-meets.html'>{n}</a>" for n in range(PAGES)
            )
            body = f"<html><body>{links}</body></html>".encode()
        elif self.path.startswith("/report-"):
            time.sleep(0.2)
            body = article(int(self.path.split("-")[1]))
        else:
            self.send_error(404)
            return
        self.send_page(body)


@pytest.fixture()
def slow_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowSite)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_ctrl_c_keeps_what_was_stored(slow_site: str, tmp_path: Path):
    out, db = tmp_path / "a.jsonl", tmp_path / "a.sqlite"
    # Rows committed one by one: the stop comes once five articles are stored. (The
    # JSON Lines records are written when the crawl closes, with their final text.)
    command = [str(BIN / "newscrawl"), "crawl", slow_site, "-o", str(out), "--db", str(db),
               "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=1", *FAST]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and count_rows(db) < 5:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr.decode()
    assert b"Traceback" not in stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = {url for (url,) in connection.execute("SELECT canonical_url FROM articles")}
    # Stopped early, and the database holds exactly what the feed received.
    assert 5 <= len(lines) < PAGES
    assert stored == {line["canonical_url"] for line in lines}


def count_rows(db: Path, table: str = "articles") -> int:
    """How many rows `table` of the SQLite file `db` holds (0 while it cannot be read)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_sigkill_then_the_same_command_stores_every_article_exactly_once(
    slow_site: str, tmp_path: Path
):
    db = tmp_path / "a.sqlite"
    command = [str(BIN / "newscrawl"), "crawl", slow_site, "--db", str(db),
               "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=5", *FAST]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and count_rows(db) < 10:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    before = count_rows(db)
    assert 10 <= before < PAGES

    again = subprocess.run(command, cwd=REPO, capture_output=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr.decode()
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    total, distinct = connection.execute(
        "SELECT count(*), count(DISTINCT canonical_url) FROM articles"
    ).fetchone()
    assert total == distinct == PAGES
    # The second run fetched only what the first had not stored.
    assert f"articles: {PAGES - before} stored from".encode() in again.stderr


def test_a_second_crawl_on_the_same_database_says_so_and_exits(slow_site: str, tmp_path: Path):
    db = tmp_path / "a.sqlite"
    # Rows committed one by one: the first shows early, while most of the crawl is ahead.
    command = [str(BIN / "newscrawl"), "crawl", slow_site, "--db", str(db),
               "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=1", *FAST]  # fmt: skip
    first = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and count_rows(db) < 1:
            time.sleep(0.05)
        second = subprocess.run(command, cwd=REPO, capture_output=True, timeout=60, check=False)
        err = second.stderr.decode()
        assert second.returncode == 2, err
        assert err.startswith(
            f"newscrawl: error: another newscrawl crawl (pid {first.pid}) is using {db}"
        )
    finally:
        first.kill()
        first.wait(timeout=30)
