"""The crawl's memory between runs, kept in the SQLite store next to the articles.

Every URL discovery finds is a row: pending until fetched, done once its article
is stored (in the same transaction as the article), failed after an error. Each
run is seeded again from feeds, sitemaps and hubs and from the pending and
failed rows, so a crawl stopped in any way (Ctrl-C, SIGKILL, a crash) is finished
by running the same command again. A run also leaves a record of what it did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from newscrawl.database import database_errors
from newscrawl.items import ArticleItem
from newscrawl.storage import (
    CLAIMS_URL,
    OTHER_SITE,
    SHRUNK,
    TAKES_BACK_URL,
    ArticleStore,
    StorageError,
    content_hash,
)
from newscrawl.urls import canonicalize
from newscrawl.vocabulary import REQUESTS_SENT, STORED, TAKEN_BACK, UNCHANGED

__all__ = [
    "MAX_ATTEMPTS",
    "NOT_TRIED",
    "RETRIED_NO_ARTICLE",
    "Frontier",
    "KnownURL",
    "PendingURL",
    "URLStates",
    "counted_as",
    "utc_now",
]

# A URL that failed this many times is left alone until `state --reset`.
MAX_ATTEMPTS = 3
# URLs a query names at most (SQLite's bound on a statement's parameters was 999
# before 3.32).
_URLS_PER_QUERY = 500
# How many runs back `last_served` looks: a site none of them served is as one
# never served (and reading a year of hourly runs' counts would cost seconds).
RECENT_RUNS = 100
# Why a fetched page gave no article, when the same URL may give one later: an
# empty or broken answer (a CDN's hiccup), a stub ("More to follow."), a worker
# that ran out of time or memory on a busy machine, a date older than one run's
# window (--max-age for a quick check; a later run may want it). Such a URL is
# read again when its sitemap or feed lists it, up to MAX_ATTEMPTS times; one bad
# answer settled it for good, and the article was never stored. (A hub or a page
# that is no HTML is settled at once.)
RETRIED_NO_ARTICLE = (
    "no_html", "no_text", "too_short", "cleaned_away", "too_old", "extraction_timeout",
    "extraction_memory", "extraction_crashed", "extraction_error",
    # An answer that was no HTML page: a PDF for good, or an article served once
    # as text/plain or empty by a CDN's hiccup, which one answer settled for good.
    "not_html",
)  # fmt: skip

# Why a fetched page was not read, through no fault of its own: the run was stopped
# while it waited for a worker or was being read (workers.EXTRACTION_INTERRUPTED),
# or its site's pages kept outlasting the workers and the rest of the run's were
# not sent to one (workers.EXTRACTION_SKIPPED). Such a page is read again and it
# costs no attempt: three runs stopped early, or three runs of a site whose other
# pages were hostile, left it failed for good, never read.
NOT_TRIED = ("extraction_interrupted", "extraction_skipped")


def counted_as(item: ArticleItem, outcome: str, claimed_rows: set[str]) -> str:
    """The run's counter of an article's store `outcome` (Frontier.store_article):
    a new or changed row is one more stored, but the row a page took back from
    another story that this run stored under its URL (that story is read again
    under its own): counted stored once already, it was "3 stored" for 2 rows.
    `claimed_rows`, the run's: the canonical URLs of rows it counted stored from
    another page's claim (CLAIMS_URL). A row taken back that no page was stored
    in (left out after its claim: too old) is one more stored (helper-116 #6)."""
    if outcome in (UNCHANGED, OTHER_SITE, SHRUNK):
        return outcome
    key = item.canonical_url or ""
    if item.hints.get(TAKES_BACK_URL) and key in claimed_rows:
        claimed_rows.discard(key)
        return TAKEN_BACK
    if item.hints.get(CLAIMS_URL):
        claimed_rows.add(key)
    return STORED


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class KnownURL:
    state: str  # done | skipped
    fetched_at: str | None
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class PendingURL:
    url: str
    published: str | None
    title: str | None
    # Links from a start page, for a URL found through links (None: listed by a
    # sitemap or feed). A cluster writer of before depth sends three fields.
    depth: int | None = None


class URLStates(Protocol):
    """What a crawl records of the URLs it tracks, besides the articles it stores: a
    Frontier, or in a cluster that keeps SQLite, the relay to its writer."""

    def add_pending(
        self, site: str, url: str, published: str | None, title: str | None,
        depth: int | None = None,
    ) -> None: ...  # fmt: skip

    def add_pending_links(self, site: str, links: list[tuple[str, int]]) -> None: ...

    def mark_failed(self, site: str, url: str, reason: str) -> None: ...

    def mark_not_article(self, site: str, url: str, reason: str) -> None: ...

    def mark_read_again(self, site: str, url: str) -> None: ...


# Remember a discovered URL: its depth the least it was found at, None (listed by
# a sitemap or feed) however else it is found; a settled one keeps its state.
_ADD_PENDING = (
    "INSERT INTO urls (url, site, state, discovered_at, published, title, depth)"
    " VALUES (?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
    " published = coalesce(excluded.published, urls.published),"
    " title = coalesce(excluded.title, urls.title),"
    " depth = CASE WHEN excluded.depth IS NULL OR urls.depth IS NULL THEN NULL"
    " WHEN excluded.depth < urls.depth THEN excluded.depth ELSE urls.depth END"
)


class Frontier:
    """URL states and run records, on the connection of an open ArticleStore."""

    def __init__(self, store: ArticleStore) -> None:
        self.store = store
        self.db = store.connection

    def _write(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        try:
            self.db.executemany(sql, rows)
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.store.path}: {exc}") from None

    def _read(self, sql: str, parameters: tuple[object, ...] = ()) -> list[Any]:
        try:
            return list(self.db.execute(sql, parameters).fetchall())
        except database_errors() as exc:
            raise StorageError(f"cannot read {self.store.path}: {exc}") from None

    # -- URLs ----------------------------------------------------------------

    def known_articles(self, site: str) -> dict[str, KnownURL]:
        """The site's settled URLs, by canonical URL: articles stored ("done") and
        pages found to hold none ("skipped"), less those to read again
        (RETRIED_NO_ARTICLE)."""
        retried = ", ".join("?" * len(RETRIED_NO_ARTICLE))
        rows = self._read(
            "SELECT url, state, fetched_at, etag, last_modified FROM urls"
            " WHERE site = ? AND (state = 'done' OR state = 'skipped' AND NOT"
            f" (last_error IN ({retried}) AND attempts < ?))",
            (site, *RETRIED_NO_ARTICLE, MAX_ATTEMPTS),
        )
        return {
            url: KnownURL(state, fetched, etag, modified)
            for url, state, fetched, etag, modified in rows
        }

    def discovery_hints(self, url: str) -> tuple[str | None, str | None]:
        """The date and title a sitemap or feed gave for `url`, as the crawl kept them."""
        rows = self._read("SELECT published, title FROM urls WHERE url = ?", (canonicalize(url),))
        return (rows[0][0], rows[0][1]) if rows else (None, None)

    def pending(self, site: str) -> list[PendingURL]:
        """URLs of the site left to fetch: pending, or failed fewer than MAX_ATTEMPTS
        times; those a sitemap or feed listed before links, each the newest first
        (by the date listed, else when found), as a budget that has room for some
        takes them (a link found today came before an article listed yesterday)."""
        rows = self._read(
            "SELECT url, published, title, depth FROM urls WHERE site = ?"
            " AND (state = 'pending' OR (state = 'failed' AND attempts < ?))"
            " ORDER BY depth IS NOT NULL, coalesce(published, discovered_at) DESC, url",
            (site, MAX_ATTEMPTS),
        )
        return [PendingURL(*row) for row in rows]

    def left_to_fetch(self, site: str, urls: Iterable[str]) -> dict[str, int | None]:
        """Of the site's canonical `urls`, those still left to fetch (as `pending`
        lists them), each with its depth now. A run that loaded its pending links
        at its start asks again before it requests them: a link this run stored or
        settled under any form (an AMP copy, a redirect's target, a page that
        named it canonical) is no longer left, and one found nearer the home page
        since is as near as found (add_pending keeps the least depth)."""
        wanted = list(urls)
        left: dict[str, int | None] = {}
        for start in range(0, len(wanted), _URLS_PER_QUERY):
            chunk = wanted[start : start + _URLS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            rows = self._read(
                f"SELECT url, depth FROM urls WHERE site = ? AND url IN ({marks})"
                " AND (state = 'pending' OR (state = 'failed' AND attempts < ?))",
                (site, *chunk, MAX_ATTEMPTS),
            )
            left.update((url, depth) for url, depth in rows)
        return left

    def add_pending(
        self, site: str, url: str, published: str | None, title: str | None,
        depth: int | None = None,
    ) -> None:  # fmt: skip
        """Remember a discovered URL (never downgrades a done one). `depth`: links
        from a start page, for one found through links; None for one a sitemap or
        feed lists, which it keeps however else it is found (a listed URL is the
        site's own list, not a link a depth limit bounds)."""
        self._write(_ADD_PENDING, [(canonicalize(url), site, utc_now(), published, title, depth)])

    def add_pending_links(self, site: str, links: list[tuple[str, int]]) -> None:
        """add_pending for each of the (URL, depth) links one page holds, in one
        statement: a page's new links, each its own statement, cost a round trip
        each on PostgreSQL, in the crawler's event loop (helper-116 #8)."""
        now = utc_now()
        self._write(
            _ADD_PENDING,
            [(canonicalize(url), site, now, None, None, depth) for url, depth in links],
        )

    def mark_done(
        self,
        site: str,
        urls: Iterable[str],
        fetched_at: str,
        content_hash: str,
        etag: str | None = None,
        last_modified: str | None = None,
        keep_known: bool = False,
    ) -> None:
        """Mark an article's URLs (as fetched, canonical) done; call in the transaction
        that stores the article. With `keep_known` (a fetch the store did not take:
        SHRUNK), a URL done already keeps the fetch time, text hash and validators of
        the text stored: given the teaser's, the next run judged a sitemap's lastmod
        and asked its conditional GET against the teaser, and a correction published
        meanwhile was never fetched (found by a review)."""
        fields = ("fetched_at", "content_hash", "etag", "last_modified")
        if keep_known:  # a URL not done yet (a listed alias) is done now, as any
            update = "last_error = CASE WHEN urls.state = 'done' THEN 'shrunk' END, " + ", ".join(
                f"{f} = CASE WHEN urls.state = 'done' THEN urls.{f} ELSE excluded.{f} END"
                for f in fields
            )
        else:
            update = "last_error = NULL, " + ", ".join(f"{f} = excluded.{f}" for f in fields)
        self._write(
            "INSERT INTO urls (url, site, state, discovered_at, fetched_at, content_hash, etag,"
            " last_modified) VALUES (?, ?, 'done', ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
            f" state = 'done', {update}",
            [
                (canonicalize(u), site, fetched_at, fetched_at, content_hash, etag, last_modified)
                for u in sorted(set(urls))
            ],
        )

    def store_article(self, item: ArticleItem) -> str:
        """Upsert `item` and mark its URLs (as fetched, canonical, as asked for) done,
        in the current transaction. Returns "new", "changed" or "unchanged"."""
        outcome = self.store.upsert(item)
        if item.site and outcome != OTHER_SITE:
            urls = {item.url, item.canonical_url, item.hints.get("requested_url")}
            self.mark_done(
                item.site, [u for u in urls if u], item.fetched_at, content_hash(item.text),
                item.hints.get("etag"), item.hints.get("last_modified"),
                keep_known=outcome == SHRUNK,
            )  # fmt: skip
        return outcome

    def mark_unchanged(self, url: str) -> None:
        """A stored article fetched again and found unchanged (a 304): its fetch
        time moves on, nothing else changes."""
        self._write(
            "UPDATE urls SET fetched_at = ?, last_error = NULL WHERE url = ? AND state = 'done'",
            [(utc_now(), canonicalize(url))],
        )

    def mark_failed(self, site: str, url: str, reason: str) -> None:
        """A URL to fetch or read again next run; an attempt, unless `reason` says
        the page was not tried (NOT_TRIED)."""
        attempt = 0 if reason in NOT_TRIED else 1
        self._write(
            "INSERT INTO urls (url, site, state, attempts, last_error, discovered_at)"
            " VALUES (?, ?, 'failed', ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
            " state = CASE WHEN urls.state = 'done' THEN 'done' ELSE 'failed' END,"
            " attempts = urls.attempts + excluded.attempts, last_error = excluded.last_error",
            [(canonicalize(url), site, attempt, reason, utc_now())],
        )

    def mark_not_article(self, site: str, url: str, reason: str) -> None:
        """A URL that was fetched and holds no article: settled, unless `reason`
        is one to read it again for (RETRIED_NO_ARTICLE; its attempts count)."""
        self._write(
            "INSERT INTO urls (url, site, state, attempts, last_error, discovered_at,"
            " fetched_at) VALUES (?, ?, 'skipped', 1, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET"
            " state = CASE WHEN urls.state = 'done' THEN 'done' ELSE 'skipped' END,"
            " attempts = CASE WHEN urls.state = 'done' THEN urls.attempts"
            " ELSE urls.attempts + 1 END,"
            " last_error = excluded.last_error, fetched_at = excluded.fetched_at",
            [(canonicalize(url), site, reason, utc_now(), utc_now())],
        )

    def mark_read_again(self, site: str, url: str) -> None:
        """A URL to fetch again next run, done or not: its page's article was
        stored under another page's URL, which took that row back
        (BaseNewsSpider._take_back_claim), and the budget had no room to read it
        again this run. Left done, it was never fetched again, its story lost."""
        self._write(
            "INSERT INTO urls (url, site, state, discovered_at) VALUES (?, ?, 'pending', ?)"
            " ON CONFLICT (url) DO UPDATE SET state = 'pending', attempts = 0,"
            " last_error = NULL, fetched_at = NULL, content_hash = NULL, etag = NULL,"
            " last_modified = NULL",
            [(canonicalize(url), site, utc_now())],
        )

    def url_state_counts(self, site: str) -> dict[str, int]:
        """How many of the site's URLs are in each state, by state."""
        rows = self._read(
            "SELECT state, count(*) FROM urls WHERE site = ? GROUP BY state ORDER BY state",
            (site,),
        )
        return {state: int(count) for state, count in rows}

    def forget_site(self, site: str) -> int:
        """Forget which URLs of `site` were fetched; its stored articles stay. A
        store that cannot be written is a StorageError: one line, not a traceback
        (found by helper-110 on a read-only file)."""
        try:
            cursor = self.db.execute("DELETE FROM urls WHERE site = ?", (site,))
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.store.path}: {exc}") from None
        self.store.commit()
        return int(cursor.rowcount)

    # -- runs ----------------------------------------------------------------

    def start_run(self, spider: str) -> int:
        try:
            (run_id,) = self.db.execute(
                "INSERT INTO runs (spider, started_at) VALUES (?, ?) RETURNING id",
                (spider, utc_now()),
            ).fetchone()
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.store.path}: {exc}") from None
        self.store.commit()
        return int(run_id)

    def finish_run(self, run_id: int, reason: str, counts: Mapping[str, Mapping[str, int]]) -> None:
        self._write(
            "INSERT INTO run_counts VALUES (?, ?, ?, ?)"
            " ON CONFLICT (run_id, site, counter) DO UPDATE SET value = excluded.value",
            [
                (run_id, site, counter, value)
                for site, by_counter in sorted(counts.items())
                for counter, value in sorted(by_counter.items())
            ],
        )
        self._write(
            "UPDATE runs SET ended_at = ?, finish_reason = ? WHERE id = ?",
            [(utc_now(), reason, run_id)],
        )
        self.store.commit()

    def run_record(self, run_id: int) -> tuple[bool, str | None] | None:
        """Whether the run record `run_id` was finished, and its finish reason; None
        if there is no such record."""
        row = self.db.execute(
            "SELECT ended_at, finish_reason FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        return None if row is None else (row[0] is not None, row[1])

    def drop_run(self, run_id: int) -> None:
        """Delete the run record `run_id` and its counts (one never finished)."""
        self._write("DELETE FROM run_counts WHERE run_id = ?", [(run_id,)])
        self._write("DELETE FROM runs WHERE id = ?", [(run_id,)])
        self.store.commit()

    def run_history(self, site: str, runs: int) -> list[dict[str, int]]:
        """The counts of the site's last `runs` runs, the latest first."""
        ids = [
            run_id
            for (run_id,) in self.db.execute(
                "SELECT DISTINCT run_id FROM run_counts WHERE site = ? ORDER BY run_id DESC"
                " LIMIT ?",
                (site, runs),
            )
        ]
        history: dict[int, dict[str, int]] = {run_id: {} for run_id in ids}
        for run_id, counter, value in self.db.execute(
            f"SELECT run_id, counter, value FROM run_counts WHERE site = ?"
            f" AND run_id IN ({','.join('?' * len(ids))})"
            if ids
            else "SELECT 1, 1, 1 WHERE 0",
            (site, *ids) if ids else (),
        ):
            history[run_id][counter] = value
        return [history[run_id] for run_id in ids]

    def last_served(self, sites: Iterable[str]) -> dict[str, int]:
        """Of `sites`, those one of the last RECENT_RUNS runs sent a request to
        (counted REQUESTS_SENT), by the id of the last such run."""
        rows = self._read(
            "SELECT site, max(run_id) FROM run_counts WHERE run_id >"
            " (SELECT coalesce(max(id), 0) FROM runs) - ? AND counter = ? GROUP BY site",
            (RECENT_RUNS, REQUESTS_SENT),
        )
        wanted = set(sites)
        return {site: run_id for site, run_id in rows if site in wanted}

    def last_run_counts(
        self, site: str | None = None
    ) -> list[tuple[str, int, str, dict[str, int]]]:
        """Per site, its most recent run: (site, run id, run start, counts)."""
        query = (
            "SELECT c.site, c.run_id, r.started_at, c.counter, c.value FROM run_counts c"
            " JOIN runs r ON r.id = c.run_id WHERE c.run_id = ("
            "   SELECT max(run_id) FROM run_counts WHERE site = c.site)"
        )
        params: tuple[str, ...] = ()
        if site is not None:
            query += " AND c.site = ?"
            params = (site,)
        table: dict[str, tuple[int, str, dict[str, int]]] = {}
        for name, run_id, started, counter, value in self.db.execute(query + " ORDER BY 1", params):
            table.setdefault(name, (run_id, started, {}))[2][counter] = value
        return [
            (name, run_id, started, counts) for name, (run_id, started, counts) in table.items()
        ]
