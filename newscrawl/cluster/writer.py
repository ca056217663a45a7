"""A cluster that keeps SQLite: the run's `newscrawl writer`.

Workers started with `--writer` push each article (as JSON) onto the run's
list in Redis instead of writing a database, and their per-site counts when
they close (newscrawl/cluster/worker.py). `newscrawl writer` moves articles one
at a time from that list to its own "writing" list, upserts them into SQLite
(article and URL state in one transaction, as a crawl does), and empties
"writing" after each commit: a writer killed mid-batch finds its uncommitted
articles there on restart. One killed between a commit and that emptying left
the batch's token in the store (cluster/writerbatches.py): its successor clears
the batch rather than storing it again. It stops when the run is over (every
worker that started has closed, every queue and the article list are empty),
re-cleans the sites it stored against their final boilerplate model, and
records the run with the workers' counts. A run has one writer (cluster/writerlock.py). A Redis that
cannot be reached is waited for, as the workers wait (cluster/outage.py): the
batch not yet committed is dropped and taken again once Redis is back.

Workers have no store to ask which articles earlier runs stored: the writer
tells them. Before it stores anything, it publishes the settled URLs of every
site in its database to the run's keys in Redis, and workers read their sites'
from there before they send their seeds (waiting up to NEWSCRAWL_CLUSTER_TIMEOUT
for a writer to start), so a scheduled run fetches only new articles, as a
single crawl does.

What else a single crawl's frontier records goes the same way: workers send
each tracked URL's state (found in a sitemap or feed, failed, not an article)
onto the run's "urlstates" list, the writer records them with the articles,
and publishes each site's pending and failed URLs with the settled ones, so a
run that was stopped, or whose pages failed, is finished by the next.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from newscrawl.cleaning.fragments import PatternTimeouts
from newscrawl.cluster.keys import RunKeys
from newscrawl.cluster.outage import Patience
from newscrawl.cluster.run import RunProgress, run_progress
from newscrawl.cluster.worker import decode_article
from newscrawl.cluster.writerbatches import AppliedBatch, WriterBatches
from newscrawl.cluster.writerlock import WriterLock, as_text, describe, run_stored
from newscrawl.frontier import Frontier, counted_as
from newscrawl.reclean import reclean, warn_of_timeouts
from newscrawl.storage import ArticleStore, StorageError
from newscrawl.vocabulary import CLUSTER_INCOMPLETE, FINISHED

if TYPE_CHECKING:
    import redis

    from newscrawl.cleaning import TextCleaner

__all__ = ["WriterReport", "publish_known", "record_url_state", "write_run"]

logger = logging.getLogger(__name__)

_T = TypeVar("_T")


def publish_known(server: redis.Redis, keys: RunKeys, frontier: Frontier) -> int:
    """Every site's settled URLs, and those left to fetch (pending, or failed fewer
    than MAX_ATTEMPTS times), from the writer's store into the run's keys; then the
    flag workers wait for. Returns how many URLs."""
    sites = [site for (site,) in frontier.db.execute("SELECT DISTINCT site FROM urls")]
    published = 0
    for site in sites:
        known = frontier.known_articles(site)
        pending = frontier.pending(site)
        key, pending_key = keys.known(site), keys.pending(site)
        with server.pipeline(transaction=False) as pipe:
            pipe.delete(key, pending_key)
            for url, entry in known.items():
                pipe.hset(key, url, json.dumps(dataclasses.astuple(entry)))
            for row in pending:
                pipe.rpush(pending_key, json.dumps(dataclasses.astuple(row)))
            pipe.execute()
        published += len(known) + len(pending)
    server.set(keys.known_ready, published)
    return published


def record_url_state(frontier: Frontier, event: str | bytes) -> None:
    """Record in `frontier` one state a URLStateRelay sent."""
    kind, site, url, *details = json.loads(event)
    if kind == "pending":
        frontier.add_pending(site, url, *details)
    elif kind == "failed":
        frontier.mark_failed(site, url, *details)
    elif kind == "skipped":
        frontier.mark_not_article(site, url, *details)
    elif kind == "read_again":
        frontier.mark_read_again(site, url, *details)
    else:
        logger.error("unknown URL state %r from a worker, ignored", kind)


# What reading a worker's message raises when it is none this writer can read:
# not JSON, fields of another version (TypeError), text SQLite cannot encode.
_UNREADABLE = (ValueError, TypeError, KeyError, AttributeError)


@dataclass
class WriterReport:
    outcomes: Counter[str] = field(default_factory=Counter)  # new / changed / unchanged
    recleaned: int = 0
    run_id: int | None = None
    rejected: int = 0  # messages set aside (keys.rejected)
    # The run was given up after `wait` seconds with no worker at work and shards
    # without one: how many shards the run had (0: no worker ever started), how
    # many of them had sent their seeds, and the shards whose worker was gone
    # with pages left (killed, or cut off from Redis).
    abandoned: tuple[int, int, list[int]] | None = None


def write_run(
    server: redis.Redis,
    run: str,
    store: ArticleStore,
    cleaner_for: Callable[[str | None], TextCleaner],
    spider: str = "news",
    poll: float = 0.5,
    commit_every: int = 100,
    wait: float = 600.0,
    lock: WriterLock | None = None,
    timeout: float = 60.0,
) -> WriterReport:
    """Store the run's articles from Redis into `store` until the run is over, or
    until no worker has been at work for `wait` seconds while shards have none
    (none started, or those that did gave up on the others): the run is then
    recorded as incomplete (`report.abandoned`). Without that bound a writer
    whose run never got its workers (a typo in --run, their machine down) waited
    for ever, its run never recorded (found by a cluster review).

    `lock`: the run's writer lock, taken by the caller (else taken here, and
    WriterBusy raised if another writer holds it, RunStored if a writer stored
    the run already); WriterLockLost if another writer takes the run meanwhile
    (cluster/writerlock.py).

    A Redis that cannot be reached is waited for up to `timeout` seconds (as the
    workers' NEWSCRAWL_CLUSTER_TIMEOUT), then RedisLost; one that answers with an
    error raises that RedisError at once (cluster/outage.py)."""
    keys = RunKeys.of(run, spider)
    own_lock = lock is None
    if lock is None:
        lock = WriterLock.acquire(server, keys)
    try:
        return _write_run(
            server, keys, lock, store, cleaner_for, spider, poll, commit_every, wait, timeout
        )
    finally:
        if own_lock:
            lock.release()


def _write_run(
    server: redis.Redis,
    keys: RunKeys,
    lock: WriterLock,
    store: ArticleStore,
    cleaner_for: Callable[[str | None], TextCleaner],
    spider: str,
    poll: float,
    commit_every: int,
    wait: float,
    timeout: float,
) -> WriterReport:
    # The writer retries whole batches itself (_Batches.recover): redis-py's own
    # retry would send a take again whose answer was lost, the first message left
    # in "writing" unseen, and deleted with the batch at its commit.
    server.set_retry(Retry(NoBackoff(), 0))
    batches = _Batches(server, keys, lock, store, commit_every)
    patience = Patience(timeout)

    def patiently(action: Callable[[], _T]) -> _T:
        """`action()`, again after each outage of Redis shorter than `timeout`;
        what the failed try did since the last commit is undone first."""
        while True:
            try:
                if batches.broken:
                    batches.recover()
                result = action()
            except RedisError as exc:
                patience.failed(exc)  # raised again if no outage, or too long
                batches.broken = True
                time.sleep(min(1.0, max(poll, 0.1)))
                continue
            patience.ok()
            return result

    patiently(lambda: _settle_an_earlier_record(server, keys, lock, batches.frontier, store))
    patiently(batches.start)
    unattended_since: float | None = None  # since when no worker was at work
    while True:
        progress = patiently(batches.step)
        if progress is None:
            continue  # an article taken: the next
        if progress.over or _done_without_a_close(progress):
            break
        if any(progress.alive):
            unattended_since = None  # a worker is at work
        elif unattended_since is None:
            unattended_since = time.monotonic()
        elif time.monotonic() - unattended_since >= wait:
            batches.report.abandoned = (progress.shards, progress.seeded, _gone(progress))
            break
        time.sleep(poll)
    patiently(batches.commit)  # states sent between the last commit and the end of the run
    # Its clear is confirmed: the run's batch tokens are needed no more (forgotten
    # in the transaction of the re-clean's first rows, or the run record's start).
    batches.tokens.forget()
    # The workers' counts and every writer's committed ones (_Batches._clear): a
    # writer restarted mid-run recorded only its own, "43 stored" of 180.
    counts = patiently(lambda: _worker_counts(server, keys))
    report = batches.report
    report.recleaned = reclean(
        store, cleaner_for, sorted(counts), stale_only=True,
        timed_out=warn_of_timeouts(PatternTimeouts(), logger.warning),
    )  # fmt: skip
    frontier = batches.frontier
    report.run_id = frontier.start_run(spider)
    # Said before the record is written: a writer that died between the record and
    # the "stored" mark below let its successor record the run twice (found by a
    # cluster review); the successor now looks the record up (_settle_an_earlier_record).
    reason = FINISHED if report.abandoned is None else CLUSTER_INCOMPLETE
    if report.abandoned is None:  # a run given up may still get its late workers
        marked = f"{_store_path(store)}\t{report.run_id}"
        try:
            patiently(lambda: lock.call("stored", (keys.recording,), marked))
        except BaseException:
            # Unmarked, the record would stay unfinished beside the one the next
            # writer makes (it looks only for a marked one): not made, then. A
            # store that fails here too keeps it; the error to tell is Redis's.
            with contextlib.suppress(StorageError):
                frontier.drop_run(report.run_id)
            raise
    frontier.finish_run(report.run_id, reason, {s: dict(c) for s, c in counts.items()})
    if report.abandoned is None:
        # A writer started again on the run (a timer firing twice) recorded it a
        # second time, the workers' counts with it: refused from now on
        # (writerlock.RunStored). A run given up may still get its late workers.
        where = f"{describe(lock.token)}, run record {report.run_id} in {store.path}"
        patiently(lambda: lock.call("stored", (keys.stored,), where))
    return report


def _settle_an_earlier_record(
    server: redis.Redis, keys: RunKeys, lock: WriterLock, frontier: Frontier, store: ArticleStore
) -> None:
    """A writer that was recording the run into this store when it stopped: if its
    record is there, finished, the run is stored (RunStored, and marked so); one it
    did not finish is deleted, and this writer records the run."""
    marked = server.get(keys.recording)
    if marked is None:
        return
    path, _, run_id = as_text(marked).rpartition("\t")
    if path != _store_path(store) or not run_id.isdigit():
        return  # another store's record: nothing to look up here
    record = frontier.run_record(int(run_id))
    if record is None:
        return
    ended, reason = record
    if ended and reason == FINISHED:
        where = f"run record {run_id} in {store.path}, by a writer that stopped right after it"
        lock.call("stored", (keys.stored,), where)
        raise run_stored(keys, where)
    if not ended:
        frontier.drop_run(int(run_id))


def _store_path(store: ArticleStore) -> str:
    """The store's file, however --db spelled it (news.sqlite, ./news.sqlite, its
    absolute path): a writer restarted with another spelling is the same store."""
    return str(Path(store.path).resolve())


# A worker is at work while its heartbeat lasts (keys.alive, refreshed by its
# scheduler): one killed, or stopped without Redis, never closed its shard, and its
# requests in flight stayed there, so that the writer, which waited while any shard
# had work or a worker had not closed, waited for ever (found by a cluster review).


def _gone(progress: RunProgress) -> list[int]:
    """The shards whose worker took pages and is gone (its heartbeat too) before
    it finished them. (Pages only queued for a shard may be another shard's
    links for a worker that never started.)"""
    return [
        index
        for index, (in_flight, alive) in enumerate(
            zip(progress.in_flight, progress.alive, strict=True)
        )
        if in_flight and not alive
    ]


def _done_without_a_close(progress: RunProgress) -> bool:
    """Every shard seeded, nothing left anywhere and no worker alive: the run's work
    is done, though a worker was killed (or lost Redis) after its last page
    instead of closing."""
    return (
        progress.shards > 0
        and progress.seeded >= progress.shards
        and progress.idle
        and not progress.for_writer
        and not any(progress.alive)
    )


class _Batches:
    """The writer's work on the run's lists and its store, one batch at a time: a
    batch is taken into the "writing" lists, written, committed, and the lists
    emptied. After an outage of Redis (`broken`), `recover` puts things back as
    they were at the last commit, so that nothing is lost or counted twice."""

    def __init__(
        self,
        server: redis.Redis,
        keys: RunKeys,
        lock: WriterLock,
        store: ArticleStore,
        commit_every: int,
    ) -> None:
        self.server, self.keys, self.lock, self.store = server, keys, lock, store
        self.commit_every = commit_every
        self.frontier = Frontier(store)
        self.report = WriterReport()
        # The batch's counts, added to the report's and the run's once it is committed.
        self.outcomes: Counter[str] = Counter()
        self.batch_counts: dict[str, Counter[str]] = defaultdict(Counter)
        # Rows counted stored from another page's claim (frontier.counted_as).
        self.claimed_rows: set[str] = set()
        self.taken = 0  # messages taken into the "writing" lists since the last commit
        self.tokens = WriterBatches(store, keys.prefix)
        self.broken = False  # a call to Redis failed since the last commit or recovery
        self.committed_not_cleared = False  # the store committed, "writing" not yet emptied

    def start(self) -> None:
        """A writer killed between a commit and its clear left a batch committed in
        the "writing" lists: cleared, its counts added. One killed before its commit
        left articles and states there: back to their queues. Then what the store
        knows, for the workers. Every change to the run's lists goes through the
        lock (cluster/writerlock.py): a writer that lost the run to another must
        not touch that one's batch."""
        self._clear_a_committed_batch()
        self._restore()
        publish_known(self.server, self.keys, self.frontier)

    def _clear_a_committed_batch(self) -> None:
        """The batch in "writing", if this store committed it (its token recorded):
        cleared, with the counts recorded for it. Stored again, its articles were
        all "unchanged", and the run record lost their "stored" counts
        (cluster/writerbatches.py)."""
        token = self.server.get(self.keys.writing_batch)
        applied = None if token is None else self.tokens.applied(as_text(token))
        if applied is None:
            return
        logger.info("the batch a writer committed before it stopped is cleared from Redis")
        for field_name, value in applied.counts.items():
            site, _, counter = field_name.partition("\t")
            self.batch_counts[site][counter] += value
        self.report.outcomes.update(applied.outcomes)
        self.committed_not_cleared = True
        self._clear()

    def step(self) -> RunProgress | None:
        """Store one article, committing the batch when it is full; with none
        waiting, commit and return the run's progress."""
        keys = self.keys
        raw = self.lock.call("take", (keys.articles, keys.articles_writing), "RIGHT", "LEFT")
        if raw is not None:
            self.taken += 1
            self._store(raw)
            if self.store.pending >= self.commit_every:
                self.commit()
            return None
        self.commit()
        return run_progress(self.server, keys)

    def _store(self, raw: bytes) -> None:
        try:
            item = decode_article(raw)
            outcome = self.frontier.store_article(item)
        except _UNREADABLE as exc:
            self._set_aside(raw, exc)  # with its removal from "writing", in one script
            return
        if item.site:
            # As a crawl's store pipeline counts: an article another site's row
            # holds is not stored (a loss: cli/crawling.py's losses).
            self.batch_counts[item.site][counted_as(item, outcome, self.claimed_rows)] += 1
        self.outcomes[outcome] += 1

    def _set_aside(self, message: bytes | str, exc: Exception) -> None:
        """A message that cannot be read (not JSON, a field of another newscrawl
        version, text no store takes) stopped the writer, and every restart died
        on it again: it goes to the run's `rejected` list, counted."""
        keys = self.keys
        logger.warning("a message from a worker could not be read (%s: %s): set aside in %s",
                       type(exc).__name__, exc, keys.rejected)  # fmt: skip
        self.lock.call("set_aside", (keys.rejected, keys.articles_writing), message)
        self.report.rejected += 1

    def commit(self) -> None:
        keys = self.keys
        states = (keys.url_states, keys.url_states_writing)
        # The frontier never undoes an article's "done", whatever the order.
        while (event := self.lock.call("take", states, "LEFT", "RIGHT")) is not None:
            self.taken += 1
            try:
                record_url_state(self.frontier, event)
            except _UNREADABLE as exc:
                self._set_aside(event, exc)
        if self.taken:
            # Named in Redis before the commit, recorded in it: a successor finding
            # the name recorded knows the batch is stored (_clear_a_committed_batch).
            # Through the lock: a writer that lost the run commits nothing.
            token = uuid.uuid4().hex
            self.lock.call("seal", (keys.writing_batch,), token)
            self.tokens.record(token, AppliedBatch(self._count_fields(), self.outcomes))
        else:
            self.lock.call("refresh", ())  # a writer that lost the run commits nothing
        self.store.commit()
        self.committed_not_cleared = True
        self.report.outcomes.update(self.outcomes)
        self._clear()

    def recover(self) -> None:
        """After an outage: a batch committed is cleared from Redis; one not
        committed is dropped from the store and put back in the queues, whatever
        Redis did of the calls whose answer was lost."""
        if self.committed_not_cleared:
            self._clear()
        else:
            self.store.rollback()
            self._forget_batch()
            self._restore()
        self.broken = False

    def _clear(self) -> None:
        """Empty the "writing" lists of the batch committed, and add its counts to the
        run's in Redis in the same step: they outlive this writer."""
        keys = self.keys
        counts = [part for item in self._count_fields().items() for part in item]
        lists = (keys.articles_writing, keys.url_states_writing, keys.counts, keys.writing_batch)
        self.lock.call("clear", lists, *counts)
        self.committed_not_cleared = False
        self._forget_batch()

    def _count_fields(self) -> dict[str, int]:
        """The batch's counts as the run's counts in Redis hold them."""
        return {
            f"{site}\t{counter}": value
            for site, outcomes in self.batch_counts.items()
            for counter, value in outcomes.items()
        }

    def _restore(self) -> None:
        keys = self.keys
        for taken, waiting in (
            (keys.articles_writing, keys.articles),
            (keys.url_states_writing, keys.url_states),
        ):
            self.lock.call("restore", (taken, waiting))

    def _forget_batch(self) -> None:
        self.outcomes = Counter()
        self.batch_counts = defaultdict(Counter)
        self.taken = 0


def _worker_counts(server: redis.Redis, keys: RunKeys) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for key, value in server.hgetall(keys.counts).items():
        name = key.decode("utf-8") if isinstance(key, bytes) else str(key)
        site, _, counter = name.partition("\t")
        counts[site][counter] += int(value)
    return counts
