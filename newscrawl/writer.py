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
single crawl does. What this mode still lacks: URLs found but not fetched are
not remembered for the next run (a single crawl's "pending" state).
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
from newscrawl.frontier import Frontier, KnownURL
from newscrawl.items import ArticleItem
from newscrawl.storage import ArticleStore

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler

    from newscrawl.cleaning import TextCleaner

__all__ = ["ArticleQueuePipeline", "WriterReport", "decode_article", "encode_article", "write_run"]

logger = logging.getLogger(__name__)


def encode_article(item: ArticleItem) -> str:
    return json.dumps(dataclasses.asdict(item), ensure_ascii=False, separators=(",", ":"))


def decode_article(text: str | bytes) -> ArticleItem:
    return ArticleItem(**json.loads(text))


def articles_key(prefix: str) -> str:
    return f"{prefix}:articles"


def publish_known(server: redis.Redis, prefix: str, frontier: Frontier) -> int:
    """Every site's settled URLs, from the writer's store into the run's keys; then
    the flag workers wait for. Returns how many URLs."""
    sites = [site for (site,) in frontier.db.execute("SELECT DISTINCT site FROM urls")]
    published = 0
    for site in sites:
        known = frontier.known_articles(site)
        key = f"{prefix}:known:{site}"
        with server.pipeline(transaction=False) as pipe:
            pipe.delete(key)
            for url, entry in known.items():
                pipe.hset(key, url, json.dumps(dataclasses.astuple(entry)))
            pipe.execute()
        published += len(known)
    server.set(f"{prefix}:known-ready", published)
    return published


async def known_from_writer(
    server: redis.Redis, prefix: str, sites: list[str], timeout: float
) -> dict[str, dict[str, KnownURL]] | None:
    """What the run's writer published of `sites`; None if no writer did within
    `timeout` seconds."""
    import asyncio

    deadline = time.monotonic() + timeout
    while server.get(f"{prefix}:known-ready") is None:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.25)
    known: dict[str, dict[str, KnownURL]] = {}
    for site in sites:
        entries = server.hgetall(f"{prefix}:known:{site}")
        known[site] = {
            (url.decode() if isinstance(url, bytes) else url): KnownURL(*json.loads(value))
            for url, value in entries.items()
        }
    return known


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
    frontier = Frontier(store)
    report = WriterReport()
    stored_counts: dict[str, Counter[str]] = defaultdict(Counter)
    # A writer killed before its last commit left those articles here.
    while server.lmove(writing, queue, "LEFT", "RIGHT") is not None:
        pass
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
            store.commit()
            server.delete(writing)
        if raw is None:
            if run_progress(server, prefix).over:
                break
            time.sleep(poll)
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
