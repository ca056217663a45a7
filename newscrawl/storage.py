"""SQLite storage of articles: one row per canonical URL, upserted.

Plain sqlite3, no Scrapy: the pipeline in `pipelines.py` is a thin adapter.
The database is in WAL mode so readers (the `sqlite3` shell, a notebook) are
never blocked by a running crawl.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any

from newscrawl.items import ArticleItem

__all__ = ["SCHEMA", "ArticleStore", "StorageError", "content_hash"]

SCHEMA_VERSION = 1

SCHEMA = """
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

_UPSERT = """
INSERT INTO articles (
    canonical_url, url, site, title, authors, published, language, description,
    text, word_count, cleaning, content_hash, first_seen_at, fetched_at, updated_at
) VALUES (
    :canonical_url, :url, :site, :title, :authors, :published, :language, :description,
    :text, :word_count, :cleaning, :content_hash, :fetched_at, :fetched_at, :fetched_at
)
ON CONFLICT (canonical_url) DO UPDATE SET
    url = excluded.url,
    site = excluded.site,
    title = excluded.title,
    authors = excluded.authors,
    published = excluded.published,
    language = excluded.language,
    description = excluded.description,
    text = excluded.text,
    word_count = excluded.word_count,
    cleaning = excluded.cleaning,
    fetched_at = excluded.fetched_at,
    updated_at = CASE WHEN articles.content_hash = excluded.content_hash
                      THEN articles.updated_at ELSE excluded.fetched_at END,
    content_hash = excluded.content_hash
"""


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says which file and why."""


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ArticleStore:
    """An open SQLite article database. Call `commit()` to make writes durable."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.pending = 0  # rows written since the last commit

    @classmethod
    def open(cls, path: str | Path) -> ArticleStore:
        path = Path(path)
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
                raise StorageError(
                    f"{path}: database schema version {version} is newer than this "
                    f"newscrawl ({SCHEMA_VERSION}); upgrade newscrawl"
                )
            connection.executescript(SCHEMA)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            connection.commit()
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open database {path}: {exc}") from None
        return cls(connection, path)

    def upsert(self, article: ArticleItem) -> None:
        """Insert `article`, or update the row with its canonical URL."""
        row: dict[str, Any] = asdict(article)
        row["authors"] = json.dumps(article.authors, ensure_ascii=False)
        row["cleaning"] = json.dumps(article.cleaning, sort_keys=True)
        row["content_hash"] = content_hash(article.text)
        try:
            self.connection.execute(_UPSERT, row)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot write to {self.path}: {exc}") from None
        self.pending += 1

    def commit(self) -> None:
        try:
            self.connection.commit()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot commit to {self.path}: {exc}") from None
        self.pending = 0

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.connection.close()
