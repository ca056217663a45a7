"""A cluster that keeps SQLite: the run's `newscrawl writer`.

Workers started with `--writer` push each article (as JSON) onto the run's
list in Redis instead of writing a database, and their per-site counts when
they close (newscrawl/cluster/worker.py). `newscrawl writer` moves articles one
at a time from that list to its own "writing" list, upserts them into SQLite
(article and URL state in one transaction, as a crawl does), and empties
"writing" after each commit: a writer killed mid-batch finds its uncommitted
articles there on restart. It stops when the run is over (every worker that
started has closed, every queue and the article list are empty), re-cleans the
sites it stored against their final boilerplate model, and records the run with
the workers' counts.

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

import dataclasses
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from newscrawl.cleaning.fragments import PatternTimeouts
from newscrawl.cluster.keys import RunKeys
from newscrawl.cluster.run import run_progress
from newscrawl.cluster.worker import decode_article
from newscrawl.cluster.writerlock import WriterLock
from newscrawl.frontier import Frontier
from newscrawl.reclean import reclean, warn_of_timeouts
from newscrawl.storage import OTHER_SITE, SHRUNK, ArticleStore
from newscrawl.vocabulary import CLUSTER_INCOMPLETE, FINISHED, STORED, UNCHANGED

if TYPE_CHECKING:
    import redis

    from newscrawl.cleaning import TextCleaner

__all__ = ["WriterReport", "publish_known", "record_url_state", "write_run"]

logger = logging.getLogger(__name__)


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
    # without one: how many shards the run had (0: no worker ever started), and
    # how many of them had sent their seeds.
    abandoned: tuple[int, int] | None = None


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
) -> WriterReport:
    """Store the run's articles from Redis into `store` until the run is over, or
    until no worker has been at work for `wait` seconds while shards have none
    (none started, or those that did gave up on the others): the run is then
    recorded as incomplete (`report.abandoned`). Without that bound a writer
    whose run never got its workers (a typo in --run, their machine down) waited
    for ever, its run never recorded (found by a cluster review).

    `lock`: the run's writer lock, taken by the caller (else taken here, and
    WriterBusy raised if another writer holds it); WriterLockLost if another
    writer takes the run meanwhile (cluster/writerlock.py)."""
    keys = RunKeys.of(run, spider)
    own_lock = lock is None
    if lock is None:
        lock = WriterLock.acquire(server, keys)
    try:
        return _write_run(server, keys, lock, store, cleaner_for, spider, poll, commit_every, wait)
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
) -> WriterReport:
    queue, writing = keys.articles, keys.articles_writing
    states, states_writing = keys.url_states, keys.url_states_writing
    frontier = Frontier(store)
    report = WriterReport()
    stored_counts: dict[str, Counter[str]] = defaultdict(Counter)
    # A writer killed before its last commit left those articles and states here.
    # Every change to the run's lists goes through the lock (cluster/writerlock.py):
    # a writer that lost the run to another must not touch that one's batch.
    for taken, waiting in ((writing, queue), (states_writing, states)):
        lock.call("restore", (taken, waiting))

    def set_aside(message: bytes | str, exc: Exception) -> None:
        """A message that cannot be read (not JSON, a field of another newscrawl
        version, text no store takes) stopped the writer, and every restart died
        on it again: it goes to the run's `rejected` list, counted."""
        logger.warning("a message from a worker could not be read (%s: %s): set aside in %s",
                       type(exc).__name__, exc, keys.rejected)  # fmt: skip
        lock.call("set_aside", (keys.rejected, writing), message)
        report.rejected += 1

    def commit() -> None:
        # The frontier never undoes an article's "done", whatever the order.
        while (event := lock.call("take", (states, states_writing), "LEFT", "RIGHT")) is not None:
            try:
                record_url_state(frontier, event)
            except _UNREADABLE as exc:
                set_aside(event, exc)
        lock.call("refresh", ())  # a writer that lost the run commits nothing
        store.commit()
        lock.call("clear", (writing, states_writing))

    publish_known(server, keys, frontier)
    unattended_since: float | None = None  # since when no worker was at work
    while True:
        raw = lock.call("take", (queue, writing), "RIGHT", "LEFT")
        if raw is not None:
            try:
                item = decode_article(raw)
                outcome = frontier.store_article(item)
            except _UNREADABLE as exc:
                set_aside(raw, exc)  # with its removal from "writing", in one script
                continue
            if item.site:
                # As a crawl's store pipeline counts: an article another site's row
                # holds is not stored (a loss: cli/crawling.py's losses).
                counter = outcome if outcome in (UNCHANGED, OTHER_SITE, SHRUNK) else STORED
                stored_counts[item.site][counter] += 1
            report.outcomes[outcome] += 1
        if raw is None or store.pending >= commit_every:
            commit()
        if raw is None:
            progress = run_progress(server, keys)
            if progress.over:
                break
            if not (progress.idle and progress.closed >= progress.seeded):
                unattended_since = None  # a worker is at work, or has work left
            elif unattended_since is None:
                unattended_since = time.monotonic()
            elif time.monotonic() - unattended_since >= wait:
                report.abandoned = (progress.shards, progress.seeded)
                break
            time.sleep(poll)
    commit()  # states sent between the last commit and the end of the run
    counts = _worker_counts(server, keys)
    for site, outcomes in stored_counts.items():
        counts[site].update(outcomes)
    report.recleaned = reclean(
        store, cleaner_for, sorted(counts), stale_only=True,
        timed_out=warn_of_timeouts(PatternTimeouts(), logger.warning),
    )  # fmt: skip
    report.run_id = frontier.start_run(spider)
    reason = FINISHED if report.abandoned is None else CLUSTER_INCOMPLETE
    frontier.finish_run(report.run_id, reason, {s: dict(c) for s, c in counts.items()})
    return report


def _worker_counts(server: redis.Redis, keys: RunKeys) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for key, value in server.hgetall(keys.counts).items():
        name = key.decode("utf-8") if isinstance(key, bytes) else str(key)
        site, _, counter = name.partition("\t")
        counts[site][counter] += int(value)
    return counts
