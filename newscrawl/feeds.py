"""JSON Lines files that survive a killed crawl, and a full disk.

A crawl killed mid-write can leave its JSON Lines file ending in half a record.
Appending the next run's records after it would glue the two into one invalid
line. Before appending, this storage cuts such a torn last line, so every line
of the file stays a complete JSON object; complete lines are never touched.

Every record is written through to the file, and a write that fails (a full
disk, a file deleted or its folder removed during the crawl) stops the crawl
like a store that cannot be written: one line, finish reason OUTPUT_ERROR, the
store keeping what it has. (Scrapy alone logs a traceback per record and goes
on, exit code 0, its records gone.)
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self
from urllib.parse import urlparse
from weakref import WeakKeyDictionary

from scrapy.exporters import JsonLinesItemExporter
from scrapy.extensions.feedexport import FileFeedStorage, StdoutFeedStorage
from scrapy.utils.serialize import ScrapyJSONEncoder
from w3lib.url import file_uri_to_path

from newscrawl.cleaning.cleaner import text_without_site_boilerplate
from newscrawl.cleaning.siteboiler import pages_needed
from newscrawl.config import NewscrawlConfig
from newscrawl.replacing import output_file
from newscrawl.stopwatch import stop_crawl
from newscrawl.storage import ArticleStore, StorageError
from newscrawl.vocabulary import OUTPUT_ERROR, OUTPUT_ERROR_MESSAGE, OUTPUT_WRITTEN

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = [
    "FeedSpool",
    "GuardedFile",
    "GuardedStdoutStorage",
    "JsonLinesSafeFileStorage",
    "PageState",
    "SpoolAwareJsonLinesExporter",
    "discard_unchanged",
    "flush_spools",
    "keep_stored_record",
    "local_feed_path",
    "open_spools",
    "repair_torn_tail",
    "replaces_json_lines",
    "spool_path",
]

logger = logging.getLogger(__name__)


def _whole_json(line: bytes) -> bool:
    """Whether `line` is one whole JSON value (an object, as a record is)."""
    stripped = line.strip()
    if not stripped.startswith(b"{"):
        return False
    try:
        json.loads(stripped)
    except ValueError:  # UnicodeDecodeError too
        return False
    return True


def repair_torn_tail(path: Path) -> int:
    """Cut `path` after its last newline; return how many bytes were cut. A last
    line that is a whole JSON value is a record written without its newline (by
    another tool, or a hand), not a killed run's torn one: it gets its newline
    and is kept."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0
    if size == 0:
        return 0
    with path.open("rb+") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return 0
        # Read backwards in blocks until the last newline.
        position = size
        while position > 0:
            start = max(0, position - 65536)
            handle.seek(start)
            block = handle.read(position - start)
            newline = block.rfind(b"\n")
            if newline != -1:
                keep = start + newline + 1
                break
            position = start
        else:
            keep = 0
        handle.seek(keep)
        if _whole_json(handle.read(size - keep)):
            handle.seek(size)
            handle.write(b"\n")
            handle.flush()
            os.fsync(handle.fileno())
            return 0
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
    return size - keep


def output_failed(crawler: Crawler | None, message: str) -> None:
    """An output that cannot be written stops the crawl: one line, finish reason
    OUTPUT_ERROR (once: later failures of the same crawl are quiet)."""
    if crawler is not None and crawler.stats is not None:
        if crawler.stats.get_value(OUTPUT_ERROR_MESSAGE):
            return
        crawler.stats.set_value(OUTPUT_ERROR_MESSAGE, message)
    logger.error("stopping the crawl: %s", message)
    if crawler is not None:
        stop_crawl(crawler, OUTPUT_ERROR)


class GuardedFile:
    """The feed's file, each write flushed; the first failed write stops the crawl
    (and the rest are dropped quietly: the crawl is stopping).

    A `spooled` feed's records go to its FeedSpool and are written at the end of
    the run: the exporter's writes are dropped here, but each still checks that
    the file was not deleted meanwhile."""

    def __init__(
        self,
        raw: IO[bytes],
        path: str,
        crawler: Crawler | None,
        spooled: bool = False,
        named: bool = True,
    ) -> None:
        self.raw = raw
        self.path = path
        self.crawler = crawler
        self.spooled = spooled
        # A file the user named: its deletion during the crawl is a failure. Not
        # standard output, which may be a file nobody named (a rotated log, a
        # temporary file): the bytes are written all the same.
        self.named = named
        self.failed = False

    def write(self, data: bytes) -> int:
        if self.failed:
            return len(data)
        try:
            written = len(data) if self.spooled else self.raw.write(data)
            self.raw.flush()
            if self.named and os.fstat(self.raw.fileno()).st_nlink == 0:
                raise OSError(f"{self.path} was deleted during the crawl")
        except OSError as exc:
            self._failed(exc)
            return len(data)
        return written

    def _failed(self, exc: OSError) -> None:
        self.failed = True
        output_failed(self.crawler, f"cannot write {self.path}: {exc.strerror or exc}")
        if exc.errno == errno.EPIPE:
            # Whatever else writes there (the interpreter flushing it at exit)
            # would fail the same way, with a traceback: it goes nowhere now.
            with contextlib.suppress(OSError, ValueError):
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, self.raw.fileno())
                os.close(devnull)

    def flush(self) -> None:
        if not self.failed:
            with contextlib.suppress(OSError):
                self.raw.flush()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.raw.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class SpoolAwareJsonLinesExporter(JsonLinesItemExporter):
    """Scrapy's JSON Lines exporter, which makes no record for a spooled file: its
    GuardedFile drops the bytes (the spool writes the records at the end of the
    run), and serializing each item for nothing cost the crawler's process 0.3 ms
    a page (sampled, 400-page crawl, 2026-12-02). The empty write still checks
    that the file was not deleted meanwhile."""

    def export_item(self, item: Any) -> None:
        if isinstance(self.file, GuardedFile) and self.file.spooled:
            self.file.write(b"")
            return
        super().export_item(item)


class _KnowsItsCrawler:
    """A feed storage made with its crawler, which a failed write stops
    (GuardedFile): Scrapy builds it with from_crawler."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None,
                 crawler: Crawler | None = None) -> None:  # fmt: skip
        super().__init__(uri, feed_options=feed_options)  # type: ignore[call-arg]
        self.crawler = crawler

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> Self:
        return cls(uri, feed_options=feed_options, crawler=crawler)


class JsonLinesSafeFileStorage(_KnowsItsCrawler, FileFeedStorage):
    """Scrapy's file storage, repairing a torn last line before appending, and
    stopping the crawl when a write fails (GuardedFile)."""

    def open(self, spider: Any) -> IO[bytes]:
        spooled = self.crawler is not None and (
            _spooled(self.crawler, Path(self.path)) or _refused(self.crawler, Path(self.path))
        )
        if spooled:
            # Nothing is written through this file: with -O, the spool replaces it
            # whole at the end (FeedSpool.flush). Opened "wb", it was emptied at
            # the run's first article, and a run killed before its end left it so.
            self.write_mode = "ab"
        try:
            if self.write_mode == "ab":
                cut = repair_torn_tail(Path(self.path))
                if cut:
                    logger.warning(
                        "%s ended in a torn line (%d bytes, a killed run): cut it", self.path, cut
                    )
            opened = super().open(spider)
        except OSError as exc:
            # Scrapy opens the file at the run's first record, long after the check
            # before the crawl: made unwritable (or a folder) meanwhile, its open
            # failed again at every record, each with a traceback, and the crawl
            # went on. The first failure stops the crawl, one line; the file that
            # stands in for it takes the exporter's writes and drops them.
            dropped = GuardedFile(io.BytesIO(), self.path, self.crawler, spooled)
            dropped._failed(exc)
            return dropped  # type: ignore[return-value]
        return GuardedFile(opened, self.path, self.crawler, spooled)  # type: ignore[return-value]


class GuardedStdoutStorage(_KnowsItsCrawler, StdoutFeedStorage):
    """Scrapy's standard output storage, its writes guarded as a file's are
    (GuardedFile): `crawl -o -` or `scrape` piped into a reader that went away
    (`| head`) printed a traceback for each article, went on crawling and exited
    0. The first failed write stops the crawl, one line."""

    def open(self, spider: Any) -> IO[bytes]:
        return GuardedFile(super().open(spider), "standard output", self.crawler, named=False)  # type: ignore[return-value]


# -- JSON Lines records written at the end of a run, from the final text ---------------------

# The JSON Lines feed formats (Scrapy's names for them).
JSON_LINES_FORMATS = frozenset({"jsonlines", "jsonl", "jl"})
# Spooled records written to the output per batch (each batch fsynced, then
# removed from the spool): at most this many are written twice by a kill mid-write.
FLUSH_BATCH = 500

_SPOOL_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id            INTEGER PRIMARY KEY,   -- arrival order
    site          TEXT,
    canonical_url TEXT,
    record        TEXT NOT NULL,         -- JSON object: the item's output fields
    page_text     TEXT,                  -- its text as the page's own rules left it (NULL:
                                         -- not read by a worker; the record's text is final)
    page_words    INTEGER,
    page_cleaning TEXT,                  -- JSON object: what the page's rules dropped
    kept          TEXT                   -- JSON array: fingerprints of page_text's paragraphs
);
CREATE INDEX IF NOT EXISTS records_order ON records (site, canonical_url, id);
-- The site model of the spooled articles: the paragraphs of each page, as one JSON
-- array a page (one insert however many paragraphs a page has: a page of 50,000
-- paragraphs must not stall the crawl's event loop), counted when the run ends.
CREATE TABLE IF NOT EXISTS pages (site TEXT NOT NULL, page TEXT NOT NULL,
    fingerprints TEXT NOT NULL, PRIMARY KEY (site, page)) WITHOUT ROWID;
"""


class SpoolError(OSError):
    """The spool of a JSON Lines output cannot be written; the message says why."""


def spool_path(output: Path) -> Path:
    """Where the records of `output` wait for the end of the run: a hidden file
    beside it, so that the next run writing to the same file finds them."""
    return output.with_name(f".{output.name}.spool")


@dataclass
class PageState:
    """An article as the page's own rules left it, before its site's boilerplate."""

    text: str
    word_count: int
    cleaning: dict[str, int]
    kept: list[str]


class SpoolBusy(SpoolError):
    """Another run is writing the same JSON Lines output."""


def _flock_spool(descriptor: int, fresh: bool) -> None:
    """flock(2) a spool without waiting: exclusive for -O (`fresh`), else shared."""
    fcntl.flock(descriptor, (fcntl.LOCK_EX if fresh else fcntl.LOCK_SH) | fcntl.LOCK_NB)


def _lock_spool(path: Path, output: Path, fresh: bool) -> int:
    """A descriptor of the spool holding flock(2) on it for the run: exclusive for
    -O (`fresh`), which drops the records it finds, shared for -o, which only
    adds to them. A second -O on the same output dropped the first run's live
    records as a stopped run's, and the first run's file lacked them; now the
    later run is refused (SpoolBusy). Runs appending with -o share the spool."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
    except OSError as exc:
        raise SpoolError(f"cannot write {output}: {_reason(exc)}") from None
    try:
        _flock_spool(descriptor, fresh)
    except OSError as exc:
        os.close(descriptor)
        if isinstance(exc, BlockingIOError):
            raise SpoolBusy(f"another newscrawl run is writing {output}") from None
        raise SpoolError(f"cannot write {output}: {_reason(exc)}") from None
    return descriptor


def spool_busy(output: Path, fresh: bool) -> bool:
    """Whether a run that writes `output` (-O: `fresh`) would be refused now
    because another one writes it (see _lock_spool), without making a spool."""
    try:
        descriptor = os.open(spool_path(output), os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return False  # no spool: no run writes it
    try:
        _flock_spool(descriptor, fresh)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)
    return False


class FeedSpool:
    """The records of one JSON Lines output, held on disk (SQLite) until the end of
    the run, when each is written with its final text (see `flush`).

    Each record is committed before the store commits its row, so a killed run's
    records of stored articles are all here for the next run to write. Without a
    store, each is committed as it comes. With one (`with_store`), the records
    wait for its next commit (`commit`, called by the store pipeline first): a
    record committed on its own cost 0.45 ms of the crawler's process a page, and
    a record the kill takes belongs to a row it takes too, whose page the next run
    fetches again."""

    def __init__(self, output: Path, *, fresh: bool, fields: list[str] | None,
                 encoding: str, with_store: bool = False) -> None:  # fmt: skip
        self.output = output
        self.replaces = fresh  # -O: the file is replaced by this run's records
        self.with_store = with_store
        self.held = 0  # records added since the last commit
        self.path = spool_path(output)
        self.fields = fields
        self.encoding = encoding
        self.encoder = ScrapyJSONEncoder(ensure_ascii=not encoding)
        self.failed = False
        # The site and page of the record added last, and its id (see discard_latest).
        self.last_added: tuple[str, str, int] | None = None
        # -O: the records a killed run left (ids up to this) are dropped when this
        # run writes its own, not before: a run that never gets that far (its
        # store is held by another run) must not take them from the run writing.
        self.floor: int | None = None
        # The last record whose row the store has committed (with a store): the
        # records after it belong to rows a failed commit may drop (drop_unstored).
        self.stored_upto = 0
        self.lock = _lock_spool(self.path, output, fresh)
        try:
            # Flushed from a thread at the end of the crawl (see flush_spools).
            self.db = sqlite3.connect(
                self.path, isolation_level="DEFERRED", check_same_thread=False
            )
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.executescript(_SPOOL_SCHEMA)
            self.store_committed()  # what earlier runs left has its rows
            if fresh:
                self.floor = self.stored_upto
            self.db.commit()
        except (sqlite3.Error, OSError) as exc:
            os.close(self.lock)
            raise SpoolError(f"cannot write {output}: {_reason(exc)}") from None

    def __len__(self) -> int:
        (count,) = self.db.execute("SELECT count(*) FROM records").fetchone()
        return int(count)

    def add(self, record: dict[str, Any], site: str | None, canonical_url: str | None,
            page: PageState | None, fingerprints: Iterable[str]) -> None:  # fmt: skip
        """Hold one item's record (committed at once without a store; with one,
        by `commit`)."""
        self.last_added = None
        try:
            cursor = self.db.execute(
                "INSERT INTO records (site, canonical_url, record, page_text, page_words,"
                " page_cleaning, kept) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    site, canonical_url, self.encoder.encode(record),
                    page.text if page else None, page.word_count if page else None,
                    json.dumps(page.cleaning) if page else None,
                    json.dumps(page.kept) if page else None,
                ),
            )  # fmt: skip
            if site and canonical_url:
                self.last_added = (site, canonical_url, int(cursor.lastrowid or 0))
                self.db.execute(
                    "INSERT INTO pages VALUES (?, ?, ?) ON CONFLICT (site, page)"
                    " DO UPDATE SET fingerprints = excluded.fingerprints",
                    (site, canonical_url, json.dumps(sorted(set(fingerprints)))),
                )
        except sqlite3.Error as exc:
            self.held = 0
            raise self._undone(exc) from None
        self.held += 1
        if not self.with_store:
            self.commit()

    def discard_latest(self, site: str, canonical_url: str) -> None:
        """Take back the record just added for `canonical_url`: the store found its
        article unchanged. A file appended to (-o) has its record from the run
        that stored it; one replaced (-O) keeps it, as the file's old records go.
        Only the record this run added last for it (a killed run's records of the
        page stay)."""
        if (
            self.replaces
            or self.failed
            or self.last_added is None
            or self.last_added[:2] != (site, canonical_url)
        ):
            return
        try:
            self.db.execute("DELETE FROM records WHERE id = ?", (self.last_added[2],))
        except sqlite3.Error as exc:
            raise SpoolError(f"cannot write {self.output}: {_reason(exc)}") from None
        self.last_added = None

    def amend_latest(self, site: str, canonical_url: str, record: dict[str, Any]) -> None:
        """Put `record` in place of the record just added for `canonical_url`: the
        store kept its stored article instead of the page's (a teaser), and an
        output replaced (-O) holds the article as stored. Its text is the row's
        at `flush`, as any record's."""
        if self.failed or self.last_added is None or self.last_added[:2] != (site, canonical_url):
            return
        try:
            self.db.execute(
                "UPDATE records SET record = ? WHERE id = ?",
                (self.encoder.encode(record), self.last_added[2]),
            )
        except sqlite3.Error as exc:
            raise SpoolError(f"cannot write {self.output}: {_reason(exc)}") from None

    def commit(self) -> None:
        """Make the records held since the last commit durable."""
        if not self.held:
            return
        try:
            self.db.commit()
        except sqlite3.Error as exc:
            raise self._undone(exc) from None
        finally:
            self.held = 0

    def _undone(self, exc: sqlite3.Error) -> SpoolError:
        """The error that says why a write to the spool failed, its transaction
        rolled back first: nothing of it is left half-written."""
        with contextlib.suppress(sqlite3.Error):
            self.db.rollback()
        return SpoolError(f"cannot write {self.output}: {_reason(exc)}")

    def store_committed(self) -> None:
        """The store committed the rows of the records held so far."""
        (self.stored_upto,) = self.db.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()

    def drop_unstored(self) -> None:
        """Drop the records added since the store's last commit: the database
        dropped their rows as that commit failed (storage.RolledBack), with the
        states of their URLs, and the next run fetches their pages again and
        writes their records then. Kept, they would be written twice."""
        try:
            self.db.execute("DELETE FROM records WHERE id > ?", (self.stored_upto,))
            self.db.execute(
                "DELETE FROM pages WHERE page NOT IN"
                " (SELECT canonical_url FROM records WHERE canonical_url IS NOT NULL)"
            )
            self.db.commit()
        except sqlite3.Error as exc:
            raise self._undone(exc) from None
        finally:
            self.held = 0
        self.last_added = None

    def sites(self) -> list[str]:
        return [
            s
            for (s,) in self.db.execute("SELECT DISTINCT site FROM records WHERE site IS NOT NULL")
        ]

    def boilerplate(self, site: str) -> frozenset[str]:
        """`site`'s boilerplate by the spooled articles alone (the model of a run
        without a store): the same thresholds as the crawl's site model, counted
        by SQLite (see ArticleStore.site_boilerplate)."""
        (pages,) = self.db.execute("SELECT count(*) FROM pages WHERE site = ?", (site,)).fetchone()
        rows = self.db.execute(
            "SELECT each.value FROM pages, json_each(pages.fingerprints) AS each"
            " WHERE pages.site = ? GROUP BY each.value HAVING count(*) >= ?",
            (site, pages_needed(pages)),
        ).fetchall()
        return frozenset(fingerprint for (fingerprint,) in rows)

    def flush(self, store: ArticleStore | None, min_words: int) -> int:
        """Append every held record to the output with its final text, in the order
        of site and canonical URL, and empty the spool; returns how many.

        With a store (after its end-of-run re-clean): an article's text, word count
        and cleaning are its row's. Without one, or for an item without a row (a
        copy another site's row holds), its page's text without the paragraphs its
        site's model now holds for boilerplate: the store's model, else that of
        the spooled articles. Each batch is fsynced before it leaves the spool: a
        kill meanwhile writes it again (at least once), never loses it."""
        if self.floor is not None:
            self._drop_older(self.floor)
            self.floor = None
        self._drop_superseded()
        models: dict[str, frozenset[str]] = {}
        if self.replaces:
            return self._replace_output(store, models, min_words)
        cut = repair_torn_tail(self.output)
        if cut:
            logger.warning(
                "%s ended in a torn line (%d bytes, a killed run): cut it", self.output, cut
            )
        written = 0
        # Unbuffered: a batch that fails is cut from the file (_take_back), and no
        # buffered rest of it may follow it there as the file closes.
        with self.output.open("ab", buffering=0) as out:
            while True:
                batch = self.db.execute(
                    "SELECT id, site, canonical_url, record, page_text, page_words,"
                    " page_cleaning, kept FROM records ORDER BY site, canonical_url, id LIMIT ?",
                    (FLUSH_BATCH,),
                ).fetchall()
                if not batch:
                    break
                data = b"".join(self._final(row, store, models, min_words) for row in batch)
                start = os.fstat(out.fileno()).st_size
                try:
                    _write_all(out, _pause_for_tests(out, data))
                    os.fsync(out.fileno())
                    if os.fstat(out.fileno()).st_nlink == 0:
                        # Written, but to a file no one can open: the batch stays here.
                        raise OSError(f"{self.output} was deleted while its records were written")
                    self.db.executemany(
                        "DELETE FROM records WHERE id = ?", [(r[0],) for r in batch]
                    )
                    self.db.commit()
                except (OSError, sqlite3.Error):
                    self._take_back(out, start, len(data))
                    raise
                written += len(batch)
        self.db.execute("DELETE FROM pages")
        self.db.commit()
        return written

    def _replace_output(
        self, store: ArticleStore | None, models: dict[str, frozenset[str]], min_words: int
    ) -> int:
        """-O: write every held record to a temporary file that replaces the output
        once complete (replacing.output_file), then empty the spool; returns how
        many. A run killed or failing before leaves the last run's file whole,
        with its permissions."""
        written = 0
        # (Its mode kept, or as open() makes a new file: replacing.output_file.)
        with output_file(self.output) as partial, partial.open("wb") as out:
            rows = self.db.execute(
                "SELECT id, site, canonical_url, record, page_text, page_words,"
                " page_cleaning, kept FROM records ORDER BY site, canonical_url, id"
            )
            while batch := rows.fetchmany(FLUSH_BATCH):
                out.write(b"".join(self._final(row, store, models, min_words) for row in batch))
                written += len(batch)
            out.flush()
            os.fsync(out.fileno())
        # Written: the records go. A kill before this leaves them for the next run,
        # which drops them with -O (see floor).
        self.db.execute("DELETE FROM records")
        self.db.execute("DELETE FROM pages")
        self.db.commit()
        return written

    def _take_back(self, out: IO[bytes], start: int, size: int) -> None:
        """A batch written from `start` that stays in the spool (its write or its
        delete from the spool failed: a full disk) is cut from the output, so that
        the next run, which writes it, writes it once. Not when the file goes on
        past the batch: another run appending with -o wrote after it, and a
        record twice is better than another run's records lost."""
        with contextlib.suppress(sqlite3.Error):
            self.db.rollback()  # the records stay: a failed delete leaves nothing half-done
        with contextlib.suppress(OSError):
            if start <= os.fstat(out.fileno()).st_size <= start + size:
                os.ftruncate(out.fileno(), start)
                os.fsync(out.fileno())

    def _drop_superseded(self) -> None:
        """Keep one record per site and canonical URL, the last: pages declaring
        one canonical URL are one article, as in the store, whose row holds the
        last. Their records were each written, with their own URL and title but
        the row's text."""
        self.db.execute(
            "DELETE FROM records WHERE canonical_url IS NOT NULL AND id < (SELECT max(later.id)"
            " FROM records AS later WHERE later.site IS records.site"
            " AND later.canonical_url = records.canonical_url)"
        )
        self.db.commit()

    def _drop_older(self, floor: int) -> None:
        """Drop the records up to `floor`, and their pages from the site model."""
        self.db.execute("DELETE FROM records WHERE id <= ?", (floor,))
        self.db.execute(
            "DELETE FROM pages WHERE page NOT IN"
            " (SELECT canonical_url FROM records WHERE canonical_url IS NOT NULL)"
        )
        self.db.commit()

    def _final(self, row: tuple[Any, ...], store: ArticleStore | None,
               models: dict[str, frozenset[str]], min_words: int) -> bytes:  # fmt: skip
        _, site, page_key, record_json, page_text, page_words, page_cleaning, kept = row
        record = json.loads(record_json)
        final = None
        if store is not None and site and page_key:
            final = store.cleaned(page_key, site)
        if final is None and page_text is not None and site:
            if site not in models:
                models[site] = (
                    store.site_boilerplate(site) if store is not None else self.boilerplate(site)
                )
            final = text_without_site_boilerplate(
                page_text, page_words, json.loads(page_cleaning), json.loads(kept),
                models[site], min_words,
            )  # fmt: skip
        if final is not None:
            text, words, cleaning = final
            for name, value in (("text", text), ("word_count", words), ("cleaning", cleaning)):
                if name in record:
                    record[name] = value
        if self.fields is not None:
            record = {name: record.get(name) for name in self.fields}
        return (self.encoder.encode(record) + "\n").encode(self.encoding or "utf-8")

    def close(self, remove: bool) -> None:
        """Close the spool, its held records committed; with `remove` (it is
        empty), delete its file."""
        with contextlib.suppress(SpoolError):
            self.commit()
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        # After the connection: closing a descriptor of the file drops the
        # process's fcntl locks on it, SQLite's among them.
        with contextlib.suppress(OSError):
            os.close(self.lock)
        if remove:
            # The journal files first: a spool's -wal left without its database
            # would be replayed into the next run's new spool.
            for suffix in ("-wal", "-shm", ""):
                try:
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                except OSError as exc:
                    # Its folder made read-only during the run (the output itself
                    # was written): nothing is lost, and the next run takes the
                    # empty spool up. A traceback here ended the run exit 0.
                    logger.warning(
                        "%s has every record; its empty spool %s stays: cannot remove %s: %s",
                        self.output, self.path, f"{self.path}{suffix}", _reason(exc),
                    )  # fmt: skip
                    return


# Only tests set this, to the path of a file: a flush then writes half of its
# first batch, its process id to that file, and waits (at most 60 s) until the
# file is removed, so that a test can kill it in the middle of writing the output
# (tests/test_jsonl_same_text.py) or delete the output meanwhile
# (tests/test_exit_codes.py), then let it go on.
TEST_FLUSH_PAUSE = "NEWSCRAWL_TEST_FLUSH_PAUSE"
_paused_once = False


def _pause_for_tests(out: IO[bytes], data: bytes) -> bytes:
    """What of `data` is still to be written after the pause."""
    global _paused_once
    marker = os.environ.get(TEST_FLUSH_PAUSE)
    if not marker or _paused_once or Path(marker).exists():
        return data
    _paused_once = True
    half = len(data) // 2
    out.write(data[:half])
    out.flush()
    Path(marker).write_text(f"{os.getpid()}\n", encoding="utf-8")
    deadline = time.monotonic() + 60
    while Path(marker).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return data[half:]


def _write_all(out: IO[bytes], data: bytes) -> None:
    """Write all of `data` to an unbuffered file, which may take part of it a call."""
    view = memoryview(data)
    while view:
        view = view[out.write(view) :]


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)


# The spools of each crawl's JSON Lines outputs, by output path.
_SPOOLS: WeakKeyDictionary[Crawler, dict[str, FeedSpool]] = WeakKeyDictionary()
# The outputs whose spool could not be opened that the crawl writes nothing to: a
# file -O names is left as the last run made it (open_spools stops the crawl).
_REFUSED: WeakKeyDictionary[Crawler, set[str]] = WeakKeyDictionary()


def _key(path: Path) -> str:
    return str(path.resolve())


def _spooled(crawler: Crawler, path: Path) -> bool:
    return _key(path) in _SPOOLS.get(crawler, {})


def _refused(crawler: Crawler, path: Path) -> bool:
    return _key(path) in _REFUSED.get(crawler, set())


def replaces_json_lines(settings: Any) -> bool:
    """Whether the crawl replaces a JSON Lines output (-O): its old records go with
    the file, so every article of the run needs one. A 304 (Not Modified) gives
    none, so such a crawl asks nothing conditionally: `--refresh -O` against a site
    answering 304 left the file empty."""
    return any(
        (options or {}).get("overwrite") and (options or {}).get("format") in JSON_LINES_FORMATS
        for options in settings.getdict("FEEDS").values()
    )


def local_feed_path(uri: str) -> Path | None:
    """The file a feed URI names, if it is a plain local file (no URI parameters)."""
    if "%(" in uri:
        return None
    if uri.startswith("file:"):
        return Path(file_uri_to_path(uri))
    scheme = urlparse(uri).scheme
    if scheme and len(scheme) > 1:  # a Windows drive letter is not a scheme
        return None
    return Path(uri)


def open_spools(crawler: Crawler) -> list[FeedSpool]:
    """Open a spool for each of the crawl's JSON Lines outputs that is a regular
    file (or none yet), and register it: the feed's storage then drops the
    exporter's writes, and `flush_spools` writes the records at the end of the
    run. A spool that cannot be opened leaves an -o feed as Scrapy writes it,
    and stops a crawl with -O (written as they come, it emptied the file first)."""
    settings = crawler.settings
    spools = _SPOOLS.setdefault(crawler, {})
    with_store = NewscrawlConfig.of(crawler).database is not None
    for uri, options in settings.getdict("FEEDS").items():
        options = options or {}
        fmt = options.get("format")
        path = local_feed_path(str(uri))
        if fmt not in JSON_LINES_FORMATS or path is None or options.get("batch_item_count"):
            continue
        if path.exists() and not path.is_file():
            continue  # /dev/stdout, a pipe: records go out as they come
        fields = options.get("fields") or settings.getlist("FEED_EXPORT_FIELDS") or None
        encoding = options.get("encoding") or settings.get("FEED_EXPORT_ENCODING") or ""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            spool = FeedSpool(path, fresh=bool(options.get("overwrite")), fields=fields,
                              encoding=encoding, with_store=with_store)  # fmt: skip
        except SpoolBusy as exc:
            # Not written as they come either: -O would empty the other run's file.
            output_failed(crawler, str(exc))
            _REFUSED.setdefault(crawler, set()).add(_key(path))
            continue
        except OSError as exc:
            if options.get("overwrite"):
                # Written as they come, -O emptied the last run's file as the crawl
                # opened, and a disk full at the start (the spool could not be
                # made) left neither that file nor this run's, but a torn line.
                reason = str(exc).removeprefix(f"cannot write {path}: ")  # (a SpoolError's)
                output_failed(
                    crawler, f"cannot write {path}: its spool {spool_path(path)}: {reason}"
                )
                _REFUSED.setdefault(crawler, set()).add(_key(path))
                continue
            logger.warning("%s: records are written as they come: %s", path, _reason(exc))
            continue
        held = len(spool)
        if held:
            fate = "dropped (-O)" if spool.floor is not None else "written at the end"
            logger.info("%s: %d records a stopped run left are %s", path, held, fate)
        spools[_key(path)] = spool
    return list(spools.values())


def spools_of(crawler: Crawler) -> list[FeedSpool]:
    return list(_SPOOLS.get(crawler, {}).values())


def discard_unchanged(crawler: Crawler, site: str, canonical_url: str) -> None:
    """The store found the article of `canonical_url` unchanged: no output gets its
    record again (see FeedSpool.discard_latest)."""
    for spool in spools_of(crawler):
        try:
            spool.discard_latest(site, canonical_url)
        except SpoolError as exc:
            spool.failed = True
            output_failed(crawler, str(exc))


def keep_stored_record(
    crawler: Crawler, site: str, canonical_url: str, record: dict[str, Any]
) -> None:
    """The store kept its article of `canonical_url` over the page's cut-down copy
    (storage.SHRUNK): an output that appends has its record already (the spool's
    is taken back); one replaced gets the stored article's (FeedSpool.amend_latest)."""
    discard_unchanged(crawler, site, canonical_url)
    for spool in spools_of(crawler):
        try:
            spool.amend_latest(site, canonical_url, record)
        except SpoolError as exc:
            spool.failed = True
            output_failed(crawler, str(exc))


def commit_spools(crawler: Crawler) -> bool:
    """Commit the records the crawl's spools hold: the store pipeline's first step
    of each commit. False if a spool has failed, now or earlier: its records
    since are lost, so the store must not commit the rows they belong to (the
    next run fetches those pages again). A spool that cannot be written stops
    the crawl (once)."""
    whole = True
    for spool in spools_of(crawler):
        if spool.failed:
            whole = False
            continue
        try:
            spool.commit()
        except SpoolError as exc:
            spool.failed = True
            whole = False
            output_failed(crawler, str(exc))
    return whole


def spools_stored(crawler: Crawler) -> None:
    """The store committed: the records the spools hold have their rows."""
    for spool in spools_of(crawler):
        if not spool.failed:
            with contextlib.suppress(sqlite3.Error):
                spool.store_committed()


def drop_unstored_records(crawler: Crawler) -> None:
    """The store's commit failed and the database dropped its batch: so are the
    records of that batch (see FeedSpool.drop_unstored). A spool that cannot
    drop them has failed: it keeps all its records for the next run, which
    writes them (some twice) rather than lose any."""
    for spool in spools_of(crawler):
        if spool.failed:
            continue
        try:
            spool.drop_unstored()
        except SpoolError as exc:
            spool.failed = True
            output_failed(crawler, str(exc))


def flush_spools(crawler: Crawler, store: ArticleStore | None, min_words: int) -> None:
    """Write the crawl's spooled JSON Lines records with their final text (see
    FeedSpool.flush), once the store, if any, has re-cleaned the run's sites. A
    spool that cannot be written keeps its records for the next run.

    The pipelines call it on a thread as they close, so that the event loop keeps
    turning while a big run's records are written: by then the downloads and the
    pipelines are done, and nothing else uses the spools or the store."""
    spools = _SPOOLS.pop(crawler, {})
    stats = crawler.stats
    for spool in spools.values():
        if spool.failed or (stats is not None and stats.get_value(OUTPUT_ERROR_MESSAGE)):
            spool.close(remove=False)  # the output failed during the crawl: said once
            continue
        try:
            written = spool.flush(store, min_words)
        except (OSError, sqlite3.Error, StorageError) as exc:
            held = len(spool)
            message = f"cannot write {spool.output}: {_reason(exc)}"
            if stats is not None:
                stats.set_value(OUTPUT_ERROR_MESSAGE, message)
            logger.error(
                "%s; its %d records wait in %s for the next run with -o", message, held, spool.path
            )
            spool.close(remove=False)
            continue
        if stats is not None:
            stats.inc_value(OUTPUT_WRITTEN, written)
        spool.close(remove=True)
