"""Issue 18 end to end: three local outlets that each print their own stories and
one shared wire story (edited a little per outlet), crawled with a store and a
WARC archive, then searched, exported, de-duplicated and re-extracted; in SQLite
and in PostgreSQL, with real servers, real WARC files read back with warcio."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from warcio.archiveiterator import ArchiveIterator

from .conftest import FAST, FolderSite, run
from .servers import postgres_server  # noqa: F401  (a fixture)
from .stories import OUTLETS, SAME_EVENT_STORIES, WIRE_WORD, write_outlet

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
