"""The cluster writer's batch tokens in its store (newscrawl/cluster/writerbatches.py),
on a real SQLite file."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newscrawl.cluster.writerbatches import FORGET_AFTER, AppliedBatch, WriterBatches
from newscrawl.storage import ArticleStore


def test_a_store_keeps_a_runs_last_batch_token_only_and_forgets_old_ones(tmp_path: Path):
    """Each commit forgets the run's earlier tokens (their batches were cleared
    before the next was taken), and any token older than the run's keys live in
    Redis; another run's recent token stays, as its writer may still need it."""
    store = ArticleStore.open(tmp_path / "t.sqlite")
    try:
        this_run = WriterBatches(store, "newscrawl:run-a:news")
        other_run = WriterBatches(store, "newscrawl:run-b:news")
        gone_run = WriterBatches(store, "newscrawl:run-c:news")
        other_run.record("b1", AppliedBatch({"b.test\tstored": 2}, Counter(new=2)))
        gone_run.record("c1", AppliedBatch({}, Counter()))
        long_ago = (datetime.now(UTC) - FORGET_AFTER - timedelta(days=1)).isoformat()
        store.connection.execute("UPDATE writer_batches SET committed_at = ? WHERE token = 'c1'",
                                 (long_ago.replace("+00:00", "Z"),))  # fmt: skip
        for n in range(5):
            this_run.record(f"a{n}", AppliedBatch({"a.test\tstored": n}, Counter(new=n)))
            store.commit()
        assert tokens(store) == ["a4", "b1"]
        assert this_run.applied("a4") == AppliedBatch({"a.test\tstored": 4}, Counter(new=4))
        assert this_run.applied("a3") is None
        assert this_run.applied("b1") is None  # another run's batch is not this run's
        this_run.forget()
        store.commit()
        assert tokens(store) == ["b1"]
    finally:
        store.close()


def tokens(store: ArticleStore) -> list[str]:
    rows = store.connection.execute("SELECT token FROM writer_batches ORDER BY token")
    return [token for (token,) in rows]
