"""A SQLite store that runs out of room during a crawl: what the run says it
stored is what the store holds.

SQLite rolls a transaction back itself when its COMMIT fails on a full disk
(SQLITE_IOERR, SQLITE_FULL); a second COMMIT then has nothing to do, and
succeeds. The crawl stops on the first failure, but the end of the crawl
commits the last batch again: before, that no-op counted the rolled-back batch
as stored, and the run record and summary claimed articles the store did not
have."""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
from pathlib import Path

from .conftest import BIN, FAST, FolderSite
from .test_archive_crawl import many_pages

ARTICLES = 80


def test_a_batch_whose_commit_failed_is_not_counted_as_stored(tmp_path: Path) -> None:
    many_pages(tmp_path / "site", ARTICLES)
    site = FolderSite(tmp_path / "site")
    db, stats_file = tmp_path / "crawl.sqlite", tmp_path / "stats.json"
    # Room for the empty store and a few batches of the write-ahead log, not for
    # 80 articles: a commit fails part-way through the crawl.
    room = 600_000

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    try:
        done = subprocess.run(
            [str(BIN / "newscrawl"), "crawl", site.url, "--db", str(db), "--workers", "0",
             "-s", f"NEWSCRAWL_STATS_FILE={stats_file}",
             # Batches of 10, committed as they fill (no timer): the failing commit
             # is one of an item's, and the end of the crawl commits again.
             "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=10",
             "-s", "NEWSCRAWL_SQLITE_COMMIT_SECONDS=600", *FAST],
            capture_output=True, preexec_fn=small_files, timeout=180, check=False,
        )  # fmt: skip
    finally:
        site.close()
    err = done.stderr.decode()
    print(err)
    stats = json.loads(stats_file.read_text())["stats"]
    assert stats["finish_reason"] == "storage_error"
    assert done.returncode == 1
    assert "Traceback" not in err
    with sqlite3.connect(db) as connection:
        (rows,) = connection.execute("SELECT count(*) FROM articles").fetchone()
        (done_urls,) = connection.execute(
            "SELECT count(*) FROM urls WHERE state = 'done'"
        ).fetchone()
        recorded = dict(
            connection.execute(
                "SELECT counter, value FROM run_counts WHERE counter = 'stored'"
            ).fetchall()
        )
    assert 0 < rows < ARTICLES  # the store did run out of room part-way
    assert done_urls == rows
    # The run's counts (stats, run record, summary) are the rows the store holds.
    assert stats["newscrawl/run/stored"] == rows
    # (The run record too, where it found room: it is written last.)
    assert recorded.get("stored") in (None, rows)
    assert f"articles: {rows} stored" in err
