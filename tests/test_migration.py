"""Schema migrations: one transaction, so an interrupted one is finished by the next run.

Each test starts from a real database of an older schema (SQLite files, and a
database on a real PostgreSQL server on loopback) and interrupts or replays its
migration the way a real run meets it: SIGKILL of a real `newscrawl` process
inside the migration, a statement that fails half-way, or the half-migrated
state the code before one-transaction migrations left behind.

The kill lands inside the migration through NEWSCRAWL_TEST_MIGRATION_PAUSE (see
`newscrawl.storage`): a migration pauses, its transaction open, just before it
commits, so the kill hits the worst moment every time and no test depends on timing.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from newscrawl.database import postgres_schema
from newscrawl.storage import SCHEMA, SCHEMA_VERSION, ArticleStore

from .conftest import BIN, REPO
from .servers import postgres_server  # noqa: F401  (a fixture)

# The schema of newscrawl's first release (git show 071fff9:newscrawl/storage.py),
# which a schema-1 database still has; its version (1) as 0fcc4fe stamped it.
SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS articles (
    canonical_url TEXT PRIMARY KEY,      -- the key: one row per article
    url           TEXT NOT NULL,         -- the address it was last fetched from
    site          TEXT NOT NULL,         -- host (and port if not the default), no "www."
    title         TEXT,
    authors       TEXT NOT NULL,         -- JSON array of names
    published     TEXT,                  -- ISO 8601 date the page states
    language      TEXT,                  -- as the page declares it, e.g. "en"
    description   TEXT,
    text          TEXT NOT NULL,         -- cleaned body, paragraphs separated by "\\n"
    word_count    INTEGER NOT NULL,
    cleaning      TEXT NOT NULL,         -- JSON object: paragraphs dropped per rule
    content_hash  TEXT NOT NULL,         -- sha256 of text: tells a changed article
    first_seen_at TEXT NOT NULL,         -- UTC ISO 8601, first fetch
    fetched_at    TEXT NOT NULL,         -- UTC ISO 8601, latest fetch
    updated_at    TEXT NOT NULL          -- UTC ISO 8601, latest fetch that changed text
);
CREATE INDEX IF NOT EXISTS articles_site ON articles (site);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published);
"""

# What the migrations of schemas 1 to 3 added, as the code before one-transaction
# migrations ran them: each ALTER committed on its own, the version written last.
OLD_CODE_ALTERS = [
    "ALTER TABLE articles ADD COLUMN raw_text TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE articles ADD COLUMN anchor_texts TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE articles ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE articles ADD COLUMN boilerplate_used TEXT",
]
NEW_COLUMNS = ("raw_text", "anchor_texts", "version", "boilerplate_used")
DUPLICATE_OF_INDEX = "CREATE INDEX IF NOT EXISTS articles_duplicate_of ON articles (duplicate_of);"
ROWS = 200
SCHEMA_1_COLUMNS = (
    "canonical_url, url, site, title, authors, published, language, description, text,"
    " word_count, cleaning, content_hash, first_seen_at, fetched_at, updated_at"
)


def schema_1_rows() -> list[tuple[object, ...]]:
    return [
        (f"http://n.test/{n:04}", f"http://n.test/{n:04}?ref=feed", "n.test", f"Story {n}",
         '["Ana Lima"]', "2026-03-14", "en", None,
         f"Story {n} opens the harbour report.\nIt closes with the tide tables.", 11,
         '{"fragment": 1}', f"hash-{n}", "2026-03-15T10:00:00Z", "2026-03-15T10:00:00Z",
         "2026-03-15T10:00:00Z")
        for n in range(ROWS)
    ]  # fmt: skip


def make_schema_1_sqlite(path: Path) -> list[tuple[object, ...]]:
    """A SQLite file as newscrawl's first release left it, with ROWS articles."""
    rows = schema_1_rows()
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_1)
        db.executemany(f"INSERT INTO articles VALUES ({', '.join('?' * 15)})", rows)
        db.execute("PRAGMA user_version = 1")
    return rows


def sqlite_state(path: Path) -> tuple[int, set[str], list[tuple[object, ...]]]:
    """(user_version, articles' columns, the schema-1 columns of every row), read
    by a connection of its own."""
    with sqlite3.connect(path) as db:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
        rows = db.execute(
            f"SELECT {SCHEMA_1_COLUMNS} FROM articles ORDER BY canonical_url"
        ).fetchall()
    return version, columns, rows


def start_paused_migration(database: str, marker: Path) -> subprocess.Popen[bytes]:
    """`newscrawl stats --db DATABASE` (which opens, so migrates, the store) in a
    process of its own, once its migration is paused inside its transaction."""
    env = {**os.environ, "NEWSCRAWL_TEST_MIGRATION_PAUSE": str(marker)}
    process = subprocess.Popen(
        [str(BIN / "newscrawl"), "stats", "--db", database],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (marker.exists() and marker.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate(timeout=30)
            pytest.fail(f"the migration never paused (exit {process.returncode}): {err.decode()}")
        time.sleep(0.05)
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def test_a_sqlite_migration_killed_inside_its_transaction_is_finished_by_the_next_open(
    tmp_path: Path,
):
    path = tmp_path / "old.sqlite"
    rows = make_schema_1_sqlite(path)
    marker = tmp_path / "paused"
    process = start_paused_migration(str(path), marker)
    try:
        # Every step is done but not committed: another connection sees schema 1.
        version, columns, _ = sqlite_state(path)
        assert version == 1 and not columns & set(NEW_COLUMNS)
    finally:
        kill(process)
    version, columns, stored = sqlite_state(path)
    assert version == 1 and not columns & set(NEW_COLUMNS)  # as before the migration
    assert stored == rows

    result = subprocess.run(
        [str(BIN / "newscrawl"), "stats", "--db", str(path)],
        cwd=REPO, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    version, columns, stored = sqlite_state(path)
    assert version == SCHEMA_VERSION
    assert set(NEW_COLUMNS) <= columns
    assert stored == rows
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute(
            "SELECT DISTINCT raw_text, anchor_texts, version, boilerplate_used FROM articles"
        ).fetchall() == [("", "[]", 1, None)]


@pytest.mark.parametrize(
    ("alters", "with_later_tables"),
    [
        pytest.param(1, False, id="killed-after-the-first-ALTER"),
        pytest.param(4, False, id="every-column-added"),
        pytest.param(4, True, id="every-column-and-table-added"),
    ],
)
def test_a_sqlite_database_left_half_migrated_by_the_old_code_opens_and_is_upgraded(
    tmp_path: Path, alters: int, with_later_tables: bool
):
    path = tmp_path / "half.sqlite"
    rows = make_schema_1_sqlite(path)
    with sqlite3.connect(path) as db:
        for statement in OLD_CODE_ALTERS[:alters]:
            db.execute(statement)
        if with_later_tables:  # the old code ran SCHEMA, then wrote the version
            # (its SCHEMA: without the index on a column that schema 6 added)
            db.executescript(SCHEMA.replace(DUPLICATE_OF_INDEX, ""))
    assert sqlite_state(path)[0] == 1  # the version the old code had not yet written

    store = ArticleStore.open(path)
    store.close()
    version, columns, stored = sqlite_state(path)
    assert version == SCHEMA_VERSION
    assert set(NEW_COLUMNS) <= columns
    assert stored == rows
    # And it stays open-able: a second open finds nothing left to do.
    ArticleStore.open(path).close()
    assert sqlite_state(path)[0] == SCHEMA_VERSION


def test_a_sqlite_migration_that_fails_half_way_changes_nothing(tmp_path: Path):
    """A statement failing after the ALTERs (here: a name the schema needs is
    taken; a full disk fails the same way) rolls the columns back with it."""
    path = tmp_path / "old.sqlite"
    rows = make_schema_1_sqlite(path)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE site_paragraphs_page (x)")  # the name of one of SCHEMA's indexes
    with pytest.raises(Exception, match="site_paragraphs_page"):
        ArticleStore.open(path)
    version, columns, stored = sqlite_state(path)
    assert version == 1 and not columns & set(NEW_COLUMNS)
    assert stored == rows

    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE site_paragraphs_page")
    ArticleStore.open(path).close()  # once the cause is gone, the next run migrates
    version, columns, stored = sqlite_state(path)
    assert version == SCHEMA_VERSION and set(NEW_COLUMNS) <= columns
    assert stored == rows


# PostgreSQL: a store that was made before its schema had a migration. Every
# PostgreSQL store so far was made at schema 4, so this one is schema 1 made by
# hand: the same articles table as SQLite's schema 1, with its version row.
def make_schema_1_postgres(url: str) -> list[tuple[object, ...]]:
    rows = schema_1_rows()
    with psycopg.connect(url) as db:
        db.execute(postgres_schema(SCHEMA_1).encode())
        db.execute("CREATE TABLE newscrawl_schema (version INTEGER NOT NULL)")
        db.execute("INSERT INTO newscrawl_schema VALUES (1)")
        db.cursor().executemany(f"INSERT INTO articles VALUES ({', '.join(['%s'] * 15)})", rows)
    return rows


def postgres_state(
    url: str, with_rows: bool = True
) -> tuple[int, set[str], list[tuple[object, ...]]]:
    """(version, articles' columns, the schema-1 columns of every row). Reading the
    rows waits for a migration in progress (its ALTER TABLE locks the table); the
    version and the columns are read from what is committed."""
    with psycopg.connect(url) as db:
        (version,) = db.execute("SELECT max(version) FROM newscrawl_schema").fetchone()  # type: ignore[misc]
        columns = {
            name
            for (name,) in db.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'articles'"
            )
        }
        query = f"SELECT {SCHEMA_1_COLUMNS} FROM articles ORDER BY canonical_url"
        rows = [tuple(row) for row in db.execute(query)] if with_rows else []
    return version, columns, rows


def test_a_postgresql_migration_killed_inside_its_transaction_is_finished_by_the_next_open(
    postgres_server,  # noqa: F811
    tmp_path: Path,
):
    database = postgres_server.new_database()
    rows = make_schema_1_postgres(database)
    process = start_paused_migration(database, tmp_path / "paused")
    try:
        version, columns, _ = postgres_state(database, with_rows=False)
        assert version == 1 and not columns & set(NEW_COLUMNS)
    finally:
        kill(process)
    # The server rolled the dead client's transaction back.
    version, columns, stored = postgres_state(database)
    assert version == 1 and not columns & set(NEW_COLUMNS)
    assert stored == rows

    ArticleStore.open(database).close()
    version, columns, stored = postgres_state(database)
    assert version == SCHEMA_VERSION
    assert set(NEW_COLUMNS) <= columns
    assert {"urls", "runs", "run_counts", "site_paragraphs"} <= tables_of_postgres(database)
    assert stored == rows


def tables_of_postgres(url: str) -> set[str]:
    with psycopg.connect(url) as db:
        return {
            name
            for (name,) in db.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }


def test_a_postgresql_store_with_some_columns_already_added_is_upgraded(
    postgres_server,  # noqa: F811
):
    database = postgres_server.new_database()
    rows = make_schema_1_postgres(database)
    with psycopg.connect(database) as db:
        for statement in OLD_CODE_ALTERS[:2]:
            db.execute(statement.encode())
    ArticleStore.open(database).close()
    version, columns, stored = postgres_state(database)
    assert version == SCHEMA_VERSION and set(NEW_COLUMNS) <= columns
    assert stored == rows


# Schema 6, as the store of the newscrawl before it left it: schema 7 added only the
# cluster writer's batch tokens (a table).
def make_schema_6_sqlite(path: Path) -> None:
    ArticleStore.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE writer_batches")
        db.execute(
            "INSERT INTO runs (spider, started_at, ended_at, finish_reason)"
            " VALUES ('news', '2026-11-30T10:00:00Z', '2026-11-30T10:05:00Z', 'finished')"
        )
        db.execute("INSERT INTO run_counts VALUES (1, 'a.test', 'stored', 3)")
        db.execute("PRAGMA user_version = 6")


def sqlite_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master")}


def test_a_schema_6_sqlite_store_killed_in_its_upgrade_is_upgraded_by_the_next_open(
    tmp_path: Path,
):
    """Schema 7's table for the cluster writer's batch tokens: a store of schema 6
    killed inside its upgrade stays at 6, as it was (the newscrawl before opens
    it), and the next open upgrades it, its run records kept."""
    path = tmp_path / "six.sqlite"
    make_schema_6_sqlite(path)
    process = start_paused_migration(str(path), tmp_path / "paused")
    kill(process)
    assert sqlite_state(path)[0] == 6 and "writer_batches" not in sqlite_tables(path)

    store = ArticleStore.open(path)
    store.close()
    assert sqlite_state(path)[0] == SCHEMA_VERSION
    assert "writer_batches" in sqlite_tables(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT * FROM run_counts").fetchall() == [(1, "a.test", "stored", 3)]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# Schema 7, as the newscrawl before it left a store: schema 8 added urls.depth.
def make_schema_7_sqlite(path: Path) -> None:
    ArticleStore.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("ALTER TABLE urls DROP COLUMN depth")
        db.execute(
            "INSERT INTO urls (url, site, state, discovered_at, published)"
            " VALUES ('http://a.test/listed', 'a.test', 'pending', '2026-11-30T10:00:00Z',"
            " '2026-11-29')"
        )
        db.execute("PRAGMA user_version = 7")


def url_columns(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[1] for row in db.execute("PRAGMA table_info(urls)")}


def test_a_schema_7_sqlite_store_killed_in_its_upgrade_is_upgraded_by_the_next_open(
    tmp_path: Path,
):
    """Schema 8 keeps the depth of a link left pending: a store of schema 7 killed
    inside its upgrade stays at 7, and the next open adds the column, its pending
    URLs kept as listed ones (no depth)."""
    path = tmp_path / "seven.sqlite"
    make_schema_7_sqlite(path)
    process = start_paused_migration(str(path), tmp_path / "paused")
    kill(process)
    assert sqlite_state(path)[0] == 7 and "depth" not in url_columns(path)

    store = ArticleStore.open(path)
    store.close()
    assert sqlite_state(path)[0] == SCHEMA_VERSION
    assert "depth" in url_columns(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT url, state, depth FROM urls").fetchall() == [
            ("http://a.test/listed", "pending", None)
        ]
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def postgres_parts(url: str) -> set[str]:
    """The store's tables, and its columns as "table.column"."""
    with psycopg.connect(url) as db:
        columns = db.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        ).fetchall()
    return {table for table, _ in columns} | {f"{table}.{column}" for table, column in columns}


@pytest.mark.parametrize(
    ("version", "downgrade", "added"),
    [
        (6, "DROP TABLE writer_batches", "writer_batches"),  # the cluster's batch tokens
        (7, "ALTER TABLE urls DROP COLUMN depth", "urls.depth"),  # a pending link's depth
    ],
)
def test_a_postgresql_store_of_an_older_schema_killed_in_its_upgrade_is_upgraded(
    postgres_server,  # noqa: F811
    tmp_path: Path,
    version: int,
    downgrade: str,
    added: str,
):
    """A PostgreSQL store of schema `version` killed inside its upgrade stays at
    that version, without the part the upgrade adds, and the next open upgrades it."""
    database = postgres_server.new_database()
    ArticleStore.open(database).close()
    with psycopg.connect(database) as db:
        db.execute(downgrade)
        db.execute("UPDATE newscrawl_schema SET version = %s", (version,))
    process = start_paused_migration(database, tmp_path / "paused")
    kill(process)
    assert postgres_state(database)[0] == version
    assert added not in postgres_parts(database)

    ArticleStore.open(database).close()
    assert postgres_state(database)[0] == SCHEMA_VERSION
    assert added in postgres_parts(database)
