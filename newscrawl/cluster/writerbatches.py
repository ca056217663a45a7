"""Which of a cluster writer's batches its store has committed: the batch's token,
written in the same transaction as its articles, with its counts.

The writer stores a batch in one transaction, then clears it from Redis (the
"writing" lists) and adds its counts to the run's. A writer killed between the
two left the batch in Redis, committed; its successor stored it again, found
every article unchanged, and the run record counted them "unchanged", not
"stored". Now the writer names the batch in Redis (a token) before the commit,
and records that token here in the commit: a successor that finds the token
Redis names recorded here clears the batch with the counts recorded for it,
instead of storing it again (cluster/writer.py).

A token is needed only until its batch's clear is confirmed: the writer clears a
batch before it takes the next one, so each commit forgets the run's earlier
tokens, and the run's end forgets them all. A writer killed and never followed
leaves its last token: forgotten once the run's keys have expired in Redis.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from newscrawl.cluster.keys import KEY_LIFETIME
from newscrawl.database import database_errors
from newscrawl.storage import StorageError

if TYPE_CHECKING:
    from newscrawl.storage import ArticleStore

__all__ = ["AppliedBatch", "WriterBatches"]

# A token older than this names a batch no Redis still holds: the run's keys,
# the batch's name among them, live KEY_LIFETIME after their last write. Twice
# that, so that a clock set wrong by hours or days forgets nothing still needed.
FORGET_AFTER = timedelta(seconds=2 * KEY_LIFETIME)


@dataclass(frozen=True)
class AppliedBatch:
    """What a committed batch adds to its run: per "site<TAB>counter" field of the
    run's counts in Redis, how much; and its articles' outcomes (new, unchanged...)."""

    counts: dict[str, int]
    outcomes: Counter[str]


class WriterBatches:
    """The tokens of run `run`'s batches committed to `store` (see the module's
    docstring). Writes go into the store's open transaction: the caller commits."""

    def __init__(self, store: ArticleStore, run: str) -> None:
        self.store = store
        self.run = run  # the run's Redis key prefix

    def record(self, token: str, batch: AppliedBatch) -> None:
        """Record the batch `token` in the transaction that stores it; the run's
        earlier tokens are forgotten in it (their batches were cleared before this
        one was taken), and tokens too old to be asked for."""
        now = datetime.now(UTC)
        counts = json.dumps({"counts": batch.counts, "outcomes": dict(batch.outcomes)})
        try:
            self.store.connection.execute(
                "DELETE FROM writer_batches WHERE run = ? OR committed_at < ?",
                (self.run, _utc(now - FORGET_AFTER)),
            )
            self.store.connection.execute(
                "INSERT INTO writer_batches (token, run, counts, committed_at) VALUES (?, ?, ?, ?)",
                (token, self.run, counts, _utc(now)),
            )
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.store.path}: {exc}") from None

    def applied(self, token: str) -> AppliedBatch | None:
        """The batch `token` as it was committed; None if it was not."""
        try:
            row = self.store.connection.execute(
                "SELECT counts FROM writer_batches WHERE token = ? AND run = ?",
                (token, self.run),
            ).fetchone()
        except database_errors() as exc:
            raise StorageError(f"cannot read {self.store.path}: {exc}") from None
        if row is None:
            return None
        recorded = json.loads(row[0])
        return AppliedBatch(
            {str(k): int(v) for k, v in recorded["counts"].items()},
            Counter({str(k): int(v) for k, v in recorded["outcomes"].items()}),
        )

    def forget(self) -> None:
        """Forget the run's tokens, in the store's open transaction: its last batch
        is cleared from Redis."""
        try:
            self.store.connection.execute("DELETE FROM writer_batches WHERE run = ?", (self.run,))
        except database_errors() as exc:
            raise StorageError(f"cannot write to {self.store.path}: {exc}") from None


def _utc(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
