"""A cluster run as a whole: reaching its Redis, reading where it stands, and
the settings that make a crawl one of its workers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newscrawl.cluster.keys import ClusterError, RunKeys, Shard, parse_run_id
from newscrawl.urls import without_password

if TYPE_CHECKING:
    import redis

__all__ = ["RunProgress", "check_cluster", "cluster_settings", "connect", "run_progress"]


def connect(url: str) -> redis.Redis:
    """A client of the cluster's Redis, checked with a PING; ClusterError if it fails."""
    import redis

    shown = without_password(url)
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ClusterError(f"cluster: expected a redis:// URL, got {shown!r}")
    try:
        # Calls block the event loop: a Redis that stops answering must not hang it.
        server = redis.Redis.from_url(
            url, socket_connect_timeout=10, socket_timeout=5, health_check_interval=30
        )
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise ClusterError(f"cannot reach the cluster's Redis at {shown}: {exc}") from None
    return server


@dataclass(frozen=True)
class RunProgress:
    """Where a cluster run stands, read from its Redis keys."""

    shards: int  # 0: no worker has started
    queued: list[int]  # requests waiting, per shard
    in_flight: list[int]  # requests taken by a worker and not finished, per shard
    seen: int  # distinct requests the run has queued
    seeded: int  # workers that have sent their seeds
    closed: int  # workers that have stopped
    for_writer: int  # articles waiting for `newscrawl writer`

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing in flight, on any shard."""
        return not any(self.queued) and not any(self.in_flight)

    @property
    def over(self) -> bool:
        return (
            self.shards > 0
            and self.closed >= self.seeded >= self.shards
            and self.idle
            and not self.for_writer
        )


def run_progress(server: redis.Redis, keys: RunKeys, shards: int | None = None) -> RunProgress:
    """The run's counts, read in one transaction, so that a request moving from a
    queue to an in-flight hash (or back) cannot be missed between two reads.
    `shards`: the run's shard count, if the caller knows it (else read from Redis)."""
    if shards is None:
        shards = int(server.get(keys.shards) or 0)
    with server.pipeline(transaction=True) as pipe:
        for index in range(shards):
            pipe.zcard(keys.queue(index))
            pipe.hlen(RunKeys.inflight(keys.queue(index)))
        for key in (keys.seen, keys.seeded, keys.closed):
            pipe.scard(key)
        pipe.llen(keys.articles)
        *per_shard, seen, seeded, closed, for_writer = pipe.execute()
    return RunProgress(shards, per_shard[0::2], per_shard[1::2], seen, seeded, closed, for_writer)


def check_cluster(url: str, run: str, shard: str) -> None:
    """Every cluster option checked, and Redis reached, before the crawl starts."""
    parse_run_id(run)
    Shard.parse(shard)
    connect(url).close()


def cluster_settings(url: str, run: str, shard: str, writer: bool = False) -> dict[str, Any]:
    """The settings that make a crawl one worker of a cluster; with `writer`, one
    that sends its articles to the run's `newscrawl writer`."""
    extra: dict[str, Any] = {}
    if writer:
        # Beside newscrawl's pipelines, which are in ITEM_PIPELINES_BASE.
        pipelines = {"newscrawl.cluster.worker.ArticleQueuePipeline": 300}
        extra = {"NEWSCRAWL_CLUSTER_WRITER": True, "ITEM_PIPELINES": pipelines}
    return {
        **extra,
        "SCHEDULER": "newscrawl.cluster.scheduler.ClusterScheduler",
        "NEWSCRAWL_CLUSTER_URL": url,
        "NEWSCRAWL_CLUSTER_RUN": run,
        "NEWSCRAWL_SHARD": shard,
        # A request leaves Redis once its items are through the pipelines: they
        # must be committed by then.
        "NEWSCRAWL_SQLITE_COMMIT_EVERY": 1,
    }
