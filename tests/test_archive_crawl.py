"""Issue 18 end to end: three local outlets that each print their own stories and
one shared wire story (edited a little per outlet), crawled with a store and a
WARC archive, then searched, exported, de-duplicated and re-extracted; in SQLite
and in PostgreSQL, with real servers, real WARC files read back with warcio."""

from __future__ import annotations

import csv
import json
import os
import random
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from warcio.archiveiterator import ArchiveIterator

from .conftest import BIN, FAST, REPO, FolderSite, run
from .servers import postgres_server  # noqa: F401  (a fixture)
from .stories import OUTLETS, SAME_EVENT_STORIES, WIRE_PARAGRAPHS, WIRE_WORD, write_outlet

WIRE_PATH = "/news/valley-railway-returns.html"


@pytest.fixture()
def outlets(tmp_path: Path) -> Iterator[list[FolderSite]]:
    """The three outlets, each on its own port; the first two also print one of
    the two different stories of the same event."""
    extras = [dict([item]) for item in SAME_EVENT_STORIES.items()] + [{}]
    sites = []
    for outlet, extra in zip(OUTLETS, extras, strict=True):
        root = tmp_path / "sites" / outlet.name
        write_outlet(outlet, root, extra)
        sites.append(FolderSite(root))
    yield sites
    for site in sites:
        site.close()


def crawl(sites: list[FolderSite], db: str, archive: Path) -> Any:
    return run(
        "newscrawl", "crawl", *(s.url for s in sites), "--db", db, "--archive", str(archive),
        "--workers", "0", *FAST,
    )  # fmt: skip


def rows_of(db: str) -> list[tuple[Any, ...]]:
    """Every stored article, every column (the search column's value aside)."""
    query = (
        "SELECT canonical_url, url, site, title, authors, published, language, description,"
        " text, word_count, cleaning, content_hash, first_seen_at, fetched_at, updated_at,"
        " raw_text, anchor_texts, version, boilerplate_used, language_source, duplicate_of,"
        " archive_record FROM articles ORDER BY canonical_url"
    )
    if db.startswith("postgresql://"):
        with psycopg.connect(db) as connection:
            return [tuple(row) for row in connection.execute(query)]
    with sqlite3.connect(db) as connection:
        return [tuple(row) for row in connection.execute(query)]


def execute(db: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    if db.startswith("postgresql://"):
        with psycopg.connect(db) as connection:
            connection.execute(sql.replace("?", "%s"), params)
        return
    with sqlite3.connect(db) as connection:
        connection.execute(sql, params)


def warc_responses(archive: Path) -> dict[str, list[int]]:
    """The response records of the archive's files, by URL: their statuses."""
    found: dict[str, list[int]] = {}
    files = sorted(archive.glob("*.warc.gz"))
    assert files, f"no WARC file in {archive}"
    for path in files:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    status = int(record.http_headers.get_statuscode())
                    found.setdefault(url, []).append(status)
    return found


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "news.sqlite")
    server = request.getfixturevalue("postgres_server")
    return str(server.new_database())


def test_three_outlets_searched_exported_deduplicated_and_reextracted(
    outlets: list[FolderSite], database: str, tmp_path: Path
) -> None:
    archive = tmp_path / "warc"
    result = crawl(outlets, database, archive)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    rows = rows_of(database)
    # Each outlet: its two stories and the wire copy; the first two one more story.
    assert len(rows) == 11, [r[0] for r in rows]

    # Search finds the wire story, and only it, by a word only it has.
    found = run("newscrawl", "search", WIRE_WORD, "--db", database)
    assert found.returncode == 0, found.stderr.decode()
    hits = [json.loads(line) for line in found.stdout.decode().splitlines()]
    print("search:", *hits, sep="\n")
    assert sorted(hit["canonical_url"] for hit in hits) == sorted(s.url.rstrip("/") + WIRE_PATH
                                                                  for s in outlets)  # fmt: skip
    assert all(f"**{WIRE_WORD}**" in hit["snippet"] for hit in hits)
    assert set(hits[0]) == {"canonical_url", "title", "site", "published", "snippet"}
    one_site = run("newscrawl", "search", WIRE_WORD, "--db", database, "--site", hits[0]["site"])
    assert [json.loads(line)["site"] for line in one_site.stdout.decode().splitlines()] == [
        hits[0]["site"]
    ]

    # Exactly the two later copies of the wire story name the first as theirs.
    by_url = {row[0]: row for row in rows}
    copies = sorted((by_url[s.url.rstrip("/") + WIRE_PATH] for s in outlets),
                    key=lambda row: (row[12], row[0]))  # fmt: skip
    first = copies[0][0]
    duplicates = {row[0]: row[20] for row in rows if row[20] is not None}
    print("duplicate_of:", duplicates)
    assert duplicates == {copies[1][0]: first, copies[2][0]: first}

    # CSV: one row per article; --unique: one per story.
    for unique, expected in ((False, 11), (True, 9)):
        out = tmp_path / f"articles{'-unique' if unique else ''}.csv"
        args = ["export", "--db", database, "--format", "csv", "-o", str(out)]
        done = run("newscrawl", *args, *(["--unique"] if unique else []))
        assert done.returncode == 0, done.stderr.decode()
        with out.open(encoding="utf-8-sig", newline="") as stream:
            table = list(csv.DictReader(stream))
        assert len(table) == expected
        assert {row["canonical_url"] for row in table} <= set(by_url)
        assert all(json.loads(row["authors"]) == [row["authors"][2:-2]] for row in table)
        if unique:
            assert first in {row["canonical_url"] for row in table}
            assert not {copies[1][0], copies[2][0]} & {row["canonical_url"] for row in table}

    # The archive: a response record for every page a server sent, readable by warcio.
    responses = warc_responses(archive)
    served = {site.url.rstrip("/") + path for site in outlets for path in site.hits}
    assert served <= set(responses), served - set(responses)
    assert all(row[21] and row[21].startswith("newscrawl-") for row in rows)

    # Re-extraction from the archive, on an unchanged pipeline: every row, unchanged.
    again = run("newscrawl", "reextract", "--db", database, "--archive", str(archive))
    assert again.returncode == 0, again.stderr.decode()
    print(again.stderr.decode())
    assert "0 of 11 articles changed" in again.stderr.decode()
    assert rows_of(database) == rows

    # Workers that die: before, every row counted as "no longer an article", exit 0.
    # One worker is a worker too (before, --workers 1 read every page in the
    # command's own process, where no time or memory bound applies: so did a
    # machine of one core, whose "auto" is 1).
    for workers in ("2", "1"):
        broken = subprocess.run(
            [str(BIN / "newscrawl"), "reextract", "--db", database, "--archive", str(archive),
             "--workers", workers],
            cwd=REPO, capture_output=True, timeout=120, check=False,
            env={**os.environ, "NEWSCRAWL_TEST_WORKER_START_FAILS": "1"},
        )  # fmt: skip
        assert broken.returncode == 5, (workers, broken.stderr.decode())
        assert "newscrawl: error: the extraction workers died" in broken.stderr.decode()
        assert "Traceback" not in broken.stderr.decode()
        assert rows_of(database) == rows  # every row kept

    # An older extraction that lost paragraphs is made whole again: version 2.
    lost = copies[1][0]
    execute(database, "UPDATE articles SET raw_text = ?, text = ? WHERE canonical_url = ?",
            ("Only the first paragraph.", "Only the first paragraph.", lost))  # fmt: skip
    again = run("newscrawl", "reextract", "--db", database, "--archive", str(archive))
    assert "1 of 11 articles changed" in again.stderr.decode(), again.stderr.decode()
    after = {row[0]: row for row in rows_of(database)}
    assert after[lost][8] == by_url[lost][8]  # the text as first stored
    assert after[lost][17] == by_url[lost][17] + 1  # its version up
    assert after[lost][20] == first  # and still the same story


def stats_of(path: Path) -> dict[str, Any]:
    stats: dict[str, Any] = json.loads(path.read_text())["stats"]
    return stats


def test_a_second_crawl_of_an_unchanged_site_gets_304s_and_extracts_nothing(tmp_path: Path):
    root = tmp_path / "site"
    write_outlet(OUTLETS[2], root, {})
    site = FolderSite(root)
    db, first_warc, second_warc = str(tmp_path / "n.sqlite"), tmp_path / "w1", tmp_path / "w2"
    stats_file = tmp_path / "stats.json"
    try:
        first = crawl([site], db, first_warc)
        assert first.returncode == 0, first.stderr.decode()[-3000:]
        rows = rows_of(db)
        articles = {row[1] for row in rows}
        assert len(articles) == 3
        site.hits.clear()
        second = run("newscrawl", "crawl", site.url, "--db", db, "--archive", str(second_warc),
                     "--refresh", "--workers", "0", "-s", f"NEWSCRAWL_STATS_FILE={stats_file}",
                     *FAST)  # fmt: skip
    finally:
        site.close()
    assert second.returncode == 0, second.stderr.decode()[-3000:]
    print(second.stderr.decode())
    stats = stats_of(stats_file)
    # Every stored article was asked for again, conditionally, and was not modified.
    assert {site.url.rstrip("/") + path for path in site.hits} >= articles
    responses = warc_responses(second_warc)
    assert {url: responses[url] for url in articles} == {url: [304] for url in articles}
    assert stats["newscrawl/not_modified"] == 3
    assert stats["newscrawl/run/unchanged"] == 3
    # Nothing extracted: no page read as an article, nothing dropped, nothing stored.
    assert stats.get("newscrawl/pages/article", 0) == 0, stats
    assert not [key for key in stats if key.startswith("newscrawl/pages_dropped/")]
    assert stats.get("newscrawl/run/stored", 0) == 0
    assert "0 stored, 3 unchanged" in second.stderr.decode()
    assert rows_of(db) == rows


def many_pages(root: Path, count: int) -> None:
    """A site of `count` articles of words in random order (little for gzip to
    squeeze), all linked from its front page."""
    rng = random.Random(18)
    words = " ".join(WIRE_PARAGRAPHS).split()
    (root / "a").mkdir(parents=True)
    for n in range(count):
        paragraphs = "".join(
            f"<p>{' '.join(rng.choice(words) for _ in range(60))}.</p>" for _ in range(12)
        )
        (root / "a" / f"{n}.html").write_text(
            f"<html><head><title>Story {n}</title><meta property='og:type' content='article'>"
            f"</head><body><article><h1>Story {n}</h1>{paragraphs}</article></body></html>"
        )
    links = "".join(f"<a href='/a/{n}.html'>Story {n}</a> " for n in range(count))
    (root / "index.html").write_text(f"<html><body><nav>{links}</nav></body></html>")


def test_an_archive_that_fills_the_disk_stops_the_crawl_and_keeps_what_was_committed(
    tmp_path: Path, request: pytest.FixtureRequest
):
    """The crawler's files may not grow past 120 KB (RLIMIT_FSIZE, as on a full
    disk); the store is PostgreSQL's, whose files are its server's: only the
    archive runs out of room."""
    import resource

    many_pages(tmp_path / "site", 80)
    site = FolderSite(tmp_path / "site")
    db = request.getfixturevalue("postgres_server").new_database()
    archive, stats_file = tmp_path / "warc", tmp_path / "s.json"

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (120_000, 120_000))

    try:
        done = subprocess.run(
            [str(BIN / "newscrawl"), "crawl", site.url, "--db", db, "--archive", str(archive),
             "--workers", "0", "-s", f"NEWSCRAWL_STATS_FILE={stats_file}",
             "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=1", *FAST],
            capture_output=True, preexec_fn=small_files, timeout=180, check=False,
        )  # fmt: skip
    finally:
        site.close()
    err = done.stderr.decode()
    print(err)
    stats = stats_of(stats_file)
    assert stats["finish_reason"] == "storage_error"
    assert done.returncode == 1
    assert "Traceback" not in err
    assert err.count("stopping the crawl: cannot write to the archive") == 1
    rows = rows_of(db)
    # What was committed is kept, and counted; the crawl stopped well short of the end.
    assert 0 < len(rows) == stats["newscrawl/run/stored"] < 80
    # The files read to their end (the record cut short is cut off), and every
    # archived row's page is there.
    responses = warc_responses(archive)
    archived = [row for row in rows if row[21] is not None]
    assert archived
    assert all(responses.get(row[1]) == [200] for row in archived)


def test_a_file_that_is_no_warc_is_skipped_or_refused_in_one_line(tmp_path: Path) -> None:
    """A .warc.gz of random bytes in the archive folder: warcio's ArchiveLoadFailed
    (no OSError, no ValueError) came out of reextract as a traceback."""

    from newscrawl.archive import ArchiveError, archived_page, scan_archive

    (tmp_path / "bad.warc.gz").write_bytes(random.Random(7).randbytes(5000))
    assert scan_archive(tmp_path) == {}
    with pytest.raises(ArchiveError, match=r"bad\.warc\.gz"):
        archived_page(tmp_path, "bad.warc.gz:0")
