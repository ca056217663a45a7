"""Issue 18's commands on a real crawl's store: search, export (JSON Lines, CSV,
Parquet), the inputs people expect (scrape -i, extract --url, extract DIR), and
every bad input as one line and exit 2."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .conftest import BIN, FAST, REPO, SITE, run
from .test_cli import FERRY, assert_one_line_error, lines

STORIES = sorted((SITE / "news/2026/03").glob("*.html"))


@pytest.fixture(scope="module")
def store(site_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test site crawled once into SQLite."""
    db = tmp_path_factory.mktemp("store") / "news.sqlite"
    result = run("newscrawl", "crawl", site_url, "--db", str(db), "--workers", "0", *FAST)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return str(db)


def test_search_filters_by_site_and_date_and_limits_the_hits(store: str):
    every = lines(run("newscrawl", "search", "the", "--db", store).stdout)
    assert len(every) > 2
    two = lines(run("newscrawl", "search", "the", "--db", store, "--limit", "2").stdout)
    assert two == every[:2]  # best first, the same order
    late = lines(run("newscrawl", "search", "the", "--db", store, "--since", "2099-01-01").stdout)
    assert late == []
    ferry = lines(run("newscrawl", "search", "ferry timetable", "--db", store).stdout)
    assert ferry[0]["canonical_url"].endswith("ferry-timetable-changes-for-spring.html")
    assert "**" in ferry[0]["snippet"]


@pytest.mark.parametrize("query", ['"unterminated', "title:", "AND AND"])
def test_a_query_fts5_rejects_is_a_one_line_error(store: str, query: str):
    assert_one_line_error(run("newscrawl", "search", query, "--db", store), "not a query FTS5")


def test_export_writes_the_same_articles_as_jsonl_csv_and_parquet(store: str, tmp_path: Path):
    outputs = {fmt: tmp_path / f"articles.{fmt}" for fmt in ("jsonl", "csv", "parquet")}
    for path in outputs.values():
        done = run("newscrawl", "export", "--db", store, "-o", str(path))  # format from suffix
        assert done.returncode == 0, done.stderr.decode()
    jsonl = [json.loads(line) for line in outputs["jsonl"].read_text("utf-8").splitlines()]
    table = pq.read_table(outputs["parquet"]).to_pylist()
    assert len(jsonl) == len(table) > 2
    for record, row in zip(jsonl, table, strict=True):
        row["cleaning"] = dict(row["cleaning"])
        assert row == record
    # CSV: what a spreadsheet opens (UTF-8 with its byte-order mark), one row each.
    raw = outputs["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").count("\r\n") >= len(jsonl) + 1


def test_bad_export_requests_are_one_line_errors(store: str, tmp_path: Path):
    out = str(tmp_path / "x.out")
    assert_one_line_error(
        run("newscrawl", "export", "--db", store, "--format", "xml", "-o", out), "unknown format"
    )
    assert_one_line_error(run("newscrawl", "export", "--db", store, "-o", out), "--format")
    assert_one_line_error(
        run("newscrawl", "export", "--db", store, "--format", "csv", "-o",
            str(tmp_path / "no-folder" / "x.csv")),
        "cannot write",
    )  # fmt: skip


def test_an_export_through_a_symbolic_link_replaces_the_file_it_points_to(
    store: str, tmp_path: Path
):
    """Before: the link itself was replaced by the export, and the file it points
    to kept its old content."""
    plain = tmp_path / "plain.jsonl"
    assert run("newscrawl", "export", "--db", store, "-o", str(plain)).returncode == 0
    data = tmp_path / "data"
    data.mkdir()
    (data / "real.jsonl").write_text("precious\n")
    link, dangling = tmp_path / "link.jsonl", tmp_path / "new.jsonl"
    link.symlink_to("data/real.jsonl")
    dangling.symlink_to("data/new.jsonl")  # nothing there yet: made where it points
    for path in (link, dangling):
        done = run("newscrawl", "export", "--db", store, "-o", str(path))
        assert done.returncode == 0, done.stderr.decode()
        assert path.is_symlink()
    assert (data / "real.jsonl").read_bytes() == (data / "new.jsonl").read_bytes()
    assert (data / "real.jsonl").read_bytes() == plain.read_bytes()
    # A link to a folder is refused before anything is written, the link kept.
    folder = tmp_path / "folder.jsonl"
    folder.symlink_to("data")
    result = run("newscrawl", "export", "--db", store, "-o", str(folder))
    assert_one_line_error(result, f"cannot write {folder}: Is a directory")
    assert folder.is_symlink()
    assert sorted(path.name for path in data.iterdir()) == ["new.jsonl", "real.jsonl"]


def test_an_export_keeps_the_mode_of_the_file_it_replaces_and_a_new_one_takes_the_umask(
    store: str, tmp_path: Path
):
    """An export is a file that replaces the output once written (replacing.py),
    and it was made 0644 whatever was there: an export over a private file (0600)
    or a new one under umask 077 (a private cron job's) was readable by every
    user of the machine. A shell's > and open() keep the one and mask the other."""
    private, shared, new = (tmp_path / f"{name}.jsonl" for name in ("private", "shared", "new"))
    for path, mode in ((private, 0o600), (shared, 0o664)):
        path.write_text("an earlier export\n")
        path.chmod(mode)
    old_mask = os.umask(0o077)
    try:
        for path in (private, shared, new):
            done = run("newscrawl", "export", "--db", store, "-o", str(path))
            assert done.returncode == 0, done.stderr.decode()
    finally:
        os.umask(old_mask)
    modes = {path.name: path.stat().st_mode & 0o777 for path in (private, shared, new)}
    assert modes == {"private.jsonl": 0o600, "shared.jsonl": 0o664, "new.jsonl": 0o600}
    assert private.read_text() != "an earlier export\n"


def test_an_export_into_a_named_pipe_is_written_through_it(store: str, tmp_path: Path):
    """As `-o /dev/stdout` is, through its link. Before: the pipe was replaced by
    a regular file, its reader got nothing, and the exit code was 0."""
    plain = tmp_path / "plain.csv"
    assert run("newscrawl", "export", "--db", store, "-o", str(plain)).returncode == 0
    fifo, link = tmp_path / "pipe.csv", tmp_path / "stdout.csv"
    os.mkfifo(fifo)
    link.symlink_to(fifo)
    for path in (fifo, link):
        reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
        done = run("newscrawl", "export", "--db", store, "-o", str(path))
        try:
            received, _ = reader.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # the pipe had no writer
            reader.kill()
            received, _ = reader.communicate()
        assert done.returncode == 0, done.stderr.decode()
        assert received == plain.read_bytes()
        assert stat.S_ISFIFO(fifo.stat().st_mode) and link.is_symlink()


def test_an_export_into_a_pipe_its_reader_left_is_a_one_line_error(store: str, tmp_path: Path):
    """A pipe (or a device) that stops taking the data: one line, exit code 2."""
    plain = tmp_path / "plain.jsonl"
    assert run("newscrawl", "export", "--db", store, "-o", str(plain)).returncode == 0
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    # A reader that takes nothing, with the smallest buffer: the export fills it,
    # waits, and its next write finds the reader gone.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, 4096)
        assert plain.stat().st_size > fcntl.fcntl(reader, fcntl.F_GETPIPE_SZ)
        export = subprocess.Popen(
            [str(BIN / "newscrawl"), "export", "--db", store, "-o", str(fifo)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        written, _, _ = select.select([reader], [], [], 10)
    finally:
        os.close(reader)
    _, err = export.communicate(timeout=60)
    assert written, "the export never wrote into the pipe"
    result = subprocess.CompletedProcess(export.args, export.returncode, b"", err)
    assert_one_line_error(result, f"cannot write {fifo}: Broken pipe")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    # Parquet's writer seeks back in its file: refused before the pipe is opened.
    parquet = tmp_path / "pipe.parquet"
    os.mkfifo(parquet)
    result = run("newscrawl", "export", "--db", store, "-o", str(parquet))
    assert_one_line_error(result, "a Parquet file cannot go to a pipe or a device")
    assert stat.S_ISFIFO(parquet.stat().st_mode)


def _with_stdout(stdout: int, *args: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run([str(BIN / "newscrawl"), *args], cwd=REPO, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=120, check=False)  # fmt: skip
    return subprocess.CompletedProcess(done.args, done.returncode, b"", done.stderr)


def test_an_export_to_standard_output_that_stops_taking_it_is_a_one_line_error(
    store: str, tmp_path: Path
):
    """`-o -` is standard output, and fails as `-o /dev/stdout` does: a full
    device or a reader gone is one line and exit code 2. A full device gave a
    traceback (exit 1), a reader gone a silent exit 0 and a cut export."""
    with Path("/dev/full").open("wb") as full:
        result = _with_stdout(
            full.fileno(), "export", "--db", store, "-o", "-", "--format", "jsonl"
        )
    assert_one_line_error(result, "cannot write standard output: No space left on device")
    reader, writer = os.pipe()
    os.close(reader)
    try:
        result = _with_stdout(writer, "export", "--db", store, "-o", "-", "--format", "csv")
    finally:
        os.close(writer)
    assert_one_line_error(result, "cannot write standard output: Broken pipe")


def test_a_full_standard_output_is_a_one_line_error_not_a_traceback(store: str):
    """`search`, `extract` and `stats` print to standard output; a full device
    there gave a traceback."""
    for args in (
        ["search", "the", "--db", store],
        ["extract", str(FERRY), "--workers", "0"],
        ["stats", "--db", store],
    ):
        with Path("/dev/full").open("wb") as full:
            result = _with_stdout(full.fileno(), *args)
        assert_one_line_error(result, "cannot write standard output: No space left on device")


def _with_stdout_closed(*args: str) -> subprocess.CompletedProcess[bytes]:
    """`newscrawl ARGS >&-`: Python's sys.stdout is None then."""
    return subprocess.run([str(BIN / "newscrawl"), *args], cwd=REPO, stderr=subprocess.PIPE,
                          preexec_fn=lambda: os.close(1), timeout=120, check=False)  # fmt: skip


def test_a_closed_standard_output_is_no_traceback(store: str):
    """A command run with its standard output closed (`>&-`, a daemon's start)
    did its work and exited 0, printing nothing; guarded_stdout wrapped the None
    Python has for it, and every command ended in an AttributeError traceback,
    exit 1, a crawl's too (extract's own flush did so before). An export to it is
    one line, exit 2: there is nowhere to write it."""
    for args in (
        ["stats", "--db", store],
        ["search", "the", "--db", store],
        ["reclean", "--db", store],
        ["extract", str(FERRY), "--workers", "0"],
    ):
        result = _with_stdout_closed(*args)
        assert result.returncode == 0, (args, result.stderr.decode()[-800:])
        assert b"Traceback" not in result.stderr, (args, result.stderr.decode()[-800:])
    result = _with_stdout_closed("export", "--db", store, "-o", "-", "--format", "jsonl")
    assert_one_line_error(result, "cannot write standard output: it is closed")


def test_a_crawl_or_scrape_to_a_closed_standard_output_says_so(site_url: str):
    """`crawl -o -` and `scrape` with standard output closed: "the crawl could not
    start: AttributeError: 'NoneType' object has no attribute 'buffer'" (Scrapy's
    standard output storage), where `export -o -` says what is wrong."""
    for args in (["crawl", site_url, "-o", "-"], ["scrape", f"{site_url}index.html"]):
        result = _with_stdout_closed(*args, *FAST)
        assert_one_line_error(result, "cannot write standard output: it is closed")


def test_a_crawl_with_its_standard_error_closed_crawls(site_url: str, tmp_path: Path):
    """`newscrawl crawl ... 2>&-` (a cron line meant to silence it, a daemon's
    start): Python's sys.stderr is None, and the crawl ended at once, before any
    page, in an AttributeError it could not print: exit 1, nothing said, nothing
    stored, every run. It crawls as with standard error open, saying nothing."""
    args = ["crawl", site_url, "--workers", "0", *FAST]
    opened = run("newscrawl", *args, "--db", str(tmp_path / "open.sqlite"))
    closed = subprocess.run(
        [str(BIN / "newscrawl"), *args, "--db", str(tmp_path / "closed.sqlite")],
        cwd=REPO, stdout=subprocess.PIPE, preexec_fn=lambda: os.close(2), timeout=120,
        check=False,
    )  # fmt: skip
    assert closed.returncode == opened.returncode
    assert closed.stdout == b""  # nothing meant for standard error went to standard output
    with sqlite3.connect(tmp_path / "closed.sqlite") as db:
        (stored,) = db.execute("SELECT count(*) FROM articles").fetchone()
    assert stored > 0


def test_a_parquet_export_without_pyarrow_names_the_install(store: str, tmp_path: Path):
    # This environment has pyarrow (the dev extra): hidden here, as on an install
    # without the `parquet` extra.
    code = (
        "import sys; sys.modules['pyarrow'] = None; from newscrawl.cli import main;"
        f" sys.exit(main(['export', '--db', {store!r}, '-o', {str(tmp_path / 'a.parquet')!r}]))"
    )
    assert_one_line_error(run("python", "-c", code, cwd=REPO), "pip install 'newscrawl[parquet]'")
    assert not (tmp_path / "a.parquet").exists()


def test_an_archive_folder_that_cannot_be_written_is_a_one_line_error(
    tmp_path: Path, site_url: str
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run("newscrawl", "crawl", site_url, "--db", str(tmp_path / "n.sqlite"),
                 "--archive", str(blocker / "warc"), *FAST)  # fmt: skip
    assert_one_line_error(result, "cannot write the archive folder", str(blocker / "warc"))
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[[site]]\nname = "local"\nstart_urls = ["{site_url}"]\n'
                     f'archive = "{blocker / "own"}"\n')  # fmt: skip
    result = run("newscrawl", "crawl", "--sites", str(sites), "--db", str(tmp_path / "n.sqlite"))
    assert_one_line_error(result, "cannot write the archive folder", str(blocker / "own"))


def test_scrape_takes_urls_from_a_file_and_from_stdin(site_url: str, tmp_path: Path):
    urls = [site_url + "news/2026/03/" + page.name for page in STORIES[:2]]
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# two stories\n{urls[0]}\n\n  {urls[1]}  \n")
    from_file = run("newscrawl", "scrape", "-i", str(listing), *FAST)
    assert from_file.returncode == 0, from_file.stderr.decode()
    assert sorted(row["url"] for row in lines(from_file.stdout)) == sorted(urls)
    from_stdin = run("newscrawl", "scrape", "-i", "-", *FAST, stdin=f"{urls[1]}\n".encode())
    assert [row["url"] for row in lines(from_stdin.stdout)] == [urls[1]]
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    assert_one_line_error(run("newscrawl", "scrape", "-i", str(empty)), "none in")
    assert_one_line_error(run("newscrawl", "scrape", "-i", str(tmp_path / "gone")), "cannot read")


def test_extract_url_gives_a_saved_page_its_address():
    address = "https://courier.example/saved/ferry.html"
    without = lines(run("newscrawl", "extract", str(FERRY)).stdout)[0]
    (row,) = lines(run("newscrawl", "extract", "--url", address, str(FERRY)).stdout)
    assert without["url"] is None
    assert row["url"] == address
    # The page's relative canonical link is read against the address it came from.
    assert row["canonical_url"] == (
        "https://courier.example/news/2026/03/ferry-timetable-changes-for-spring.html"
    )
    assert row["site"] == "courier.example"
    assert row["text"] == without["text"]
    assert_one_line_error(run("newscrawl", "extract", "--url", "not a url", str(FERRY)))
    assert_one_line_error(
        run("newscrawl", "extract", "--url", address, str(FERRY), str(FERRY)), "one saved page"
    )


def test_extract_of_a_folder_reads_every_html_file_under_it(tmp_path: Path):
    (tmp_path / "deep" / "er").mkdir(parents=True)
    shutil.copy(STORIES[0], tmp_path / STORIES[0].name)
    shutil.copy(STORIES[1], tmp_path / "deep" / "er" / STORIES[1].name.replace(".html", ".HTM"))
    (tmp_path / "notes.txt").write_text("not a page")
    result = run("newscrawl", "extract", str(tmp_path))
    assert result.returncode in (0, 1), result.stderr.decode()
    sources = [row["source"] for row in lines(result.stdout)]
    assert sources == sorted(
        [str(tmp_path / STORIES[0].name),
         str(tmp_path / "deep" / "er" / STORIES[1].name.replace(".html", ".HTM"))]
    )  # fmt: skip
    (tmp_path / "empty").mkdir()
    assert_one_line_error(run("newscrawl", "extract", str(tmp_path / "empty")), "no .html")


# A process writing `sys.argv[1]` as newscrawl writes an output (newscrawl.replacing):
# killed with SIGKILL half-way, or, given "hold", holding its copy until its stdin ends.
_HALF_WRITTEN = """
import os, signal, sys
from pathlib import Path
from newscrawl.replacing import output_file
with output_file(Path(sys.argv[1])) as partial:
    partial.write_text('{"title": "half of an expo')
    print(partial, flush=True)
    if sys.argv[2:] == ["hold"]:
        sys.stdin.read()
    else:
        os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_export_removes_the_copies_of_killed_exports_and_keeps_a_live_ones(
    store: str, tmp_path: Path
):
    """Each export killed while it wrote (a cron job's timeout) left its copy,
    as large as the export, beside the output for ever."""
    output = tmp_path / "news.jsonl"
    killed = subprocess.run(
        [sys.executable, "-c", _HALF_WRITTEN, str(output)],
        cwd=REPO, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL
    left = Path(killed.stdout.decode().strip())
    holder = subprocess.Popen(
        [sys.executable, "-c", _HALF_WRITTEN, str(output), "hold"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None
        held = Path(holder.stdout.readline().decode().strip())
        # Both from some minutes ago: only a lock tells the live one.
        for path in (left, held):
            assert path.exists()
            os.utime(path, (path.stat().st_atime - 600, path.stat().st_mtime - 600))
        done = run("newscrawl", "export", "--db", store, "-o", str(output))
        assert done.returncode == 0, done.stderr.decode()
        assert not left.exists()
        assert held.exists()
        with contextlib.closing(sqlite3.connect(store)) as db:
            (stored,) = db.execute("SELECT count(*) FROM articles").fetchone()
        assert len(lines(output.read_bytes())) == stored
    finally:
        holder.communicate(b"", timeout=60)
    assert not held.exists()  # its writer ended and replaced the output with it
    assert sorted(path.name for path in tmp_path.iterdir()) == ["news.jsonl"]


def _read_only(folder: Path, *command: str) -> subprocess.CompletedProcess[bytes]:
    """`command` run where `folder` is a read-only file system (a bind mount of
    it, remounted read-only, in a mount namespace of its own: nobody else sees
    it); the test is skipped where such a namespace cannot be made."""
    script = ('mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" || exit 99; '
              'touch "$0/probe" 2>/dev/null && exit 98; exec "$@"')  # fmt: skip
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare(1) here")
    result = subprocess.run(
        [unshare, "-rm", "sh", "-c", script, str(folder), *command],
        cwd=REPO, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    if result.returncode in (98, 99) or b"unshare:" in result.stderr:
        pytest.skip(f"no read-only mount here: {result.stderr.decode().strip()}")
    return result


@pytest.mark.parametrize(
    "command",
    [
        ("stats",),
        ("search", "harbour"),
        ("export", "--format", "jsonl", "-o", "-"),
        ("state", "--site", "127.0.0.1"),
    ],
)
def test_a_store_on_a_read_only_file_system_can_be_read(
    store: str, tmp_path: Path, command: tuple[str, ...]
):
    """A snapshot, a backup mount, another user's store: every reading command
    failed with "cannot open database ...: unable to open database file" (SQLite
    reads a WAL store beside its -shm file, which it could not make there)."""
    folder = tmp_path / "snapshot"
    folder.mkdir()
    shutil.copy(store, folder / "news.sqlite")
    db = str(folder / "news.sqlite")
    name, *rest = command
    if name == "state":  # the site's name: host and port
        with contextlib.closing(sqlite3.connect(db)) as connection:
            (site,) = connection.execute("SELECT site FROM articles LIMIT 1").fetchone()
        rest = ["--site", site]
    writable = run("newscrawl", name, "--db", db, *rest)
    assert writable.returncode == 0, writable.stderr.decode()
    shutil.copy(store, folder / "news.sqlite")  # as it was: no -wal, no -shm beside it
    for beside in ("news.sqlite-wal", "news.sqlite-shm"):
        (folder / beside).unlink(missing_ok=True)
    result = _read_only(folder, str(BIN / "newscrawl"), name, "--db", db, *rest)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == writable.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["news.sqlite"]


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_json_lines_on_standard_output_are_utf8_whatever_the_locale(store: str, encoding: str):
    """A cron job or service with a Latin-1 locale: `search` ended in a
    UnicodeEncodeError traceback at its first snippet (its "..." is U+2026)."""
    result = subprocess.run(
        [str(BIN / "newscrawl"), "search", "the", "--db", store],
        cwd=REPO, env={**os.environ, "PYTHONIOENCODING": encoding},
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    hits = lines(result.stdout)  # decoded as UTF-8
    assert any("\u2026" in hit["snippet"] for hit in hits), hits


def test_a_store_read_as_immutable_keeps_out_a_crawl_until_it_is_closed(store: str, tmp_path: Path):
    """SQLite reads a store opened immutable with no lock and never looks for
    changes: a crawl that started while another user's export read the store
    checkpointed into it underneath, and the export read a mix of old and new
    rows, some of them only, and exited 0. While such a reader has the store
    open, a run that would write it is refused (a crawl takes StoreLock)."""
    from newscrawl.storage import StorageError
    from newscrawl.storelock import StoreLock

    folder = tmp_path / "shared"
    folder.mkdir()
    db = folder / "news.sqlite"
    shutil.copy(store, db)
    reader = (
        "import sys\nfrom pathlib import Path\n"
        "from newscrawl.cli.common import open_store\n"
        "with open_store(Path(sys.argv[1]), writes=False) as store:\n"
        "    print(store.read_only, flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    script = ('mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" || exit 99; '
              'touch "$0/probe" 2>/dev/null && exit 98; exec "$@"')  # fmt: skip
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare(1) here")
    command = [unshare, "-rm", "sh", "-c", script, str(folder),
               str(BIN / "python"), "-c", reader, str(db)]  # fmt: skip
    with subprocess.Popen(
        command, cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as holder:  # fmt: skip
        assert holder.stdout is not None and holder.stdin is not None
        opened = holder.stdout.readline()
        if not opened:
            _, stderr = holder.communicate(timeout=60)
            if holder.returncode in (98, 99) or b"unshare:" in stderr:
                pytest.skip(f"no read-only mount here: {stderr.decode().strip()}")
            pytest.fail(stderr.decode())
        assert opened == b"True\n"  # read-only, as immutable
        crawls_lock = StoreLock(db)
        try:
            crawls_lock.acquire()
        except StorageError as exc:
            refused = str(exc)
        else:
            crawls_lock.release()
            refused = "taken while the store was read as immutable"
        assert "is using" in refused, refused
        holder.stdin.write(b"done\n")
        holder.communicate(timeout=60)
    assert holder.returncode == 0
    lock = StoreLock(db)  # the reader closed the store: a crawl may write it again
    lock.acquire()
    lock.release()
