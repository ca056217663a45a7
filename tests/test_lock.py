"""The store's lock: one run per database, whatever name the database is given.

Real files, real processes: a crawl in a subprocess, the lock held by another
process (or by this one, through the lock's own API), SQLite's own locking
watched from a third.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from newscrawl.frontier import Frontier
from newscrawl.storage import ArticleStore, StorageError
from newscrawl.storelock import StoreLock

from .conftest import BIN, FAST, REPO, run
from .gatedsite import GatedSite, gated_site  # noqa: F401  (`gated_site` is a fixture)
from .servers import redis_server  # noqa: F401  (a fixture)
from .test_interrupt import wait_for_rows


def symlink(db: Path, tmp_path: Path) -> str:
    link = tmp_path / "elsewhere" / "link.sqlite"
    link.parent.mkdir()
    link.symlink_to(db)
    return str(link)


def hard_link(db: Path, tmp_path: Path) -> str:
    # In another folder: a lock file beside either name would not see the other.
    link = tmp_path / "elsewhere" / "other-name.sqlite"
    link.parent.mkdir()
    link.hardlink_to(db)
    return str(link)


def dotted(db: Path, tmp_path: Path) -> str:
    (tmp_path / "x").mkdir()
    return str(tmp_path / "x" / ".." / db.name)


SPELLINGS: dict[str, Callable[[Path, Path], str]] = {
    "symlink": symlink,
    "hard-link": hard_link,
    "dot-dot": dotted,
}


def assert_refused(result: subprocess.CompletedProcess[bytes], holder: int, name: str) -> None:
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith(
        f"newscrawl: error: another newscrawl crawl (pid {holder}) is using {name}"
    )
    assert err.rstrip().endswith("this one stops"), err


def hold_lock_in_a_process(db: str) -> subprocess.Popen[bytes]:
    """Another process holding the store's lock on `db` until it is killed."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from newscrawl.storelock import StoreLock\n"
        "lock = StoreLock(Path(sys.argv[1]))\n"
        "lock.acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code, db], cwd=REPO, stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"held\n"
    return process


def lock_in_another_process(db: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys\nfrom pathlib import Path\nfrom newscrawl.storelock import StoreLock\n"
    code += "StoreLock(Path(sys.argv[1])).acquire()\n"
    return subprocess.run(
        [sys.executable, "-c", code, str(db)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.communicate(timeout=30)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_crawl_through_another_name_of_a_locked_database_is_refused(
    site_url: str, tmp_path: Path, spelling: str
):
    db = tmp_path / "news.sqlite"
    ArticleStore.open(db).close()
    other = SPELLINGS[spelling](db, tmp_path)
    holder = hold_lock_in_a_process(str(db))
    try:
        result = run("newscrawl", "crawl", site_url, "--db", other, *FAST, cwd=tmp_path)
        assert_refused(result, holder.pid, other)
    finally:
        stop(holder)
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM runs").fetchone() == (0,)  # nothing ran


def test_two_crawls_through_hard_links_in_two_folders_do_not_run_at_once(
    gated_site: Callable[[int, int], GatedSite],  # noqa: F811
    tmp_path: Path,
):
    db = tmp_path / "news.sqlite"
    ArticleStore.open(db).close()
    other = hard_link(db, tmp_path)
    # Two articles, the others held back: the first crawl runs until it is killed.
    site = gated_site(60, 2)

    def crawl(name: str) -> list[str]:
        # Rows committed one by one: the first shows early, while most of the crawl is ahead.
        return [str(BIN / "newscrawl"), "crawl", site.url, "--db", name,
                "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=1", *FAST]  # fmt: skip

    first = subprocess.Popen(
        crawl(str(db)), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_rows(first, db, 1)
        second = subprocess.run(
            crawl(other), cwd=REPO, capture_output=True, timeout=60, check=False
        )
        assert_refused(second, first.pid, other)
    finally:
        first.kill()
        first.wait(timeout=30)


def test_the_lock_names_its_holder_in_the_lock_file_beside_the_real_path(tmp_path: Path):
    db = tmp_path / "news.sqlite"
    link = Path(symlink(db, tmp_path))
    lock = StoreLock(link)
    lock.acquire()
    try:
        assert (tmp_path / "news.sqlite.lock").read_text() == f"pid {os.getpid()}"
        assert db.is_file()  # the lock made the file it locks
    finally:
        lock.release()


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path):
    db = tmp_path / "news.sqlite"
    holder = hold_lock_in_a_process(str(db))
    with pytest.raises(StorageError, match=f"pid {holder.pid}"):
        StoreLock(db).acquire()
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=30)
    assert holder.returncode == -signal.SIGKILL
    lock = StoreLock(db)
    lock.acquire()
    lock.release()


SQLITE_CLIENT = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], timeout=float(sys.argv[2]), isolation_level=None)
for statement in sys.argv[3:]:
    try:
        print(connection.execute(statement).fetchall(), flush=True)
    except sqlite3.Error as exc:
        print("error:", exc, flush=True)
        sys.exit(1)
sys.stdin.read()  # holds its transaction, if any, until the test closes stdin
if connection.in_transaction:
    connection.execute("COMMIT")
"""


def sqlite_client(db: Path, *statements: str, timeout: float = 10) -> subprocess.Popen[str]:
    """A plain sqlite3 client in a process of its own, running `statements`."""
    return subprocess.Popen(
        [sys.executable, "-c", SQLITE_CLIENT, str(db), str(timeout), *statements],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(client: subprocess.Popen[str]) -> tuple[int, str]:
    out, _ = client.communicate("", timeout=60)
    return client.returncode, out


def test_the_lock_and_sqlite_locking_do_not_interfere(tmp_path: Path):
    """flock(2) on the database file and SQLite's fcntl(2) locks on it are
    independent on Linux: the lock blocks no SQLite reader or writer, SQLite's
    transactions do not block the lock, and SQLite still excludes a second
    writer while the lock is held."""
    db = tmp_path / "news.sqlite"
    ArticleStore.open(db).close()

    # SQLite holding a write transaction in another process does not stop the lock...
    writer = sqlite_client(
        db, "BEGIN IMMEDIATE", "INSERT INTO runs (spider, started_at) VALUES ('w', 't')"
    )
    assert writer.stdout is not None
    assert [writer.stdout.readline() for _ in range(2)] == ["[]\n", "[]\n"]  # in its transaction
    lock = StoreLock(db)
    lock.acquire()
    try:
        # ... and SQLite still keeps a second writer out while the lock is held,
        second = sqlite_client(db, "BEGIN IMMEDIATE", timeout=0)
        code, out = finish(second)
        assert code == 1 and "database is locked" in out
        assert finish(writer) == (0, "")  # it commits now

        # ... the lock blocks no reader or writer of SQLite's,
        code, out = finish(sqlite_client(db, "INSERT INTO runs (spider, started_at) VALUES ('x', 't')",
                                         "SELECT spider FROM runs ORDER BY id"))  # fmt: skip
        assert code == 0 and out.splitlines()[-1] == "[('w',), ('x',)]"

        # ... and this process opening and closing the database (SQLite's own
        # descriptors, whose close drops fcntl locks) does not drop it.
        store = ArticleStore.open(db)
        store.connection.execute("INSERT INTO runs (spider, started_at) VALUES ('y', 't')")
        store.close()
        blocked = lock_in_another_process(db)
        assert blocked.returncode == 1 and f"(pid {os.getpid()})" in blocked.stderr
    finally:
        lock.release()
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT count(*) FROM runs").fetchone() == (3,)


# Places a database cannot be locked or opened at. Each is a function of the
# test's folder giving the --db value, made ready.
def lock_file_is_a_directory(tmp_path: Path) -> str:
    db = tmp_path / "news.sqlite"
    store = ArticleStore.open(db)
    # The site `state --site n.test` names: a site the store knows.
    Frontier(store).add_pending("n.test", "http://n.test/a.html", None, None)
    store.close()
    (tmp_path / "news.sqlite.lock").mkdir()
    return str(db)


def database_is_a_directory(tmp_path: Path) -> str:
    (tmp_path / "news.sqlite").mkdir()
    return str(tmp_path / "news.sqlite")


BAD_PLACES: dict[str, Callable[[Path], str]] = {
    "lock-file-is-a-directory": lock_file_is_a_directory,
    "database-is-a-directory": database_is_a_directory,
    "under-proc": lambda tmp_path: "/proc/newscrawl-test.sqlite",
    # sysfs makes no new file, even for root: an unwritable folder wherever tests run.
    "unwritable-folder": lambda tmp_path: "/sys/newscrawl-test.sqlite",
}

# Commands that write, so lock, the database; and the readers, which never lock.
WRITERS = ("crawl", "scrape", "writer", "reclean", "state --reset")
READERS = ("stats", "state")


def command_line(command: str, db: str, site_url: str, redis_url: str) -> list[str]:
    return {
        "crawl": ["crawl", site_url, "--db", db, *FAST],
        "scrape": ["scrape", f"{site_url}news/2026/03/ferry-timetable-changes-for-spring.html",
                   "--db", db, *FAST],
        "writer": ["writer", "--cluster", redis_url, "--run", "lock-test", "--db", db],
        "reclean": ["reclean", "--db", db],
        "state --reset": ["state", "--site", "n.test", "--reset", "--db", db],
        "state": ["state", "--site", "n.test", "--db", db],
        "stats": ["stats", "--db", db],
    }[command]  # fmt: skip


@pytest.mark.parametrize("place", BAD_PLACES)
@pytest.mark.parametrize("command", WRITERS + READERS)
def test_a_database_that_cannot_be_locked_or_opened_is_one_line_and_exit_2(
    site_url: str,
    redis_server,  # noqa: F811
    tmp_path: Path,
    command: str,
    place: str,
):
    db = BAD_PLACES[place](tmp_path)
    result = run("newscrawl", *command_line(command, db, site_url, redis_server.url), cwd=tmp_path)
    err = result.stderr.decode()
    assert "Traceback" not in err
    if command in READERS and place == "lock-file-is-a-directory":
        # Readers never take the lock: the database itself is fine.
        assert result.returncode == 0, err
        return
    assert result.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith("newscrawl: error: "), err
    assert db in err, err


@pytest.mark.parametrize("command", ["reclean", "state --reset"])
def test_commands_that_write_the_database_are_refused_while_it_is_locked(
    site_url: str, tmp_path: Path, command: str
):
    db = Path(lock_file_is_a_directory(tmp_path))
    (tmp_path / "news.sqlite.lock").rmdir()  # a store that knows n.test, and a lock file
    holder = hold_lock_in_a_process(str(db))
    try:
        result = run("newscrawl", *command_line(command, str(db), site_url, ""), cwd=tmp_path)
        assert_refused(result, holder.pid, str(db))
    finally:
        stop(holder)
    assert run("newscrawl", *command_line(command, str(db), site_url, "")).returncode == 0


def test_a_process_that_holds_the_lock_shares_it_with_itself_until_the_last_release(
    tmp_path: Path,
):
    """The `newscrawl` command locks the database before the crawl and keeps it to
    the end; the crawl's store locks it again, in the same process, by another
    name maybe. No other run may take it in between (one did, and was then refused
    inside Scrapy, with a traceback)."""
    db = tmp_path / "news.sqlite"
    first, second = StoreLock(db), StoreLock(Path(symlink(db, tmp_path)))
    first.acquire()
    second.acquire()  # shared, not refused
    first.release()
    assert lock_in_another_process(db).returncode == 1  # still held: by `second`
    second.release()
    assert lock_in_another_process(db).returncode == 0


def test_a_symbolic_link_planted_as_the_lock_file_is_refused_its_target_kept(
    site_url: str, tmp_path: Path
):
    """The lock file was opened through a symbolic link and truncated: a link
    planted at news.db.lock by anyone who may write in the folder made a crawl
    write "pid N" over the file it pointed to (found by a hostile-operator
    review). Now one line, exit 2, and the file as it was."""
    victim = tmp_path / "victim.txt"
    victim.write_text("the only copy of something\n")
    (tmp_path / "news.db.lock").symlink_to(victim)
    result = run("newscrawl", "crawl", site_url, "--db", str(tmp_path / "news.db"), *FAST)
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err, err
    assert "news.db.lock: it is a symbolic link" in err
    assert victim.read_text() == "the only copy of something\n"


def test_forgetting_a_site_in_a_store_that_cannot_be_written_is_a_storage_error(tmp_path: Path):
    # `state --reset` on a read-only file printed sqlite3's traceback, exit 1
    # (found by helper-110); StorageError is the one line `open_store` prints.
    db = tmp_path / "news.sqlite"
    store = ArticleStore.open(db)
    Frontier(store).add_pending("n.test", "http://n.test/a.html", None, None)
    store.commit()
    store.close()
    read_only = ArticleStore.open_read_only(db)
    try:
        with pytest.raises(StorageError, match=r"cannot write to .*readonly"):
            Frontier(read_only).forget_site("n.test")
    finally:
        read_only.connection.close()
