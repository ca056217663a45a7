"""A PostgreSQL commit whose answer never came: the batch may be stored or not,
and the store must not say it was dropped (storage.RolledBack), for whoever
hears that takes its JSON Lines records and counts back."""

import contextlib
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from newscrawl.items import ArticleItem
from newscrawl.storage import ArticleStore, RolledBack, StorageError

from .servers import postgres_server  # noqa: F401  (a fixture)


def test_a_commit_cut_before_its_answer_is_not_taken_for_rolled_back(
    postgres_server,  # noqa: F811
    tmp_path: Path,
) -> None:
    # A commit that takes the server 3 s (a slow disk): the client stops waiting
    # after 1 s, and the server commits all the same.
    database = _store_whose_commit_runs(
        postgres_server, "slow", "PERFORM pg_sleep(3); RETURN NULL;"
    )
    store = ArticleStore.open(database, call_limit=1)
    try:
        assert store.upsert(_article()) == "new"
        with pytest.raises(StorageError) as failure:
            store.commit()
    finally:
        with contextlib.suppress(StorageError):  # its connection is cut
            store.close()
    deadline = time.monotonic() + 10
    with psycopg.connect(database) as db:
        while time.monotonic() < deadline:
            (rows,) = db.execute("SELECT count(*) FROM articles").fetchone()
            if rows:
                break
            time.sleep(0.2)
    assert rows == 1  # the server did commit the batch the client gave up on
    assert not isinstance(failure.value, RolledBack), failure.value


def test_a_commit_the_server_refused_is_rolled_back(
    postgres_server,  # noqa: F811
) -> None:
    database = _store_whose_commit_runs(postgres_server, "refuse", "RAISE EXCEPTION 'no room';")
    store = ArticleStore.open(database)
    try:
        assert store.upsert(_article()) == "new"
        with pytest.raises(RolledBack):
            store.commit()
    finally:
        store.close()
    with psycopg.connect(database) as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone() == (0,)


def _store_whose_commit_runs(server: Any, name: str, body: str) -> str:
    """A new store's database whose transactions that add an article run the
    PL/pgSQL `body` as they commit (a deferred trigger): its address."""
    database: str = server.new_database()
    ArticleStore.open(database).close()
    with psycopg.connect(database, autocommit=True) as db:
        db.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$"
        )
        db.execute(
            f"CREATE CONSTRAINT TRIGGER {name}_commit AFTER INSERT ON articles"
            f" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    return database


def _article() -> ArticleItem:
    words = " ".join(f"word{n}" for n in range(40))
    return ArticleItem(
        url="http://n.test/a", canonical_url="http://n.test/a", site="n.test", title="A",
        authors=[], published=None, language="en", description=None,
        text=words, raw_text=words, word_count=40, fetched_at="2026-03-15T10:00:00Z",
    )  # fmt: skip
