"""A cluster that keeps SQLite: workers send articles through Redis, one writer stores them.

Workers started with `--writer` push each article (as JSON) onto the run's
list in Redis instead of writing a database, and their per-site counts when
they close. `newscrawl writer` moves articles one at a time from that list to
its own "writing" list, upserts them into SQLite (article and URL state in one
transaction, as a crawl does), and empties "writing" after each commit: a
writer killed mid-batch finds its uncommitted articles there on restart. It
stops when the run is over (every worker that started has closed, every
queue and the article list are empty), re-cleans the sites it stored against
their final boilerplate model, and records the run with the workers' counts.

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

from scrapy.exceptions import NotConfigured

from newscrawl.cluster import connect, parse_run_id, run_prefix, run_progress
from newscrawl.crawlstore import site_counts, stop_on_write_error
from newscrawl.frontier import Frontier, KnownURL, PendingURL
from newscrawl.items import ArticleItem
from newscrawl.storage import ArticleStore

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler

    from newscrawl.cleaning import TextCleaner

__all__ = [
    "ArticleQueuePipeline",
    "FromWriter",
    "URLStateRelay",
    "WriterReport",
    "decode_article",
    "encode_article",
    "write_run",
]

logger = logging.getLogger(__name__)


def encode_article(item: ArticleItem) -> str:
    return json.dumps(dataclasses.asdict(item), ensure_ascii=False, separators=(",", ":"))


def decode_article(text: str | bytes) -> ArticleItem:
    return ArticleItem(**json.loads(text))


def articles_key(prefix: str) -> str:
    return f"{prefix}:articles"


def url_states_key(prefix: str) -> str:
    return f"{prefix}:urlstates"


def publish_known(server: redis.Redis, prefix: str, frontier: Frontier) -> int:
    """Every site's settled URLs, and those left to fetch (pending, or failed fewer
    than MAX_ATTEMPTS times), from the writer's store into the run's keys; then the
    flag workers wait for. Returns how many URLs."""
    sites = [site for (site,) in frontier.db.execute("SELECT DISTINCT site FROM urls")]
    published = 0
    for site in sites:
        known = frontier.known_articles(site)
        pending = frontier.pending(site)
        key, pending_key = f"{prefix}:known:{site}", f"{prefix}:pending:{site}"
        with server.pipeline(transaction=False) as pipe:
            pipe.delete(key, pending_key)
            for url, entry in known.items():
                pipe.hset(key, url, json.dumps(dataclasses.astuple(entry)))
            for row in pending:
                pipe.rpush(pending_key, json.dumps(dataclasses.astuple(row)))
            pipe.execute()
        published += len(known) + len(pending)
    server.set(f"{prefix}:known-ready", published)
    return published


@dataclass
class FromWriter:
    """What the run's writer published of some sites, by site."""

    known: dict[str, dict[str, KnownURL]] = field(default_factory=dict)  # settled URLs
    pending: dict[str, list[PendingURL]] = field(default_factory=dict)  # left to fetch


async def known_from_writer(
    server: redis.Redis, prefix: str, sites: list[str], timeout: float
) -> FromWriter | None:
    """What the run's writer published of `sites`; None if no writer did within
    `timeout` seconds."""
    import asyncio

    deadline = time.monotonic() + timeout
    while server.get(f"{prefix}:known-ready") is None:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.25)
    found = FromWriter()
    for site in sites:
        entries = server.hgetall(f"{prefix}:known:{site}")
        found.known[site] = {
            (url.decode() if isinstance(url, bytes) else url): KnownURL(*json.loads(value))
            for url, value in entries.items()
        }
        rows = server.lrange(f"{prefix}:pending:{site}", 0, -1)
        found.pending[site] = [PendingURL(*json.loads(row)) for row in rows]
    return found


class URLStateRelay:
    """Worker side: what the frontier would record of a tracked URL (found in a
    sitemap or feed, failed, not an article), onto the run's list for the writer.

    Losing one of these loses no article, only a retry or a skip on the next
    run, so a Redis error is logged and the crawl goes on (a Redis that stays
    down stops the worker through its scheduler anyway)."""

    def __init__(self, server: redis.Redis, prefix: str) -> None:
        self.server = server
        self.key = url_states_key(prefix)

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> URLStateRelay:
        settings = crawler.settings
        run = parse_run_id(settings.get("NEWSCRAWL_CLUSTER_RUN", ""))
        server = connect(settings.get("NEWSCRAWL_CLUSTER_URL", ""))
        return cls(server, run_prefix(run, crawler.spidercls.name))

    def _send(self, *event: str | None) -> None:
        import redis

        try:
            self.server.rpush(self.key, json.dumps(event))
        except redis.RedisError as exc:
            logger.error("could not send a URL's state to the writer: %s", exc)

    def add_pending(self, site: str, url: str, published: str | None, title: str | None) -> None:
        self._send("pending", site, url, published, title)

    def mark_failed(self, site: str, url: str, reason: str) -> None:
        self._send("failed", site, url, reason)

    def mark_not_article(self, site: str, url: str, reason: str) -> None:
        self._send("skipped", site, url, reason)


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


class ArticleQueuePipeline:
    """Worker side: each article onto the run's list in Redis (NEWSCRAWL_CLUSTER_WRITER).

    The push happens while Scrapy still holds the page's request, so the request
    is acknowledged only after its article is in Redis. A push that fails stops
    the worker, and its requests in flight are done again by the next one.
    """

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("NEWSCRAWL_CLUSTER_WRITER"):
            raise NotConfigured
        self.crawler = crawler
        self.server = connect(settings.get("NEWSCRAWL_CLUSTER_URL", ""))
        run = parse_run_id(settings.get("NEWSCRAWL_CLUSTER_RUN", ""))
        self.prefix = run_prefix(run, crawler.spidercls.name)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleQueuePipeline:
        return cls(crawler)

    def process_item(self, item: object) -> object:
        if not isinstance(item, ArticleItem):
            return item
        import redis

        try:
            self.server.lpush(articles_key(self.prefix), encode_article(item))
        except redis.RedisError as exc:
            stop_on_write_error(self.crawler, f"could not send an article to the writer: {exc}")
        return item

    def close_spider(self) -> None:
        """Add this worker's per-site counts to the run's, for the writer's run record."""
        import redis

        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        try:
            with self.server.pipeline(transaction=True) as pipe:
                for site, counts in site_counts(stats).items():
                    for counter, value in counts.items():
                        pipe.hincrby(f"{self.prefix}:counts", f"{site}\t{counter}", value)
                pipe.execute()
        except redis.RedisError as exc:
            logger.error("could not send this worker's counts to the writer: %s", exc)


@dataclass
class WriterReport:
    outcomes: Counter[str] = field(default_factory=Counter)  # new / changed / unchanged
    recleaned: int = 0
    run_id: int | None = None


def write_run(
    server: redis.Redis,
    run: str,
    store: ArticleStore,
    cleaner_for: Callable[[str | None], TextCleaner],
    spider: str = "news",
    poll: float = 0.5,
    commit_every: int = 100,
) -> WriterReport:
    """Store the run's articles from Redis into `store` until the run is over."""
    prefix = run_prefix(run, spider)
    queue, writing = articles_key(prefix), f"{prefix}:articles:writing"
    states = url_states_key(prefix)
    states_writing = f"{states}:writing"
    frontier = Frontier(store)
    report = WriterReport()
    stored_counts: dict[str, Counter[str]] = defaultdict(Counter)
    # A writer killed before its last commit left those articles and states here.
    for taken, waiting in ((writing, queue), (states_writing, states)):
        while server.lmove(taken, waiting, "LEFT", "RIGHT") is not None:
            pass

    def commit() -> None:
        # The frontier never undoes an article's "done", whatever the order.
        while (event := server.lmove(states, states_writing, "LEFT", "RIGHT")) is not None:
            record_url_state(frontier, event)
        store.commit()
        server.delete(writing, states_writing)

    publish_known(server, prefix, frontier)
    while True:
        raw = server.lmove(queue, writing, "RIGHT", "LEFT")
        if raw is not None:
            item = decode_article(raw)
            outcome = frontier.store_article(item)
            if item.site:
                stored_counts[item.site]["unchanged" if outcome == "unchanged" else "stored"] += 1
            report.outcomes[outcome] += 1
        if raw is None or store.pending >= commit_every:
            commit()
        if raw is None:
            if run_progress(server, prefix).over:
                break
            time.sleep(poll)
    commit()  # states sent between the last commit and the end of the run
    counts = _worker_counts(server, prefix)
    for site, outcomes in stored_counts.items():
        counts[site].update(outcomes)
    report.recleaned = store.reclean(cleaner_for, sorted(counts), stale_only=True)
    report.run_id = frontier.start_run(spider)
    frontier.finish_run(report.run_id, "finished", {s: dict(c) for s, c in counts.items()})
    return report


def _worker_counts(server: redis.Redis, prefix: str) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for key, value in server.hgetall(f"{prefix}:counts").items():
        name = key.decode("utf-8") if isinstance(key, bytes) else str(key)
        site, _, counter = name.partition("\t")
        counts[site][counter] += int(value)
    return counts
