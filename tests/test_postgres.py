"""The PostgreSQL store: the same articles, URL states and run records as SQLite,
from a real crawl into a real PostgreSQL server on loopback."""

import sqlite3
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from newscrawl.cleaning.siteboiler import fingerprint
from newscrawl.demo.server import QuietHandler
from newscrawl.items import ArticleItem
from newscrawl.storage import OTHER_SITE, SHRUNK, ArticleStore, StorageError

from .conftest import BIN, FAST, run, serving
from .discovery_site import article_page, hub_page
from .gatedsite import gated_site  # noqa: F401  (a fixture)
from .servers import postgres_server  # noqa: F401  (a fixture)
from .stallproxy import stalling_relay  # noqa: F401  (a fixture)
from .test_discovery_crawl import BLOCKED_EXIT, crawl, sites  # noqa: F401  (`sites` is a fixture)
from .test_storage import store_a_redesigned_site

ARTICLE_COLUMNS = (
    "canonical_url, url, site, title, authors, published, language, description, text,"
    " word_count, cleaning, content_hash, raw_text, anchor_texts, version, boilerplate_used"
)
QUERIES = {
    "articles": f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY canonical_url",
    "urls": "SELECT url, site, state, attempts, last_error, published, title, content_hash"
    " FROM urls ORDER BY url",
    "site_paragraphs": "SELECT site, fingerprint, canonical_url FROM site_paragraphs"
    " ORDER BY 1, 2, 3",
    "run_counts": "SELECT run_id, site, counter, value FROM run_counts ORDER BY 1, 2, 3",
    "runs": "SELECT id, spider, finish_reason FROM runs ORDER BY id",
}


def tables_of_sqlite(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as db:
        return {name: [tuple(row) for row in db.execute(sql)] for name, sql in QUERIES.items()}


def tables_of_postgres(url: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(url) as db:
        return {name: [tuple(row) for row in db.execute(sql)] for name, sql in QUERIES.items()}


def test_a_postgresql_crawl_stores_what_a_sqlite_crawl_stores(
    sites,  # noqa: F811
    postgres_server,  # noqa: F811
    tmp_path: Path,
):
    database = postgres_server.new_database()
    sqlite_file = tmp_path / "store.sqlite"
    for _ in range(2):  # the second run: every article already stored, counted the same
        assert crawl(sites, sqlite_file).returncode == BLOCKED_EXIT
        result = crawl(sites, database)  # type: ignore[arg-type]
        assert result.returncode == BLOCKED_EXIT, result.stderr.decode()[-2000:]
    expected, stored = tables_of_sqlite(sqlite_file), tables_of_postgres(database)
    assert len(expected["articles"]) == 8
    assert len(expected["runs"]) == 2
    for name in QUERIES:
        assert stored[name] == expected[name], name


def test_stats_state_and_reclean_use_a_postgresql_store_and_hide_its_password(
    sites,  # noqa: F811
    postgres_server,  # noqa: F811
):
    database = postgres_server.new_database()
    assert crawl(sites, database).returncode == BLOCKED_EXIT  # type: ignore[arg-type]
    stats = run("newscrawl", "stats", "--db", database)
    assert stats.returncode == 0, stats.stderr
    feed_site = sites["feed"].url.split("//")[1].rstrip("/")
    assert feed_site in stats.stdout.decode()
    state = run("newscrawl", "state", "--db", database, "--site", feed_site, "--reset")
    assert state.returncode == 0
    assert "newscrawl:***@" in state.stdout.decode()
    assert postgres_server.password not in state.stdout.decode()
    reclean = run("newscrawl", "reclean", "--db", database)
    assert reclean.returncode == 0, reclean.stderr
    assert "0 of 8 articles changed" in reclean.stderr.decode()  # cleaned at the crawl's end
    assert postgres_server.password not in reclean.stderr.decode()


def test_an_unreachable_or_refusing_database_is_one_line_and_exit_2(
    site_url: str,
    postgres_server,  # noqa: F811
):
    wrong_password = postgres_server.url().replace(postgres_server.password, "not-it")
    for database in (wrong_password, "postgresql://newscrawl:pw@127.0.0.1:1/newscrawl"):
        result = run("newscrawl", "crawl", site_url, "--db", database)
        stderr = result.stderr.decode()
        assert result.returncode == 2, stderr
        assert stderr.count("\n") == 1, stderr
        assert stderr.startswith(
            "newscrawl: error: cannot open database postgresql://newscrawl:***@"
        )
        assert "not-it" not in stderr and ":pw@" not in stderr


def test_a_newer_schema_is_refused(postgres_server):  # noqa: F811
    database = postgres_server.new_database()
    ArticleStore.open(database).close()
    with psycopg.connect(database) as db:
        db.execute("UPDATE newscrawl_schema SET version = 99")
    with pytest.raises(StorageError, match="schema version 99 is newer"):
        ArticleStore.open(database)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_text_cut_to_under_half_keeps_the_stored_row(
    kind: str,
    postgres_server,  # noqa: F811
    tmp_path: Path,
):
    """A page fetched again as a teaser replaced its stored article (a paywall,
    found by a hostile-site session): under half the stored words, the row stays,
    in either store; an edit that keeps half is a new version, and another site's
    row stays that site's."""
    database = postgres_server.new_database() if kind == "postgresql" else tmp_path / "a.db"
    words = " ".join(f"word{n}" for n in range(40))
    article = ArticleItem(
        url="http://n.test/a", canonical_url="http://n.test/a", site="n.test", title="A",
        authors=[], published=None, language="en", description=None,
        text=words, raw_text=words, word_count=40, fetched_at="2026-03-15T10:00:00Z",
    )  # fmt: skip
    teaser = " ".join(words.split()[:19])
    store = ArticleStore.open(database)
    try:
        assert store.upsert(article) == "new"
        store.commit()
        assert store.upsert(replace(article, text=teaser, raw_text=teaser, word_count=19)) == SHRUNK
        assert store.upsert(replace(article, site="other.test", text=teaser)) == OTHER_SITE
        store.commit()
        assert store.cleaned("http://n.test/a", "n.test") == (words, 40, {})
        half = " ".join(words.split()[:20])
        assert store.upsert(replace(article, text=half, raw_text=half, word_count=20)) == "changed"
        store.commit()
        assert store.cleaned("http://n.test/a", "n.test") == (half, 20, {})
    finally:
        store.close()


@pytest.mark.parametrize("fault", ["stall", "cut"])
def test_a_database_that_stops_answering_ends_the_crawl_with_exit_1_and_loses_nothing(
    fault: str,
    gated_site,  # noqa: F811
    stalling_relay,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """A database host that hangs mid-crawl (connections open, nothing answered)
    froze the crawl for ever, with no message (found by a cluster attack session):
    each call to the server now has NEWSCRAWL_STORE_TIMEOUT, then the crawl stops
    as on any failed write, and the pages not stored are fetched by the next run.
    A server that goes away ends it as well, and libpq's message for that, three
    lines, is one line as every error newscrawl ends with."""
    database = postgres_server.new_database()
    site = gated_site(6, 2)
    relay = stalling_relay(postgres_server.port)
    through_relay = database.replace(f":{postgres_server.port}/", f":{relay.port}/")
    crawl = subprocess.Popen(
        [str(BIN / "newscrawl"), "crawl", site.url, "--db", through_relay, *FAST,
         "-s", "NEWSCRAWL_STORE_TIMEOUT=2", "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while len(site.gate.asked) < 3:  # two articles served, the third asked for
            assert crawl.poll() is None and time.monotonic() < deadline, "the crawl did not start"
            time.sleep(0.05)
        relay.stall() if fault == "stall" else relay.cut()
        site.open()
        try:
            _, stderr_bytes = crawl.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            pytest.fail("the crawl hung on a database that does not answer")
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.communicate()
    stderr = stderr_bytes.decode()
    assert crawl.returncode == 1, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("newscrawl: error: the crawl stopped: cannot "), last
    if fault == "stall":
        assert "did not answer for 2 s" in last, last
    else:
        assert "server closed the connection unexpectedly" in last, last
    # The server's end of the cut connection still holds its transaction's locks
    # until it learns that the client is gone: here, when the relay closes.
    relay.close()
    result = run("newscrawl", "crawl", site.url, "--db", database, *FAST)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    with psycopg.connect(database) as db:
        (stored,) = db.execute("SELECT count(*) FROM articles").fetchone()
    assert stored == 6


class StubAfterAnArticle:
    """A home page linking an article and a stub too short to keep, which waits
    for the test: the crawl's first write to the store once it is let go is the
    stub's URL state, not an article. Serve `handler`."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        gate = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                if self.path == "/":
                    links = ["/news/one.html", "/news/stub.html"]
                    self.send_page(hub_page("Front page", links).encode())
                elif self.path == "/news/one.html":
                    self.send_page(article_page("Story one", None).encode())
                elif self.path == "/news/stub.html":
                    gate.gate.wait(60)
                    self.send_page(
                        b"<html lang='en'><head><title>Stub</title><meta property='og:type'"
                        b" content='article'></head><body><article><h1>Stub</h1>"
                        b"<p>More on this story soon.</p></article></body></html>"
                    )
                else:
                    self.send_error(404)

        self.handler = Handler


def test_a_server_gone_before_a_url_state_is_written_stops_the_crawl_in_one_line(
    stalling_relay,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """A PostgreSQL server restarted (or a connection an administrator ended)
    just before the crawl wrote what became of a page with no article: the
    StorageError went up into Scrapy, which logged a traceback and counted the
    stub as an article lost to an error in an item pipeline. It stops the crawl
    as a failed article's write does: one line, exit 1."""
    database = postgres_server.new_database()
    ArticleStore.open(database).close()
    site = StubAfterAnArticle()
    relay = stalling_relay(postgres_server.port)
    through_relay = database.replace(f":{postgres_server.port}/", f":{relay.port}/")
    with serving(site.handler) as base:
        try:
            crawl = subprocess.Popen(
                [str(BIN / "newscrawl"), "crawl", f"{base}/", "--db", through_relay, *FAST,
                 "-s", "NEWSCRAWL_SQLITE_COMMIT_EVERY=1"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            deadline = time.monotonic() + 90
            while True:  # the article committed: nothing is left to write but the stub's
                with psycopg.connect(database) as db:
                    (stored,) = db.execute("SELECT count(*) FROM articles").fetchone()
                if stored:
                    break
                assert crawl.poll() is None and time.monotonic() < deadline, "nothing stored"
                time.sleep(0.05)
            relay.cut()
            site.gate.set()
            try:
                _, stderr_bytes = crawl.communicate(timeout=90)
            except subprocess.TimeoutExpired:
                crawl.kill()
                crawl.communicate()
                pytest.fail("the crawl hung on a database that went away")
        finally:
            site.gate.set()
    stderr = stderr_bytes.decode()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "lost to an error" not in stderr, stderr[-3000:]
    assert crawl.returncode == 1, stderr[-2000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("newscrawl: error: the crawl stopped: cannot write"), last


def test_a_schema_lock_held_by_a_process_that_hangs_is_waited_for_a_limited_time(
    site_url: str,
    postgres_server,  # noqa: F811
):
    """Another process that opened the store and then hung (its connection open,
    the schema's lock held) made every later crawl wait for the lock for ever
    (found by a review): the wait has NEWSCRAWL_STORE_TIMEOUT too."""
    database = postgres_server.new_database()
    ArticleStore.open(database).close()
    with psycopg.connect(database) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(7346001)")  # its transaction left open
        result = run("newscrawl", "crawl", site_url, "--db", database, *FAST,
                     "-s", "NEWSCRAWL_STORE_TIMEOUT=2", timeout=60)  # fmt: skip
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert stderr.splitlines()[-1].endswith(
        "another newscrawl has been creating or upgrading its schema for 2 s,"
        " or stopped answering while it did; try again once it is done"
    ), stderr[-1000:]


def test_a_short_wait_for_the_schema_lock_is_no_warning(
    postgres_server,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
):
    """Two cluster workers started together on a new database: one creates the
    schema, the other waits a moment for its lock, and printed a WARNING for it
    (which the cluster test that asserts no warning met on a loaded machine)."""
    database = postgres_server.new_database()
    ArticleStore.open(database).close()
    with psycopg.connect(database) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(7346001)")  # another process's upgrade
        release = threading.Timer(1.5, holder.rollback)
        release.start()
        started = time.monotonic()
        with caplog.at_level("INFO", logger="newscrawl.storage"):
            ArticleStore.open(database).close()
        release.join()
    assert time.monotonic() - started >= 1.0  # it did wait for the lock
    assert not [r for r in caplog.records if r.levelname == "WARNING"], caplog.text


class LastPageGate:
    """A home page linking three articles and a last hub page, which waits for
    the test: once the articles are served, the crawl's only work left is that
    page, which writes nothing to the store, and its close. Serve `handler`."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.served: list[str] = []
        gate = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                if self.path == "/":
                    links = ["/news/one.html", "/news/two.html", "/news/three.html", "/last"]
                    self.send_page(hub_page("Front page", links).encode())
                elif self.path == "/last":
                    gate.gate.wait(60)
                    self.send_page(hub_page("More", []).encode())
                elif self.path.startswith("/news/"):
                    self.send_page(article_page(f"Story {self.path[6:-5]}", None).encode())
                    gate.served.append(self.path)
                else:
                    self.send_error(404)

        self.handler = Handler


def test_a_store_that_fails_as_the_crawl_closes_makes_its_exit_code_1(
    stalling_relay,  # noqa: F811
    postgres_server,  # noqa: F811
):
    """The last batch's commit, the end-of-run re-clean and the run record come as
    the crawl closes; one that failed was logged, and the crawl ended "finished",
    exit 0, its last articles not stored (found by a review)."""
    database = postgres_server.new_database()
    ArticleStore.open(database).close()
    site = LastPageGate()
    relay = stalling_relay(postgres_server.port)
    through_relay = database.replace(f":{postgres_server.port}/", f":{relay.port}/")
    with serving(site.handler) as base:
        try:
            crawl = subprocess.Popen(
                [str(BIN / "newscrawl"), "crawl", f"{base}/", "--db", through_relay, *FAST,
                 "-s", "NEWSCRAWL_STORE_TIMEOUT=2", "-s", "NEWSCRAWL_SQLITE_COMMIT_SECONDS=0"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )  # fmt: skip
            deadline = time.monotonic() + 90
            while len(site.served) < 3:
                started = crawl.poll() is None and time.monotonic() < deadline
                assert started, "the crawl did not start"
                time.sleep(0.05)
            time.sleep(3)  # the three stored (uncommitted: one batch for the run)
            relay.stall()
            site.gate.set()
            try:
                _, stderr_bytes = crawl.communicate(timeout=90)
            except subprocess.TimeoutExpired:
                crawl.kill()
                crawl.communicate()
                pytest.fail("the crawl hung as it closed")
        finally:
            site.gate.set()  # no answer left waiting as the server closes
    stderr = stderr_bytes.decode()
    assert "Traceback" not in stderr, stderr[-3000:]
    assert crawl.returncode == 1, stderr[-2000:]
    assert "did not answer for 2 s" in stderr.splitlines()[-1], stderr[-1000:]


def test_a_redesigns_furniture_is_found_in_a_postgresql_store(postgres_server):  # noqa: F811
    """The query behind it reads fetch days as SQLite's does (tests/test_storage.py)."""
    store = ArticleStore.open(postgres_server.new_database())
    try:
        footers = store_a_redesigned_site(store)
        assert store.site_boilerplate("n.test") == {fingerprint(f) for f in footers}
    finally:
        store.close()


def test_a_nul_in_a_feed_s_json_is_no_store_error(postgres_server, tmp_path: Path):  # noqa: F811
    """JSON allows "\\u0000", a PostgreSQL text column does not: one in a JSON
    Feed's item title (kept with the URL's state, and the article's title where
    its page has none) stopped the crawl of every site at the write."""
    paragraphs = "".join(
        f"<p>Paragraph {n}: the harbour board met on Tuesday to weigh the plan for the"
        " new quay and its costs, which the council disputes.</p>"
        for n in range(6)
    )
    # No <title>: the feed's title is the article's.
    page = f"<html lang='en'><body><article>{paragraphs}</article></body></html>".encode()

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                return self.send_page(b"User-agent: *\nAllow: /\n", "text/plain")
            if self.path == "/feed.json":
                base = f"http://{self.headers['Host']}"
                feed = (
                    '{"version": "https://jsonfeed.org/version/1.1", "title": "News",'
                    f' "items": [{{"id": "1", "url": "{base}/a/1.html",'
                    ' "title": "Quay\\u0000 plan", "date_published": "2026-01-02T10:00:00Z"}]}'
                )
                return self.send_page(feed.encode(), "application/feed+json")
            return self.send_page(page)

    database = postgres_server.new_database()
    with serving(Handler) as base:
        result = run("newscrawl", "crawl", "--feed", f"{base}/feed.json", "--db", database,
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    with psycopg.connect(database) as db:
        articles = db.execute("SELECT title FROM articles").fetchall()
        titles = db.execute("SELECT title FROM urls WHERE title IS NOT NULL").fetchall()
    assert articles == [("Quay plan",)], articles
    assert titles == [("Quay plan",)], titles
