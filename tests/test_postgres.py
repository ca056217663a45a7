"""The PostgreSQL store: the same articles, URL states and run records as SQLite,
from a real crawl into a real PostgreSQL server on loopback."""

import sqlite3
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from newscrawl.items import ArticleItem
from newscrawl.storage import OTHER_SITE, SHRUNK, ArticleStore, StorageError

from .conftest import run
from .servers import postgres_server  # noqa: F401  (a fixture)
from .test_discovery_crawl import BLOCKED_EXIT, crawl, sites  # noqa: F401  (`sites` is a fixture)

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
