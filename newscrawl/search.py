"""Full-text search over the stored articles: `newscrawl search`.

The index is the store's own (storage.SEARCH_SCHEMA_SQLITE and
SEARCH_SCHEMA_POSTGRES), kept in step with every write by the database: SQLite's
FTS5 over title and text, ranked by bm25; PostgreSQL's tsvector, ranked by
ts_rank. A query is FTS5's query syntax on SQLite (words, "a phrase", OR, NOT,
prefix*) and web search syntax on PostgreSQL (words, "a phrase", or, -word):
plain words and quoted phrases mean the same in both.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass
from typing import Any

from newscrawl.database import PostgresConnection, database_errors
from newscrawl.storage import ArticleStore, StorageError

__all__ = ["MATCH_MARK", "SearchError", "SearchHit", "search"]

# Around each matched word in a snippet.
MATCH_MARK = "**"
# Words of text a snippet shows around the match.
SNIPPET_WORDS = 24
# A match in the title counts this many times one in the text (bm25's column weight).
TITLE_WEIGHT = 5.0

# What SQLite says of a query FTS5 cannot read ("fts5: syntax error near ...",
# a column filter naming no column, a special query it does not know).
_QUERY_ERRORS = ("fts5:", "no such column", "unknown special query", "unterminated string")


class SearchError(ValueError):
    """A query the full-text index rejects; the message says why."""


@dataclass(frozen=True)
class SearchHit:
    canonical_url: str
    title: str | None
    site: str
    published: str | None
    snippet: str

    def record(self) -> dict[str, Any]:
        return asdict(self)


def _filters(site: str | None, since: str | None) -> tuple[str, list[Any]]:
    sql, params = "", list[Any]()
    if site is not None:
        sql, params = sql + " AND a.site = ?", [*params, site]
    if since is not None:
        # The page's date, or when it was first stored for a page that gives none.
        sql += " AND coalesce(a.published, a.first_seen_at) >= ?"
        params.append(since)
    return sql, params


def search(
    store: ArticleStore,
    query: str,
    site: str | None = None,
    since: str | None = None,
    limit: int = 20,
) -> list[SearchHit]:
    """The stored articles matching `query`, best first: of `site`, published (or,
    undated, first stored) on or after `since` (an ISO date)."""
    if not query.strip():
        raise SearchError("an empty query matches nothing")
    where, params = _filters(site, since)
    postgres = isinstance(store.connection, PostgresConnection)
    sql = _POSTGRES if postgres else _SQLITE
    try:
        rows = store.connection.execute(sql.format(where=where), [query, *params, limit])
        rows = rows.fetchall()
    except sqlite3.OperationalError as exc:
        if str(exc).startswith(_QUERY_ERRORS):
            raise SearchError(f"not a query FTS5 can read: {query!r} ({exc})") from None
        raise StorageError(f"cannot read {store.path}: {exc}") from None
    except database_errors() as exc:
        raise StorageError(f"cannot read {store.path}: {exc}") from None
    return [SearchHit(*row) for row in rows]


_SQLITE = f"""
SELECT a.canonical_url, a.title, a.site, a.published,
       snippet(articles_fts, -1, '{MATCH_MARK}', '{MATCH_MARK}', '…', {SNIPPET_WORDS})
FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
WHERE articles_fts MATCH ?{{where}}
ORDER BY bm25(articles_fts, {TITLE_WEIGHT}, 1.0), a.canonical_url
LIMIT ?
"""

# The snippets are made for the hits only (ts_headline reads the whole text).
_POSTGRES = f"""
SELECT hit.canonical_url, hit.title, hit.site, hit.published,
       ts_headline('simple', hit.text, hit.q,
                   'StartSel={MATCH_MARK}, StopSel={MATCH_MARK}, MaxWords={SNIPPET_WORDS},'
                   ' MinWords={SNIPPET_WORDS // 2}, MaxFragments=1, FragmentDelimiter=" … "')
FROM (
    SELECT a.canonical_url, a.title, a.site, a.published, a.text, q,
           ts_rank(a.search_vector, q) AS rank
    FROM articles a, websearch_to_tsquery('simple', ?) AS q
    WHERE a.search_vector @@ q{{where}}
    ORDER BY rank DESC, a.canonical_url
    LIMIT ?
) AS hit
ORDER BY hit.rank DESC, hit.canonical_url
"""
