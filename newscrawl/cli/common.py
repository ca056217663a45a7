"""What the `newscrawl` commands share: exit codes, option types, one-line errors,
and the store of an existing database opened for one command."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import errno
import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from newscrawl.config import NewscrawlConfig
    from newscrawl.storage import ArticleStore

__all__ = [
    "DEFAULT_DB",
    "EXIT_EXTRACTION",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_MEMORY",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "StdoutError",
    "add_crawl_options",
    "add_workers_option",
    "config_with_sites",
    "database_arg",
    "discard_stdout",
    "flush_stdout",
    "guarded_stdout",
    "ignore_late_stops",
    "open_store",
    "positive",
    "require_cluster_extra",
    "shown",
]

# The exit codes (the README's table). 3, a stop cut short, is the stop watchdog's
# (newscrawl/stopwatch.py), which ends the process itself.
EXIT_OK = 0  # done, nothing lost
EXIT_FAILED = 1  # finished with nothing, or with losses (see cli/crawling.py)
EXIT_USAGE = 2  # bad input: nothing was done
EXIT_MEMORY = 4  # the crawler's process passed MEMUSAGE_LIMIT_MB: the crawl stopped
EXIT_EXTRACTION = 5  # the extraction workers could not start, or kept dying
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C or SIGTERM (one signal or two)

# Where scheduled crawls (--sites), `state` and `stats` keep their store by default.
DEFAULT_DB = Path("output/newscrawl.sqlite")


def ignore_late_stops() -> None:
    """Ignore the stop signals from now on: the command is done, its run recorded
    and its exit code decided, and only the process's exit is left. Python takes
    its handlers away as the interpreter exits, and a SIGTERM that came then ended
    the process with 143 (a code the README's table has not), a hangup with 129,
    whatever the run's end had been. In the main thread only (a thread cannot set
    handlers)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)


def stderr_on_devnull_if_closed() -> None:
    """A closed standard error (`2>&-`: a cron line meant to silence the command,
    a daemon's start) becomes /dev/null, its descriptor too. Python has no
    sys.stderr then: the crawl's first look at it (a terminal?) was an
    AttributeError it could not print, and every run ended before any page with
    exit 1 and not a word; print(file=sys.stderr) wrote to standard output
    instead; and the descriptor went to the next file opened (the lock, an
    output), where whatever writes to it (a worker's C library) would land.
    What the command would say goes nowhere; its exit code tells how it ended."""
    try:
        os.fstat(2)
    except OSError:
        null = os.open(os.devnull, os.O_WRONLY)
        if null != 2:  # fd 0 or 1 closed too: the lowest free descriptor was theirs
            os.dup2(null, 2)
            os.close(null)
    if sys.stderr is None:
        sys.stderr = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 (the process keeps it)


class CommandError(Exception):
    """An expected error: printed as one line, exit code EXIT_USAGE."""


class StdoutError(OSError):
    """Standard output did not take a command's output (a full device, an I/O
    error; for `export -o -`, a reader gone too): one line, exit code EXIT_USAGE,
    as for an output named with -o."""


class _GuardedStdout:
    """Standard output, whose failed writes are told apart from the command's
    other OSErrors (a file it reads, a store): they raise StdoutError. A reader
    gone stays BrokenPipeError: `newscrawl extract ... | head` is no error."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(exc.errno, exc.strerror) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(exc.errno, exc.strerror) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[None]:
    """sys.stdout as a _GuardedStdout while a command runs. In the main thread
    only: sys.stdout is the process's, and main() may run in threads. Not when
    standard output is closed (`>&-`): sys.stdout is None then, which print()
    skips, and a wrapper of it made every command end in an AttributeError."""
    if threading.current_thread() is not threading.main_thread() or sys.stdout is None:
        yield
        return
    stream = sys.stdout
    encoding = _as_utf8(stream)
    sys.stdout = _GuardedStdout(stream)
    try:
        yield
    finally:
        sys.stdout = stream
        if encoding is not None:
            with contextlib.suppress(OSError, ValueError):
                cast(io.TextIOWrapper, stream).reconfigure(encoding=encoding)


def _as_utf8(stream: Any) -> str | None:
    """Have `stream` write UTF-8, whatever the locale says: what the commands print
    is JSON Lines (and CSV with its UTF-8 byte-order mark), which is UTF-8, and a
    cron job or service with a Latin-1 locale (or PYTHONIOENCODING=latin-1) ended
    `newscrawl search` in a UnicodeEncodeError traceback at its first snippet
    ("..." is U+2026). Returns the encoding it had, if it was changed."""
    encoding = getattr(stream, "encoding", None)
    if not encoding or not hasattr(stream, "reconfigure"):
        return None
    try:
        if codecs.lookup(encoding).name == "utf-8":
            return None
        stream.reconfigure(encoding="utf-8")
    except (LookupError, OSError, ValueError):
        return None
    return str(encoding)


def require_stdout() -> None:
    """CommandError unless standard output is open: with it closed (`>&-`) Python
    has no stream for it, and an output that goes there has nowhere to go."""
    if sys.stdout is None:
        raise CommandError("cannot write standard output: it is closed")


def stdin_bytes(limit: int = -1) -> bytes:
    """What standard input holds (up to `limit` bytes). OSError when it is closed
    (`<&-`, a daemon's closed descriptor): Python has no sys.stdin then, and
    reading it was an AttributeError traceback."""
    if sys.stdin is None:
        raise OSError(errno.EBADF, "standard input is closed")
    return bytes(sys.stdin.buffer.read(limit))


def flush_stdout() -> None:
    """Flush what the command printed, where a full device shows when its output
    fit in the buffer (StdoutError). A reader that left once it was all in the
    pipe changes nothing: the command's exit code stands."""
    if sys.stdout is None:  # closed (`>&-`): nothing was printed
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        discard_stdout()


def discard_stdout() -> None:
    """Send what standard output still buffers to /dev/null: once it failed, the
    interpreter's flush at exit would print a traceback-like warning."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no file descriptor
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def setting_arg(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value


# The largest whole number SQLite (a LIMIT) and C code take: past it, a traceback.
MAX_WHOLE_NUMBER = 2**63 - 1


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `minimum`, at most MAX_WHOLE_NUMBER."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more: {text!r}")
        if number > MAX_WHOLE_NUMBER:
            raise argparse.ArgumentTypeError(f"must be at most {MAX_WHOLE_NUMBER}: {text!r}")
        return number

    return parse


positive = whole_number(1)


def worker_count(text: str) -> int:
    """An argparse type: a number of extraction processes, 0 to config.max_workers()."""
    from newscrawl.config import check_worker_count

    number = whole_number(0)(text)
    try:
        check_worker_count(number)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc}: {text!r}") from None
    return number


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers", type=worker_count, metavar="N",
        help="extraction processes (default: one per core; 0: in this process)",
    )  # fmt: skip


def database_arg(text: str) -> Path | str:
    """A SQLite file (a path) or a PostgreSQL database (a postgresql:// URL, kept as
    written: a Path would fold its "//")."""
    from newscrawl.database import is_postgres_url

    return text if is_postgres_url(text) else Path(text)


def shown(database: Path | str) -> str:
    """The database as messages may name it: never with its password."""
    from newscrawl.urls import without_password

    return without_password(database) if isinstance(database, str) else str(database)


def add_crawl_options(
    parser: argparse.ArgumentParser,
    default_log_level: str,
    db_help: str = "also upsert articles into this SQLite file or postgresql:// database",
    archive_help: str = "keep every fetched page (request and response) as WARC files in DIR",
) -> None:
    parser.add_argument("--db", metavar="FILE.sqlite|URL", type=database_arg, help=db_help)
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        type=setting_arg,
        help="override a Scrapy or newscrawl setting (repeatable)",
    )
    parser.add_argument("--archive", type=Path, metavar="DIR", help=archive_help)
    add_workers_option(parser)
    parser.add_argument(
        "-L", "--log-level", default=default_log_level,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"], help=f"default {default_log_level}",
    )  # fmt: skip


def config_with_sites(sites: Path | None) -> NewscrawlConfig:
    """Cleaning configuration with the sites file's per-site boilerplate patterns."""
    from newscrawl.config import NewscrawlConfig

    if sites is None:
        return NewscrawlConfig()
    from newscrawl.sites import SitesFileError, load_sites

    try:
        patterns = {s.name: s.boilerplate for s in load_sites(sites) if s.boilerplate}
    except SitesFileError as exc:
        raise CommandError(str(exc)) from None
    return NewscrawlConfig(site_fragment_patterns=patterns)


def require_cluster_extra(what: str) -> None:
    """One line, not a traceback, when the cluster extra is not installed."""
    from importlib.util import find_spec

    if any(find_spec(module) is None for module in ("scrapy_redis", "redis")):
        raise CommandError(f"{what} needs its extra: pip install 'newscrawl[cluster]'")


@contextlib.contextmanager
def open_store(database: Path | str, *, writes: bool) -> Iterator[ArticleStore]:
    """The store of an existing database, open for one command; its errors become
    one line. A command that writes takes the database's lock, as a crawl does,
    so it never runs beside one; readers never lock."""
    from newscrawl.storage import ArticleStore, StorageError
    from newscrawl.storelock import StoreLock

    if isinstance(database, Path) and not database.is_file():
        raise CommandError(f"no database at {database}")
    lock = StoreLock(database) if writes and isinstance(database, Path) else None
    try:
        if lock is not None:
            lock.acquire()
        if not writes and isinstance(database, Path) and not _writable(database):
            # A store on a read-only file system, or another user's: read as it is.
            store = ArticleStore.open_read_only(database)
        else:
            store = ArticleStore.open(database)
    except StorageError as exc:
        if lock is not None:
            lock.release()
        raise CommandError(str(exc)) from None
    try:
        yield store
        store.close()
    except StorageError as exc:
        raise CommandError(str(exc)) from None
    finally:
        # Closed before the lock is released (see StoreLock); closing twice does nothing.
        store.connection.close()
        if lock is not None:
            lock.release()


def _writable(database: Path) -> bool:
    """Whether this process may write the SQLite file `database` and make its -wal
    and -shm files beside it (access(2): a read-only file system says no, to root
    as well)."""
    return os.access(database, os.W_OK) and os.access(database.parent, os.W_OK)


def check_site(store: ArticleStore, site: str | None) -> None:
    """A --site that names no site the store knows is an error, not "0 rows"."""
    if site is not None and site not in store.known_sites():
        known = store.known_sites()
        hint = f" (it knows {', '.join(sorted(known)[:8])}{' ...' if len(known) > 8 else ''})"
        raise CommandError(
            f"no site named {site!r} in {shown(store.path)}" + (hint if known else "")
        )


def settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """What the -s options say, as a dict."""
    return dict(args.settings)
