"""Storage of articles: one row per canonical URL, upserted.

Plain SQL, no Scrapy: the pipeline in `pipelines.py` is a thin adapter. The
database is a SQLite file, in WAL mode so readers (the `sqlite3` shell, a
notebook) are never blocked by a running crawl, or, for a cluster of workers, a
PostgreSQL database with the same schema (see `database.py`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from newscrawl.article import boilerplate_used, raw_fingerprints, rule_counts
from newscrawl.cleaning import TextCleaner
from newscrawl.cleaning.siteboiler import boilerplate_fingerprints
from newscrawl.database import (
    PostgresConnection,
    database_errors,
    is_postgres_url,
    postgres_schema,
)
from newscrawl.items import ArticleItem, article_record
from newscrawl.urls import without_password

__all__ = ["SCHEMA", "ArticleStore", "StorageError", "content_hash"]

SCHEMA_VERSION = 5

# How to bring an older database up to SCHEMA_VERSION, step by step.
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
    content_hash  TEXT NOT NULL,         -- sha256 of text: tells a changed article
    first_seen_at TEXT NOT NULL,         -- UTC ISO 8601, first fetch
    fetched_at    TEXT NOT NULL,         -- UTC ISO 8601, latest fetch
    updated_at    TEXT NOT NULL,         -- UTC ISO 8601, latest fetch that changed text
    raw_text      TEXT NOT NULL,         -- the text as extracted, before cleaning
    anchor_texts  TEXT NOT NULL,         -- JSON array: link texts found in raw_text
    version       INTEGER NOT NULL DEFAULT 1, -- 1 + how often its text changed
    boilerplate_used TEXT,               -- its paragraphs' fingerprints that were site
                                         -- boilerplate when it was cleaned, comma-separated
    language_source TEXT                 -- "declared" (by the page) or "detected" (from the text)
);
CREATE INDEX IF NOT EXISTS articles_site ON articles (site);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published);

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
    content_hash  TEXT
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
"""

_UPSERT = """
INSERT INTO articles (
    canonical_url, url, site, title, authors, published, language, description,
    text, word_count, cleaning, content_hash, first_seen_at, fetched_at, updated_at,
    raw_text, anchor_texts, boilerplate_used, language_source
) VALUES (
    :canonical_url, :url, :site, :title, :authors, :published, :language, :description,
    :text, :word_count, :cleaning, :content_hash, :fetched_at, :fetched_at, :fetched_at,
    :raw_text, :anchor_texts, :boilerplate_used, :language_source
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
    updated_at = CASE WHEN articles.content_hash = excluded.content_hash
                      THEN articles.updated_at ELSE excluded.fetched_at END,
    version = articles.version
              + CASE WHEN articles.content_hash = excluded.content_hash THEN 0 ELSE 1 END,
    content_hash = excluded.content_hash,
    raw_text = excluded.raw_text,
    anchor_texts = excluded.anchor_texts,
    boilerplate_used = excluded.boilerplate_used
"""


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says which file and why."""


def _newer_schema(database: Path | str, version: int) -> str:
    return (
        f"{database}: database schema version {version} is newer than this "
        f"newscrawl ({SCHEMA_VERSION}); upgrade newscrawl"
    )


def _cleaning_column(counts: dict[str, int]) -> str:
    # One encoding for writing and for comparing (re-cleaning skips equal rows).
    return json.dumps(counts, sort_keys=True)


def _boilerplate_column(fingerprints: list[str]) -> str:
    return ",".join(fingerprints)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ArticleStore:
    """An open SQLite article database. Call `commit()` to make writes durable."""

    def __init__(self, connection: Any, path: Path | str) -> None:
        # A sqlite3.Connection, or a PostgresConnection offering the same methods.
        self.connection = connection
        self.path = path  # what messages name: the file, or the URL without its password
        self.pending = 0  # rows written since the last commit

    @classmethod
    def open(cls, target: str | Path) -> ArticleStore:
        """Open (creating or upgrading its schema) a SQLite file, or a PostgreSQL
        database given as a postgresql:// URL."""
        if is_postgres_url(target):
            return cls._open_postgres(str(target))
        path = Path(target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(path, isolation_level="DEFERRED")
            # Wait for another writer instead of failing with "database is locked".
            connection.execute("PRAGMA busy_timeout = 10000")
            connection.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL loses nothing when the process dies, only (at
            # worst) the last transactions on a power cut, and is much faster.
            connection.execute("PRAGMA synchronous = NORMAL")
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(_newer_schema(path, version))
            for step in range(version or SCHEMA_VERSION, SCHEMA_VERSION):
                connection.executescript(_MIGRATIONS[step])
            connection.executescript(SCHEMA)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.commit()
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from None
        return cls(connection, path)

    @classmethod
    def _open_postgres(cls, url: str) -> ArticleStore:
        shown = without_password(url)
        try:
            connection = PostgresConnection(url)
        except ImportError as exc:
            raise StorageError(str(exc)) from None
        except database_errors() as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StorageError(f"cannot open database {shown}: {reason}") from None
        try:
            # Workers of a cluster open the database together: one creates the
            # schema while the others wait (the lock ends with the transaction).
            # Once it exists, nobody runs DDL again: CREATE INDEX, even IF NOT
            # EXISTS, locks its table and would deadlock with workers writing it.
            connection.execute("SELECT pg_advisory_xact_lock(7346001)")
            (exists,) = connection.execute(
                "SELECT to_regclass('newscrawl_schema') IS NOT NULL"
            ).fetchone()
            if not exists:
                connection.executescript(
                    postgres_schema(SCHEMA)
                    + "CREATE TABLE newscrawl_schema (version INTEGER NOT NULL);"
                )
                connection.execute("INSERT INTO newscrawl_schema VALUES (?)", (SCHEMA_VERSION,))
            (version,) = connection.execute("SELECT max(version) FROM newscrawl_schema").fetchone()
            if version > SCHEMA_VERSION:
                raise StorageError(_newer_schema(shown, version))
            # The steps since the version it was created with (PostgreSQL stores came with 4).
            for step in range(version, SCHEMA_VERSION):
                connection.executescript(postgres_schema(_MIGRATIONS[step]))
                connection.execute("INSERT INTO newscrawl_schema VALUES (?)", (step + 1,))
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
        "unchanged"."""
        row: dict[str, Any] = article_record(article)
        row["authors"] = json.dumps(article.authors, ensure_ascii=False)
        row["cleaning"] = _cleaning_column(article.cleaning)
        row["content_hash"] = content_hash(article.text)
        row["raw_text"] = article.raw_text or article.text
        row["anchor_texts"] = json.dumps(article.anchor_texts, ensure_ascii=False)
        row["boilerplate_used"] = _boilerplate_column(article.boilerplate_used)
        try:
            page, before = self._stored_key(article.canonical_url or "")
            row["canonical_url"] = page
            self.connection.execute(_UPSERT, row)
            self.connection.execute("DELETE FROM site_paragraphs WHERE canonical_url = ?", (page,))
            self.connection.executemany(
                "INSERT INTO site_paragraphs VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [(article.site, fp, page) for fp in sorted(raw_fingerprints(article))],
            )
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.path}: {exc}") from None
        self.pending += 1
        if before is None:
            return "new"
        return "unchanged" if before == row["content_hash"] else "changed"

    def _stored_key(self, page: str) -> tuple[str, str | None]:
        """The key to store the article at `page` under, and the content hash stored
        there (None: a new article). The key is `page`, unless only its twin with the
        other scheme (http/https) is stored, which is the same article."""
        scheme, sep, rest = page.partition("://")
        twin = f"{'https' if scheme == 'http' else 'http'}://{rest}"
        if scheme not in ("http", "https") or not sep:
            twin = page
        stored = dict(
            self.connection.execute(
                "SELECT canonical_url, content_hash FROM articles WHERE canonical_url IN (?, ?)",
                (page, twin),
            ).fetchall()
        )
        if page not in stored and twin in stored:
            return twin, stored[twin]
        return page, stored.get(page)

    def site_boilerplate(self, site: str) -> frozenset[str]:
        """The fingerprints of `site`'s boilerplate paragraphs, from every stored page."""
        (pages,) = self.connection.execute(
            "SELECT count(*) FROM articles WHERE site = ?", (site,)
        ).fetchone()
        counts = Counter(
            dict(
                self.connection.execute(
                    "SELECT fingerprint, count(*) FROM site_paragraphs WHERE site = ?"
                    " GROUP BY fingerprint",
                    (site,),
                ).fetchall()
            )
        )
        return boilerplate_fingerprints(counts, pages)

    def sites(self) -> list[str]:
        return [
            s
            for (s,) in self.connection.execute("SELECT DISTINCT site FROM articles ORDER BY site")
        ]

    def reclean(
        self,
        cleaner: TextCleaner | Callable[[str], TextCleaner],
        sites: Iterable[str] | None = None,
        stale_only: bool = False,
    ) -> int:
        """Clean the stored articles of `sites` (all when None) again, from their raw
        text, with the current rules and site model. Returns how many texts changed.

        With `stale_only`, only the rows cleaned with other site boilerplate than
        their site now has: what the end of a crawl needs, since its rules did not
        change but the model did. A page's cleaning takes nothing else from other
        pages, so the result is the same as re-cleaning every row, at a cost that
        grows with the rows the run touched, not with the whole history.

        The result depends only on what is stored, not on the order it came in.
        Articles left too short keep their row (their text is stored cleaned).
        """
        changed = 0
        for site in sorted(sites) if sites is not None else self.sites():
            site_cleaner = cleaner if isinstance(cleaner, TextCleaner) else cleaner(site)
            boilerplate = self.site_boilerplate(site)
            rows = self._stale_rows_of(site, boilerplate) if stale_only else self._rows_of(site)
            for page, title, raw_text, anchor_texts, old_text, old_cleaning, old_used in rows:
                # Rows stored before raw text was kept (schema 1) start from their text.
                source = raw_text or old_text
                result = site_cleaner.clean_text(
                    source, title, json.loads(anchor_texts), boilerplate
                )
                cleaning = _cleaning_column(rule_counts(result))
                used = _boilerplate_column(boilerplate_used(source, boilerplate))
                if result.text == old_text and cleaning == old_cleaning and used == old_used:
                    continue  # most rows: nothing to write
                changed += result.text != old_text
                self.connection.execute(
                    "UPDATE articles SET text = ?, word_count = ?, cleaning = ?, content_hash = ?,"
                    " boilerplate_used = ? WHERE canonical_url = ?",
                    (result.text, result.word_count, cleaning, content_hash(result.text), used,
                     page),
                )  # fmt: skip
        self.commit()
        return changed

    _ROW = "canonical_url, title, raw_text, anchor_texts, text, cleaning, boilerplate_used"

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

    def commit(self) -> None:
        try:
            self.connection.commit()
        except database_errors() as exc:
            raise StorageError(f"cannot commit to {self.path}: {exc}") from None
        self.pending = 0

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.connection.close()
