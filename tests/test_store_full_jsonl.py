"""A SQLite store that runs out of room while its JSON Lines output does not:
the output holds the articles the store holds, no batch the store dropped."""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
from pathlib import Path

from .conftest import BIN, FAST, FolderSite
from .test_archive_crawl import many_pages

ARTICLES = 80


def test_a_batch_the_store_dropped_is_not_written_to_the_json_lines_output(
    tmp_path: Path,
) -> None:
    many_pages(tmp_path / "site", ARTICLES)
    site = FolderSite(tmp_path / "site")
    db, out = tmp_path / "crawl.sqlite", tmp_path / "out.jsonl"
    room = 600_000  # the store's log outgrows it part-way; the spool's does not

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

    try:
        done = subprocess.run(
            [str(BIN / "newscrawl"), "crawl", site.url, "--db", str(db), "--workers", "0",
             "-o", str(out),
             "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=10",
             "-s", "NEWSCRAWL_SQLITE_COMMIT_SECONDS=600", *FAST],
            capture_output=True, preexec_fn=small_files, timeout=180, check=False,
        )  # fmt: skip
    finally:
        site.close()
    err = done.stderr.decode()
    print(err)
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
