"""A cluster worker's own parts: its Redis client, and, in a cluster that keeps
SQLite, what it sends to the run's `newscrawl writer` (articles, URL states, its
counts) and what it learns from it (the URLs earlier runs settled).

One `ClusterWorker` extension per crawl owns the worker's Redis client and the
run's keys; the scheduler, the spider and the pipeline find it with
`ClusterWorker.of(crawler)`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from newscrawl.cluster.keys import ClusterError, RunKeys
from newscrawl.cluster.outbox import Outbox
from newscrawl.cluster.run import (
    configuration_mismatch,
    connect,
    run_configuration,
    run_progress,
)
from newscrawl.config import NewscrawlConfig
from newscrawl.frontier import KnownURL, PendingURL
from newscrawl.items import ArticleItem
from newscrawl.runlog import count_site, site_counts, stop_on_write_error
from newscrawl.urls import without_password
from newscrawl.vocabulary import SENT_TO_WRITER

if TYPE_CHECKING:
    import redis
    from scrapy.crawler import Crawler

__all__ = [
    "ArticleQueuePipeline",
    "ClusterWorker",
    "FromWriter",
    "URLStateRelay",
    "decode_article",
    "encode_article",
    "known_from_writer",
]

logger = logging.getLogger(__name__)


class ClusterWorker:
    """Extension: this process as one worker of a cluster run (NEWSCRAWL_CLUSTER_URL)."""

    def __init__(self, crawler: Crawler) -> None:
        config = NewscrawlConfig.of(crawler)
        if config.cluster_url is None or config.cluster_run is None:
            raise NotConfigured  # off: nothing to log, it is the default
        self.config = config
        self.shard = config.shard
        self.keys = RunKeys.of(config.cluster_run, crawler.spidercls.name)
        self.server = connect(config.cluster_url)  # the worker's one Redis client
        self.outbox: Outbox | None = None
        self.relay: URLStateRelay | None = None
        if config.cluster_writer:
            self.outbox = Outbox(self.server, self.keys, crawler, config.cluster_timeout)
            self.relay = URLStateRelay(self.outbox, self.keys)
        self._join_run(crawler.spider)  # before the crawl writes anything of the run

    def _join_run(self, spider: Any) -> None:
        """ClusterError, and the crawl does not start, if this worker's shard count,
        sites or store differ from those of the run's first worker (which set
        them). A worker started with a new count or sites file beside the run's
        others split the sites wrongly, and every worker exited 0: a site was
        crawled by none, or by two at once."""
        config = self.config
        if config.cluster_writer:
            store = "writer"
        else:
            store = without_password(config.database_url) if config.database_url else ""
        sites = [(site.name, site.entry_urls) for site in getattr(spider, "sites", ())]
        ours = run_configuration(self.shard.count, sites, store)
        try:
            self.server.set(self.keys.configuration, json.dumps(ours), nx=True)
            stored = self.server.get(self.keys.configuration)
        except RedisError as exc:
            # Unreachable, or a user its ACL refuses SET or GET.
            raise ClusterError(f"cannot use the cluster's Redis: {exc}") from None
        try:
            theirs = json.loads(stored) if stored else ours
        except ValueError:
            theirs = {}
        why = configuration_mismatch(theirs if isinstance(theirs, dict) else {}, ours)
        if why:
            raise ClusterError(
                f"cluster run {config.cluster_run}: {why}; start this worker as its"
                " others were, or start a new run (--run)"
            )
        # A run id used again after its run ended (a timer that fired twice in
        # its hour, a retried unit): every seed is in the run's `seen`, so the
        # worker fetched nothing and exited 0 (found by a cluster review).
        try:
            over = run_progress(self.server, self.keys).over
        except RedisError as exc:
            raise ClusterError(f"cannot use the cluster's Redis: {exc}") from None
        if over:
            raise ClusterError(
                f"cluster run {config.cluster_run} is over (its workers closed, nothing"
                " left to do): start a new run (--run)"
            )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterWorker:
        return cls(crawler)

    @classmethod
    def of(cls, crawler: Crawler) -> ClusterWorker:
        worker = crawler.get_extension(cls)
        if worker is None:
            raise RuntimeError("newscrawl.cluster.ClusterExtension is not in EXTENSIONS")
        return worker


def encode_article(item: ArticleItem) -> str:
    # Without the worker's signed copy of the text: it would double the message,
    # and the run's writer signs what it stores itself.
    plain = dataclasses.replace(item, signed=None)
    return json.dumps(dataclasses.asdict(plain), ensure_ascii=False, separators=(",", ":"))


def decode_article(text: str | bytes) -> ArticleItem:
    return ArticleItem(**json.loads(text))


@dataclass
class FromWriter:
    """What the run's writer published of some sites, by site."""

    known: dict[str, dict[str, KnownURL]] = field(default_factory=dict)  # settled URLs
    pending: dict[str, list[PendingURL]] = field(default_factory=dict)  # left to fetch


async def known_from_writer(
    server: redis.Redis, keys: RunKeys, sites: list[str], timeout: float
) -> FromWriter | None:
    """What the run's writer published of `sites`; None if no writer did within
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while server.get(keys.known_ready) is None:
        if time.monotonic() > deadline:
            return None
        await asyncio.sleep(0.25)
    found = FromWriter()
    for site in sites:
        entries = server.hgetall(keys.known(site))
        found.known[site] = {
            (url.decode() if isinstance(url, bytes) else url): KnownURL(*json.loads(value))
            for url, value in entries.items()
        }
        rows = server.lrange(keys.pending(site), 0, -1)
        found.pending[site] = [PendingURL(*json.loads(row)) for row in rows]
    return found


class URLStateRelay:
    """Worker side: what the frontier would record of a tracked URL (found in a
    sitemap or feed, failed, not an article), onto the run's list for the writer.

    While Redis does not answer, the states wait in the worker's outbox with its
    articles (newscrawl/cluster/outbox.py), and the crawl goes on: one blocking
    push per URL of a sitemap blocked the crawl 5 s per URL. A state Redis
    refuses is logged and dropped: it loses no article, only a retry or a skip
    on the next run."""

    def __init__(self, outbox: Outbox, keys: RunKeys) -> None:
        self.outbox = outbox
        self.key = keys.url_states

    def _send(self, *event: str | int | None) -> None:
        self.outbox.send(self.key, "R", json.dumps(event), "a URL's state")

    def add_pending(
        self, site: str, url: str, published: str | None, title: str | None,
        depth: int | None = None,
    ) -> None:  # fmt: skip
        if depth is None:  # four fields, as a writer of before depth reads them
            self._send("pending", site, url, published, title)
        else:
            self._send("pending", site, url, published, title, depth)

    def add_pending_links(self, site: str, links: list[tuple[str, int]]) -> None:
        # One event each, as a writer of any version reads them.
        for url, depth in links:
            self._send("pending", site, url, None, None, depth)

    def mark_failed(self, site: str, url: str, reason: str) -> None:
        self._send("failed", site, url, reason)

    def mark_not_article(self, site: str, url: str, reason: str) -> None:
        self._send("skipped", site, url, reason)

    def mark_read_again(self, site: str, url: str) -> None:
        self._send("read_again", site, url)


class ArticleQueuePipeline:
    """Worker side: each article onto the run's list in Redis (NEWSCRAWL_CLUSTER_WRITER).

    The push happens while Scrapy still holds the page's request, so the request
    is acknowledged only after its article is in Redis. While Redis does not
    answer, the article waits in the worker's outbox, and its item (so its page)
    with it, up to NEWSCRAWL_CLUSTER_TIMEOUT; a Redis that refuses it stops the
    worker at once. Either way the worker's unfinished pages are done again by
    the shard's next worker.
    """

    def __init__(self, crawler: Crawler) -> None:
        if not NewscrawlConfig.of(crawler).cluster_writer:
            raise NotConfigured
        self.crawler = crawler
        self.worker: ClusterWorker | None = None

    def open_spider(self) -> None:
        self.worker = ClusterWorker.of(self.crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleQueuePipeline:
        return cls(crawler)

    async def process_item(self, item: object) -> object:
        if not isinstance(item, ArticleItem):
            return item
        assert self.worker is not None and self.worker.outbox is not None
        try:
            sent = self.worker.outbox.send(
                self.worker.keys.articles, "L", encode_article(item), "an article"
            )
        except RedisError as exc:
            stop_on_write_error(self.crawler, f"could not send an article to the writer: {exc}")
            return item
        if isinstance(sent, Deferred):
            sent = await maybe_deferred_to_future(sent)
        if sent:
            count_site(self.crawler, item.site, SENT_TO_WRITER)
        return item

    def close_spider(self) -> None:
        """Add this worker's per-site counts to the run's, for the writer's run record."""
        import redis

        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        if self.worker is None:
            return
        if self.worker.outbox is not None:
            self.worker.outbox.close()
            if self.worker.outbox.unreachable:
                # A call more would only hold the worker's end back by a socket timeout.
                logger.error(
                    "could not send this worker's counts to the writer: Redis did not answer"
                )
                return
        try:
            with self.worker.server.pipeline(transaction=True) as pipe:
                for site, counts in site_counts(stats).items():
                    for counter, value in counts.items():
                        pipe.hincrby(self.worker.keys.counts, f"{site}\t{counter}", value)
                pipe.execute()
        except redis.RedisError as exc:
            logger.error("could not send this worker's counts to the writer: %s", exc)
