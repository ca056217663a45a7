"""Storage of articles: one row per canonical URL, upserted.

Plain SQL, no Scrapy: the pipeline in `pipelines.py` is a thin adapter. The
database is a SQLite file, in WAL mode so readers (the `sqlite3` shell, a
notebook) are never blocked by a running crawl, or, for a cluster of workers, a
PostgreSQL database with the same schema (see `database.py`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.cleaning import split_paragraphs
from newscrawl.cleaning.normalize import word_count
from newscrawl.cleaning.siteboiler import (
    RECENT_MIN_PAGES,
    new_furniture,
    page_fingerprints,
    pages_needed,
)
from newscrawl.database import (
    DEFAULT_CALL_LIMIT,
    PostgresConnection,
    database_errors,
    is_postgres_url,
    postgres_schema,
)
from newscrawl.duplicates import SIGNATURE_SCHEME, Signature, StoryIndex, decode, shingles
from newscrawl.folders import make_parent
from newscrawl.items import ARTICLE_FIELDS, ArticleItem, article_record
from newscrawl.urls import without_password

logger = logging.getLogger(__name__)

__all__ = [
    "CLAIMS_URL",
    "OTHER_SITE",
    "RECLEAN_COMMIT_EVERY",
    "SCHEMA",
    "SHRUNK",
    "SHRUNK_BELOW",
    "TAKES_BACK_URL",
    "ArticleStore",
    "RolledBack",
    "StorageError",
    "StoredPage",
    "StoredText",
    "boilerplate_column",
    "cleaning_column",
    "content_hash",
    "shrunk",
]

# The outcome of an upsert refused because another site's row has the key.
OTHER_SITE = "other_site"
# The outcome of an upsert that kept the stored row: the page, fetched again, gave
# too little of its text (see `shrunk`).
SHRUNK = "shrunk"
# A page fetched again whose text, as extracted, has under this share of the words
# stored for it is taken for a cut-down copy of its article: a paywall's teaser,
# a consent or error page in the article's template, a page served in part. A
# newsroom seldom cuts a story to less than half, and the store keeps no earlier
# version to go back to: the stored row stays, and the fetch is counted and said.
SHRUNK_BELOW = 0.5
# The hint of an article taking its own URL back from another page's story stored
# there (BaseNewsSpider._take_back_claim). That text is not this page's earlier
# one: a chain where every other story was over twice as long lost those stories'
# pages as SHRUNK (helper-116 #3). Such a page is a cut-down copy only where at
# least CUT_DOWN_SHARE of its shingles are in the stored text: a paywall's teaser
# at the URL its AMP copy's full text was stored under. Another story shares none.
TAKES_BACK_URL = "takes_back_url"
CUT_DOWN_SHARE = 0.5
# The hint of an article stored under another page's URL, its canonical, claimed
# first this run: a row that page may take back (frontier.counted_as).
CLAIMS_URL = "claims_url"

SCHEMA_VERSION = 8

# How to bring an older database up to SCHEMA_VERSION, step by step: the SQL that
# takes version N to N + 1 (for PostgreSQL as `postgres_schema` translates it). A
# new step is one more entry, and SCHEMA_VERSION + 1; tables and indexes that are
# new go in SCHEMA (IF NOT EXISTS), which runs after the steps.
#
# Every step of an upgrade runs in one transaction with the new version number
# (`_migrate`), so a killed or failing migration leaves the database as it was and
# the next run does it again. `ALTER TABLE ... ADD COLUMN` is skipped when the
# column exists: the code before made each ALTER its own transaction and wrote
# the version last, and left databases with the columns of a step but its old
# version.
_MIGRATIONS = {
    # 1 -> 2: raw text and link texts kept for re-cleaning; the site model's table.
    1: """
ALTER TABLE articles ADD COLUMN raw_text TEXT NOT NULL DEFAULT '';
ALTER TABLE articles ADD COLUMN anchor_texts TEXT NOT NULL DEFAULT '[]';
""",
    # 2 -> 3: versions of an article; URL states and runs (their tables are created
    # by SCHEMA itself).
    2: """
ALTER TABLE articles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
""",
    # 3 -> 4: which site boilerplate each text was cleaned with (NULL: not known,
    # so the row is re-cleaned at the end of the next run of its site).
    3: """
ALTER TABLE articles ADD COLUMN boilerplate_used TEXT;
""",
    # 4 -> 5: whether an article's language was declared by the page or detected.
    4: """
ALTER TABLE articles ADD COLUMN language_source TEXT;
""",
    # 5 -> 6: the same story across sites (duplicate_of; the signature tables are
    # created by SCHEMA), where the page is archived, and the full-text index
    # (_DIALECT_STEPS).
    5: """
ALTER TABLE articles ADD COLUMN duplicate_of TEXT;
ALTER TABLE articles ADD COLUMN archive_record TEXT;
""",
    # 6 -> 7: the cluster writer's batches committed and not yet cleared from
    # Redis (writer_batches, created by SCHEMA).
    6: "",
    # 7 -> 8: how many links from a start page a URL found through links was
    # (NULL: listed by a sitemap or feed, or not known), so that a run stopped
    # before fetching it leaves it pending at its depth (frontier.add_pending).
    7: """
ALTER TABLE urls ADD COLUMN depth INTEGER;
""",
}

# The full-text index of title and text, kept in step with every write by the
# database itself (newscrawl/search.py queries it).
#
# SQLite: an FTS5 table over the articles table's own rows (external content,
# rowid for rowid), kept by triggers; laid out as sqlite-utils' `enable_fts`
# lays it out, so that Datasette offers search on `articles` as it is. The update
# trigger fires only when the title or text really changed.
SEARCH_SCHEMA_SQLITE = """
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5 (title, text, content=[articles]);
CREATE TRIGGER IF NOT EXISTS articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER IF NOT EXISTS articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.rowid, old.title, old.text);
END;
CREATE TRIGGER IF NOT EXISTS articles_au AFTER UPDATE OF title, text ON articles
WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, text)
    VALUES ('delete', old.rowid, old.title, old.text);
    INSERT INTO articles_fts (rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
"""
# PostgreSQL: a generated tsvector column (the title weighted above the text) and
# its GIN index. 'simple': no stemming, as FTS5's default tokenizer, and right for
# any language. A tsvector holds at most 1 MB: the first 200,000 characters of a
# text are indexed, far past any article's end.
SEARCH_SCHEMA_POSTGRES = """
ALTER TABLE articles ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(title, '')), 'A')
    || setweight(to_tsvector('simple', left(text, 200000)), 'B')
) STORED;
CREATE INDEX IF NOT EXISTS articles_search ON articles USING GIN (search_vector);
"""
# What a step does in one database only, after its shared SQL.
_DIALECT_STEPS = {
    # The index of the rows already stored.
    5: {
        "sqlite": SEARCH_SCHEMA_SQLITE
        + "INSERT INTO articles_fts (articles_fts) VALUES ('rebuild');",
        "postgres": SEARCH_SCHEMA_POSTGRES,
    },
}

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    canonical_url TEXT PRIMARY KEY,      -- the key: one row per article
    url           TEXT NOT NULL,         -- the address it was last fetched from
    site          TEXT NOT NULL,         -- host (and port if not the default), no "www."
    title         TEXT,
    authors       TEXT NOT NULL,         -- JSON array of names
    published     TEXT,                  -- ISO 8601 as the page states it (date, or date and time)
    language      TEXT,                  -- BCP 47, e.g. "en-GB" (see language_source)
    description   TEXT,
    text          TEXT NOT NULL,         -- cleaned body, paragraphs separated by "\\n"
    word_count    INTEGER NOT NULL,
    cleaning      TEXT NOT NULL,         -- JSON object: paragraphs dropped per rule
    content_hash  TEXT NOT NULL,         -- sha256 of text: tells a changed cleaned text
    first_seen_at TEXT NOT NULL,         -- UTC ISO 8601, first fetch
    fetched_at    TEXT NOT NULL,         -- UTC ISO 8601, latest fetch
    updated_at    TEXT NOT NULL,         -- UTC ISO 8601, latest fetch that changed raw_text
    raw_text      TEXT NOT NULL,         -- the text as extracted, before cleaning
    anchor_texts  TEXT NOT NULL,         -- JSON array: link texts found in raw_text
    version       INTEGER NOT NULL DEFAULT 1, -- 1 + how often raw_text changed
    boilerplate_used TEXT,               -- its paragraphs' fingerprints that were site
                                         -- boilerplate when it was cleaned, comma-separated
    language_source TEXT,                -- "declared" (by the page) or "detected" (from the text)
    duplicate_of  TEXT,                  -- the canonical URL of the earliest stored copy of
                                         -- the same story (newscrawl/duplicates.py), or NULL
    archive_record TEXT                  -- where its page is archived: WARC file name:offset
);
CREATE INDEX IF NOT EXISTS articles_site ON articles (site);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published);
CREATE INDEX IF NOT EXISTS articles_duplicate_of ON articles (duplicate_of);

-- MinHash signatures of the articles' texts, and their LSH bands (newscrawl/duplicates.py).
CREATE TABLE IF NOT EXISTS story_signatures (
    canonical_url TEXT PRIMARY KEY,
    scheme        TEXT NOT NULL,         -- how it was computed; other schemes are not compared
    signature     TEXT NOT NULL          -- hex: the MinHash values, 4 bytes each
);
-- Keyed by band, then by the copies' order (first seen, URL): a lookup reads a
-- band's earliest entries, never all of a story's thousands of copies.
CREATE TABLE IF NOT EXISTS story_bands (
    band_key      BIGINT NOT NULL,       -- a hash of one band of a signature
    first_seen_at TEXT NOT NULL,         -- articles.first_seen_at of the copy
    canonical_url TEXT NOT NULL,         -- the copy
    PRIMARY KEY (band_key, first_seen_at, canonical_url)
) WITHOUT ROWID;
-- Articles whose duplicate_of waits to be worked out again: their first copy's
-- text left the story (StoryIndex.settle empties it).
CREATE TABLE IF NOT EXISTS story_unsettled (
    canonical_url TEXT PRIMARY KEY
) WITHOUT ROWID;

-- The site boilerplate model: which paragraph (fingerprint) occurs on which page.
CREATE TABLE IF NOT EXISTS site_paragraphs (
    site          TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    PRIMARY KEY (site, fingerprint, canonical_url)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS site_paragraphs_page ON site_paragraphs (canonical_url);

-- Every URL discovery found, and what became of it: the crawl's memory between runs.
CREATE TABLE IF NOT EXISTS urls (
    url           TEXT PRIMARY KEY,      -- canonical form (newscrawl.urls.canonicalize)
    site          TEXT NOT NULL,
    state         TEXT NOT NULL,         -- pending | done | failed
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    discovered_at TEXT NOT NULL,
    fetched_at    TEXT,                  -- latest fetch that stored the article
    published     TEXT,                  -- date a sitemap or feed gave
    title         TEXT,                  -- title a sitemap or feed gave
    etag          TEXT,
    last_modified TEXT,
    content_hash  TEXT,
    depth         INTEGER                -- links from a start page (NULL: listed)
);
CREATE INDEX IF NOT EXISTS urls_site_state ON urls (site, state);

-- One row per run, and its counts per site.
CREATE TABLE IF NOT EXISTS runs (
    id            INTEGER PRIMARY KEY,
    spider        TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    finish_reason TEXT
);
CREATE TABLE IF NOT EXISTS run_counts (
    run_id  INTEGER NOT NULL REFERENCES runs (id),
    site    TEXT NOT NULL,
    counter TEXT NOT NULL,               -- pages_fetched, articles_stored, ...
    value   INTEGER NOT NULL,
    PRIMARY KEY (run_id, site, counter)
) WITHOUT ROWID;

-- The batches a cluster writer committed here that it has not yet seen cleared from
-- the run's Redis (newscrawl/cluster/writerbatches.py): a writer killed between the
-- two left its batch in Redis, and its successor, finding the batch's token here,
-- clears it with these counts instead of storing it again as "unchanged".
CREATE TABLE IF NOT EXISTS writer_batches (
    token        TEXT PRIMARY KEY,       -- the batch's identity, as the run's Redis names it
    run          TEXT NOT NULL,          -- the run's Redis key prefix: newscrawl:<run>:<spider>
    counts       TEXT NOT NULL,          -- JSON: the batch's counts for the run record, outcomes
    committed_at TEXT NOT NULL           -- UTC ISO 8601
);
"""

# Rows a re-clean writes per transaction: a stop during the end-of-run re-clean
# (Ctrl-C, then NEWSCRAWL_STOP_TIMEOUT and exit 3) loses at most the batch in
# hand, about a quarter second of cleaning. In WAL mode with synchronous = NORMAL
# a commit does not wait for the disk: re-cleaning 6,000 stale rows took 2.7 to
# 3.4 s with one commit, 2.9 to 3.1 s with one every 500 rows and 3.1 s every 50
# (2 cores, 2026-11-30), all within the machine's noise.
RECLEAN_COMMIT_EVERY = 500

# Besides its text as extracted, what the page says of its article: a refresh that
# finds any of them changed (a corrected headline, a new byline) is no "unchanged"
# article. The extracted text, not the cleaned one: cleaning depends on what the
# site model knows, and a run learns its sites' furniture again as it reads their
# pages, so its first pages of a site keep paragraphs that the stored rows (cleaned
# against the whole site) lost - the same article looked "changed" on every
# refresh. Not
# the URL it was fetched from (two addresses of one article take turns), nor the
# date, which a sitemap or feed may give when the page does not (found one run
# through a sitemap, the next through a link, it would take turns too).
_FIELDS = ("title", "authors", "language", "description")

_UPSERT = """
INSERT INTO articles (
    canonical_url, url, site, title, authors, published, language, description,
    text, word_count, cleaning, content_hash, first_seen_at, fetched_at, updated_at,
    raw_text, anchor_texts, boilerplate_used, language_source, archive_record
) VALUES (
    :canonical_url, :url, :site, :title, :authors, :published, :language, :description,
    :text, :word_count, :cleaning, :content_hash, :fetched_at, :fetched_at, :fetched_at,
    :raw_text, :anchor_texts, :boilerplate_used, :language_source, :archive_record
)
ON CONFLICT (canonical_url) DO UPDATE SET
    url = excluded.url,
    site = excluded.site,
    title = excluded.title,
    authors = excluded.authors,
    published = excluded.published,
    language = excluded.language,
    language_source = excluded.language_source,
    description = excluded.description,
    text = excluded.text,
    word_count = excluded.word_count,
    cleaning = excluded.cleaning,
    fetched_at = excluded.fetched_at,
    -- A new version when the page's article changed: its text as extracted (the
    -- cleaned text also moves with what the site model knows; see _FIELDS).
    updated_at = CASE WHEN articles.raw_text = excluded.raw_text
                      THEN articles.updated_at ELSE excluded.fetched_at END,
    version = articles.version
              + CASE WHEN articles.raw_text = excluded.raw_text THEN 0 ELSE 1 END,
    content_hash = excluded.content_hash,
    raw_text = excluded.raw_text,
    anchor_texts = excluded.anchor_texts,
    boilerplate_used = excluded.boilerplate_used,
    -- The page it was fetched from this time; or, fetched without an archive, the
    -- archived page as long as its text is the same (a stale one would be wrong).
    archive_record = CASE WHEN excluded.archive_record IS NOT NULL THEN excluded.archive_record
                          WHEN articles.raw_text = excluded.raw_text
                          THEN articles.archive_record END
-- A row stays with its site: a page of one site never replaces another's.
WHERE articles.site = excluded.site
"""
# The upsert as a write of an article runs it: what it wrote (nothing when another
# site's row has the key) and the row's first_seen_at, which the story index
# would read back at once.
_UPSERT_RETURNING = _UPSERT + "RETURNING first_seen_at\n"


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says which file and why."""

    def __init__(self, message: str) -> None:
        # On one line: libpq explains a lost server in three ("server closed the
        # connection unexpectedly / This probably means ..."), and the message ends
        # the crawl's output, where scripts read its last line.
        super().__init__(_LINE_BREAK.sub(" ", message.strip()))


class RolledBack(StorageError):
    """A commit failed and the database rolled its transaction back: the writes
    since the last commit are gone (and their URLs' states with them)."""


_LINE_BREAK = re.compile(r"[ \t]*[\r\n]+\s*")


def _driver_reason(exc: BaseException, url: str, shown: str) -> str:
    """The first line of the database driver's error, for a one-line message.
    The driver quotes a URL it cannot parse whole, password and all: it is
    replaced by `shown`, the URL as messages may name it."""
    text = str(exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return reason.replace(url, shown)


def _keep_out_writers(path: Path) -> int | None:
    """A descriptor of the SQLite file `path` holding a shared flock on it, or None
    if a newscrawl run writes it now. SQLite reading a store as immutable takes no
    lock and never looks for changes: a crawl that started meanwhile (another
    user's cron job) checkpointed into the file under a reading export, which
    read 5,654 rows of a table of 50,000, old rows and new mixed, and exited 0.
    Every newscrawl run that writes a store takes an exclusive flock on the file
    (storelock.StoreLock), which this one refuses while the reader holds it."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:  # held by a writer (BlockingIOError), or no flock here
        os.close(descriptor)
        return None
    return descriptor


def _newer_schema(database: Path | str, version: int) -> str:
    return (
        f"{database}: database schema version {version} is newer than this "
        f"newscrawl ({SCHEMA_VERSION}); upgrade newscrawl"
    )


# Only tests set this, to the path of a file: a migration then writes its process
# id there and sleeps, its transaction open, just before it commits, so that a
# test can kill it at that moment (tests/test_migration.py).
TEST_MIGRATION_PAUSE = "NEWSCRAWL_TEST_MIGRATION_PAUSE"

# `ALTER TABLE t ADD [COLUMN] c ...`, after any leading comment lines.
_ADD_COLUMN = re.compile(
    r"(?:\s*--[^\n]*\n)*\s*ALTER\s+TABLE\s+(?P<table>\w+)\s+ADD\s+(?:COLUMN\s+)?(?P<column>\w+)\s",
    re.IGNORECASE,
)


def _sql_statements(script: str) -> list[str]:
    """The statements of a SQL script, one by one: `executescript` would commit
    the transaction they must share. A `;` inside a string or a comment does not
    end a statement (sqlite3.complete_statement knows)."""
    statements: list[str] = []
    current = ""
    pieces = script.split(";")
    for piece in pieces[:-1]:
        current += piece + ";"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if re.sub(r"--[^\n]*", "", current + pieces[-1]).strip():
        raise ValueError(f"SQL statement without a closing ';': {(current + pieces[-1])[:80]!r}")
    return statements


def _run_ddl(connection: Any, statement: str) -> None:
    if isinstance(connection, PostgresConnection):
        # As written, not as a query with parameters: DDL has none, and a "%"
        # or "?" in its comments must stay what it is.
        connection.executescript(statement)
    else:
        connection.execute(statement)


def _run_script(connection: Any, script: str) -> None:
    for statement in _sql_statements(script):
        _run_ddl(connection, statement)


def _has_table(connection: Any, table: str, *, postgres: bool) -> bool:
    if postgres:
        return connection.execute("SELECT to_regclass(?)", (table,)).fetchone()[0] is not None
    rows = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchall()
    return bool(rows)


def _has_column(connection: Any, table: str, column: str) -> bool:
    rows = connection.execute(f"PRAGMA table_info({table})").fetchall()
    return any(row[1].lower() == column.lower() for row in rows)


def _migrate(connection: Any, version: int, *, postgres: bool) -> None:
    """Bring the schema from `version` to SCHEMA_VERSION, inside the caller's
    transaction: the steps, then SCHEMA for what they rely on. A step may find
    its columns added already (see _MIGRATIONS)."""
    for step in range(version, SCHEMA_VERSION):
        script = postgres_schema(_MIGRATIONS[step]) if postgres else _MIGRATIONS[step]
        for statement in _sql_statements(script):
            added = _ADD_COLUMN.match(statement)
            if added and not _has_table(connection, added["table"], postgres=postgres):
                # A table a later step's SCHEMA creates (urls, before schema 3):
                # created whole, with the column, after the steps.
                continue
            if added and postgres:
                at = added.start("column")
                statement = f"{statement[:at]}IF NOT EXISTS {statement[at:]}"
            elif added and _has_column(connection, added["table"], added["column"]):
                continue
            _run_ddl(connection, statement)
        dialect = _DIALECT_STEPS.get(step, {}).get("postgres" if postgres else "sqlite")
        if dialect:
            _run_script(connection, dialect)
    _create_schema(connection, postgres=postgres)


def _create_schema(connection: Any, *, postgres: bool) -> None:
    """SCHEMA and the search index, as each database writes them (all IF NOT EXISTS)."""
    _run_script(connection, postgres_schema(SCHEMA) if postgres else SCHEMA)
    _run_script(connection, SEARCH_SCHEMA_POSTGRES if postgres else SEARCH_SCHEMA_SQLITE)


def _upgrade_sqlite(connection: sqlite3.Connection, path: Path) -> None:
    """Create or upgrade the schema of an open SQLite file in one transaction.

    SQLite's DDL is transactional: ALTER TABLE, CREATE and the user_version all
    commit together or not at all. IMMEDIATE takes the write lock first, so of
    two processes opening an old file one migrates it and the other then finds
    it current.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise StorageError(_newer_schema(path, version))
        if version < SCHEMA_VERSION:
            # A new file (version 0) gets SCHEMA alone.
            _migrate(connection, version or SCHEMA_VERSION, postgres=False)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            _pause_for_tests()
        connection.commit()
    except BaseException:
        connection.rollback()
        raise


# The lock of a PostgreSQL store's schema: held by the process that creates or
# upgrades it, until its transaction ends.
SCHEMA_LOCK = 7346001
# How often a process that waits for the schema's lock asks for it again.
SCHEMA_LOCK_POLL = 0.25
# A wait for the schema's lock said as a warning only past this long: the workers
# of a cluster start together on a new database, and all but one wait while it
# creates the schema (under a second, several on a loaded machine); warned at
# once, each such start printed a WARNING for nothing.
SCHEMA_LOCK_QUIET = 10.0


def _lock_schema(connection: PostgresConnection, shown: str, seconds: float) -> None:
    """Take the schema's lock, waiting `seconds` at most (0: for ever) while another
    process holds it: one that upgrades a big store takes long, but one whose
    server connection hangs holds it until the server notices, and every worker
    opening the store waited for it, with no end and no word."""
    started = time.monotonic()
    deadline = started + seconds if seconds > 0 else None
    said = False
    query = "SELECT pg_try_advisory_xact_lock(?)"
    while not connection.execute(query, (SCHEMA_LOCK,)).fetchone()[0]:
        if deadline is not None and time.monotonic() >= deadline:
            raise StorageError(
                f"cannot open database {shown}: another newscrawl has been creating or"
                f" upgrading its schema for {seconds:g} s, or stopped answering while it"
                " did; try again once it is done"
            )
        if not said and time.monotonic() - started >= SCHEMA_LOCK_QUIET:
            logger.warning("waiting for another newscrawl that creates or upgrades the"
                           " schema of %s", shown)  # fmt: skip
            said = True
        time.sleep(SCHEMA_LOCK_POLL)


def _pause_for_tests() -> None:
    marker = os.environ.get(TEST_MIGRATION_PAUSE)
    if marker:
        Path(marker).write_text(f"{os.getpid()}\n", encoding="utf-8")
        time.sleep(60)


@dataclass(frozen=True)
class StoredText:
    """What cleaning an article again needs, and what it wrote last time."""

    canonical_url: str
    title: str | None
    raw_text: str
    anchor_texts: str  # JSON array
    text: str
    cleaning: str  # as cleaning_column encodes it
    boilerplate_used: str | None  # as boilerplate_column encodes it; None: not known
    word_count: int
    authors: str  # JSON array of names: a bio line naming another is text


@dataclass(frozen=True)
class StoredPage:
    """A stored article as re-extraction needs it: where its page is, and what
    extraction wrote last time (to tell whether anything changed)."""

    canonical_url: str
    url: str
    site: str
    fetched_at: str
    archive_record: str | None


# What re-extraction compares and writes: the article's fields as stored.
_EXTRACTED_COLUMNS = (
    "title", "authors", "published", "language", "language_source", "description", "text",
    "word_count", "cleaning", "raw_text", "anchor_texts", "boilerplate_used",
)  # fmt: skip


def cleaning_column(counts: dict[str, int]) -> str:
    # One encoding for writing and for comparing (re-cleaning skips equal rows).
    return json.dumps(counts, sort_keys=True)


def boilerplate_column(fingerprints: list[str]) -> str:
    return ",".join(fingerprints)


def _raw_fingerprints(article: ArticleItem) -> set[str]:
    """The site model's keys of the article's paragraphs as extracted (the worker
    that read the page gave them; else worked out from the raw text)."""
    if article.raw_fingerprints is not None:
        return set(article.raw_fingerprints)
    return page_fingerprints(split_paragraphs(article.raw_text or article.text))


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def shrunk(stored: str, fetched: str, takes_back: bool = False) -> bool:
    """Whether `fetched`, a page's text as extracted again, is a cut-down copy of the
    text `stored` for it (SHRUNK_BELOW): not a new version of the article. Where
    the page `takes_back` its URL from another page's story (TAKES_BACK_URL), only
    if it is made of that story's text (CUT_DOWN_SHARE)."""
    if word_count(fetched) >= SHRUNK_BELOW * word_count(stored):
        return False
    if not takes_back:
        return True
    own = shingles(fetched)
    return bool(own) and len(own & shingles(stored)) >= CUT_DOWN_SHARE * len(own)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ArticleStore:
    """An open SQLite article database. Call `commit()` to make writes durable."""

    def __init__(self, connection: Any, path: Path | str) -> None:
        # A sqlite3.Connection, or a PostgresConnection offering the same methods.
        self.connection = connection
        self.path = path  # what messages name: the file, or the URL without its password
        self.pending = 0  # rows written since the last commit
        self.stories = StoryIndex(connection)  # duplicate_of, kept with every text written
        self.read_only = False  # opened by `open_read_only`: closing writes nothing
        # Read as immutable: a descriptor of the file whose shared flock keeps every
        # newscrawl run that would write it out until the store is closed.
        self.writers_kept_out: int | None = None

    @classmethod
    def open(cls, target: str | Path, call_limit: float = DEFAULT_CALL_LIMIT) -> ArticleStore:
        """Open (creating or upgrading its schema) a SQLite file, or a PostgreSQL
        database given as a postgresql:// URL, whose every call may then wait
        `call_limit` seconds for the server at most (0: no limit; see
        PostgresConnection.limit_calls), the schema's upgrade excepted. SQLite
        waits for its locks for a bounded time already."""
        if is_postgres_url(target):
            return cls._open_postgres(str(target), call_limit)
        path = Path(target)
        try:
            make_parent(path)
            # The end of a crawl uses the connection from a thread so that the event
            # loop keeps turning meanwhile (RunStore.spider_closed); never from two
            # threads at once: nothing else uses the store by then.
            connection = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
        except OSError as exc:
            raise StorageError(f"cannot open database {path}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from None
        try:
            # Wait for another writer instead of failing with "database is locked".
            connection.execute("PRAGMA busy_timeout = 10000")
            connection.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL loses nothing when the process dies, only (at
            # worst) the last transactions on a power cut, and is much faster.
            connection.execute("PRAGMA synchronous = NORMAL")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(_newer_schema(path, version))
            if version < SCHEMA_VERSION:  # 0: a new file
                _upgrade_sqlite(connection, path)
        except (sqlite3.Error, OSError) as exc:
            connection.close()
            raise StorageError(f"cannot open database {path}: {exc}") from None
        except StorageError:
            connection.close()
            raise
        return cls(connection, path)

    @classmethod
    def open_read_only(cls, path: Path) -> ArticleStore:
        """Open a SQLite store that this process cannot write, to read it: on a
        read-only file system (a snapshot, a backup) or another user's store.
        `open` failed there ("unable to open database file"): it sets WAL mode and
        may upgrade the schema, and SQLite reads a WAL store only beside its -shm
        file, which it cannot make in a folder it cannot write. With no -wal
        file beside it (no writer has it open, none left writes unchecked), such
        a store is read as immutable, without one, and no newscrawl run may write
        it until the store is closed (see _keep_out_writers). A schema older than this
        newscrawl's cannot be upgraded here: StorageError, saying so."""
        shown = path
        writers_kept_out = None
        try:
            beside = [path.with_name(path.name + end) for end in ("-wal", "-shm")]
            if not os.access(path.parent, os.W_OK):
                writers_kept_out = _keep_out_writers(path)
            # Checked with writers kept out: a -wal file made before is a writer's.
            if writers_kept_out is not None and any(f.exists() for f in beside):
                os.close(writers_kept_out)
                writers_kept_out = None
            mode = "immutable=1" if writers_kept_out is not None else "mode=ro"
            connection = sqlite3.connect(
                f"{path.resolve().as_uri()}?{mode}", uri=True, check_same_thread=False
            )
        except (sqlite3.Error, OSError) as exc:
            if writers_kept_out is not None:
                os.close(writers_kept_out)
            raise StorageError(f"cannot open database {shown}: {exc}") from None
        try:
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise StorageError(_newer_schema(path, version))
            if version < SCHEMA_VERSION:
                raise StorageError(
                    f"cannot open database {shown}: its schema (version {version}) is older"
                    f" than this newscrawl's ({SCHEMA_VERSION}), and it cannot be written"
                    " here to upgrade it"
                )
        except sqlite3.Error as exc:
            connection.close()
            if writers_kept_out is not None:
                os.close(writers_kept_out)
            raise StorageError(f"cannot open database {shown}: {exc}") from None
        except StorageError:
            connection.close()
            if writers_kept_out is not None:
                os.close(writers_kept_out)
            raise
        store = cls(connection, path)
        store.read_only = True
        store.writers_kept_out = writers_kept_out
        return store

    @staticmethod
    def check(target: str | Path) -> None:
        """Raise StorageError, saying why, if `target` cannot be a store: not a
        SQLite file, a schema newer than this newscrawl's, a server that cannot be
        reached. Reads only; creates nothing but missing folders. (What a command
        checks before it starts; the crawl's own store opens it for real.)"""
        if is_postgres_url(target):
            shown = without_password(str(target))
            try:
                PostgresConnection(str(target)).close()
            except ImportError as exc:
                raise StorageError(str(exc)) from None
            except database_errors() as exc:
                reason = _driver_reason(exc, str(target), shown)
                raise StorageError(f"cannot open database {shown}: {reason}") from None
            return
        path = Path(target)
        try:
            make_parent(path)
            if not path.exists():
                return
            if not path.is_file():
                raise StorageError(f"cannot open database {path}: not a file")
            with contextlib.closing(
                sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            ) as db:
                (version,) = db.execute("PRAGMA user_version").fetchone()
                db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except OSError as exc:
            raise StorageError(f"cannot open database {path}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from None
        if version > SCHEMA_VERSION:
            raise StorageError(_newer_schema(path, version))

    @classmethod
    def _open_postgres(cls, url: str, call_limit: float) -> ArticleStore:
        shown = without_password(url)
        try:
            connection = PostgresConnection(url)
        except ImportError as exc:
            raise StorageError(str(exc)) from None
        except database_errors() as exc:
            reason = _driver_reason(exc, url, shown)
            raise StorageError(f"cannot open database {shown}: {reason}") from None
        try:
            connection.limit_calls(call_limit)
            # Workers of a cluster open the database together: one creates or
            # upgrades the schema while the others wait (the lock ends with the
            # transaction). Once it is current, nobody runs DDL again: CREATE INDEX,
            # even IF NOT EXISTS, locks its table and would deadlock with workers
            # writing it.
            _lock_schema(connection, shown, call_limit)
            (exists,) = connection.execute(
                "SELECT to_regclass('newscrawl_schema') IS NOT NULL"
            ).fetchone()
            if not exists:
                with connection.unlimited():
                    _create_schema(connection, postgres=True)
                connection.execute("CREATE TABLE newscrawl_schema (version INTEGER NOT NULL)")
                connection.execute("INSERT INTO newscrawl_schema VALUES (?)", (SCHEMA_VERSION,))
                _pause_for_tests()
            (version,) = connection.execute("SELECT max(version) FROM newscrawl_schema").fetchone()
            if version > SCHEMA_VERSION:
                raise StorageError(_newer_schema(shown, version))
            if version < SCHEMA_VERSION:
                with connection.unlimited():
                    _migrate(connection, version, postgres=True)
                connection.execute("UPDATE newscrawl_schema SET version = ?", (SCHEMA_VERSION,))
                _pause_for_tests()
            connection.commit()
        except database_errors() as exc:
            connection.close()
            raise StorageError(f"cannot open database {shown}: {exc}") from None
        except StorageError:
            connection.close()
            raise
        return cls(connection, shown)

    def upsert(self, article: ArticleItem) -> str:
        """Insert `article`, or update the row with its canonical URL, and record its
        paragraphs in the site boilerplate model. Returns "new", "changed" or
        "unchanged"; OTHER_SITE (and writes nothing) when another site's row
        holds that canonical URL; SHRUNK (and writes nothing) when the article's
        text now is a cut-down copy of the stored one (`shrunk`)."""
        row: dict[str, Any] = article_record(article)
        row["authors"] = json.dumps(article.authors, ensure_ascii=False)
        row["cleaning"] = cleaning_column(article.cleaning)
        row["content_hash"] = content_hash(article.text)
        row["raw_text"] = article.raw_text or article.text
        row["anchor_texts"] = json.dumps(article.anchor_texts, ensure_ascii=False)
        row["boilerplate_used"] = boilerplate_column(article.boilerplate_used)
        # Where the archive extension wrote its page (newscrawl/archive.py), if it did.
        row["archive_record"] = article.hints.get("archive_record")
        try:
            page, before, compared = self._stored_key(article.canonical_url or "")
            row["canonical_url"] = page
            takes_back = bool(article.hints.get(TAKES_BACK_URL))
            if before is not None and shrunk(compared[0], row["raw_text"], takes_back):
                return self._kept_whole(page, article.site)
            written = self.connection.execute(_UPSERT_RETURNING, row).fetchone()
            if written is None:  # the WHERE kept another site's row
                return OTHER_SITE
            if before != row["content_hash"]:
                self.stories.update(page, article.text, article.signed, first_seen=written[0])
            self.connection.execute("DELETE FROM site_paragraphs WHERE canonical_url = ?", (page,))
            self.connection.executemany(
                "INSERT INTO site_paragraphs VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(article.site, fp, page) for fp in sorted(_raw_fingerprints(article))],
            )
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.path}: {exc}") from None
        self.pending += 1
        if before is None:
            return "new"
        same = compared == (row["raw_text"], *(row[f] for f in _FIELDS))
        return "unchanged" if same else "changed"

    def _kept_whole(self, page: str, site: str | None) -> str:
        """SHRUNK: the row at `page` stays as stored; OTHER_SITE if it is not
        `site`'s (it would stay as well)."""
        (owner,) = self.connection.execute(
            "SELECT site FROM articles WHERE canonical_url = ?", (page,)
        ).fetchone()
        return SHRUNK if owner == site else OTHER_SITE

    def stored_record(self, page: str) -> dict[str, Any] | None:
        """The output record (ARTICLE_FIELDS) of the row at `page` (or its twin with
        the other scheme), as it is stored; None without such a row."""
        try:
            key, _, _ = self._stored_key(page)
            row = self.connection.execute(
                f"SELECT {', '.join(ARTICLE_FIELDS)} FROM articles WHERE canonical_url = ?",
                (key,),
            ).fetchone()
        except database_errors() as exc:
            raise StorageError(f"cannot read {self.path}: {exc}") from None
        if row is None:
            return None
        record = dict(zip(ARTICLE_FIELDS, row, strict=True))
        record["authors"] = json.loads(record["authors"])
        record["cleaning"] = json.loads(record["cleaning"])
        return record

    def claim_on(self, page: str) -> tuple[str, Signature | str] | None:
        """Who holds the canonical URL `page` (or its twin with the other scheme):
        the address its row's page was fetched from, and its story's mark (its
        signature; the hash of its text, one too short to sign); None without a
        row. The spider asks before a page that names `page` as its canonical
        URL may replace that row."""
        scheme, sep, rest = page.partition("://")
        twin = f"{'https' if scheme == 'http' else 'http'}://{rest}" if sep else page
        try:
            rows = self.connection.execute(
                "SELECT a.canonical_url, a.url, a.content_hash, s.signature FROM articles a"
                " LEFT JOIN story_signatures s ON s.canonical_url = a.canonical_url"
                " AND s.scheme = ? WHERE a.canonical_url IN (?, ?)",
                (SIGNATURE_SCHEME, page, twin),
            ).fetchall()
        except database_errors() as exc:
            raise StorageError(f"cannot read {self.path}: {exc}") from None
        if not rows:
            return None
        _, url, text_hash, sig = min(rows, key=lambda row: row[0] != page)  # `page` first
        return url, decode(sig) if sig else text_hash

    def _stored_key(self, page: str) -> tuple[str, str | None, tuple[Any, ...]]:
        """The key to store the article at `page` under, the content hash stored
        there (None: a new article) and what "unchanged" compares: its text as
        extracted and its _FIELDS (empty for a new article). The key is `page`,
        unless only its twin with the other scheme (http/https) is stored, which is
        the same article."""
        scheme, sep, rest = page.partition("://")
        twin = f"{'https' if scheme == 'http' else 'http'}://{rest}"
        if scheme not in ("http", "https") or not sep:
            twin = page
        stored = {
            key: (content, tuple(compared))
            for key, content, *compared in self.connection.execute(
                f"SELECT canonical_url, content_hash, raw_text, {', '.join(_FIELDS)}"
                " FROM articles WHERE canonical_url IN (?, ?)",
                (page, twin),
            ).fetchall()
        }
        if page not in stored and twin in stored:
            return twin, *stored[twin]
        before, compared = stored.get(page, (None, ()))
        return page, before, compared

    def site_boilerplate(self, site: str) -> frozenset[str]:
        """The fingerprints of `site`'s boilerplate paragraphs, from every stored page.

        The database counts and keeps only those over the threshold: a site of
        10,000 pages has hundreds of thousands of distinct paragraphs, and reading
        all their counts into Python (as the end of every crawl asks) took 10.6 MB
        for 60,000 of them."""
        (pages,) = self.connection.execute(
            "SELECT count(*) FROM articles WHERE site = ?", (site,)
        ).fetchone()
        rows = self.connection.execute(
            "SELECT fingerprint FROM site_paragraphs WHERE site = ?"
            " GROUP BY fingerprint HAVING count(*) >= ?",
            (site, pages_needed(pages)),
        ).fetchall()
        return frozenset(fingerprint for (fingerprint,) in rows) | self._new_furniture(site, pages)

    def _new_furniture(self, site: str, pages: int) -> frozenset[str]:
        """The paragraphs that became `site`'s furniture after its first pages (a
        redesign's; see siteboiler.new_furniture), by the day each page was fetched.
        Not asked where the share alone already takes every paragraph on
        RECENT_MIN_PAGES pages."""
        if pages_needed(pages) <= RECENT_MIN_PAGES:
            return frozenset()
        day = "substr(fetched_at, 1, 10)"
        pages_by_day = self.connection.execute(
            f"SELECT {day}, count(*) FROM articles WHERE site = ? GROUP BY {day}", (site,)
        ).fetchall()
        if len(pages_by_day) < 2:
            return frozenset()
        # The paragraphs on RECENT_MIN_PAGES pages first, from the model's own key;
        # only their pages' rows are then read for a fetch day. Joining every
        # paragraph of the site to its article took 0.73 s for 10,000 pages of 30
        # paragraphs (6.4 s for 40,000), against 0.20 s (0.74 s) this way.
        candidates = self.connection.execute(
            "SELECT p.fingerprint, count(*), min(substr(a.fetched_at, 1, 10))"
            " FROM site_paragraphs p JOIN articles a ON a.canonical_url = p.canonical_url"
            " WHERE p.site = ? AND p.fingerprint IN (SELECT fingerprint FROM site_paragraphs"
            " WHERE site = ? GROUP BY fingerprint HAVING count(*) >= ?)"
            " GROUP BY p.fingerprint",
            (site, site, RECENT_MIN_PAGES),
        ).fetchall()
        return new_furniture(candidates, pages_by_day)

    def cleaned(self, page: str, site: str) -> tuple[str, int, dict[str, int]] | None:
        """The stored text, word count and cleaning record of the article at `page`
        (or its http/https twin) of `site`; None when `site` has no such row."""
        try:
            key, _, _ = self._stored_key(page)
            row = self.connection.execute(
                "SELECT text, word_count, cleaning FROM articles"
                " WHERE canonical_url = ? AND site = ?",
                (key, site),
            ).fetchone()
        except database_errors() as exc:
            raise StorageError(f"cannot read {self.path}: {exc}") from None
        if row is None:
            return None
        return row[0], int(row[1]), json.loads(row[2])

    def count_articles(self, site: str | None = None) -> int:
        """How many articles the store holds (of `site`)."""
        query, params = "SELECT count(*) FROM articles", tuple[str, ...]()
        if site is not None:
            query, params = query + " WHERE site = ?", (site,)
        (count,) = self.connection.execute(query, params).fetchone()
        return int(count)

    def known_sites(self) -> set[str]:
        """Every site the store knows: with articles, URLs or run records."""
        return {
            site
            for (site,) in self.connection.execute(
                "SELECT site FROM articles UNION SELECT site FROM urls"
                " UNION SELECT site FROM run_counts"
            )
        }

    def sites(self) -> list[str]:
        return [
            s
            for (s,) in self.connection.execute("SELECT DISTINCT site FROM articles ORDER BY site")
        ]

    def update_cleaned(
        self, page: str, text: str, word_count: int, cleaning: str, boilerplate_used: str
    ) -> None:
        """Store a row's text cleaned again (newscrawl/reclean.py); `cleaning` and
        `boilerplate_used` as `cleaning_column` and `boilerplate_column` encode them."""
        try:
            before = self.connection.execute(
                "SELECT content_hash FROM articles WHERE canonical_url = ?", (page,)
            ).fetchone()
            self.connection.execute(
                "UPDATE articles SET text = ?, word_count = ?, cleaning = ?, content_hash = ?,"
                " boilerplate_used = ? WHERE canonical_url = ?",
                (text, word_count, cleaning, content_hash(text), boilerplate_used, page),
            )
            if before is not None and before[0] != content_hash(text):
                self.stories.update(page, text)  # signatures in step
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.path}: {exc}") from None
        self.pending += 1

    def sign_unsigned(self, site: str) -> int:
        """Sign the site's articles that have no story signature of the current
        scheme (stored before signatures were kept), settling their duplicate_of;
        commits every RECLEAN_COMMIT_EVERY rows, as re-cleaning does. Returns how
        many it signed."""
        try:
            pages = self.stories.unsigned(site)
            for page in pages:
                self.stories.sign(page)
                self.pending += 1
                if self.pending >= RECLEAN_COMMIT_EVERY:
                    self.commit()
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.path}: {exc}") from None
        return len(pages)

    def settle_stories(self) -> int:
        """Work out the duplicate_of of the articles that writes of other texts
        marked unsettled (newscrawl/duplicates.py), committing every
        RECLEAN_COMMIT_EVERY rows as re-cleaning does. Returns how many."""
        done = 0
        try:
            while settled := self.stories.settle(RECLEAN_COMMIT_EVERY):
                done += settled
                self.pending += settled
                self.commit()
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.path}: {exc}") from None
        return done

    def stored_pages(self, site: str, batch: int = 500) -> Iterator[StoredPage]:
        """The articles of `site` as re-extraction needs them, `batch` at a time in
        key order."""
        after = ""
        try:
            while True:
                rows = self.connection.execute(
                    "SELECT canonical_url, url, site, fetched_at, archive_record FROM articles"
                    " WHERE site = ? AND canonical_url > ? ORDER BY canonical_url LIMIT ?",
                    (site, after, batch),
                ).fetchall()
                yield from (StoredPage(*row) for row in rows)
                if len(rows) < batch:
                    return
                after = rows[-1][0]
        except database_errors() as exc:
            raise StorageError(f"cannot read {self.path}: {exc}") from None

    def update_extracted(self, page: str, article: ArticleItem, archive_record: str) -> bool:
        """Store the row at `page` as extracted again (`article`, cleaned, from the
        page archived at `archive_record`), if any of its fields changed; its version
        then goes up. Returns whether it changed. The row keeps its key, its site and
        its fetch times."""
        values = {
            "title": article.title,
            "authors": json.dumps(article.authors, ensure_ascii=False),
            "published": article.published,
            "language": article.language,
            "language_source": article.language_source,
            "description": article.description,
            "text": article.text,
            "word_count": article.word_count,
            "cleaning": cleaning_column(article.cleaning),
            "raw_text": article.raw_text or article.text,
            "anchor_texts": json.dumps(article.anchor_texts, ensure_ascii=False),
            "boilerplate_used": boilerplate_column(article.boilerplate_used),
        }
        try:
            stored = self.connection.execute(
                f"SELECT {', '.join(_EXTRACTED_COLUMNS)}, content_hash FROM articles"
                " WHERE canonical_url = ?",
                (page,),
            ).fetchone()
            if stored is None:
                return False
            if tuple(values[c] for c in _EXTRACTED_COLUMNS) == tuple(stored[:-1]):
                self.connection.execute(
                    "UPDATE articles SET archive_record = ? WHERE canonical_url = ?",
                    (archive_record, page),
                )
                return False
            assignments = ", ".join(f"{c} = :{c}" for c in _EXTRACTED_COLUMNS)
            self.connection.execute(
                f"UPDATE articles SET {assignments}, content_hash = :content_hash,"
                " version = version + 1, updated_at = :now, archive_record = :archive_record"
                " WHERE canonical_url = :page",
                {**values, "content_hash": content_hash(article.text), "now": _utc_now(),
                 "archive_record": archive_record, "page": page},
            )  # fmt: skip
            self.connection.execute("DELETE FROM site_paragraphs WHERE canonical_url = ?", (page,))
            self.connection.executemany(
                "INSERT INTO site_paragraphs VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(article.site, fp, page) for fp in sorted(_raw_fingerprints(article))],
            )
            if stored[-1] != content_hash(article.text):
                self.stories.update(page, article.text)
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.path}: {exc}") from None
        self.pending += 1
        return True

    def rows_to_clean(
        self, site: str, boilerplate: frozenset[str] | None = None
    ) -> Iterator[StoredText]:
        """The rows of `site` as cleaning needs them, read in batches; with
        `boilerplate` (the site's boilerplate fingerprints), only those cleaned
        with other boilerplate than it (stale)."""
        try:
            rows = (
                self._rows_of(site)
                if boilerplate is None
                else self._stale_rows_of(site, boilerplate)
            )
            for row in rows:
                yield StoredText(*row)
        except database_errors() as exc:
            raise StorageError(f"cannot read {self.path}: {exc}") from None

    _ROW = (
        "canonical_url, title, raw_text, anchor_texts, text, cleaning, boilerplate_used,"
        " word_count, authors"
    )

    def _rows_of(self, site: str, batch: int = 500) -> Iterator[tuple[Any, ...]]:
        """The rows of `site` to re-clean, read `batch` at a time in key order, so a
        site of a hundred thousand articles is never held in memory at once."""
        after = ""
        while True:
            rows = self.connection.execute(
                f"SELECT {self._ROW} FROM articles WHERE site = ? AND canonical_url > ?"
                " ORDER BY canonical_url LIMIT ?",
                (site, after, batch),
            ).fetchall()
            yield from rows
            if len(rows) < batch:
                return
            after = rows[-1][0]

    def _stale_rows_of(
        self, site: str, boilerplate: frozenset[str], batch: int = 500
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of `site` whose boilerplate_used differs from what `boilerplate`
        holds of their paragraphs (or is not known)."""
        now: dict[str, list[str]] = defaultdict(list)
        fingerprints = sorted(boilerplate)
        for start in range(0, len(fingerprints), batch):
            chunk = fingerprints[start : start + batch]
            for page, fingerprint in self.connection.execute(
                "SELECT canonical_url, fingerprint FROM site_paragraphs"
                f" WHERE site = ? AND fingerprint IN ({','.join('?' * len(chunk))})",
                (site, *chunk),
            ):
                now[page].append(fingerprint)
        stale = [
            page
            for page, used in self.connection.execute(
                "SELECT canonical_url, boilerplate_used FROM articles WHERE site = ?", (site,)
            )
            if used is None or used != ",".join(sorted(now.get(page, ())))
        ]
        for start in range(0, len(stale), batch):
            chunk = stale[start : start + batch]
            yield from self.connection.execute(
                f"SELECT {self._ROW} FROM articles"
                f" WHERE canonical_url IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()

    # The columns an export writes: the article's fields, then what the store adds.
    EXPORT_COLUMNS = (
        *ARTICLE_FIELDS, "first_seen_at", "updated_at", "version", "duplicate_of",
        "archive_record",
    )  # fmt: skip

    def articles(
        self,
        site: str | None = None,
        since: str | None = None,
        unique: bool = False,
        batch: int = 500,
    ) -> Iterator[dict[str, Any]]:
        """The stored articles as records (EXPORT_COLUMNS; authors a list, cleaning a
        dict), in the order they were first stored, read `batch` at a time: of
        `site`, published (or, undated, first stored) on or after `since` (an ISO
        date), and with `unique` only the first copy of each story."""
        where, params = "", list[str]()
        if site is not None:
            where, params = where + " AND site = ?", [*params, site]
        if since is not None:
            where, params = where + " AND coalesce(published, first_seen_at) >= ?", [*params, since]
        if unique:
            where += " AND duplicate_of IS NULL"
        columns = ", ".join(self.EXPORT_COLUMNS)
        after = ("", "")
        try:
            while True:
                rows = self.connection.execute(
                    f"SELECT {columns} FROM articles WHERE (first_seen_at > ? OR"
                    f" (first_seen_at = ? AND canonical_url > ?)){where}"
                    " ORDER BY first_seen_at, canonical_url LIMIT ?",
                    (after[0], after[0], after[1], *params, batch),
                ).fetchall()
                for row in rows:
                    record = dict(zip(self.EXPORT_COLUMNS, row, strict=True))
                    record["authors"] = json.loads(record["authors"])
                    record["cleaning"] = json.loads(record["cleaning"])
                    yield record
                if len(rows) < batch:
                    return
                last = rows[-1]
                after = (
                    last[self.EXPORT_COLUMNS.index("first_seen_at")],
                    last[self.EXPORT_COLUMNS.index("canonical_url")],
                )
        except database_errors() as exc:
            raise StorageError(f"cannot read {self.path}: {exc}") from None

    def commit(self) -> None:
        """Make the writes since the last commit durable. StorageError if they are
        not: RolledBack when the database dropped them as the commit failed (SQLite
        on a full disk; PostgreSQL when the server refused the commit), so that
        nobody counts them committed once a later commit, then a no-op, succeeds;
        a plain StorageError when they still wait in the open transaction
        (SQLite's busy lock), for a later commit to make durable, or when nobody
        knows (PostgreSQL's connection was lost before the answer: the server may
        have committed them)."""
        try:
            self.connection.commit()
        except database_errors() as exc:
            message = f"cannot commit to {self.path}: {exc}"
            if getattr(self.connection, "in_transaction", False) or getattr(
                self.connection, "commit_in_doubt", False
            ):
                raise StorageError(message) from None
            self.pending = 0
            raise RolledBack(message) from None
        self.pending = 0

    def rollback(self) -> None:
        """Drop what was written since the last commit."""
        try:
            self.connection.rollback()
        except database_errors() as exc:
            raise StorageError(f"cannot roll back {self.path}: {exc}") from None
        self.pending = 0

    def close(self) -> None:
        """Settle the stories left unsettled, commit, close (a store open read-only:
        only close)."""
        if self.read_only:
            self.connection.close()
            if self.writers_kept_out is not None:  # after SQLite's own descriptors
                os.close(self.writers_kept_out)
                self.writers_kept_out = None
            return
        try:
            self.settle_stories()
            self.commit()
        finally:
            self.connection.close()
