"""Ctrl-C during a crawl: the run stops early and keeps everything it stored."""

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from .conftest import BIN, FAST, REPO
from .gatedsite import GatedSite, gated_site  # noqa: F401  (`gated_site` is a fixture)

PAGES = 60
# Seconds a test waits for the crawl to store what it needs before it acts; the
# crawl cannot finish meanwhile: the site holds back the rest of its articles.
WAIT = 120


def wait_for_rows(
    process: subprocess.Popen[bytes], db: Path, rows: int, log: Path | None = None
) -> None:
    """Until `db` holds `rows` articles; a failure if the crawl ends or WAIT passes
    first, which shows the end of the crawl's `log` (its stderr) when there is one."""
    deadline = time.monotonic() + WAIT
    while count_rows(db) < rows:
        ended, late = process.poll() is not None, time.monotonic() >= deadline
        if ended or late:
            said = log.read_text(errors="replace")[-3000:] if log is not None else ""
            assert not ended, f"the crawl ended (exit {process.returncode}) first\n{said}"
            raise AssertionError(f"fewer than {rows} articles stored in {WAIT} s\n{said}")
        time.sleep(0.05)


def crawl_command(site: GatedSite, db: Path, commit_every: int, *more: str) -> list[str]:
    """The command that crawls `site` into `db`, committing every `commit_every` rows."""
    return [str(BIN / "newscrawl"), "crawl", site.url, "--db", str(db),
            "-s", f"NEWSCRAWL_SQLITE_COMMIT_EVERY={commit_every}", *FAST, *more]  # fmt: skip


def start_logged(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    """`command` started in the repository, its stderr written to `log` (which
    wait_for_rows shows when the crawl does not get far enough)."""
    with log.open("wb") as stderr:
        return subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr)


def test_ctrl_c_keeps_what_was_stored(
    gated_site: Callable[[int, int], GatedSite],  # noqa: F811
    tmp_path: Path,
):
    out, db = tmp_path / "a.jsonl", tmp_path / "a.sqlite"
    # Eight articles, the others held back until the stop: it comes mid-crawl.
    site = gated_site(PAGES, 8)
    # Rows committed one by one: the stop comes once five articles are stored. (The
    # JSON Lines records are written when the crawl closes, with their final text.)
    command = crawl_command(site, db, 1, "-o", str(out))
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_rows(process, db, 5)
    process.send_signal(signal.SIGINT)
    site.open()  # the requests in flight are answered; the stop lets no new one out
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 130, stderr.decode()
    assert b"Traceback" not in stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = {url for (url,) in connection.execute("SELECT canonical_url FROM articles")}
    # Stopped early, and the database holds exactly what the feed received.
    assert 5 <= len(lines) < PAGES
    assert stored == {line["canonical_url"] for line in lines}


def count_rows(db: Path, table: str = "articles") -> int:
    """How many rows `table` of the SQLite file `db` holds (0 while it cannot be read)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_sigkill_then_the_same_command_stores_every_article_exactly_once(
    gated_site: Callable[[int, int], GatedSite],  # noqa: F811
    tmp_path: Path,
):
    db = tmp_path / "a.sqlite"
    # Twelve articles, the others held back: the kill comes mid-crawl.
    site = gated_site(PAGES, 12)
    command = crawl_command(site, db, 5)
    log = tmp_path / "first-run.log"
    process = start_logged(command, log)
    wait_for_rows(process, db, 10, log)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    before = count_rows(db)
    assert 10 <= before < PAGES

    site.open()
    again = subprocess.run(command, cwd=REPO, capture_output=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr.decode()
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    total, distinct = connection.execute(
        "SELECT count(*), count(DISTINCT canonical_url) FROM articles"
    ).fetchone()
    assert total == distinct == PAGES
    # The second run fetched only what the first had not stored.
    assert f"articles: {PAGES - before} stored from".encode() in again.stderr


def test_a_second_crawl_on_the_same_database_says_so_and_exits(
    gated_site: Callable[[int, int], GatedSite],  # noqa: F811
    tmp_path: Path,
):
    db = tmp_path / "a.sqlite"
    # Two articles, the others held back: the first crawl runs until it is killed.
    site = gated_site(PAGES, 2)
    # Rows committed one by one: the first shows early, while most of the crawl is ahead.
    command = crawl_command(site, db, 1)
    first = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_rows(first, db, 1)
        second = subprocess.run(command, cwd=REPO, capture_output=True, timeout=60, check=False)
        err = second.stderr.decode()
        assert second.returncode == 2, err
        assert err.startswith(
            f"newscrawl: error: another newscrawl crawl (pid {first.pid}) is using {db}"
        )
    finally:
        first.kill()
        first.wait(timeout=30)


def test_a_batch_is_committed_while_the_crawl_waits_for_its_next_article(
    gated_site: Callable[[int, int], GatedSite],  # noqa: F811
    tmp_path: Path,
):
    db = tmp_path / "a.sqlite"
    # Two articles, the others held back: no item comes after the second one.
    site = gated_site(PAGES, 2)
    # Batches of a hundred, and NEWSCRAWL_SQLITE_COMMIT_SECONDS (5): both articles are
    # stored while the crawl waits, though no further item comes to commit them (a
    # kill then would lose them, and the test above would wait in vain for its rows).
    command = crawl_command(site, db, 100)
    log = tmp_path / "crawl.log"
    process = start_logged(command, log)
    try:
        wait_for_rows(process, db, 2, log)
    finally:
        process.kill()
        process.wait(timeout=30)
    assert count_rows(db) == 2


def test_a_hangup_stops_the_crawl_as_a_stop_signal_does(
    gated_site: Callable[[int, int], GatedSite],  # noqa: F811
    tmp_path: Path,
):
    """SIGHUP (the terminal or the SSH session of a crawl closed) killed the crawl
    like SIGKILL: exit 129, no summary, the run record left open for good, the
    JSON Lines records in their spool (found by a hostile-operator review). It
    stops the crawl as Ctrl-C does, sent to the whole process group as a
    terminal sends it."""
    import os

    out, db, log = tmp_path / "a.jsonl", tmp_path / "a.sqlite", tmp_path / "err.log"
    site = gated_site(PAGES, 8)
    command = crawl_command(site, db, 1, "-o", str(out))
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr,
                                   start_new_session=True)  # fmt: skip
    wait_for_rows(process, db, 5, log)
    os.killpg(process.pid, signal.SIGHUP)
    site.open()
    process.wait(timeout=120)
    err = log.read_text()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    connection = sqlite3.connect(db)
    stored = {url for (url,) in connection.execute("SELECT canonical_url FROM articles")}
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert 5 <= len(lines) < PAGES and stored == {line["canonical_url"] for line in lines}
    (reason,) = connection.execute("SELECT finish_reason FROM runs").fetchone()
    assert reason == "shutdown"


def test_a_hangup_whose_terminal_is_gone_still_exits_130(
    gated_site: Callable[[int, int], GatedSite],  # noqa: F811
    tmp_path: Path,
):
    """When the terminal really closes, printing the summary to it fails (EIO):
    the crawl had stopped cleanly but exited 1 with an uncaught error instead of
    130 (found by the review of 2710340)."""
    import os
    import pty

    db = tmp_path / "a.sqlite"
    site = gated_site(PAGES, 8)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(crawl_command(site, db, 1), cwd=REPO, stdout=terminal,
                               stderr=terminal, start_new_session=True)  # fmt: skip
    os.close(terminal)
    try:
        deadline = time.monotonic() + WAIT
        while count_rows(db) < 5 and process.poll() is None and time.monotonic() < deadline:
            try:  # keep reading the terminal, as a terminal does, until it closes
                os.read(controller, 65536) if _readable(controller) else time.sleep(0.05)
            except OSError:
                break
    finally:
        os.close(controller)  # the terminal is gone
    os.killpg(process.pid, signal.SIGHUP)
    site.open()
    assert process.wait(timeout=120) == 130


def _readable(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0.05)[0])


def test_ctrl_c_while_the_workers_start_prints_no_traceback(tmp_path: Path):
    """Ctrl-C reaches the terminal's whole process group: the extraction pool's fork
    server too, which imported trafilatura and the language model (a second or
    more) with Python's default handler, and printed a KeyboardInterrupt
    traceback from that import (since e2f2290 also for --workers 1)."""
    page = tmp_path / "page.html"
    page.write_text("<html><body><p>A page to read.</p></body></html>")
    command = [str(BIN / "newscrawl"), "extract", "--workers", "1", str(page)]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    while time.monotonic() < deadline and process.poll() is None:
        if any(
            b"forkserver" in Path(f"/proc/{child}/cmdline").read_bytes()
            for child in children.read_text().split()
            if Path(f"/proc/{child}/cmdline").exists()
        ):
            break  # the fork server is importing its preload
        time.sleep(0.02)
    time.sleep(0.3)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C
    _, stderr = process.communicate(timeout=60)
    assert b"Traceback" not in stderr, stderr.decode()
    assert process.returncode in (0, 130), stderr.decode()
