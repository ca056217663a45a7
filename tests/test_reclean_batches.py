"""Re-cleaning commits in batches: a stop during it keeps the batches done.

The stop is a real SQLite trigger that fails the UPDATE of the row after
FAIL_AFTER, as a full disk would (RAISE(ABORT) ends the statement, not the
transaction): the work not yet committed is then lost as on a kill, and the
committed batches must stay.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from newscrawl.article import clean_article
from newscrawl.cleaning import TextCleaner
from newscrawl.items import ArticleItem
from newscrawl.reclean import reclean
from newscrawl.storage import RECLEAN_COMMIT_EVERY, ArticleStore, StorageError

from .conftest import BIN, FAST, REPO, run

ROWS = 2 * RECLEAN_COMMIT_EVERY + 200
FAIL_AFTER = RECLEAN_COMMIT_EVERY + 200  # updates; the next one fails
FURNITURE = "Sign up for the harbour newsletter and never miss a tide table again."

ARTICLE = ArticleItem(
    url="http://n.test/a",
    canonical_url="http://n.test/a",
    site="n.test",
    title="A title",
    authors=[],
    published="2026-03-14",
    language="en",
    description=None,
    text="",
    word_count=0,
    fetched_at="2026-03-15T10:00:00Z",
    cleaning={},
)

# Counts the re-cleaned rows in the transaction, and fails the next update past
# FAIL_AFTER: the counter rolls back with whatever was not committed.
FAILING_DISK = f"""
CREATE TABLE recleaned (canonical_url TEXT NOT NULL);
CREATE TRIGGER count_recleaned AFTER UPDATE OF text ON articles
BEGIN INSERT INTO recleaned VALUES (NEW.canonical_url); END;
CREATE TRIGGER disk_full BEFORE UPDATE OF text ON articles
WHEN (SELECT count(*) FROM recleaned) >= {FAIL_AFTER}
BEGIN SELECT RAISE(ABORT, 'database or disk is full (a trigger of the test)'); END;
"""


def make_store(path: Path) -> None:
    """ROWS articles of one site stored as the first pages of a crawl are: cleaned
    before the site model knew that FURNITURE is on every page. Each row is then
    stale for the end-of-run re-clean, and for a full one."""
    store = ArticleStore.open(path)
    for number in range(ROWS):
        # Long enough to stay an article without the furniture (site boilerplate is
        # never the reason a thin page is lost).
        raw = (
            f"Story {number} opens the harbour report with the berth repairs, the dredging"
            f" of the channel and the new crane on the quay.\n{FURNITURE}"
        )
        article = replace(ARTICLE, canonical_url=f"http://n.test/{number:05}", raw_text=raw)
        article.text = raw
        clean_article(article, TextCleaner(), 0)
        store.upsert(article)
    store.close()


def cleaned_rows(path: Path, read_only: bool = False) -> int:
    """Rows whose text no longer holds FURNITURE, as committed."""
    uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    with sqlite3.connect(uri, uri=True) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM articles WHERE text LIKE 'Story %' AND text NOT LIKE ?",
            (f"%{FURNITURE}%",),
        ).fetchone()
    return int(count)


def test_an_end_of_run_reclean_stopped_half_way_keeps_its_batches_and_the_next_finishes(
    tmp_path: Path,
):
    path = tmp_path / "news.sqlite"
    make_store(path)
    assert cleaned_rows(path) == 0
    with sqlite3.connect(path) as db:
        db.executescript(FAILING_DISK)

    store = ArticleStore.open(path)
    with pytest.raises(StorageError, match="disk is full"):
        reclean(store, TextCleaner(), stale_only=True)
    store.connection.close()  # no commit: what a kill leaves
    assert cleaned_rows(path) == RECLEAN_COMMIT_EVERY  # the first batch stays

    with sqlite3.connect(path) as db:
        db.executescript("DROP TRIGGER disk_full; DROP TRIGGER count_recleaned;")
    store = ArticleStore.open(path)
    # The next run's end-of-run re-clean finds exactly the rows not yet done.
    assert reclean(store, TextCleaner(), stale_only=True) == ROWS - RECLEAN_COMMIT_EVERY
    assert reclean(store, TextCleaner(), stale_only=True) == 0
    assert reclean(store, TextCleaner()) == 0  # the same as re-cleaning every row
    store.close()
    assert cleaned_rows(path) == ROWS


def test_newscrawl_reclean_stopped_by_a_full_disk_keeps_its_batches(tmp_path: Path):
    path = tmp_path / "news.sqlite"
    make_store(path)
    with sqlite3.connect(path) as db:
        db.executescript(FAILING_DISK)
    result = run("newscrawl", "reclean", "--db", str(path))
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"newscrawl: error: cannot write to {path}: database or disk is full")
    assert cleaned_rows(path) == RECLEAN_COMMIT_EVERY


def test_a_crawl_stopped_during_its_end_of_run_reclean_keeps_the_batches_done(
    site_url: str, tmp_path: Path
):
    """The real thing: a crawl of the local site whose database holds many rows of
    that site cleaned with an old site model, so its end-of-run re-clean takes
    seconds; Ctrl-C once the first batch is committed, and the stop watchdog
    (NEWSCRAWL_STOP_TIMEOUT=0.2) ends the process mid-re-clean with exit 3."""
    site = site_url.split("//")[1].rstrip("/")
    # Eight batches: one takes 0.6 s to re-clean on a quiet machine (more on a busy
    # one, which slows the polling below no more than it slows the re-clean), so
    # the stop lands with batches still to do; more rows would cost the setup's CPU.
    rows = 8 * RECLEAN_COMMIT_EVERY
    path = tmp_path / "news.sqlite"
    store = ArticleStore.open(path)
    for number in range(rows):
        # Long enough to stay an article without the furniture (site boilerplate is
        # never the reason a thin page is lost).
        raw = (
            f"Story {number} opens the harbour report with the berth repairs, the dredging"
            f" of the channel and the new crane on the quay.\n{FURNITURE}"
        )
        article = replace(ARTICLE, canonical_url=f"{site_url}old/{number:05}", site=site,
                          raw_text=raw, text=raw)  # fmt: skip
        clean_article(article, TextCleaner(), 0)
        store.upsert(article)
    store.close()
    command = [str(BIN / "newscrawl"), "crawl", site_url, "--db", str(path), *FAST,
               "-s", "NEWSCRAWL_STOP_TIMEOUT=0.2"]  # fmt: skip
    crawl = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while cleaned_rows(path, read_only=True) < RECLEAN_COMMIT_EVERY:
        assert crawl.poll() is None and time.monotonic() < deadline, "no batch was committed"
        time.sleep(0.05)
    crawl.send_signal(signal.SIGINT)
    _, err = crawl.communicate(timeout=60)
    assert crawl.returncode == 3, err.decode()[-2000:]
    assert b"did not stop within NEWSCRAWL_STOP_TIMEOUT" in err
    kept = cleaned_rows(path)
    assert RECLEAN_COMMIT_EVERY <= kept < rows  # stopped half-way, its batches kept
    assert kept % RECLEAN_COMMIT_EVERY == 0  # whole batches only

    again = subprocess.run(command, cwd=REPO, capture_output=True, timeout=180, check=False)
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    assert cleaned_rows(path) == rows  # the next run's re-clean did the rest
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
