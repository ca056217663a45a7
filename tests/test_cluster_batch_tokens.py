"""A cluster writer killed around a batch's commit: real Redis, a real `newscrawl
writer` process killed with SIGKILL at the precise moment, and its successor.
The moments, in their order: before it names the batch in Redis (the seal),
before the store commits it, after the commit and before Redis clears it, and
right after the clear."""

import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from newscrawl.cluster.keys import RunKeys

from .conftest import BIN, REPO
from .servers import redis_server  # noqa: F401  (a fixture)
from .test_cluster import finish, one_article, texts_of, writer

# `newscrawl writer ARGS`, killed (SIGKILL) at its first batch of articles, at
# the moment sys.argv[1] names.
KILLED_AT_A_BATCH = """
import os, signal, sys

from newscrawl.cluster.writerlock import WriterLock
from newscrawl.storage import ArticleStore

moment = sys.argv[1]
call, commit = WriterLock.call, ArticleStore.commit


def killed_around_a_call(self, name, *args, **kwargs):
    if (name, moment) in (("seal", "before-seal"), ("clear", "after-commit")):
        os.kill(os.getpid(), signal.SIGKILL)
    result = call(self, name, *args, **kwargs)
    if name == "clear" and moment == "after-clear":
        os.kill(os.getpid(), signal.SIGKILL)
    return result


def killed_at_the_commit(self):
    if self.pending and moment == "before-commit":
        os.kill(os.getpid(), signal.SIGKILL)
    commit(self)


WriterLock.call = killed_around_a_call
ArticleStore.commit = killed_at_the_commit
from newscrawl.cli import command

sys.argv = ["newscrawl", "writer", *sys.argv[2:]]
command()
"""

# What each kill leaves: the articles still in "writing", those in the store, and
# whether Redis names the batch (sealed, not cleared).
LEFT_BY_THE_KILL = {
    "before-seal": (3, 0, False),
    "before-commit": (3, 0, True),
    "after-commit": (3, 3, True),
    "after-clear": (0, 3, False),
}


def run_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(
            connection.execute("SELECT counter, sum(value) FROM run_counts GROUP BY counter")
        )


@pytest.mark.parametrize("moment", list(LEFT_BY_THE_KILL))
def test_a_writer_killed_around_a_batch_s_commit_loses_none_of_its_counts(
    redis_server,  # noqa: F811
    tmp_path: Path,
    moment: str,
):
    """A writer killed after its store committed a batch and before it cleared the
    batch from Redis: its successor stored the batch again, found every article
    unchanged, and the run record said "3 unchanged" for 3 articles stored by
    the run, their "stored" counts lost. At every other moment too, the
    successor counts each article once, as stored."""
    import redis

    client = redis.Redis.from_url(redis_server.url)
    run_id = f"run-batch-{moment}"
    keys = RunKeys.of(run_id, "news")
    db = tmp_path / "b.sqlite"
    client.set(keys.shards, 1)
    client.sadd(keys.seeded, 0)
    client.sadd(keys.closed, 0)
    client.hincrby(keys.counts, "a.test\tfetched", 3)
    client.lpush(keys.articles, *(one_article(n) for n in range(3)))
    args = ["--cluster", redis_server.url, "--run", run_id, "--db", str(db)]
    killed = subprocess.run(
        [str(BIN / "python"), "-c", KILLED_AT_A_BATCH, moment, *args],
        check=False, cwd=REPO, capture_output=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    # The kill came at the moment meant.
    writing, stored, sealed = LEFT_BY_THE_KILL[moment]
    assert client.llen(keys.articles_writing) == writing
    assert len(texts_of(db)) == stored
    assert bool(client.exists(keys.writing_batch)) is sealed
    client.delete(keys.writer_lock)  # the killed writer's lock, as if it had expired

    code, stderr, _ = finish(writer(redis_server.url, run_id, db), 60)
    assert code == 0, stderr
    assert sorted(texts_of(db)) == [f"http://a.test/{n}" for n in range(3)]
    counts = run_counts(db)
    assert counts.get("stored") == 3 and "unchanged" not in counts, (counts, stderr)
    assert counts.get("fetched") == 3
    assert client.llen(keys.articles_writing) == 0
    assert not client.exists(keys.writing_batch)
    with sqlite3.connect(db) as connection:  # the run is over: its tokens are forgotten
        assert connection.execute("SELECT count(*) FROM writer_batches").fetchone() == (0,)
