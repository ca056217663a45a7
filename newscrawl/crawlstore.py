"""The SQLite store of one crawl, shared by the spider, the pipelines and the run log.

Opened on first use (taking the store's lock, so two crawls never write one
database at once) and closed when the spider closes: the sites of the run are
re-cleaned against the final site model, the run's record is written, the lock
released.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import stat
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from scrapy import signals
from scrapy.exceptions import NotConfigured

from newscrawl.config import crawler_config
from newscrawl.frontier import Frontier, URLStates
from newscrawl.stopwatch import stop_crawl
from newscrawl.storage import ArticleStore, StorageError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = [
    "SITE_STATS",
    "STORAGE_ERROR",
    "WRITE_ERRORS",
    "CrawlStore",
    "StoreLock",
    "count_site",
    "crawl_store",
    "site_counts",
    "stop_on_write_error",
    "url_states",
]

logger = logging.getLogger(__name__)

SITE_STATS = "newscrawl/site/"
# The finish reason of a crawl stopped because its store could not be written.
STORAGE_ERROR = "storage_error"
# The stats key failed store writes are counted under. A cluster worker
# acknowledges no request once it is set: their articles may not be stored.
WRITE_ERRORS = "newscrawl/sqlite/write_errors"


def stop_on_write_error(crawler: Crawler, error: str) -> None:
    """Count a store write that failed; the first one ends the crawl (finish reason
    STORAGE_ERROR), since every later write would fail too."""
    assert crawler.stats is not None
    crawler.stats.inc_value(WRITE_ERRORS)
    if crawler.stats.get_value(WRITE_ERRORS) > 1:
        return
    logger.error("stopping the crawl: %s", error)
    crawler.stats.set_value("newscrawl/sqlite/error", error)
    stop_crawl(crawler, STORAGE_ERROR)


def count_site(crawler: Crawler, site: str | None, counter: str, count: int = 1) -> None:
    """Count an event of a site for the run record (and the crawl stats)."""
    if crawler.stats is not None and site:
        crawler.stats.inc_value(f"{SITE_STATS}{site}/{counter}", count)


def site_counts(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """The counts `count_site` made, by site and counter, from a crawl's stats."""
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value in stats.items():
        if key.startswith(SITE_STATS) and isinstance(value, int):
            site, _, counter = key[len(SITE_STATS) :].rpartition("/")
            counts[site][counter] = value
    return counts


class StoreLock:
    """An exclusive lock on a SQLite database for a run, whatever name it is given.

    The lock is flock(2) on the database file itself, so it belongs to the file,
    not to a name: a symlink, a hard link in another folder and `./x/../news.sqlite`
    all meet the same lock (a lock file beside the name would miss the hard link).
    SQLite locks the same file with fcntl(2) record locks, which on Linux are
    independent of flock locks: neither blocks the other, so SQLite's readers and
    its own writer locking are untouched (tests/test_lock.py checks both ways).
    (Not so on NFS, where Linux emulates flock with fcntl locks; SQLite's WAL
    mode does not work over NFS either.) flock locks go with the process: a crawl
    killed with SIGKILL leaves none.

    `FILE.sqlite.lock`, beside the database's real path, says which process holds
    it (and is flocked too, which keeps out an older newscrawl that locks only
    that file). A refused run names the holder from /proc/locks, which knows it
    whatever name the holder used, else from that file.

    Taken again in the process that holds it, under any name, the lock is shared
    (and counted) rather than refused: see `_held`.

    Release only after this process has closed its connections to the database:
    closing any descriptor of a file drops the process's fcntl locks on it, and
    SQLite's would go with it.
    """

    def __init__(self, database: Path) -> None:
        self.database = database  # as given: what messages name
        real = Path(os.path.realpath(database))
        self.path = real.with_name(real.name + ".lock")
        self.identity: tuple[int, int] | None = None  # (st_dev, st_ino) while held

    def acquire(self) -> None:
        identity = _identity(self.database)
        shared = _held.get(identity) if identity is not None else None
        if shared is not None:  # this process holds it already: share it
            shared.count += 1
            self.identity = shared.identity
            return
        try:
            descriptor = self._open_database()
        except OSError as exc:
            raise StorageError(
                f"cannot lock database {self.database}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _flock_holder(descriptor) if isinstance(exc, BlockingIOError) else None
            os.close(descriptor)
            if not isinstance(exc, BlockingIOError):
                raise StorageError(
                    f"cannot lock database {self.database}: {exc.strerror or exc}"
                ) from None
            self._refuse(holder)
        info = os.fstat(descriptor)
        held = _HeldLock((info.st_dev, info.st_ino), descriptor)
        try:
            held.handle = self.path.open("a+", encoding="utf-8")
        except OSError as exc:
            held.unlock()
            raise StorageError(f"cannot lock database {self.database}: cannot open {self.path}:"
                               f" {exc.strerror or exc}") from None  # fmt: skip
        try:
            fcntl.flock(held.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._holder_written(held.handle)
            held.unlock()
            self._refuse(holder)
        held.handle.seek(0)
        held.handle.truncate()
        held.handle.write(f"pid {os.getpid()}")
        held.handle.flush()
        _held[held.identity] = held
        self.identity = held.identity

    def _open_database(self) -> int:
        """A descriptor of the database file, made empty if it does not exist yet (an
        empty file is an empty SQLite database). Read-only is enough for flock;
        O_NONBLOCK keeps a FIFO given by mistake from hanging the open."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDONLY | os.O_CREAT | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        descriptor = os.open(self.database, flags, 0o644)
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # (a directory fails to open)
            os.close(descriptor)
            raise OSError(errno.EINVAL, "not a regular file")
        return descriptor

    @staticmethod
    def _holder_written(handle: IO[str]) -> str | None:
        handle.seek(0)
        return handle.read().strip() or None

    def _refuse(self, holder: str | None) -> NoReturn:
        if holder is None:
            try:
                with self.path.open(encoding="utf-8") as handle:
                    holder = self._holder_written(handle)
            except OSError:
                holder = None
        raise StorageError(
            f"another newscrawl crawl ({holder or 'another process'}) is using"
            f" {self.database}; this one stops"
        )

    def release(self) -> None:
        held = _held.get(self.identity) if self.identity is not None else None
        self.identity = None
        if held is not None:
            held.count -= 1
            if held.count == 0:
                del _held[held.identity]
                held.unlock()


@dataclass
class _HeldLock:
    """A store lock this process holds: its descriptors, and how many StoreLocks share it."""

    identity: tuple[int, int]
    descriptor: int
    handle: IO[str] | None = None
    count: int = 1

    def unlock(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
        os.close(self.descriptor)  # which also ends its flock


# The store locks this process holds, by the database file's (st_dev, st_ino). The
# `newscrawl` command locks the database before the crawl starts and keeps it
# until the crawl ends, so that no other run slips in between; the crawl's own
# store then takes the lock again in the same process, and shares it (a second
# flock of this process's would be refused by the first).
_held: dict[tuple[int, int], _HeldLock] = {}


def _identity(database: Path) -> tuple[int, int] | None:
    try:
        info = database.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _flock_holder(descriptor: int) -> str | None:
    """Who holds a flock on the file of `descriptor` ("pid N"), from Linux's
    /proc/locks; None where that cannot tell."""
    info = os.fstat(descriptor)
    wanted = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    try:
        with Path("/proc/locks").open(encoding="ascii") as locks:
            for line in locks:
                # "1: FLOCK  ADVISORY  WRITE 4242 fe:00:2146345 0 EOF"; waiters have "->"
                fields = line.split()
                if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
                    return f"pid {fields[4]}"
    except (OSError, ValueError):
        pass
    return None


class CrawlStore:
    """The open store, its frontier and lock, for one crawler.

    A SQLite file is locked for the run; a PostgreSQL database is not, since the
    workers of a cluster write it together (each one its own sites).
    """

    def __init__(self, database: Path | str) -> None:
        self.lock: StoreLock | None = None
        if isinstance(database, Path):
            self.lock = StoreLock(database)
            self.lock.acquire()
        try:
            self.articles = ArticleStore.open(database)
        except StorageError:
            if self.lock is not None:
                self.lock.release()
            raise
        self.frontier = Frontier(self.articles)
        self.run_id: int | None = None

    def close(self) -> None:
        try:
            self.articles.close()
        finally:
            if self.lock is not None:
                self.lock.release()


def crawl_store(crawler: Crawler) -> CrawlStore | None:
    """The crawler's store, opened on first use; None when no database is configured."""
    store: CrawlStore | None = getattr(crawler, "_newscrawl_store", None)
    if store is None:
        config = crawler_config(crawler)
        if config.database is None:
            return None
        store = CrawlStore(config.database)
        crawler._newscrawl_store = store  # type: ignore[attr-defined]
        store.run_id = store.frontier.start_run(crawler.spidercls.name)
    return store


def url_states(crawler: Crawler) -> URLStates | None:
    """Where the crawl records what became of the URLs it tracks: its store's
    frontier; a worker of a writer cluster has no store and sends them to the
    writer; None when neither is configured."""
    store = crawl_store(crawler)
    if store is not None:
        return store.frontier
    if not crawler.settings.getbool("NEWSCRAWL_CLUSTER_WRITER"):
        return None
    relay: URLStates | None = getattr(crawler, "_newscrawl_url_relay", None)
    if relay is None:
        from newscrawl.writer import URLStateRelay  # needs the cluster extra

        relay = URLStateRelay.for_crawler(crawler)
        crawler._newscrawl_url_relay = relay  # type: ignore[attr-defined]
    return relay


class CrawlStoreExtension:
    """Closes the crawl's store when the spider closes, after the pipelines."""

    def __init__(self, crawler: Crawler) -> None:
        config = crawler_config(crawler)
        if config.database is None:
            raise NotConfigured  # off: nothing to log, it is the default
        self.crawler = crawler
        self.cleaner_for = config.cleaners()
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStoreExtension:
        return cls(crawler)

    def spider_closed(self, spider: Any, reason: str) -> None:
        store: CrawlStore | None = getattr(self.crawler, "_newscrawl_store", None)
        if store is None:
            return
        try:
            stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
            counts = site_counts(stats)
            if reason != "storage_error":
                # Clean the sites of this run against everything now known about them,
                # so stored text does not depend on the order pages arrived in.
                changed = store.articles.reclean(self.cleaner_for, sorted(counts), stale_only=True)
                if self.crawler.stats is not None:
                    self.crawler.stats.set_value("newscrawl/sqlite/recleaned", changed)
            if store.run_id is not None:
                store.frontier.finish_run(store.run_id, reason, counts)
        except StorageError as exc:
            logger.error("could not finish the run record: %s", exc)
        finally:
            store.close()
            self.crawler._newscrawl_store = None  # type: ignore[attr-defined]
