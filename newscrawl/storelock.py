"""The lock that keeps two runs from writing one SQLite database at once."""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn

from newscrawl.folders import make_parent
from newscrawl.storage import StorageError

__all__ = ["StoreLock"]

logger = logging.getLogger(__name__)


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
            held.handle = _open_lock_file(self.path)
        except OSError as exc:
            held.unlock()
            why = "it is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror or exc
            raise StorageError(f"cannot lock database {self.database}: cannot open {self.path}:"
                               f" {why}") from None  # fmt: skip
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
        make_parent(self.path)
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


def _open_lock_file(path: Path) -> IO[str]:
    """The lock file, opened to be written, never through a symbolic link: the
    lock is truncated and given the holder's pid, and a link planted at its name
    (by anyone who may write in the database's folder) made a crawl write over
    the file it pointed to. Nor anything but a regular file (a FIFO would block)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    descriptor = os.open(path, flags, 0o644)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise OSError(errno.EINVAL, "not a regular file")
    os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "a+", encoding="utf-8")
