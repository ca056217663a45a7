"""A file written whole or not at all: written as a temporary file beside it,
which replaces it once complete. A reader never sees half of it, and a failure
(a full disk, a file-size limit) leaves the old file, or none, as it was.

A path a user gives as an output is not always a file that can be replaced:
`output_file` replaces what a symbolic link points to (not the link) and writes
straight into a pipe or a device (`-o /dev/stdout`, a FIFO), as a shell's `>`
would; renaming over those lost the data and broke the link, pipe or device.
`replacing` itself is for newscrawl's own files (the language model's cache),
where whatever sits at the name, a pipe included, is only in the way."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "clashing_output",
    "is_stream",
    "new_file_mode",
    "not_an_output",
    "output_file",
    "replacing",
]


# How a temporary file of `replacing` ends: what tells it from a user's files.
PARTIAL_SUFFIX = ".partial"
# A temporary file left unlocked this long has lost its writer (killed: SIGKILL,
# a power cut), not just been made by one that has yet to lock it.
ABANDONED_AFTER_SECONDS = 60


@contextlib.contextmanager
def replacing(
    path: Path, prefix: str | None = None, mode: int = 0o600, owner: tuple[int, int] | None = None
) -> Iterator[Path]:
    """A temporary file beside `path` (named `prefix`..., by default ".name."),
    to write; it replaces `path`, with permissions `mode`, when the block ends
    without an error, and is removed either way. Raises OSError when any of that
    fails. With `owner` (a user and a group id), it is given to them, or to
    the group alone, as far as this process may (see output_file).

    The temporary file is locked (flock) while it is written. A process killed
    while it wrote one cannot remove it: each `newscrawl export` that a cron
    job's timeout killed left its half-written copy beside the output, as large
    as the export, for ever. The next write of the same path removes those whose
    lock is gone."""
    folder = path.parent
    prefix = prefix or f".{path.name}."
    _remove_abandoned(folder, prefix)
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=PARTIAL_SUFFIX, dir=folder)
    partial = Path(name)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # (mkstemp's file: nobody else has it open)
        yield partial
        if owner is not None:
            _give(handle, owner)
        partial.chmod(mode)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
        os.close(handle)


def _give(handle: int, owner: tuple[int, int]) -> None:
    """The file `handle` to the user and group `owner`, or to the group alone (a
    user may give a file to a group of theirs), or neither: not allowed."""
    for user, group in (owner, (-1, owner[1])):
        try:
            os.fchown(handle, user, group)
            return
        except PermissionError:
            continue


def _remove_abandoned(folder: Path, prefix: str) -> None:
    """Remove the temporary files of `replacing` with `prefix` in `folder` that no
    live process writes: unlocked, and not new. What cannot be looked at stays."""
    now = time.time()
    try:
        with os.scandir(folder) as found:
            entries = [e for e in found if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        if not entry.name.endswith(PARTIAL_SUFFIX):
            continue
        try:
            descriptor = os.open(
                entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            )
        except OSError:
            continue
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < ABANDONED_AFTER_SECONDS:
                continue
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            Path(entry.path).unlink()  # locked by us: no writer can have it now
        except OSError:
            continue  # its writer holds it (BlockingIOError), or it went meanwhile
        finally:
            os.close(descriptor)


@contextlib.contextmanager
def output_file(path: Path, mode: int | None = None) -> Iterator[Path]:
    """The path to write the output a user named `path` to: a regular file, or
    none yet, is replaced whole (see `replacing`), through a symbolic link at
    the file it points to, the link kept; a pipe, a device or a socket is
    yielded as it is, to be opened and written (a failed write is the caller's
    OSError). IsADirectoryError, before anything is written, for a folder.

    The file made has permissions `mode`; by default those of the file it
    replaces, or, for a new one, what open() gives (0666 less the umask). A fixed
    0644 made an export over a private file (0600), or any new one under umask
    077, readable by every user of the machine. It keeps the user and group of
    the file it replaces as far as this process may give them: a root cron
    job's -O over a file of a service's group (0640) left that service unable to
    read it."""
    try:
        found = path.stat()  # through symbolic links
    except FileNotFoundError:
        found = None  # none yet, or a link to none: created where it points
    if mode is None:
        mode = stat.S_IMODE(found.st_mode) if found is not None else new_file_mode()
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if found is not None and _is_stream(found):
        yield path
        return
    target = Path(os.path.realpath(path))
    if found is not None and not _same_file(target, found):
        # A link that only the kernel can follow (/proc/self/fd/1 to a deleted
        # file): there is no name to replace, so it is written in place.
        yield path
        return
    owner = (found.st_uid, found.st_gid) if found is not None else None
    with replacing(target, mode=mode, owner=owner) as partial:
        yield partial


def new_file_mode() -> int:
    """The permissions open() gives a new file in this process: 0666 less the umask."""
    try:  # read, not set: os.umask would change it for every thread meanwhile
        for line in Path("/proc/self/status").read_text("ascii").splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)  # no /proc: set it to something strict while it is read
    os.umask(mask)
    return 0o666 & ~mask


def is_stream(path: Path) -> bool:
    """Whether `path` is, or links to, a pipe, a device or a socket: an output
    that is written as it comes, never replaced (see output_file)."""
    try:
        return _is_stream(path.stat())
    except OSError:
        return False


def _is_stream(found: os.stat_result) -> bool:
    return not stat.S_ISREG(found.st_mode) and not stat.S_ISDIR(found.st_mode)


def _same_file(path: Path, found: os.stat_result) -> bool:
    try:
        here = path.stat()
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (found.st_dev, found.st_ino)


def _same(one: Path, other: Path) -> bool:
    """Whether two paths name one file (a link, a relative path, or not yet made)."""
    try:
        return one.resolve() == other.resolve() or one.samefile(other)
    except (OSError, RuntimeError):  # RuntimeError: a loop of symbolic links
        return False


def clashing_output(
    database: Path | str | None, outputs: list[tuple[str, Path | None]]
) -> str | None:
    """Why, if two of a run's files are one: an output (what `outputs`
    names) written over the SQLite store or one of its files (its -wal, -shm and
    lock), or over another output. `--db news.db -O news.db` made the store a
    JSON Lines file, and every article in it was lost."""
    store = database if isinstance(database, Path) else None
    seen: list[Path] = []
    for what, path in outputs:
        if path is None or is_stream(path):  # stdout, a pipe: written as it comes
            continue
        if store is not None and any(
            _same(path, Path(f"{store}{suffix}")) for suffix in ("", "-wal", "-shm", ".lock")
        ):
            return f"{what} is the store {store}: it would be written over"
        if any(_same(path, other) for other in seen):
            return f"{what} is also another output of the run: {path}"
        seen.append(path)
    return None


SQLITE_MAGIC = b"SQLite format 3\x00"


def not_an_output(path: Path, appending: bool) -> str | None:
    """Why the file at `path` must not be written as a JSON Lines output (None: it
    may). No output replaces an SQLite database, and none appends to a file that
    does not read as JSON Lines: `-o news.db` (a typo for --db) took a store's
    last page for a torn line, cut it and appended records, and the store was
    malformed. A file that cannot be read is check_writable's to report."""
    if not path.is_file():  # none yet; a pipe or a device is written as it comes
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return None
    if head.startswith(SQLITE_MAGIC):
        return f"{path} is an SQLite database: no output is written over it (did you mean --db?)"
    if not appending or not head.strip(b" \t\r\n\x00"):
        return None
    # Its first line only: a tail zero-filled by a crash is the torn-line repair's
    # to cut (feeds.repair_torn_tail), and a byte-order mark may open the file.
    first = head.removeprefix(b"\xef\xbb\xbf").lstrip().split(b"\n", 1)[0]
    if b"\x00" in first or not first.startswith(b"{"):
        return f"{path} is not JSON Lines: -o appends records only to a JSON Lines file"
    return None
