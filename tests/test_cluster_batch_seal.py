"""The cluster writer killed at the other moments around a batch's token: before
it names the batch in Redis (the seal), and right after Redis cleared the batch."""

import signal
import subprocess
from pathlib import Path

import pytest

from newscrawl.cluster.keys import RunKeys

from .conftest import BIN, REPO
from .servers import redis_server  # noqa: F401  (a fixture)
from .test_cluster import finish, one_article, texts_of, writer
from .test_cluster_batch_tokens import run_counts

KILLED_AROUND_THE_SEAL = """
import os, signal, sys

from newscrawl.cluster.writerlock import WriterLock

moment = sys.argv[1]
call = WriterLock.call


def killed(self, name, *args, **kwargs):
    if name == "seal" and moment == "before-seal":
        os.kill(os.getpid(), signal.SIGKILL)
    result = call(self, name, *args, **kwargs)
    if name == "clear" and moment == "after-clear":
        os.kill(os.getpid(), signal.SIGKILL)
    return result


WriterLock.call = killed
from newscrawl.cli import command

sys.argv = ["newscrawl", "writer", *sys.argv[2:]]
command()
"""


@pytest.mark.parametrize("moment", ["before-seal", "after-clear"])
def test_a_writer_killed_before_its_seal_or_after_its_clear_counts_each_article_once(
    redis_server,  # noqa: F811
    tmp_path: Path,
    moment: str,
):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    run_id = f"run-seal-{moment}"
    keys = RunKeys.of(run_id, "news")
    db = tmp_path / "k.sqlite"
    client.set(keys.shards, 1)
    client.sadd(keys.seeded, 0)
    client.sadd(keys.closed, 0)
    client.hincrby(keys.counts, "a.test\tfetched", 3)
    client.lpush(keys.articles, *(one_article(n) for n in range(3)))
    args = ["--cluster", redis_server.url, "--run", run_id, "--db", str(db)]
    killed = subprocess.run(
        [str(BIN / "python"), "-c", KILLED_AROUND_THE_SEAL, moment, *args],
        check=False, cwd=REPO, capture_output=True, timeout=120,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert client.llen(keys.articles_writing) == (3 if moment == "before-seal" else 0)
    assert not client.exists(keys.writing_batch)
    client.delete(keys.writer_lock)  # the killed writer's lock, as if it had expired

    code, stderr, _ = finish(writer(redis_server.url, run_id, db), 60)
    assert code == 0, stderr
    assert sorted(texts_of(db)) == [f"http://a.test/{n}" for n in range(3)]
    counts = run_counts(db)
    assert counts.get("stored") == 3 and "unchanged" not in counts, (counts, stderr)
    assert counts.get("fetched") == 3
