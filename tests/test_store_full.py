"""A SQLite store that runs out of room during a crawl: what the run says it
stored is what the store holds.

SQLite rolls a transaction back itself when its COMMIT fails on a full disk
(SQLITE_IOERR, SQLITE_FULL); a second COMMIT then has nothing to do, and
succeeds. The crawl stops on the first failure, but the end of the crawl
commits the last batch again: before, that no-op counted the rolled-back batch
as stored, and the run record and summary claimed articles the store did not
have. The JSON Lines output, which keeps room, holds the articles the store
holds: no record of a batch the store dropped."""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
from pathlib import Path

from .conftest import BIN, FAST, FolderSite
from .test_archive_crawl import many_pages

ARTICLES = 80


def _crawl_with_little_room(
    tmp_path: Path, *options: str
) -> tuple[subprocess.CompletedProcess[bytes], Path]:
    """A crawl of ARTICLES pages into a new store, in batches of 10 committed as
    they fill (no timer: the failing commit is one of an item's, and the end of
    the crawl commits again), where no file may grow past 600 KB: room for the
    empty store and a few batches of its write-ahead log, not for all articles.
    The crawl's outcome (stderr printed) and its store."""
    many_pages(tmp_path / "site", ARTICLES)
    site = FolderSite(tmp_path / "site")
    db = tmp_path / "crawl.sqlite"
    room = 600_000

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    try:
        done = subprocess.run(
            [str(BIN / "newscrawl"), "crawl", site.url, "--db", str(db), "--workers", "0",
             *options, "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=10",
             "-s", "NEWSCRAWL_SQLITE_COMMIT_SECONDS=600", *FAST],
            capture_output=True, preexec_fn=small_files, timeout=180, check=False,
        )  # fmt: skip
    finally:
        site.close()
    print(done.stderr.decode())
    return done, db


def test_a_batch_whose_commit_failed_is_not_counted_as_stored(tmp_path: Path) -> None:
    stats_file = tmp_path / "stats.json"
    done, db = _crawl_with_little_room(tmp_path, "-s", f"NEWSCRAWL_STATS_FILE={stats_file}")
    err = done.stderr.decode()
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


def test_a_batch_the_store_dropped_is_not_written_to_the_json_lines_output(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out.jsonl"  # the spool's log stays small: only the store's outgrows its room
    done, db = _crawl_with_little_room(tmp_path, "-o", str(out))
    err = done.stderr.decode()
    assert done.returncode == 1
    assert "Traceback" not in err
    with sqlite3.connect(db) as connection:
        stored = sorted(url for (url,) in connection.execute("SELECT url FROM articles"))
    assert 0 < len(stored) < ARTICLES  # the store did run out of room part-way
    records = [json.loads(line)["url"] for line in out.read_bytes().splitlines()]
    spool = out.with_name(f".{out.name}.spool")
    if spool.exists():  # what the output could not take waits for the next run
        with sqlite3.connect(spool) as connection:
            records += [
                json.loads(record)["url"]
                for (record,) in connection.execute("SELECT record FROM records")
            ]
    # A record of a row the store dropped would be written again by the next
    # run, which fetches its page again: the output would hold it twice.
    assert sorted(records) == stored
